/**
 * The code generator's entry: walks the syntax tree left to right (the order
 * matters: see encap.ts) and turns each node into a condition in the CFG,
 * dispatching to the layer generators. Operand interpretation (libpcap's
 * gen_scode, gen_ncode, gen_mcode, gen_mcode6, gen_ecode) lives here.
 */
import { BPF_B, BPF_H, BPF_W, BPF_LD, BPF_ABS, BPF_JEQ, SKF_AD_OFF, SKF_AD_PKTTYPE, SKF_AD_IFINDEX } from '../../bpf/opcodes.js';
import { and, not, or, type Cond } from '../cfg.js';
import type { Expr, Operand, Qualifiers } from '../ast.js';
import {
  PROTO_UNDEF, IPPROTO, parseDottedIPv4, parseMac, resolveEther, resolveEtherProtocol, resolveHost, resolvePort,
  resolvePortRange, resolveProtocol, ipv6Bytes, resolveNetwork,
} from '../names.js';
import type { Context } from './context.js';
import { genByteOp, genLength, genRelation } from './arith.js';
import { genMpls, genPppoed, genPppoes, genVlan } from './encap.js';
import { DLT, describe, genLinkBroadcast, genLinkHost, genLinkMulticast, genLlc } from './link.js';
import { genHost, genHost6, genIpBroadcast, genIpMulticast, genProto, genProtoAbbrev } from './network.js';
import { genPort, genPortRange } from './transport.js';
import { genPf } from './pflog.js';
import { genWlan } from './wlan.js';
import { genGeneve } from './geneve.js';
import { genMtp2Type, genMtp3Field } from './ss7.js';
import { genAtmField, genAtmType } from './atm.js';
import { genProtochain } from './protochain.js';

const PACKET_OUTGOING = 4;

/**
 * Generates the condition for a whole expression.
 *
 * @example
 * const cond = generate(ctx, parse('tcp port 80'));
 */
export function generate(ctx: Context, e: Expr): Cond {
  ctx.column = e.column;
  switch (e.kind) {
    case 'and': case 'or': {
      const left = generate(ctx, e.left);
      const right = generate(ctx, e.right);
      return e.kind === 'and' ? and(left, right) : or(left, right);
    }
    case 'not': return not(generate(ctx, e.operand));
    case 'true': return ctx.true();
    case 'primitive': return genPrimitive(ctx, e.qual, e.operand);
    case 'protoAbbrev': return genProtoAbbrev(ctx, e.proto);
    case 'relation': return genRelation(ctx, e.op, e.left, e.right);
    case 'broadcast':
      if (e.proto === 'default' || e.proto === 'link') return genLinkBroadcast(ctx);
      if (e.proto === 'ip') return genIpBroadcast(ctx);
      return ctx.error('only link-layer/IP broadcast filters supported');
    case 'multicast':
      if (e.proto === 'default' || e.proto === 'link') return genLinkMulticast(ctx);
      if (e.proto === 'ip' || e.proto === 'ip6') return genIpMulticast(ctx, e.proto);
      return ctx.error('link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel');
    case 'less': case 'greater': return genLength(ctx, e.kind, e.value);
    case 'byte': return genByteOp(ctx, e.op, e.offset, e.value);
    case 'inbound': case 'outbound': return genDirection(ctx, e.kind === 'inbound');
    case 'ifindex': return genIfindex(ctx, e.value);
    case 'vlan': return genVlan(ctx, e.value);
    case 'mpls': return genMpls(ctx, e.value);
    case 'pppoed': return genPppoed(ctx);
    case 'pppoes': return genPppoes(ctx, e.value);
    case 'geneve': return genGeneve(ctx, e.value);
    case 'pf': return genPf(ctx, e.field, e.value, e.valueColumn);
    case 'wlanType': case 'wlanSubtype': case 'wlanDir': return genWlan(ctx, e);
    case 'llc': return genLlc(ctx, e.subtype, e.valueColumn);
    case 'mtp2type': return genMtp2Type(ctx, e.type);
    case 'mtp3field': return genMtp3Field(ctx, e.field, e.op, e.value);
    case 'atmType': return genAtmType(ctx, e.type);
    case 'atmField': return genAtmField(ctx, e.field, e.op, e.value);
  }
}

