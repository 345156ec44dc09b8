/**
 * ICMPv6 (RFC 4443) with neighbour discovery (RFC 4861) and MLD (RFC 2710,
 * RFC 3810), as tcpdump prints them; -v adds the checksum verdict and the ND
 * options on their own lines.
 */
import { ipv6Text, macText, need, u16, u32, u8 } from './bytes.js';
import { expectedChecksum, internetChecksum, pseudoHeader } from './checksum.js';
import type { Dissector } from './dissector.js';
import { hexLines } from './hexdump.js';
import type { IpContext } from './ipproto.js';

const TYPES = new Map<number, string>([
  [1, 'destination unreachable'], [2, 'packet too big'], [3, 'time exceeded'], [4, 'parameter problem'],
  [128, 'echo request'], [129, 'echo reply'], [130, 'multicast listener query'], [131, 'multicast listener report'],
  [132, 'multicast listener done'], [133, 'router solicitation'], [134, 'router advertisement'],
  [135, 'neighbor solicitation'], [136, 'neighbor advertisement'], [137, 'redirect'], [138, 'router renumbering'],
  [139, 'who-are-you request'], [140, 'who-are-you reply'], [141, 'inverse neighbor solicitation'],
  [142, 'inverse neighbor advertisement'], [143, 'multicast listener report v2'], [144, 'ha discovery request'],
  [145, 'ha discovery reply'], [146, 'mobile router solicitation'], [147, 'mobile router advertisement'],
  [148, 'certification path solicitation'], [149, 'certification path advertisement'],
  [151, 'multicast router advertisement'], [152, 'multicast router solicitation'], [153, 'multicast router termination'],
]);
const UNREACH_CODES = ['unreachable route', 'unreachable prohibited', 'beyond scope', 'unreachable address', 'unreachable port'];
const ND_OPTIONS = new Map<number, string>([
  [1, 'source link-address'], [2, 'destination link-address'], [3, 'prefix info'], [4, 'redirected header'],
  [5, 'mtu'], [7, 'advertisement interval'], [8, 'homeagent information'], [24, 'route info'], [25, 'rdnss'], [31, 'dnssl'],
]);
const MLDV2_RECORD_TYPES = ['', 'is_in', 'is_ex', 'to_in', 'to_ex', 'allow', 'block'];
/** Types whose -v output puts the length before the details. */
const LENGTH_FIRST = new Set([133, 134, 135, 136, 137, 145, 147]);

/**
 * Prints an ICMPv6 message of `length` bytes.
 *
 * @example
 * printIcmp6(d, ip, message, 24) // 'ICMP6, echo request, id 119, seq 1, length 24'
 */
