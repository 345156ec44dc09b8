/**
 * The network layer: IPv4/IPv6/ARP/RARP host and net tests, `proto`,
 * protocol abbreviations (`tcp`, `icmp`, `iso`, `isis`, `l1`, …), IP
 * fragments, DECnet addresses and IP broadcast/multicast.
 */
import { BPF_B, BPF_H, BPF_JSET, BPF_W } from '../../bpf/opcodes.js';
import { and, not, or, type Cond } from '../cfg.js';
import type { AddrQual, DirQual, ProtoQual } from '../ast.js';
import { IPPROTO } from '../names.js';
import type { Context } from './context.js';
import { DLT, ETHERTYPE, LLCSAP, genLinktype } from './link.js';

const ISO = { ESIS: 0x82, ISIS: 0x83, CLNP: 0x81 } as const;
const ISIS_PDU = {
  L1_LAN_IIH: 15, L2_LAN_IIH: 16, PTP_IIH: 17, L1_LSP: 18, L2_LSP: 20, L1_CSNP: 24, L2_CSNP: 25, L1_PSNP: 26, L2_PSNP: 27,
} as const;

/**
 * The error for a direction that only makes sense for 802.11 MAC addresses.
 *
 * @example
 * wlanDirError('ra', 'ports') // "'ra' is not a valid qualifier for ports"
 */
export function wlanDirError(dir: DirQual, what: string): string | undefined {
  switch (dir) {
    case 'addr1': return `'addr1' and 'address1' are not valid qualifiers for ${what}`;
    case 'addr2': return `'addr2' and 'address2' are not valid qualifiers for ${what}`;
    case 'addr3': return `'addr3' and 'address3' are not valid qualifiers for ${what}`;
    case 'addr4': return `'addr4' and 'address4' are not valid qualifiers for ${what}`;
    case 'ra': return `'ra' is not a valid qualifier for ${what}`;
    case 'ta': return `'ta' is not a valid qualifier for ${what}`;
    default: return undefined;
  }
}

/**
 * Applies a direction to a (src, dst) pair of generators, as every libpcap *op function does.
 *
 * @example
 * byDirection(ctx, 'or', 'ports', () => srcTest(), () => dstTest())
 */
export function byDirection(ctx: Context, dir: DirQual, what: string, src: () => Cond, dst: () => Cond): Cond {
  switch (dir) {
    case 'src': return src();
    case 'dst': return dst();
    case 'and': { const a = src(); return and(a, dst()); }
    case 'default': case 'or': { const a = src(); return or(a, dst()); }
    default: return ctx.error(wlanDirError(dir, what)!);
  }
}

function hostop(ctx: Context, addr: number, mask: number, dir: DirQual, proto: number, srcOff: number, dstOff: number): Cond {
  const one = (off: number) => (): Cond => {
    const b0 = genLinktype(ctx, proto);
    return and(b0, ctx.mcmp('linkpl', off, BPF_W, addr, mask));
  };
  return byDirection(ctx, dir, 'addresses other than 802.11 MAC addresses', one(srcOff), one(dstOff));
}

function swap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >> 8) & 0xff);
}

function dnhostop(ctx: Context, addr: number, dir: DirQual): Cond {
  const one = (offsetSh: number, offsetLh: number) => (): Cond => {
    const b0 = genLinktype(ctx, ETHERTYPE.DN);
    const a = swap16(addr);
    let b1 = and(ctx.mcmp('linkpl', 2, BPF_H, swap16(0x0681), swap16(0x07ff)), ctx.cmp('linkpl', 2 + 1 + offsetLh, BPF_H, a));
    let b2 = and(ctx.mcmp('linkpl', 2, BPF_B, 0x06, 0x07), ctx.cmp('linkpl', 2 + offsetLh, BPF_H, a));
    b1 = or(b2, b1);
    b2 = and(ctx.mcmp('linkpl', 2, BPF_H, swap16(0x0281), swap16(0x07ff)), ctx.cmp('linkpl', 2 + 1 + offsetSh, BPF_H, a));
    b1 = or(b2, b1);
    b2 = and(ctx.mcmp('linkpl', 2, BPF_B, 0x02, 0x07), ctx.cmp('linkpl', 2 + offsetSh, BPF_H, a));
    b1 = or(b2, b1);
    return and(b0, b1);
  };
  return byDirection(ctx, dir, 'addresses other than 802.11 MAC addresses', one(3, 15), one(1, 7));
}

