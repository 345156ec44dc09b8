/**
 * What link-layer header a live capture delivers: the interface's hardware
 * type (ARPHRD_*) mapped to a DLT as libpcap maps it, and the cooked headers
 * (LINUX_SLL, LINUX_SLL2) written for captures that receive packets without
 * their link header ("any", and hardware types with no DLT of their own).
 */
import { linkType } from '../bpf/linktypes.js';

export const ARPHRD_ETHER = 1;
export const ARPHRD_IEEE802 = 6;
export const ARPHRD_PPP = 512;
export const ARPHRD_RAWIP = 519;
export const ARPHRD_TUNNEL = 768;
export const ARPHRD_TUNNEL6 = 769;
export const ARPHRD_LOOPBACK = 772;
export const ARPHRD_SIT = 776;
export const ARPHRD_IPGRE = 778;
export const ARPHRD_IEEE80211 = 801;
export const ARPHRD_IEEE80211_RADIOTAP = 803;
export const ARPHRD_NETLINK = 824;
export const ARPHRD_NONE = 0xfffe;

export const DLT_EN10MB = linkType('EN10MB').dlt;
export const DLT_RAW = linkType('RAW').dlt;
export const DLT_LINUX_SLL = linkType('LINUX_SLL').dlt;
export const DLT_LINUX_SLL2 = linkType('LINUX_SLL2').dlt;

/**
 * The DLT a SOCK_RAW capture on an interface of hardware type `arphrd`
 * delivers, or null when the interface needs a cooked capture (SOCK_DGRAM
 * with an SLL header made up from the packet's sockaddr_ll), as libpcap
 * decides for the common types.
 *
 * @example
 * dltForArphrd(1)   // 1 (EN10MB)
 * dltForArphrd(512) // null: PPP is captured cooked
 */
export function dltForArphrd(arphrd: number): number | null {
  switch (arphrd) {
    case ARPHRD_ETHER:
    case ARPHRD_LOOPBACK:
    case ARPHRD_IEEE802:
      return DLT_EN10MB;
    case ARPHRD_NONE:
    case ARPHRD_RAWIP:
    case ARPHRD_TUNNEL:
    case ARPHRD_TUNNEL6:
    case ARPHRD_SIT:
      return DLT_RAW;
    case ARPHRD_IEEE80211:
      return linkType('IEEE802_11').dlt;
    case ARPHRD_IEEE80211_RADIOTAP:
      return linkType('IEEE802_11_RADIO').dlt;
    case ARPHRD_NETLINK:
      return linkType('NETLINK').dlt;
    default:
      return null;
  }
}

/** The fields of a packet's sockaddr_ll that a cooked header carries. */
export interface LinkAddressInfo {
  /** sll_protocol, in host order (e.g. 0x0800). */
  protocol: number;
  ifindex: number;
  hatype: number;
  pkttype: number;
  halen: number;
  /** The ring or buffer holding the 8 address bytes, and where they start. */
  addrBytes: Uint8Array;
  addrOffset: number;
}

/** Length of the cooked header for a DLT (16 for LINUX_SLL, 20 for LINUX_SLL2). @example cookedHeaderLength(113) // 16 */
export function cookedHeaderLength(dlt: number): number {
  if (dlt === DLT_LINUX_SLL) return 16;
  if (dlt === DLT_LINUX_SLL2) return 20;
  throw new RangeError(`DLT ${dlt} is not a cooked link type`);
}

/**
 * Writes a LINUX_SLL (16 bytes) or LINUX_SLL2 (20 bytes) header at `out[at]`
 * for a packet that arrived with `info`; returns the header length.
 *
 * @example
 * writeCookedHeader(buf, 0, DLT_LINUX_SLL, { protocol: 0x0800, ifindex: 2, hatype: 1, pkttype: 0, halen: 6, addrBytes, addrOffset })
 */
export function writeCookedHeader(out: Uint8Array, at: number, dlt: number, info: LinkAddressInfo): number {
  const halen = Math.min(info.halen, 8);
  if (dlt === DLT_LINUX_SLL) {
    out[at] = 0; out[at + 1] = info.pkttype;
    out[at + 2] = info.hatype >> 8; out[at + 3] = info.hatype & 0xff;
    out[at + 4] = info.halen >> 8; out[at + 5] = info.halen & 0xff;
    out.fill(0, at + 6, at + 14);
    for (let i = 0; i < halen; i++) out[at + 6 + i] = info.addrBytes[info.addrOffset + i];
    out[at + 14] = info.protocol >> 8; out[at + 15] = info.protocol & 0xff;
    return 16;
  }
  out[at] = info.protocol >> 8; out[at + 1] = info.protocol & 0xff;
  out[at + 2] = 0; out[at + 3] = 0;
  out[at + 4] = info.ifindex >>> 24; out[at + 5] = (info.ifindex >> 16) & 0xff;
  out[at + 6] = (info.ifindex >> 8) & 0xff; out[at + 7] = info.ifindex & 0xff;
  out[at + 8] = info.hatype >> 8; out[at + 9] = info.hatype & 0xff;
  out[at + 10] = info.pkttype;
  out[at + 11] = info.halen;
  out.fill(0, at + 12, at + 20);
  for (let i = 0; i < halen; i++) out[at + 12 + i] = info.addrBytes[info.addrOffset + i];
  return 20;
}
