/**
 * The transport layer: `port`, `portrange` for TCP, UDP and SCTP over IPv4
 * and IPv6 (gen_port, gen_port6, gen_portrange, gen_portrange6).
 *
 * IPv4 port tests skip non-first fragments and find the transport header
 * through the IHL field; IPv6 tests assume a 40-byte header with no
 * extension headers, exactly as libpcap.
 */
import { BPF_B, BPF_H } from '../../bpf/opcodes.js';
import { and, or, type Cond } from '../cfg.js';
import type { DirQual } from '../ast.js';
import { IPPROTO, PROTO_UNDEF } from '../names.js';
import type { Context } from './context.js';
import { ETHERTYPE, genLinktype } from './link.js';
import { genIpFrag, wlanDirError } from './network.js';

type Atom = (offset: number) => Cond;

function directed(ctx: Context, dir: DirQual, atom: Atom): Cond {
  switch (dir) {
    case 'src': return atom(0);
    case 'dst': return atom(2);
    case 'and': { const a = atom(0); return and(a, atom(2)); }
    case 'default': case 'or': { const a = atom(0); return or(a, atom(2)); }
    default: return ctx.error(wlanDirError(dir, 'ports')!);
  }
}

function portOp(ctx: Context, proto: number, dir: DirQual, atom: Atom, v6: boolean): Cond {
  if (v6) {
    const b0 = ctx.cmp('linkpl', 6, BPF_B, proto);
    return and(b0, directed(ctx, dir, atom));
  }
  const b0 = and(ctx.cmp('linkpl', 9, BPF_B, proto), genIpFrag(ctx));
  return and(b0, directed(ctx, dir, atom));
}

function anyProto(ctx: Context, ipProto: number, dir: DirQual, atom: Atom, v6: boolean): Cond {
  if (ipProto !== PROTO_UNDEF) return portOp(ctx, ipProto, dir, atom, v6);
  let b1 = portOp(ctx, IPPROTO.TCP, dir, atom, v6);
  b1 = or(b1, portOp(ctx, IPPROTO.UDP, dir, atom, v6));
  return or(portOp(ctx, IPPROTO.SCTP, dir, atom, v6), b1);
}

/**
 * `port N` over IPv4 and IPv6 (libpcap ors the IPv6 test in front).
 *
 * @example
 * genPort(ctx, 80, PROTO_UNDEF, 'default') // tcp/udp/sctp port 80, either direction
 */
export function genPort(ctx: Context, port: number, ipProto: number, dir: DirQual): Cond {
  const v4 = and(genLinktype(ctx, ETHERTYPE.IP),
    anyProto(ctx, ipProto, dir, (off) => ctx.cmp('tran_ipv4', off, BPF_H, port), false));
  const v6 = and(genLinktype(ctx, ETHERTYPE.IPV6),
    anyProto(ctx, ipProto, dir, (off) => ctx.cmp('tran_ipv6', off, BPF_H, port), true));
  return or(v6, v4);
}

/**
 * `portrange A-B` over IPv4 and IPv6 (the bounds may come in either order).
 *
 * @example
 * genPortRange(ctx, 6000, 6010, IPPROTO.TCP, 'dst')
 */
export function genPortRange(ctx: Context, port1: number, port2: number, ipProto: number, dir: DirQual): Cond {
  const [lo, hi] = port1 > port2 ? [port2, port1] : [port1, port2];
  const range = (base: 'tran_ipv4' | 'tran_ipv6') => (off: number): Cond => {
    const b1 = ctx.cmpGe(base, off, BPF_H, lo);
    return and(b1, ctx.cmpLe(base, off, BPF_H, hi));
  };
  const v4 = and(genLinktype(ctx, ETHERTYPE.IP), anyProto(ctx, ipProto, dir, range('tran_ipv4'), false));
  const v6 = and(genLinktype(ctx, ETHERTYPE.IPV6), anyProto(ctx, ipProto, dir, range('tran_ipv6'), true));
  return or(v6, v4);
}
