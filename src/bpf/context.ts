/**
 * What a classic BPF Program may see besides packet bytes: the semantics to run
 * under (Linux socket filter or libpcap's bpf_filter()), and the socket-buffer
 * metadata that Linux's ancillary loads (SKF_AD_*) read.
 */
import {
  SKF_AD_ALU_XOR_X, SKF_AD_CPU, SKF_AD_HATYPE, SKF_AD_IFINDEX, SKF_AD_MARK, SKF_AD_MAX,
  SKF_AD_NLATTR, SKF_AD_NLATTR_NEST, SKF_AD_OFF, SKF_AD_PAY_OFFSET, SKF_AD_PKTTYPE,
  SKF_AD_PROTOCOL, SKF_AD_QUEUE, SKF_AD_RANDOM, SKF_AD_RXHASH, SKF_AD_VLAN_TAG,
  SKF_AD_VLAN_TAG_PRESENT, SKF_AD_VLAN_TPID, SKF_LL_OFF, SKF_NET_OFF,
} from './opcodes.js';

/**
 * Which machine to imitate. `'linux'` is a socket filter in the Linux kernel
 * (ancillary loads, SKF_NET_OFF/SKF_LL_OFF, 32-bit wrapping of X+k in indirect
 * loads); `'bsd'` is libpcap 1.10's `bpf_filter()` (no ancillary data: those
 * offsets are simply out of the packet).
 */
export type Semantics = 'linux' | 'bsd';

/** The semantics used when none is asked for: Linux, where bpfkit's Programs run in the kernel. */
export const DEFAULT_SEMANTICS: Semantics = 'linux';

/**
 * Socket-buffer metadata for Linux ancillary loads. A missing field reads as 0,
 * as for an skb that carries no such data (no mark, no VLAN tag, ...).
 */
export interface AncillaryContext {
  /** skb->protocol in host order, e.g. 0x0800 (SKF_AD_PROTOCOL). */
  protocol?: number;
  /** skb->pkt_type: 0 host, 1 broadcast, 2 multicast, 3 other host, 4 outgoing (SKF_AD_PKTTYPE). */
  pktType?: number;
  /** Interface index of the receiving device (SKF_AD_IFINDEX). */
  ifindex?: number;
  /** skb->mark (SKF_AD_MARK). */
  mark?: number;
  /** skb->queue_mapping (SKF_AD_QUEUE). */
  queue?: number;
  /** dev->type, an ARPHRD_ value such as 1 for Ethernet (SKF_AD_HATYPE). */
  hatype?: number;
  /** skb->hash (SKF_AD_RXHASH). */
  rxhash?: number;
  /** The CPU that runs the filter (SKF_AD_CPU). */
  cpu?: number;
  /** The VLAN TCI that the NIC removed from the frame (SKF_AD_VLAN_TAG). */
  vlanTag?: number;
  /** Whether a VLAN tag was removed (SKF_AD_VLAN_TAG_PRESENT). */
  vlanTagPresent?: boolean;
  /** The removed tag's TPID in host order, e.g. 0x8100 (SKF_AD_VLAN_TPID). */
  vlanTpid?: number;
  /** Payload offset found by the kernel's flow dissector (SKF_AD_PAY_OFFSET). */
  payOffset?: number;
  /** Source of SKF_AD_RANDOM values (unsigned 32-bit); defaults to Math.random. */
  random?: () => number;
  /**
   * Where the network header starts in the packet: SKF_NET_OFF + n reads byte
   * networkOffset + n. Without it, SKF_NET_OFF loads find no header and return 0.
   */
  networkOffset?: number;
  /**
   * The skb has no device (as on UNIX sockets): IFINDEX and HATYPE loads end
   * the program with 0, as the kernel does. By default a missing `ifindex` or
   * `hatype` reads 0.
   */
  noDevice?: boolean;
  /**
   * The skb has no link-layer header (as on UNIX or UDP sockets): SKF_LL_OFF
   * loads fail. By default SKF_LL_OFF + n reads byte n, as on packet sockets.
   */
  noLinkHeader?: boolean;
  /** Whether netlink attribute headers (SKF_AD_NLATTR*) are little-endian (host order); default true. */
  littleEndianNlattr?: boolean;
}

/** How to run a Program. */
export interface RunOptions {
  semantics?: Semantics;
  context?: AncillaryContext;
}

/** The ancillary offsets Linux accepts, as offsets from SKF_AD_OFF. */
const KNOWN_ANCILLARY = new Set([
  SKF_AD_PROTOCOL, SKF_AD_PKTTYPE, SKF_AD_IFINDEX, SKF_AD_NLATTR, SKF_AD_NLATTR_NEST,
  SKF_AD_MARK, SKF_AD_QUEUE, SKF_AD_HATYPE, SKF_AD_RXHASH, SKF_AD_CPU, SKF_AD_ALU_XOR_X,
  SKF_AD_VLAN_TAG, SKF_AD_VLAN_TAG_PRESENT, SKF_AD_PAY_OFFSET, SKF_AD_RANDOM, SKF_AD_VLAN_TPID,
]);