export function printIcmp6(d: Dissector, ip: IpContext, buf: Uint8Array, length: number): void {
  d.protocol = 'icmp6';
  const type = u8(buf, 0);
  const verbose = d.opts.verbose;
  if (verbose > 0 && !ip.fragmented && buf.length >= length) {
    const pseudo = pseudoHeader(ip.srcBytes, ip.dstBytes, 58, length);
    const message = buf.subarray(0, length);
    d.print(internetChecksum([pseudo, message]) !== 0
      ? `[bad icmp6 cksum 0x${u16(buf, 2).toString(16).padStart(4, '0')} -> 0x${expectedChecksum(pseudo, message, 2).toString(16).padStart(4, '0')}!] `
      : '[icmp6 sum ok] ');
  }
  d.print(`ICMP6, ${TYPES.get(type) ?? `unknown icmp6 type (${type})`}`);
  if (verbose > 0 && LENGTH_FIRST.has(type)) d.print(`, length ${length}`);
  else need(buf, 0, 4);
  const inner = buf.subarray(8);
  const code = type >= 1 && type <= 4 ? u8(buf, 1) : 0;
  switch (type) {
    case 1: {
      d.print(`, ${UNREACH_CODES[code] ?? `unknown unreach code (${code})`}`);
      if (code === 0 || code === 1 || code === 3) d.print(` ${ipv6Text(inner, 24)}`);
      else if (code === 2) d.print(` ${ipv6Text(inner, 24)}, source address ${ipv6Text(inner, 8)}`);
      else if (code === 4) {
        const { proto, at } = upperLayer(inner);
        const dport = u16(inner, at + 2);
        d.print(proto === 6 ? `, ${ipv6Text(inner, 24)} tcp port ${dport}` : proto === 17 ? `, ${ipv6Text(inner, 24)} udp port ${dport}`
          : `, ${ipv6Text(inner, 24)} protocol ${proto} port ${dport} unreachable`);
      } else if (verbose <= 1) {
        d.print(hexLines(buf.subarray(0, length)));
        return;
      }
      break;
    }
    case 2: d.print(`, mtu ${u32(buf, 4)}`); break;
    case 3: d.print(code === 0 ? ` for ${ipv6Text(inner, 24)}` : code === 1 ? ' (reassembly)' : `, unknown code (${code})`); break;
    case 4: d.print(['erroneous', 'next header', 'option'][code] !== undefined ? `, ${['erroneous', 'next header', 'option'][code]} - octet ${u32(buf, 4)}` : `, code-#${code}`); break;
    case 128: case 129: d.print(`, id ${u16(buf, 4)}, seq ${u16(buf, 6)}`); break;
    case 130:
      if (length === 24) printMld(d, buf);
      else if (length >= 28) d.print(` v2${mldv2Query(d, buf)}`);
      else d.print(` unknown-version (len ${length}) `);
      break;
    case 131: case 132: printMld(d, buf); break;
    case 133: if (verbose) printNdOptions(d, buf.subarray(8, length), length - 8); break;
    case 134:
      if (verbose) {
        const flags = u8(buf, 5);
        const names = [[0x80, 'managed'], [0x40, 'other stateful'], [0x20, 'home agent'], [0x08, 'proxy']].filter(([b]) => flags & (b as number)).map(([, n]) => n);
        d.print(`\n\thop limit ${u8(buf, 4)}, Flags [${names.length ? names.join(', ') : 'none'}], pref ${['medium', 'high', 'reserved', 'low'][(flags >> 3) & 3]}, router lifetime ${u16(buf, 6)}s, reachable time ${u32(buf, 8)}ms, retrans timer ${u32(buf, 12)}ms`);
        printNdOptions(d, buf.subarray(16, length), length - 16);
      }
      break;
    case 135:
      d.print(`, who has ${ipv6Text(buf, 8)}`);
      if (verbose) printNdOptions(d, buf.subarray(24, length), length - 24);
      break;
    case 136:
      d.print(`, tgt is ${ipv6Text(buf, 8)}`);
      if (verbose) {
        const flags = u32(buf, 4);
        const names = [[0x80000000, 'router'], [0x40000000, 'solicited'], [0x20000000, 'override']].filter(([b]) => (flags & (b as number)) !== 0).map(([, n]) => n);
        d.print(`, Flags [${names.length ? names.join(', ') : 'none'}]`);
        printNdOptions(d, buf.subarray(24, length), length - 24);
      }
      break;
    case 137:
      d.print(`, ${ipv6Text(buf, 24)} to ${ipv6Text(buf, 8)}`);
      if (verbose) printNdOptions(d, buf.subarray(40, length), length - 40);
      break;
    case 143: printMldv2Report(d, buf, length); break;
    default:
      d.print(`, length ${length}`);
      if (verbose <= 1) d.print(hexLines(buf.subarray(0, Math.min(length, buf.length))));
      return;
  }
  if (!verbose) d.print(`, length ${length}`);
}

/** Walks the quoted IPv6 header's extension headers to the upper-layer protocol. */
function upperLayer(ip6: Uint8Array): { proto: number; at: number } {
  let proto = u8(ip6, 6), at = 40;
  while (proto === 0 || proto === 43 || proto === 60 || proto === 44) {
    const next = u8(ip6, at);
    at += proto === 44 ? 8 : (u8(ip6, at + 1) + 1) * 8;
    proto = next;
  }
  return { proto, at };
}