function genDirection(ctx: Context, inbound: boolean): Cond {
  let b: Cond;
  switch (ctx.linkType) {
    case DLT.LINUX_SLL: b = ctx.cmp('linkhdr', 0, BPF_H, PACKET_OUTGOING); break;
    case DLT.LINUX_SLL2: b = ctx.cmp('linkhdr', 10, BPF_B, PACKET_OUTGOING); break;
    case DLT.IPNET: b = ctx.cmp('linkhdr', 2, BPF_H, inbound ? 1 : 2); return b;
    case DLT.PFLOG: return ctx.cmp('linkhdr', 60, BPF_B, inbound ? 1 : 2);
    case DLT.PPP_PPPD: return ctx.cmp('linkhdr', 0, BPF_B, inbound ? 0 : 1);
    default:
      b = ctx.blocks.cond([{ code: BPF_LD | BPF_B | BPF_ABS, k: (SKF_AD_OFF + SKF_AD_PKTTYPE) >>> 0 }], BPF_JEQ, PACKET_OUTGOING);
      // libpcap loads the pkttype as a halfword here.
      b.entry.stmts[0].code = BPF_LD | BPF_H | BPF_ABS;
  }
  return inbound ? not(b) : b;
}

function genIfindex(ctx: Context, index: number): Cond {
  if (ctx.linkType === DLT.LINUX_SLL2) return ctx.cmp('linkhdr', 4, BPF_W, index);
  return ctx.blocks.cond([{ code: BPF_LD | BPF_W | BPF_ABS, k: (SKF_AD_OFF + SKF_AD_IFINDEX) >>> 0 }], BPF_JEQ, index);
}

function genPrimitive(ctx: Context, q: Qualifiers, operand: Operand): Cond {
  switch (operand.kind) {
    case 'name': return genName(ctx, q, operand.text);
    case 'number': return genNumber(ctx, q, operand.value, undefined);
    case 'ipv4':
      if (operand.prefix !== undefined || operand.maskText !== undefined) return genMasked4(ctx, q, operand.text, operand.prefix, operand.maskText);
      switch (q.addr) {
        case 'port': return ctx.error("'port' modifier applied to IP address");
        case 'portrange': return ctx.error("'portrange' modifier applied to IP address");
        case 'proto': return ctx.error("'proto' modifier applied to IP address");
        case 'protochain': return ctx.error("'protochain' modifier applied to IP address");
        default: return genNumber(ctx, q, 0, operand.text);
      }
    case 'ipv6': return genMasked6(ctx, q, operand.text, operand.prefix ?? 128);
    case 'mac': {
      if ((q.addr === 'host' || q.addr === 'default') && q.proto === 'link') {
        return genLinkHost(ctx, parseMac(operand.text)!, q.dir, 'address');
      }
      return ctx.error('ethernet address used in non-ether expression');
    }
  }
}

/** gen_ncode: a number, or dotted IPv4 text (`text`), under qualifiers. */
function genNumber(ctx: Context, q: Qualifiers, num: number, text: string | undefined): Cond {
  let v = num >>> 0;
  let vlen = 32;
  if (text !== undefined) {
    if (q.proto === 'decnet') {
      // libpcap reads it with sscanf("%d.%d"): trailing text is ignored.
      const m = /^(\d+)\.(\d+)/.exec(text);
      if (!m) return ctx.error(`malformed decnet address '${text}'`);
      v = ((Number(m[1]) << 10) & 0xfc00) | (Number(m[2]) & 0x3ff);
    } else {
      const parsed = parseDottedIPv4(text);
      if (!parsed) return ctx.error(`invalid IPv4 address '${text}'`);
      v = parsed.value;
      vlen = parsed.bits;
    }
  }
  switch (q.addr) {
    case 'default': case 'host': case 'net': {
      if (q.proto === 'decnet') return genHost(ctx, v, 0, q.proto, q.dir, q.addr);
      if (q.proto === 'link') return ctx.error('illegal link layer address');
      let mask = 0xffffffff;
      if (text === undefined && q.addr === 'net') {
        while (v !== 0 && (v & 0xff000000) === 0) {
          v = (v << 8) >>> 0;
          mask = (mask << 8) >>> 0;
        }
      } else {
        v = vlen === 0 ? 0 : (v << (32 - vlen)) >>> 0;
        mask = vlen === 0 ? 0 : (mask << (32 - vlen)) >>> 0;
        if (vlen === 32) { v = v >>> 0; mask = 0xffffffff; }
      }
      return genHost(ctx, v, mask, q.proto, q.dir, q.addr);
    }
    case 'port': case 'portrange': {
      const proto = portProto(ctx, q);
      if (v > 65535) return ctx.error(`illegal port number ${v} > 65535`);
      return q.addr === 'port' ? genPort(ctx, v, proto, q.dir) : genPortRange(ctx, v, v, proto, q.dir);
    }
    case 'gateway': return ctx.error("'gateway' requires a name");
    case 'proto': return genProto(ctx, v, q.proto, q.dir);
    case 'protochain': return genProtochain(ctx, v, q.proto);
  }
}

