/**
 * The link layer: per-link-type header offsets and how each link type says
 * which protocol it carries (libpcap's init_linktype, gen_linktype and
 * friends), link-layer addresses, broadcast/multicast, LLC, and the prologue
 * that computes variable header lengths.
 */
import { BPF_ALU, BPF_ADD, BPF_AND, BPF_B, BPF_H, BPF_JEQ, BPF_JSET, BPF_LD, BPF_LDX, BPF_ABS, BPF_MEM, BPF_ST, BPF_MISC, BPF_TAX, BPF_W, BPF_X } from '../../bpf/opcodes.js';
import { linkType as lookupLinkType, type LinkTypeInfo } from '../../bpf/linktypes.js';
import { and, not, or, type Cond, type Stmt } from '../cfg.js';
import type { DirQual } from '../ast.js';
import { NOT_SET, type Context, type OffsetBase } from './context.js';
import { genAtmLlc } from './atm.js';
import { WLAN_DLTS, genDataFrameCheck, genWlanHost, genWlanMulticast, isWlan, wlanPrologue } from './ieee80211.js';

export const ETHERMTU = 1500;
export const ETHERTYPE = {
  IP: 0x0800, ARP: 0x0806, REVARP: 0x8035, IPV6: 0x86dd, ATALK: 0x809b, AARP: 0x80f3, IPX: 0x8137,
  DN: 0x6003, SCA: 0x6007, LAT: 0x6004, MOPDL: 0x6001, MOPRC: 0x6002, NS: 0x0600,
  VLAN: 0x8100, QINQ_AD: 0x88a8, QINQ: 0x9100, MPLS: 0x8847, PPPOED: 0x8863, PPPOES: 0x8864,
} as const;
export const LLCSAP = { IP: 0x06, ISONS: 0xfe, NETBEUI: 0xf0, IPX: 0xe0, STP: 0x42, SNAP: 0xaa } as const;

/** DLT numbers the generators test for. */
export const DLT = {
  NULL: 0, EN10MB: 1, IEEE802: 6, SLIP: 8, PPP: 9, FDDI: 10, ATM_RFC1483: 11, RAW: 12, SLIP_BSDOS: 15,
  ATM_CLIP: 19, PPP_SERIAL: 50, PPP_ETHER: 51, C_HDLC: 104, IEEE802_11: 105, LOOP: 108, ENC: 109,
  LINUX_SLL: 113, PFLOG: 117, APPLE_IP_OVER_IEEE1394: 138, PPP_PPPD: 166, IPNET: 226, IPV4: 228, IPV6: 229,
  NETANALYZER: 240, NETANALYZER_TRANSPARENT: 241, LINUX_SLL2: 276,
  SUNATM: 123, ARCNET: 7, PPP_BSDOS: 16, SYMANTEC_FIREWALL: 99, FRELAY: 107, LTALK: 114, IP_OVER_FC: 122, ARCNET_LINUX: 129,
} as const;

/** How a link type names its payload protocol. */
type Style = 'sunatm' | 'arcnet' | 'ppp_bsdos' | 'frelay' | 'ltalk' | 'wlan' | 'ether' | 'llc' | 'chdlc' | 'ppp' | 'sll' | 'rawip' | 'ipv4' | 'ipv6' | 'loopback-host' | 'loopback-net'
  | 'pflog' | 'ipnet' | 'ethertype' | 'none';

interface LinkLayout {
  readonly style: Style;
  readonly linkhdr?: number;
  /** Offset of the type field, or NOT_SET. */
  readonly linktype: number;
  /** Offset of the payload; 'pflog' for PFLOG's variable header, 'wlan' for 802.11's. */
  readonly linkpl: number | 'pflog' | 'wlan';
  /** The link header itself starts after a variable-length radio header. */
  readonly radio?: boolean;
  readonly nl: number;
  readonly nosnap: number;
}