/**
 * An IPv4 (or ARP/RARP/DECnet) host or net test (libpcap's gen_host).
 *
 * @example
 * genHost(ctx, 0x0a000001, 0xffffffff, 'default', 'default', 'host') // ip, arp or rarp with 10.0.0.1
 */
export function genHost(ctx: Context, addr: number, mask: number, proto: ProtoQual, dir: DirQual, type: AddrQual): Cond {
  const typestr = type === 'net' ? 'net' : 'host';
  switch (proto) {
    case 'default': {
      let b0 = genHost(ctx, addr, mask, 'ip', dir, type);
      if (ctx.labelStackDepth === 0) {
        const b1 = or(b0, genHost(ctx, addr, mask, 'arp', dir, type));
        b0 = or(b1, genHost(ctx, addr, mask, 'rarp', dir, type));
      }
      return b0;
    }
    case 'link': return ctx.error(`link-layer modifier applied to ${typestr}`);
    case 'ip': return hostop(ctx, addr, mask, dir, ETHERTYPE.IP, 12, 16);
    case 'rarp': return hostop(ctx, addr, mask, dir, ETHERTYPE.REVARP, 14, 24);
    case 'arp': return hostop(ctx, addr, mask, dir, ETHERTYPE.ARP, 14, 24);
    case 'decnet': return dnhostop(ctx, addr, dir);
    case 'ip6': return ctx.error(`'ip6' modifier applied to ip ${typestr}`);
    default: return ctx.error(`'${proto}' modifier applied to ${typestr}`);
  }
}

/**
 * An IPv6 host or net test (gen_host6): the four address words, then the link type.
 *
 * @example
 * genHost6(ctx, addrBytes, maskBytes, 'default', 'src', 'host')
 */
export function genHost6(ctx: Context, addr: Uint8Array, mask: Uint8Array, proto: ProtoQual, dir: DirQual, type: AddrQual): Cond {
  const typestr = type === 'net' ? 'net' : 'host';
  if (proto !== 'default' && proto !== 'ip6') {
    if (proto === 'link') return ctx.error(`link-layer modifier applied to ip6 ${typestr}`);
    return ctx.error(`'${proto}' modifier applied to ip6 ${typestr}`);
  }
  const word = (b: Uint8Array, i: number): number => ((b[4 * i] << 24) | (b[4 * i + 1] << 16) | (b[4 * i + 2] << 8) | b[4 * i + 3]) >>> 0;
  const one = (offset: number) => (): Cond => {
    let b1 = ctx.mcmp('linkpl', offset + 12, BPF_W, word(addr, 3), word(mask, 3));
    b1 = and(ctx.mcmp('linkpl', offset + 8, BPF_W, word(addr, 2), word(mask, 2)), b1);
    b1 = and(ctx.mcmp('linkpl', offset + 4, BPF_W, word(addr, 1), word(mask, 1)), b1);
    b1 = and(ctx.mcmp('linkpl', offset, BPF_W, word(addr, 0), word(mask, 0)), b1);
    return and(genLinktype(ctx, ETHERTYPE.IPV6), b1);
  };
  return byDirection(ctx, dir, 'addresses other than 802.11 MAC addresses', one(8), one(24));
}

/**
 * Not a fragment other than the first: `(ip[6:2] & 0x1fff) == 0` (gen_ipfrag).
 *
 * @example
 * and(isTcp, genIpFrag(ctx))
 */
export function genIpFrag(ctx: Context): Cond {
  return not(ctx.blocks.cond(ctx.loadA('linkpl', 6, BPF_H), BPF_JSET, 0x1fff));
}

const BOGUS_PROTO: Partial<Record<ProtoQual, string>> = {
  arp: 'arp does not encapsulate another protocol', rarp: 'rarp does not encapsulate another protocol',
  atalk: 'AppleTalk encapsulation is not specifiable', decnet: 'DECNET encapsulation is not specifiable',
  lat: 'LAT does not encapsulate another protocol', sca: 'SCA does not encapsulate another protocol',
  moprc: 'MOPRC does not encapsulate another protocol', mopdl: 'MOPDL does not encapsulate another protocol',
  clnp: "'clnp proto' is not supported",
};