function portProto(ctx: Context, q: Qualifiers): number {
  switch (q.proto) {
    case 'udp': return IPPROTO.UDP;
    case 'tcp': return IPPROTO.TCP;
    case 'sctp': return IPPROTO.SCTP;
    case 'default': return PROTO_UNDEF;
    default: return ctx.error(`illegal qualifier of '${q.addr}'`);
  }
}

/** Checks a service's protocol against the port qualifier (libpcap's "port 'x' is tcp"). */
function checkPortProto(ctx: Context, q: Qualifiers, realProto: number, what: string): number {
  const names: Record<number, string> = { [IPPROTO.TCP]: 'tcp', [IPPROTO.UDP]: 'udp', [IPPROTO.SCTP]: 'sctp' };
  const wanted = q.proto === 'udp' ? IPPROTO.UDP : q.proto === 'tcp' ? IPPROTO.TCP : q.proto === 'sctp' ? IPPROTO.SCTP : undefined;
  if (wanted === undefined) return realProto;
  if (realProto !== PROTO_UNDEF && realProto !== wanted) return ctx.error(`${what} is ${names[realProto]}`);
  return wanted;
}

/** gen_scode: a name under qualifiers. */
function genName(ctx: Context, q: Qualifiers, name: string): Cond {
  switch (q.addr) {
    case 'net': {
      let addr = resolveNetwork(name);
      if (addr === undefined || addr === 0) return ctx.error(`unknown network '${name}'`);
      let mask = 0xffffffff;
      while (addr !== 0 && (addr & 0xff000000) === 0) {
        addr = (addr << 8) >>> 0;
        mask = (mask << 8) >>> 0;
      }
      return genHost(ctx, addr, mask, q.proto, q.dir, q.addr);
    }
    case 'default': case 'host': {
      if (q.proto === 'link') {
        switch (ctx.linkType) {
          case DLT.EN10MB: case DLT.NETANALYZER: case DLT.NETANALYZER_TRANSPARENT: case DLT.FDDI: case DLT.IEEE802:
          case DLT.IP_OVER_FC: case 105: case 119: case 127: case 163: case 192: {
            const mac = resolveEther(name);
            if (!mac) return ctx.error(`unknown ether host '${name}'`);
            return genLinkHost(ctx, mac, q.dir, 'name');
          }
          default:
            return ctx.error('only ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel supports link-level host name');
        }
      }
      if (q.proto === 'decnet') return ctx.error(`unknown decnet host name '${name}'`);
      const addrs = resolveHost(name);
      if (addrs.length === 0) return ctx.error(`unknown host '${name}'`);
      let tproto = q.proto, tproto6 = q.proto;
      if (ctx.offLinktype.constant === -1 && tproto === 'default') {
        tproto = 'ip';
        tproto6 = 'ip6';
      }
      let b: Cond | undefined;
      for (const a of addrs) {
        let tmp: Cond;
        if (a.family === 4) {
          if (tproto === 'ip6') continue;
          tmp = genHost(ctx, a.value, 0xffffffff, tproto, q.dir, q.addr);
        } else {
          if (tproto6 === 'ip') continue;
          tmp = genHost6(ctx, a.bytes, new Uint8Array(16).fill(0xff), tproto6, q.dir, q.addr);
        }
        b = b ? or(b, tmp) : tmp;
      }
      if (!b) return ctx.error(`unknown host '${name}'${q.proto === 'default' ? '' : ' for specified address family'}`);
      return b;
    }
    case 'port': {
      if (!['default', 'udp', 'tcp', 'sctp'].includes(q.proto)) return ctx.error("illegal qualifier of 'port'");
      const p = resolvePort(name);
      if (!p) return ctx.error(`unknown port '${name}'`);
      const proto = checkPortProto(ctx, q, p.proto, `port '${name}'`);
      if (p.port > 65535) return ctx.error(`illegal port number ${p.port} > 65535`);
      return genPort(ctx, p.port, proto, q.dir);
    }
    case 'portrange': {
      if (!['default', 'udp', 'tcp', 'sctp'].includes(q.proto)) return ctx.error("illegal qualifier of 'portrange'");
      const r = resolvePortRange(name);
      if (!r) return ctx.error(`unknown port in range '${name}'`);
      const proto = checkPortProto(ctx, q, r.proto, `port in range '${name}'`);
      if (r.port1 < 0 || r.port2 < 0) return ctx.error(`illegal port number ${Math.min(r.port1, r.port2)} < 0`);
      if (r.port1 > 65535) return ctx.error(`illegal port number ${r.port1} > 65535`);
      if (r.port2 > 65535) return ctx.error(`illegal port number ${r.port2} > 65535`);
      return genPortRange(ctx, r.port1, r.port2, proto, q.dir);
    }
    case 'gateway': {
      const mac = resolveEther(name);
      if (!mac) return ctx.error(`unknown ether host: ${name}`);
      const addrs = resolveHost(name);
      if (addrs.length === 0) return ctx.error(`unknown host '${name}'`);
      return genGateway(ctx, mac, addrs.flatMap((a) => (a.family === 4 ? [a.value] : [])), q, name);
    }
    case 'proto': case 'protochain': {
      const v = lookupProto(ctx, name, q);
      if (v === undefined) return ctx.error(`unknown protocol: ${name}`);
      return q.addr === 'proto' ? genProto(ctx, v, q.proto, q.dir) : genProtochain(ctx, v, q.proto);
    }
  }
}