const LAYOUTS = new Map<number, LinkLayout>([
  [DLT.EN10MB, { style: 'ether', linktype: 12, linkpl: 14, nl: 0, nosnap: 3 }],
  [DLT.NETANALYZER, { style: 'ether', linkhdr: 4, linktype: 16, linkpl: 18, nl: 0, nosnap: 3 }],
  [DLT.NETANALYZER_TRANSPARENT, { style: 'ether', linkhdr: 12, linktype: 24, linkpl: 26, nl: 0, nosnap: 3 }],
  [DLT.IEEE802, { style: 'llc', linktype: 20, linkpl: 14, nl: 8, nosnap: 3 }],
  [DLT.FDDI, { style: 'llc', linktype: 19, linkpl: 13, nl: 8, nosnap: 3 }],
  [DLT.ATM_RFC1483, { style: 'llc', linktype: 6, linkpl: 0, nl: 8, nosnap: 3 }],
  [DLT.ATM_CLIP, { style: 'llc', linktype: 6, linkpl: 0, nl: 8, nosnap: 3 }],
  [DLT.PPP, { style: 'ppp', linktype: 2, linkpl: 4, nl: 0, nosnap: 0 }],
  [DLT.PPP_PPPD, { style: 'ppp', linktype: 2, linkpl: 4, nl: 0, nosnap: 0 }],
  [DLT.PPP_SERIAL, { style: 'ppp', linktype: 2, linkpl: 4, nl: 0, nosnap: 0 }],
  [DLT.PPP_ETHER, { style: 'ppp', linktype: 6, linkpl: 8, nl: 0, nosnap: 0 }],
  [DLT.C_HDLC, { style: 'chdlc', linktype: 2, linkpl: 4, nl: 0, nosnap: 0 }],
  [DLT.NULL, { style: 'loopback-host', linktype: 0, linkpl: 4, nl: 0, nosnap: 0 }],
  [DLT.ENC, { style: 'loopback-host', linktype: 0, linkpl: 12, nl: 0, nosnap: 0 }],
  [DLT.LOOP, { style: 'loopback-net', linktype: 0, linkpl: 4, nl: 0, nosnap: 0 }],
  [DLT.SLIP, { style: 'rawip', linktype: NOT_SET, linkpl: 16, nl: 0, nosnap: 0 }],
  [DLT.SLIP_BSDOS, { style: 'rawip', linktype: NOT_SET, linkpl: 24, nl: 0, nosnap: 0 }],
  [DLT.RAW, { style: 'rawip', linktype: NOT_SET, linkpl: 0, nl: 0, nosnap: 0 }],
  [DLT.IPV4, { style: 'ipv4', linktype: NOT_SET, linkpl: 0, nl: 0, nosnap: 0 }],
  [DLT.IPV6, { style: 'ipv6', linktype: NOT_SET, linkpl: 0, nl: 0, nosnap: 0 }],
  [DLT.LINUX_SLL, { style: 'sll', linktype: 14, linkpl: 16, nl: 0, nosnap: 0 }],
  [DLT.LINUX_SLL2, { style: 'ethertype', linktype: 0, linkpl: 20, nl: 0, nosnap: 0 }],
  [DLT.PFLOG, { style: 'pflog', linktype: 0, linkpl: 'pflog', nl: 0, nosnap: 0 }],
  [DLT.IPNET, { style: 'ipnet', linktype: 1, linkpl: 24, nl: 0, nosnap: NOT_SET }],
  [WLAN_DLTS.IEEE802_11, { style: 'wlan', linktype: 6, linkpl: 'wlan', nl: 8, nosnap: 3 }],
  [WLAN_DLTS.PRISM_HEADER, { style: 'wlan', linktype: 6, linkpl: 'wlan', nl: 8, nosnap: 3, radio: true }],
  [WLAN_DLTS.IEEE802_11_RADIO, { style: 'wlan', linktype: 6, linkpl: 'wlan', nl: 8, nosnap: 3, radio: true }],
  [WLAN_DLTS.IEEE802_11_RADIO_AVS, { style: 'wlan', linktype: 6, linkpl: 'wlan', nl: 8, nosnap: 3, radio: true }],
  [WLAN_DLTS.PPI, { style: 'wlan', linktype: 6, linkpl: 'wlan', nl: 8, nosnap: 3, radio: true }],
  [DLT.SUNATM, { style: 'sunatm', linktype: 10, linkpl: 4, nl: 8, nosnap: 3 }],
  [DLT.ARCNET, { style: 'arcnet', linktype: 2, linkpl: 6, nl: 0, nosnap: 0 }],
  [DLT.ARCNET_LINUX, { style: 'arcnet', linktype: 4, linkpl: 8, nl: 0, nosnap: 0 }],
  [DLT.PPP_BSDOS, { style: 'ppp_bsdos', linktype: 5, linkpl: 24, nl: 0, nosnap: 0 }],
  [DLT.SYMANTEC_FIREWALL, { style: 'ethertype', linktype: 6, linkpl: 44, nl: 0, nosnap: 0 }],
  [DLT.FRELAY, { style: 'frelay', linktype: NOT_SET, linkpl: 0, nl: 0, nosnap: 0 }],
  [DLT.LTALK, { style: 'ltalk', linktype: NOT_SET, linkpl: 0, nl: 0, nosnap: 0 }],
  [DLT.IP_OVER_FC, { style: 'llc', linktype: 22, linkpl: 16, nl: 8, nosnap: 3 }],
  [DLT.APPLE_IP_OVER_IEEE1394, { style: 'ethertype', linktype: 16, linkpl: 18, nl: 0, nosnap: 0 }],
]);