/**
 * `proto N` under a protocol qualifier (gen_proto).
 *
 * @example
 * genProto(ctx, 6, 'ip', 'default') // ip and ip[9] == 6
 */
export function genProto(ctx: Context, v: number, proto: ProtoQual, dir: DirQual): Cond {
  if (dir !== 'default') return ctx.error("direction applied to 'proto'");
  switch (proto) {
    case 'default': {
      const b0 = genProto(ctx, v, 'ip', dir);
      return or(b0, genProto(ctx, v, 'ip6', dir));
    }
    case 'link': return genLinktype(ctx, v);
    case 'ip': {
      const b0 = genLinktype(ctx, ETHERTYPE.IP);
      return and(b0, ctx.cmp('linkpl', 9, BPF_B, v));
    }
    case 'ip6': {
      const b0 = genLinktype(ctx, ETHERTYPE.IPV6);
      let b1 = and(ctx.cmp('linkpl', 6, BPF_B, IPPROTO.FRAGMENT), ctx.cmp('linkpl', 40, BPF_B, v));
      b1 = or(ctx.cmp('linkpl', 6, BPF_B, v), b1);
      return and(b0, b1);
    }
    case 'iso': {
      if (ctx.linkType === DLT.FRELAY) return ctx.cmp('linkhdr', 2, BPF_H, (0x03 << 8) | v);
      if (ctx.linkType === DLT.C_HDLC) {
        const b0 = genLinktype(ctx, (LLCSAP.ISONS << 8) | LLCSAP.ISONS);
        return and(b0, ctx.cmp('linkpl_nosnap', 1, BPF_B, v));
      }
      const b0 = genLinktype(ctx, LLCSAP.ISONS);
      return and(b0, ctx.cmp('linkpl_nosnap', 0, BPF_B, v));
    }
    case 'isis': {
      const b0 = genProto(ctx, ISO.ISIS, 'iso', 'default');
      return and(b0, ctx.cmp('linkpl_nosnap', 4, BPF_B, v));
    }
    default:
      return ctx.error(BOGUS_PROTO[proto] ?? `'${proto} proto' is bogus`);
  }
}

function isisAny(ctx: Context, types: number[]): Cond {
  // libpcap ors each new test in front of the previous ones.
  let b1 = genProto(ctx, types[1], 'isis', 'default');
  b1 = or(genProto(ctx, types[0], 'isis', 'default'), b1);
  for (const t of types.slice(2)) b1 = or(genProto(ctx, t, 'isis', 'default'), b1);
  return b1;
}

/**
 * A protocol name used alone (`tcp`, `ip6`, `stp`, `l1`, …) (gen_proto_abbrev).
 *
 * @example
 * genProtoAbbrev(ctx, 'tcp') // (ip and ip[9]==6) or (ip6 and next header 6)
 */