/**
 * Where a Linux load at a negative offset (a signed 32-bit number below 0)
 * reads, as bpf_skb_load_helper does it: from the network header
 * (SKF_NET_OFF + n, at `context.networkOffset`) or the link header
 * (SKF_LL_OFF + n, the packet's first byte, unless the skb has none). -1
 * when the load fails whatever the packet; the caller still checks the
 * position against the packet's length. Every engine asks this one rule.
 *
 * @example
 * negativeOffsetPosition(SKF_NET_OFF + 9, { networkOffset: 14 }) // 23
 * negativeOffsetPosition(SKF_LL_OFF + 12, { noLinkHeader: true }) // -1
 */
export function negativeOffsetPosition(offset: number, context: AncillaryContext | undefined): number {
  if (offset >= SKF_NET_OFF) {
    const net = context?.networkOffset;
    return net === undefined ? -1 : net + (offset - SKF_NET_OFF);
  }
  if (offset >= SKF_LL_OFF) return context?.noLinkHeader ? -1 : offset - SKF_LL_OFF;
  return -1;
}

/**
 * If `k` (an absolute load's offset, unsigned) names a Linux ancillary field,
 * returns the field's offset from SKF_AD_OFF; otherwise -1.
 *
 * @example
 * ancillaryField((SKF_AD_OFF + SKF_AD_PROTOCOL) >>> 0) // 0
 * ancillaryField(12)                                   // -1
 */
export function ancillaryField(k: number): number {
  const off = (k | 0) - SKF_AD_OFF;
  return off >= 0 && off < SKF_AD_MAX && KNOWN_ANCILLARY.has(off) ? off : -1;
}

/**
 * True when the kernel would end the program with 0 at this ancillary load
 * instead of reading a value: IFINDEX and HATYPE on an skb with no device.
 *
 * @example
 * ancillaryFails(SKF_AD_IFINDEX, { noDevice: true }) // true
 */
export function ancillaryFails(field: number, ctx: AncillaryContext | undefined): boolean {
  return ctx?.noDevice === true && (field === SKF_AD_IFINDEX || field === SKF_AD_HATYPE);
}

/**
 * The value of Linux ancillary field `field` (offset from SKF_AD_OFF) for a
 * packet, given the accumulator and index register (NLATTR and ALU_XOR_X use
 * them). Returns the new accumulator, unsigned 32-bit.
 *
 * @example
 * ancillaryLoad(SKF_AD_PROTOCOL, packet, 0, 0, { protocol: 0x0800 }) // 2048
 */
export function ancillaryLoad(field: number, packet: Uint8Array, a: number, x: number, ctx: AncillaryContext = {}): number {
  switch (field) {
    case SKF_AD_PROTOCOL: return (ctx.protocol ?? 0) & 0xffff;
    case SKF_AD_PKTTYPE: return (ctx.pktType ?? 0) & 0x7;
    case SKF_AD_IFINDEX: return (ctx.ifindex ?? 0) >>> 0;
    case SKF_AD_NLATTR: return netlinkAttribute(packet, a, x, false, ctx.littleEndianNlattr ?? true);
    case SKF_AD_NLATTR_NEST: return netlinkAttribute(packet, a, x, true, ctx.littleEndianNlattr ?? true);
    case SKF_AD_MARK: return (ctx.mark ?? 0) >>> 0;
    case SKF_AD_QUEUE: return (ctx.queue ?? 0) & 0xffff;
    case SKF_AD_HATYPE: return (ctx.hatype ?? 0) & 0xffff;
    case SKF_AD_RXHASH: return (ctx.rxhash ?? 0) >>> 0;
    case SKF_AD_CPU: return (ctx.cpu ?? 0) >>> 0;
    case SKF_AD_ALU_XOR_X: return (a ^ x) >>> 0;
    case SKF_AD_VLAN_TAG: return (ctx.vlanTag ?? 0) & 0xffff;
    case SKF_AD_VLAN_TAG_PRESENT: return ctx.vlanTagPresent ? 1 : 0;
    case SKF_AD_PAY_OFFSET: return (ctx.payOffset ?? 0) >>> 0;
    case SKF_AD_RANDOM: return ctx.random ? ctx.random() >>> 0 : Math.floor(Math.random() * 0x100000000) >>> 0;
    case SKF_AD_VLAN_TPID: return (ctx.vlanTpid ?? 0) & 0xffff;
    default: return 0;
  }
}

/**
 * The kernel's nla_find() over the packet: starting at byte `a`, walks netlink
 * attributes (u16 length, u16 type, padded to 4) looking for type `x`; with
 * `nested`, first steps inside the attribute at `a`. Returns the found
 * attribute's offset in the packet, or 0.
 */
function netlinkAttribute(packet: Uint8Array, a: number, x: number, nested: boolean, little: boolean): number {
  const len = packet.length;
  const u16 = (at: number) => (little ? packet[at] | (packet[at + 1] << 8) : (packet[at] << 8) | packet[at + 1]);
  if (len < 4 || a > len - 4) return 0;
  let pos = a;
  let rem = len - a;
  if (nested) {
    const outer = u16(a);
    if (outer > rem) return 0;
    pos = a + 4;
    rem = outer - 4;
  }
  while (rem >= 4 && pos + 4 <= len) {
    const nlaLen = u16(pos);
    if (nlaLen < 4 || nlaLen > rem) return 0;
    // NLA_TYPE_MASK drops the nested and byte-order flags.
    if ((u16(pos + 2) & 0x3fff) === x) return pos;
    const step = (nlaLen + 3) & ~3;
    rem -= step;
    pos += step;
  }
  return 0;
}