/**
 * Link types whose filters bpfkit compiles fully (others compile only
 * link-independent expressions such as `len`, `ether[…]`-style loads at
 * offset 0 and `greater`).
 *
 * @example
 * SUPPORTED_LINK_TYPES.includes(1) // true (EN10MB)
 */
export const SUPPORTED_LINK_TYPES: readonly number[] = [...LAYOUTS.keys()].sort((a, b) => a - b);

/**
 * Sets the context's offsets for its link type (libpcap's init_linktype).
 *
 * @example
 * initLinkType(ctx);
 */
export function initLinkType(ctx: Context): void {
  const layout = LAYOUTS.get(ctx.outermost.dlt);
  if (!layout) return;
  const hdr = layout.linkhdr ?? 0;
  ctx.offLinkhdr = { variable: layout.radio === true, constant: hdr, reg: -1 };
  ctx.offOutermostlinkhdr = { ...ctx.offLinkhdr };
  ctx.offLinkpl = layout.linkpl === 'pflog' || layout.linkpl === 'wlan'
    ? { variable: true, constant: 0, reg: -1 }
    : { variable: false, constant: layout.linkpl, reg: -1 };
  ctx.offLinktype = layout.linkpl === 'wlan'
    ? { variable: true, constant: layout.linktype, reg: -1, shares: ctx.offLinkpl }
    : { variable: false, constant: layout.linktype, reg: -1 };
  ctx.offNl = layout.nl;
  ctx.offNlNosnap = layout.nosnap;
}

/**
 * The description of a DLT, for messages.
 *
 * @example
 * describe(12) // 'Raw IP'
 */
export function describe(dlt: number): string {
  try {
    return lookupLinkType(dlt).description;
  } catch {
    return `DLT ${dlt}`;
  }
}

function nameOf(dlt: number): string {
  try {
    return lookupLinkType(dlt).name;
  } catch {
    return `DLT ${dlt}`;
  }
}

function styleOf(ctx: Context): Style {
  return LAYOUTS.get(ctx.linkType)?.style ?? 'none';
}

/**
 * `snap` header check: AA AA 03, then the OUI and the protocol (gen_snap).
 *
 * @example
 * genSnap(ctx, 0x080007, 0x809b) // AppleTalk Phase 2 over SNAP
 */
export function genSnap(ctx: Context, orgcode: number, ptype: number): Cond {
  const bytes = Uint8Array.of(LLCSAP.SNAP, LLCSAP.SNAP, 0x03, (orgcode >> 16) & 0xff, (orgcode >> 8) & 0xff, orgcode & 0xff, (ptype >> 8) & 0xff, ptype & 0xff);
  return ctx.bcmp('llc', 0, bytes);
}