export function genProtoAbbrev(ctx: Context, proto: ProtoQual): Cond {
  switch (proto) {
    case 'sctp': return genProto(ctx, IPPROTO.SCTP, 'default', 'default');
    case 'tcp': return genProto(ctx, IPPROTO.TCP, 'default', 'default');
    case 'udp': return genProto(ctx, IPPROTO.UDP, 'default', 'default');
    case 'icmp': return genProto(ctx, IPPROTO.ICMP, 'ip', 'default');
    case 'igmp': return genProto(ctx, IPPROTO.IGMP, 'ip', 'default');
    case 'igrp': return genProto(ctx, IPPROTO.IGRP, 'ip', 'default');
    case 'pim': return genProto(ctx, IPPROTO.PIM, 'default', 'default');
    case 'vrrp': case 'carp': return genProto(ctx, IPPROTO.VRRP, 'ip', 'default');
    case 'ip': return genLinktype(ctx, ETHERTYPE.IP);
    case 'arp': return genLinktype(ctx, ETHERTYPE.ARP);
    case 'rarp': return genLinktype(ctx, ETHERTYPE.REVARP);
    case 'link': return ctx.error('link layer applied in wrong context');
    case 'atalk': return genLinktype(ctx, ETHERTYPE.ATALK);
    case 'aarp': return genLinktype(ctx, ETHERTYPE.AARP);
    case 'decnet': return genLinktype(ctx, ETHERTYPE.DN);
    case 'sca': return genLinktype(ctx, ETHERTYPE.SCA);
    case 'lat': return genLinktype(ctx, ETHERTYPE.LAT);
    case 'mopdl': return genLinktype(ctx, ETHERTYPE.MOPDL);
    case 'moprc': return genLinktype(ctx, ETHERTYPE.MOPRC);
    case 'ip6': return genLinktype(ctx, ETHERTYPE.IPV6);
    case 'icmp6': return genProto(ctx, IPPROTO.ICMPV6, 'ip6', 'default');
    case 'ah': return genProto(ctx, IPPROTO.AH, 'default', 'default');
    case 'esp': return genProto(ctx, IPPROTO.ESP, 'default', 'default');
    case 'iso': return genLinktype(ctx, LLCSAP.ISONS);
    case 'esis': return genProto(ctx, ISO.ESIS, 'iso', 'default');
    case 'isis': return genProto(ctx, ISO.ISIS, 'iso', 'default');
    case 'l1': return isisAny(ctx, [ISIS_PDU.L1_LAN_IIH, ISIS_PDU.PTP_IIH, ISIS_PDU.L1_LSP, ISIS_PDU.L1_CSNP, ISIS_PDU.L1_PSNP]);
    case 'l2': return isisAny(ctx, [ISIS_PDU.L2_LAN_IIH, ISIS_PDU.PTP_IIH, ISIS_PDU.L2_LSP, ISIS_PDU.L2_CSNP, ISIS_PDU.L2_PSNP]);
    case 'iih': return isisAny(ctx, [ISIS_PDU.L1_LAN_IIH, ISIS_PDU.L2_LAN_IIH, ISIS_PDU.PTP_IIH]);
    case 'lsp': return isisAny(ctx, [ISIS_PDU.L1_LSP, ISIS_PDU.L2_LSP]);
    case 'snp': return isisAny(ctx, [ISIS_PDU.L1_CSNP, ISIS_PDU.L2_CSNP, ISIS_PDU.L1_PSNP, ISIS_PDU.L2_PSNP]);
    case 'csnp': return isisAny(ctx, [ISIS_PDU.L1_CSNP, ISIS_PDU.L2_CSNP]);
    case 'psnp': return isisAny(ctx, [ISIS_PDU.L1_PSNP, ISIS_PDU.L2_PSNP]);
    case 'clnp': return genProto(ctx, ISO.CLNP, 'iso', 'default');
    case 'stp': return genLinktype(ctx, LLCSAP.STP);
    case 'ipx': return genLinktype(ctx, LLCSAP.IPX);
    case 'netbeui': return genLinktype(ctx, LLCSAP.NETBEUI);
    case 'radio': return ctx.error("'radio' is not a valid protocol type");
    case 'default': return ctx.error('a protocol qualifier is required here');
  }
}

/**
 * `ip broadcast`: the destination's host part all zeros or all ones under the netmask.
 *
 * @example
 * genIpBroadcast(ctx) // needs a known netmask
 */
export function genIpBroadcast(ctx: Context): Cond {
  if ((ctx.options.netmask >>> 0) === 0xffffffff) return ctx.error("netmask not known, so 'ip broadcast' not supported");
  const b0 = genLinktype(ctx, ETHERTYPE.IP);
  const hostmask = ~ctx.options.netmask >>> 0;
  const b1 = ctx.mcmp('linkpl', 16, BPF_W, 0, hostmask);
  const b2 = or(b1, ctx.mcmp('linkpl', 16, BPF_W, hostmask, hostmask));
  return and(b0, b2);
}

/**
 * `ip multicast` (destination ≥ 224.0.0.0) or `ip6 multicast` (destination ff00::/8).
 *
 * @example
 * genIpMulticast(ctx, 'ip')
 */
export function genIpMulticast(ctx: Context, proto: 'ip' | 'ip6'): Cond {
  if (proto === 'ip') return and(genLinktype(ctx, ETHERTYPE.IP), ctx.cmpGe('linkpl', 16, BPF_B, 224));
  return and(genLinktype(ctx, ETHERTYPE.IPV6), ctx.cmp('linkpl', 24, BPF_B, 255));
}