function lookupProto(ctx: Context, name: string, q: Qualifiers): number | undefined {
  switch (q.proto) {
    case 'default': case 'ip': case 'ip6': {
      const v = resolveProtocol(name);
      if (v === undefined) return ctx.error(`unknown ip proto '${name}'`);
      return v;
    }
    case 'link': {
      const v = resolveEtherProtocol(name);
      if (v === undefined) return ctx.error(`unknown ether proto '${name}'`);
      return v;
    }
    case 'iso': {
      const iso: Record<string, number> = { esis: 0x82, isis: 0x83, clnp: 0x81 };
      if (iso[name] === undefined) return ctx.error(`unknown osi proto '${name}'`);
      return iso[name];
    }
    default: return undefined;
  }
}

function genGateway(ctx: Context, mac: Uint8Array, ipv4: number[], q: Qualifiers, name: string): Cond {
  if (!['default', 'ip', 'arp', 'rarp'].includes(q.proto)) return ctx.error("illegal modifier of 'gateway'");
  let b0: Cond;
  switch (ctx.linkType) {
    case DLT.EN10MB: case DLT.NETANALYZER: case DLT.NETANALYZER_TRANSPARENT: case DLT.FDDI: case DLT.IEEE802:
    case DLT.IP_OVER_FC: case 105: case 119: case 127: case 163: case 192:
      b0 = genLinkHost(ctx, mac, 'or', 'address');
      break;
    default:
      return ctx.error("'gateway' supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel");
  }
  let b1: Cond | undefined;
  for (const a of ipv4) {
    const tmp = genHost(ctx, a, 0xffffffff, q.proto, 'or', 'host');
    b1 = b1 ? or(b1, tmp) : tmp;
  }
  if (!b1) return ctx.error(`unknown host '${name}'`);
  return and(b0, not(b1));
}

/** gen_mcode: `A.B.C.D/len` or `A.B.C.D mask M.M.M.M`. */
function genMasked4(ctx: Context, q: Qualifiers, text: string, prefix: number | undefined, maskText: string | undefined): Cond {
  const n0 = parseDottedIPv4(text);
  if (!n0) return ctx.error(`invalid IPv4 address '${text}'`);
  const n = (n0.value << (32 - n0.bits)) >>> 0;
  let m: number;
  if (maskText !== undefined) {
    const m0 = parseDottedIPv4(maskText);
    if (!m0) return ctx.error(`invalid IPv4 address '${maskText}'`);
    m = (m0.value << (32 - m0.bits)) >>> 0;
    if ((n & ~m) !== 0) return ctx.error(`non-network bits set in "${text} mask ${maskText}"`);
  } else {
    if (prefix! > 32) return ctx.error('mask length must be <= 32');
    m = prefix === 0 ? 0 : (0xffffffff << (32 - prefix!)) >>> 0;
    if ((n & ~m) !== 0) return ctx.error(`non-network bits set in "${text}/${prefix}"`);
  }
  if (q.addr !== 'net') return ctx.error('Mask syntax for networks only');
  return genHost(ctx, n, m, q.proto, q.dir, q.addr);
}

/** gen_mcode6: an IPv6 address with a prefix length (128 for a host). */
function genMasked6(ctx: Context, q: Qualifiers, text: string, prefix: number): Cond {
  const addr = ipv6Bytes(text);
  if (!addr) return ctx.error(`invalid ip6 address ${text}`);
  if (prefix > 128) return ctx.error('mask length must be <= 128');
  const mask = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, prefix - 8 * i));
    mask[i] = (0xff << (8 - bits)) & 0xff;
  }
  if (addr.some((b, i) => (b & ~mask[i]) !== 0)) return ctx.error(`non-network bits set in "${text}/${prefix}"`);
  switch (q.addr) {
    case 'default': case 'host':
      if (prefix !== 128) return ctx.error('Mask syntax for networks only');
      return genHost6(ctx, addr, mask, q.proto, q.dir, q.addr);
    case 'net':
      return genHost6(ctx, addr, mask, q.proto, q.dir, q.addr);
    default:
      return ctx.error('invalid qualifier against IPv6 address');
  }
}

export { describe };