function notGt(ctx: Context, base: OffsetBase, offset: number, size: number, v: number): Cond {
  return not(ctx.cmpGt(base, offset, size, v));
}

/**
 * The test libpcap puts in front of Ethernet tests on an encapsulated link
 * layer (gen_prevlinkhdr_check): after `geneve`, "the payload has an Ethernet
 * header" (the header and payload offsets differ); after SUNATM `lane`, "not
 * an LE Control frame". Undefined when no test is needed.
 *
 * @example
 * const pre = prevLinkhdrCheck(ctx); const b = pre ? and(pre, test) : test;
 */
export function prevLinkhdrCheck(ctx: Context): Cond | undefined {
  if (ctx.isGeneve) {
    const s = [{ code: BPF_LD | BPF_MEM, k: ctx.offLinkhdr.reg }, { code: BPF_LDX | BPF_MEM, k: ctx.offLinkpl.reg }];
    return not(ctx.blocks.cond(s, BPF_JEQ, 0, BPF_X));
  }
  if (ctx.prevLinkType === DLT.SUNATM) return not(ctx.cmp('prevlinkhdr', 4, BPF_H, 0xff00));
  return undefined;
}

function withPrevCheck(ctx: Context, test: () => Cond): Cond {
  const pre = prevLinkhdrCheck(ctx);
  const b = test();
  return pre ? and(pre, b) : b;
}

function etherLinktype(ctx: Context, proto: number): Cond {
  switch (proto) {
    case LLCSAP.ISONS: case LLCSAP.IP: case LLCSAP.NETBEUI: {
      const b0 = notGt(ctx, 'linktype', 0, BPF_H, ETHERMTU);
      return and(b0, ctx.cmp('llc', 0, BPF_H, (proto << 8) | proto));
    }
    case LLCSAP.IPX: {
      let b1 = or(ctx.cmp('llc', 0, BPF_B, LLCSAP.IPX), ctx.cmp('llc', 0, BPF_H, 0xffff));
      b1 = or(genSnap(ctx, 0x000000, ETHERTYPE.IPX), b1);
      b1 = and(notGt(ctx, 'linktype', 0, BPF_H, ETHERMTU), b1);
      return or(ctx.cmp('linktype', 0, BPF_H, ETHERTYPE.IPX), b1);
    }
    case ETHERTYPE.ATALK: case ETHERTYPE.AARP: {
      const b0 = notGt(ctx, 'linktype', 0, BPF_H, ETHERMTU);
      const snap = proto === ETHERTYPE.ATALK ? genSnap(ctx, 0x080007, ETHERTYPE.ATALK) : genSnap(ctx, 0x000000, ETHERTYPE.AARP);
      return or(ctx.cmp('linktype', 0, BPF_H, proto), and(b0, snap));
    }
    default:
      if (proto <= ETHERMTU) {
        return and(notGt(ctx, 'linktype', 0, BPF_H, ETHERMTU), ctx.cmp('linktype', 2, BPF_B, proto));
      }
      return ctx.cmp('linktype', 0, BPF_H, proto);
  }
}

function llcLinktype(ctx: Context, proto: number): Cond {
  switch (proto) {
    case LLCSAP.IP: case LLCSAP.ISONS: case LLCSAP.NETBEUI: return ctx.cmp('llc', 0, BPF_H, (proto << 8) | proto);
    case LLCSAP.IPX: return ctx.cmp('llc', 0, BPF_B, LLCSAP.IPX);
    case ETHERTYPE.ATALK: return genSnap(ctx, 0x080007, ETHERTYPE.ATALK);
    default:
      return proto <= ETHERMTU ? ctx.cmp('llc', 0, BPF_B, proto) : ctx.cmp('linktype', 0, BPF_H, proto);
  }
}

const SLL_P_802_3 = 0x0001;
const SLL_P_802_2 = 0x0004;