function printMld(d: Dissector, buf: Uint8Array): void {
  d.print(`max resp delay: ${u16(buf, 4)} addr: ${ipv6Text(buf, 8)}`);
}

function mldv2Query(d: Dissector, buf: Uint8Array): string {
  const mrc = u16(buf, 4);
  const mrd = mrc < 32768 ? mrc : ((mrc & 0x0fff) | 0x1000) << (((mrc >> 12) & 7) + 3);
  let s = ` [max resp delay=${mrd}]`;
  const group = ipv6Text(buf, 8);
  if (group !== '::') s += ` [gaddr ${group}`;
  const nsrcs = u16(buf, 26);
  if (d.opts.verbose > 0) {
    const qqic = u8(buf, 25);
    if (qqic) s += ` [qqi=${qqic < 128 ? qqic : ((qqic & 0x0f) | 0x10) << (((qqic >> 4) & 7) + 3)}]`;
    if (u8(buf, 24) & 0x08) s += ' sflag';
    if (u8(buf, 24) & 0x07) s += ` robustness=${u8(buf, 24) & 7}`;
  }
  if (d.opts.verbose === 1) s += ` ${nsrcs} source(s)`;
  else if (d.opts.verbose > 1 && nsrcs) {
    s += ' {';
    for (let i = 0; i < nsrcs; i++) s += ` ${ipv6Text(buf, 28 + 16 * i)}`;
    s += ' }';
  }
  if (group !== '::') s += ']';
  return s;
}

function printMldv2Report(d: Dissector, buf: Uint8Array, length: number): void {
  const groups = u16(buf, 6);
  d.print(`, ${groups} group record(s)`);
  if (!d.opts.verbose) return;
  let at = 8;
  for (let g = 0; g < groups && at < length; g++) {
    const recType = u8(buf, at), auxLen = u8(buf, at + 1), nsrcs = u16(buf, at + 2);
    d.print(` [gaddr ${ipv6Text(buf, at + 4)} ${MLDV2_RECORD_TYPES[recType] ?? `v2-report-#${recType}`}`);
    if (d.opts.verbose === 1) {
      d.print(`, ${nsrcs} source(s)]`);
    } else {
      d.print(' {');
      for (let i = 0; i < nsrcs; i++) d.print(` ${ipv6Text(buf, at + 20 + 16 * i)}`);
      d.print(' }]');
    }
    at += 20 + 16 * nsrcs + auxLen * 4;
  }
}

function printNdOptions(d: Dissector, opts: Uint8Array, length: number): void {
  // Options past the captured bytes are left out without a mark, as tcpdump does.
  for (let at = 0; at < Math.min(length, opts.length);) {
    const type = u8(opts, at), units = u8(opts, at + 1);
    if (units === 0) return;
    const len = units * 8;
    need(opts, at, len);
    d.print(`\n\t  ${ND_OPTIONS.get(type) ?? 'unknown'} option (${type}), length ${len} (${units}): `);
    const data = opts.subarray(at + 2, at + len);
    switch (type) {
      case 1: case 2: d.print(macText(opts, at + 2, len - 2)); break;
      case 5: d.print(` ${u32(opts, at + 4)}`); break;
      case 3: {
        const flags = u8(opts, at + 3);
        const names = [[0x80, 'onlink'], [0x40, 'auto'], [0x20, 'router']].filter(([b]) => flags & (b as number)).map(([, n]) => n);
        d.print(`${ipv6Text(opts, at + 16)}/${u8(opts, at + 2)}, Flags [${names.length ? names.join(', ') : 'none'}], valid time ${lifetime(u32(opts, at + 4))}, pref. time ${lifetime(u32(opts, at + 8))}`);
        break;
      }
      default: if (d.opts.verbose <= 1) d.print(hexLines(data).replace(/\n\t/g, '\n\t  '));
    }
    if (d.opts.verbose > 1) d.print(hexLines(data).replace(/\n\t/g, '\n\t    '));
    at += len;
  }
}

function lifetime(t: number): string {
  return t === 0xffffffff ? 'infinity' : `${t}s`;
}