function sllLinktype(ctx: Context, proto: number): Cond {
  switch (proto) {
    case LLCSAP.ISONS: case LLCSAP.IP: case LLCSAP.NETBEUI:
      return and(ctx.cmp('linktype', 0, BPF_H, SLL_P_802_2), ctx.cmp('llc', 0, BPF_H, (proto << 8) | proto));
    case LLCSAP.IPX: {
      let b1 = or(ctx.cmp('llc', 0, BPF_B, LLCSAP.IPX), genSnap(ctx, 0x000000, ETHERTYPE.IPX));
      b1 = and(ctx.cmp('linktype', 0, BPF_H, SLL_P_802_2), b1);
      b1 = or(ctx.cmp('linktype', 0, BPF_H, SLL_P_802_3), b1);
      return or(ctx.cmp('linktype', 0, BPF_H, ETHERTYPE.IPX), b1);
    }
    case ETHERTYPE.ATALK: case ETHERTYPE.AARP: {
      const b0 = ctx.cmp('linktype', 0, BPF_H, SLL_P_802_2);
      const snap = proto === ETHERTYPE.ATALK ? genSnap(ctx, 0x080007, ETHERTYPE.ATALK) : genSnap(ctx, 0x000000, ETHERTYPE.AARP);
      return or(ctx.cmp('linktype', 0, BPF_H, proto), and(b0, snap));
    }
    default:
      if (proto <= ETHERMTU) {
        return and(ctx.cmp('linktype', 0, BPF_H, SLL_P_802_2), ctx.cmp('linkhdr', ctx.offLinkpl.constant, BPF_B, proto));
      }
      return ctx.cmp('linktype', 0, BPF_H, proto);
  }
}

const PPP_TYPES = new Map<number, number>([
  [ETHERTYPE.IP, 0x21], [ETHERTYPE.IPV6, 0x57], [ETHERTYPE.DN, 0x27], [ETHERTYPE.ATALK, 0x29],
  [ETHERTYPE.NS, 0x25], [LLCSAP.ISONS, 0x23], [LLCSAP.STP, 0x31], [LLCSAP.IPX, 0x2b],
]);

const AF_INET = 2;
const AF_INET6 = 10;

function byteSwap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/**
 * The condition "the link layer carries protocol `proto`" (an Ethernet type,
 * or an LLC SAP when ≤ 1500), for the link type in force (gen_linktype).
 *
 * @example
 * genLinktype(ctx, 0x0800) // ldh [12]; jeq #0x800 on Ethernet
 */
export function genLinktype(ctx: Context, proto: number): Cond {
  if (ctx.labelStackDepth > 0) return mplsLinktype(ctx, proto);
  switch (styleOf(ctx)) {
    case 'ether': return ctx.isGeneve ? etherLinktype(ctx, proto) : withPrevCheck(ctx, () => etherLinktype(ctx, proto));
    case 'wlan': {
      const b0 = genDataFrameCheck(ctx);
      return and(b0, llcLinktype(ctx, proto));
    }
    case 'llc': return llcLinktype(ctx, proto);
    case 'chdlc': return ctx.cmp('linktype', 0, BPF_H, proto === LLCSAP.ISONS ? (proto << 8) | proto : proto);
    case 'ppp': return ctx.cmp('linktype', 0, BPF_H, PPP_TYPES.get(proto) ?? proto);
    case 'sll': return sllLinktype(ctx, proto);
    case 'rawip':
      if (proto === ETHERTYPE.IP) return ctx.mcmp('linkhdr', 0, BPF_B, 0x40, 0xf0);
      if (proto === ETHERTYPE.IPV6) return ctx.mcmp('linkhdr', 0, BPF_B, 0x60, 0xf0);
      return ctx.false();
    case 'ipv4': return proto === ETHERTYPE.IP ? ctx.true() : ctx.false();
    case 'ipv6': return proto === ETHERTYPE.IPV6 ? ctx.true() : ctx.false();
    case 'loopback-host': case 'loopback-net': {
      const af = proto === ETHERTYPE.IP ? AF_INET : proto === ETHERTYPE.IPV6 ? AF_INET6 : -1;
      if (af < 0) return ctx.false();
      // DLT_NULL/ENC carry the family in host byte order (little-endian here); BPF loads big-endian.
      return ctx.cmp('linkhdr', 0, BPF_W, styleOf(ctx) === 'loopback-host' ? byteSwap32(af) : af);
    }
    case 'pflog':
      if (proto === ETHERTYPE.IP) return ctx.cmp('linkhdr', 1, BPF_B, AF_INET);
      if (proto === ETHERTYPE.IPV6) return ctx.cmp('linkhdr', 1, BPF_B, AF_INET6);
      return ctx.false();
    case 'ipnet':
      if (proto === ETHERTYPE.IP) return ctx.cmp('linktype', 0, BPF_B, 2);
      if (proto === ETHERTYPE.IPV6) return ctx.cmp('linktype', 0, BPF_B, 26);
      return ctx.false();
    case 'ethertype': return ctx.cmp('linktype', 0, BPF_H, proto);
    case 'arcnet': {
      const arc = (code: number): Cond => ctx.cmp('linktype', 0, BPF_B, code);
      switch (proto) {
        case ETHERTYPE.IPV6: return arc(0xc4);
        case ETHERTYPE.IP: { const b0 = arc(0xd4); return or(b0, arc(0xf0)); }
        case ETHERTYPE.ARP: { const b0 = arc(0xd5); return or(b0, arc(0xf1)); }
        case ETHERTYPE.REVARP: return arc(0xd6);
        case ETHERTYPE.ATALK: return arc(0xdd);
        default: return ctx.false();
      }
    }
    case 'ppp_bsdos':
      if (proto === ETHERTYPE.IP) {
        // IP, and Van Jacobson compressed and uncompressed TCP/IP.
        const b1 = or(ctx.cmp('linktype', 0, BPF_H, 0x21), ctx.cmp('linktype', 0, BPF_H, 0x2d));
        return or(b1, ctx.cmp('linktype', 0, BPF_H, 0x2f));
      }
      return ctx.cmp('linktype', 0, BPF_H, PPP_TYPES.get(proto) ?? proto);
    case 'frelay': {
      // The NLPID after a 2-byte header and the UI control byte 0x03.
      const nlpid = (v: number): Cond => ctx.cmp('linkhdr', 2, BPF_H, (0x03 << 8) | v);
      if (proto === ETHERTYPE.IP) return nlpid(0xcc);
      if (proto === ETHERTYPE.IPV6) return nlpid(0x8e);
      if (proto === LLCSAP.ISONS) {
        const b0 = nlpid(0x81);
        const b2 = or(nlpid(0x82), nlpid(0x83));
        return or(b0, b2);
      }
      return ctx.false();
    }
    case 'sunatm': {
      const b0 = genAtmLlc(ctx);
      return and(b0, llcLinktype(ctx, proto));
    }
    case 'ltalk': return proto === ETHERTYPE.ATALK ? ctx.true() : ctx.false();
    case 'none': break;
  }
  if (ctx.offLinktype.constant !== NOT_SET) return ctx.cmp('linktype', 0, BPF_H, proto);
  return ctx.error(`${nameOf(ctx.linkType)} link-layer type filtering not implemented`);
}

/** After `mpls`: only IPv4/IPv6 can be recognized, by the bottom-of-stack bit and the IP version. */
function mplsLinktype(ctx: Context, proto: number): Cond {
  if (proto === ETHERTYPE.IP || proto === 0x21 || proto === ETHERTYPE.IPV6 || proto === 0x57) {
    const version = proto === ETHERTYPE.IP || proto === 0x21 ? 0x40 : 0x60;
    const b0 = ctx.mcmp('linkpl', -2, BPF_B, 0x01, 0x01);
    return and(b0, ctx.mcmp('linkpl', 0, BPF_B, version, 0xf0));
  }
  return ctx.error('unsupported protocol over mpls');
}

const DIR_ERRORS: Partial<Record<DirQual, string>> = {
  addr1: "'addr1' and 'address1' are only supported on 802.11 with 802.11 headers",
  addr2: "'addr2' and 'address2' are only supported on 802.11 with 802.11 headers",
  addr3: "'addr3' and 'address3' are only supported on 802.11 with 802.11 headers",
  addr4: "'addr4' and 'address4' are only supported on 802.11 with 802.11 headers",
  ra: "'ra' is only supported on 802.11 with 802.11 headers",
  ta: "'ta' is only supported on 802.11 with 802.11 headers",
};

/** Source/destination MAC comparison at fixed offsets in the link header. */
function macHostop(ctx: Context, mac: Uint8Array, dir: DirQual, srcOff: number, dstOff: number): Cond {
  switch (dir) {
    case 'src': return ctx.bcmp('linkhdr', srcOff, mac);
    case 'dst': return ctx.bcmp('linkhdr', dstOff, mac);
    case 'and': return and(macHostop(ctx, mac, 'src', srcOff, dstOff), macHostop(ctx, mac, 'dst', srcOff, dstOff));
    case 'default': case 'or': return or(macHostop(ctx, mac, 'src', srcOff, dstOff), macHostop(ctx, mac, 'dst', srcOff, dstOff));
    default: return ctx.error(DIR_ERRORS[dir]!);
  }
}

/**
 * A link-layer address test (`ether host`, `ether src`, …) for the link type in force.
 *
 * @example
 * genLinkHost(ctx, mac, 'src') // Ethernet: ld [8]; jeq …; ldh [6]; jeq …
 */
export function genLinkHost(ctx: Context, mac: Uint8Array, dir: DirQual, what: 'address' | 'name'): Cond {
  switch (ctx.linkType) {
    case DLT.EN10MB: case DLT.NETANALYZER: case DLT.NETANALYZER_TRANSPARENT: return withPrevCheck(ctx, () => macHostop(ctx, mac, dir, 6, 0));
    case DLT.FDDI: return macHostop(ctx, mac, dir, 7, 1);
    case DLT.IEEE802: return macHostop(ctx, mac, dir, 8, 2);
    case DLT.IP_OVER_FC: return macHostop(ctx, mac, dir, 10, 2);
    default:
      if (isWlan(ctx.linkType)) return genWlanHost(ctx, mac, dir);
      return ctx.error(what === 'name'
        ? 'only ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel supports link-level host name'
        : 'ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel');
  }
}

/**
 * `broadcast` / `ether broadcast` on the link layer.
 *
 * @example
 * genLinkBroadcast(ctx) // destination ff:ff:ff:ff:ff:ff
 */
export function genLinkBroadcast(ctx: Context): Cond {
  const all = new Uint8Array(6).fill(0xff);
  switch (ctx.linkType) {
    case DLT.EN10MB: case DLT.NETANALYZER: case DLT.NETANALYZER_TRANSPARENT: return withPrevCheck(ctx, () => macHostop(ctx, all, 'dst', 6, 0));
    case DLT.FDDI: return macHostop(ctx, all, 'dst', 7, 1);
    case DLT.IEEE802: return macHostop(ctx, all, 'dst', 8, 2);
    case DLT.IP_OVER_FC: return macHostop(ctx, all, 'dst', 10, 2);
    case DLT.ARCNET: case DLT.ARCNET_LINUX: return ctx.cmp('linkhdr', 1, BPF_B, 0);
    default:
      if (isWlan(ctx.linkType)) return genWlanHost(ctx, all, 'dst');
      return ctx.error('not a broadcast link');
  }
}

function macMulticast(ctx: Context, offset: number): Cond {
  return ctx.blocks.cond(ctx.loadA('linkhdr', offset, BPF_B), BPF_JSET, 1);
}

/**
 * `multicast` / `ether multicast` on the link layer: the group bit of the destination.
 *
 * @example
 * genLinkMulticast(ctx) // ldb [0]; jset #1
 */
export function genLinkMulticast(ctx: Context): Cond {
  switch (ctx.linkType) {
    case DLT.EN10MB: case DLT.NETANALYZER: case DLT.NETANALYZER_TRANSPARENT: return withPrevCheck(ctx, () => macMulticast(ctx, 0));
    case DLT.FDDI: return macMulticast(ctx, 1);
    case DLT.IEEE802: case DLT.IP_OVER_FC: return macMulticast(ctx, 2);
    case DLT.ARCNET: case DLT.ARCNET_LINUX: return ctx.cmp('linkhdr', 1, BPF_B, 0);
    default:
      if (isWlan(ctx.linkType)) return genWlanMulticast(ctx);
      return ctx.error('link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel');
  }
}

const LLC_S_SUBTYPES = new Map([['rr', 0x01], ['rnr', 0x05], ['rej', 0x09]]);
const LLC_U_SUBTYPES = new Map([['ui', 0x03], ['ua', 0x63], ['disc', 0x43], ['dm', 0x0f], ['sabme', 0x6f], ['test', 0xe3], ['xid', 0xaf], ['frmr', 0x87]]);

/**
 * `llc`, `llc i|s|u`, `llc <S or U subtype>` (gen_llc and friends).
 *
 * @example
 * genLlc(ctx, 'u') // 802.3 length field, not NetWare, U-format control byte
 */
export function genLlc(ctx: Context, subtype: string | undefined, valueColumn: number): Cond {
  let base: Cond;
  switch (ctx.linkType) {
    case DLT.EN10MB:
      base = and(notGt(ctx, 'linktype', 0, BPF_H, ETHERMTU), not(ctx.cmp('llc', 0, BPF_H, 0xffff)));
      break;
    case DLT.IEEE802: case DLT.FDDI: case DLT.ATM_RFC1483:
      base = ctx.true();
      break;
    case DLT.SUNATM:
      base = genAtmLlc(ctx);
      break;
    default:
      if (isWlan(ctx.linkType)) {
        base = genDataFrameCheck(ctx);
        break;
      }
      return ctx.error(`'llc' not supported for ${describe(ctx.linkType)}`);
  }
  if (subtype === undefined) return base;
  if (subtype === 'i') return and(base, not(ctx.blocks.cond(ctx.loadA('llc', 2, BPF_B), BPF_JSET, 0x01)));
  if (subtype === 's') return and(base, ctx.mcmp('llc', 2, BPF_B, 0x01, 0x03));
  if (subtype === 'u') return and(base, ctx.mcmp('llc', 2, BPF_B, 0x03, 0x03));
  const s = LLC_S_SUBTYPES.get(subtype);
  if (s !== undefined) return and(base, ctx.mcmp('llc', 2, BPF_B, s, 0x0f));
  const u = LLC_U_SUBTYPES.get(subtype);
  if (u !== undefined) return and(base, ctx.mcmp('llc', 2, BPF_B, u, 0xef));
  return ctx.error(`unknown LLC type name "${subtype}"`, valueColumn);
}

/**
 * Statements that must run before the filter proper to compute variable
 * header lengths that the filter uses (libpcap's insert_compute_vloffsets);
 * empty when none is used.
 *
 * @example
 * root.stmts = [...linkPrologue(ctx), ...root.stmts];
 */
export function linkPrologue(ctx: Context): Stmt[] {
  if (isWlan(ctx.outermost.dlt)) return wlanPrologue(ctx);
  if (ctx.outermost.dlt === DLT.PFLOG && ctx.offLinkpl.reg !== -1 && ctx.offLinkpl.variable) {
    return [
      { code: BPF_LD | BPF_ABS | BPF_B, k: 0 },
      { code: BPF_ALU | BPF_ADD, k: 3 },
      { code: BPF_ALU | BPF_AND, k: 0xfffffffc },
      { code: BPF_ST, k: ctx.offLinkpl.reg },
      { code: BPF_MISC | BPF_TAX, k: 0 },
    ];
  }
  return [];
}

export type { LinkTypeInfo };
