/**
 * TCP (RFC 9293) as tcpdump prints it: ports, flags, sequence numbers
 * relative to the first packet of each connection that tcpdump saw, window,
 * options, length, and the start of HTTP and DNS payloads.
 */
import { Finished, Truncated, u16, u32, u8 } from './bytes.js';
import { expectedChecksum, internetChecksum, pseudoHeader } from './checksum.js';
import type { Dissector } from './dissector.js';
import { printDns } from './dns.js';
import { endpoints, type IpContext } from './ipproto.js';
import { printTextProtocol } from './textproto.js';

const FLAG_CHARS: ReadonlyArray<[number, string]> = [
  [0x01, 'F'], [0x02, 'S'], [0x04, 'R'], [0x08, 'P'], [0x10, '.'], [0x20, 'U'], [0x40, 'E'], [0x80, 'W'],
];
const OPTION_NAMES = new Map<number, string>([
  [0, 'eol'], [1, 'nop'], [2, 'mss'], [3, 'wscale'], [4, 'sackOK'], [5, 'sack'], [6, 'echo'], [7, 'echoreply'],
  [8, 'TS'], [11, 'cc'], [12, 'ccnew'], [13, 'ccecho'], [19, 'md5'], [20, 'scps'], [28, 'uto'], [29, 'tcp-ao'],
  [30, 'mptcp'], [34, 'tfo'], [254, 'exp'],
]);
const HTTP_PORTS = [80, 8080, 3128];

/** Thrown inside option parsing when an option's length is impossible. */
class BadOption extends Error {}

/**
 * Prints a TCP segment of `length` bytes (header included).
 *
 * @example
 * printTcp(d, ip, segment, segment.length) // '10.0.0.1.1234 > 10.0.0.2.80: Flags [S], seq 1, win 64240, length 0'
 */
export function printTcp(d: Dissector, ip: IpContext, buf: Uint8Array, length: number): void {
  d.protocol = 'tcp';
  if (buf.length < 4) {
    d.print(ip.addressesPrinted ? '' : `${ip.src} > ${ip.dst}:`);
    throw new Truncated();
  }
  const sport = u16(buf, 0), dport = u16(buf, 2);
  d.print(endpoints(ip, sport, dport));
  const hlen = (u8(buf, 12) >> 4) * 4;
  if (hlen < 20) {
    d.print(`tcp ${length} [bad hdr length ${hlen} - too short, < 20]`);
    return;
  }
  let seq = u32(buf, 4), ack = u32(buf, 8);
  const flags = u8(buf, 13), win = u16(buf, 14), urp = u16(buf, 18);
  if (d.opts.quiet) {
    d.print(`tcp ${length - hlen}`);
    if (hlen > length) d.print(` [bad hdr length ${hlen} - too long, > ${length}]`);
    return;
  }
  d.print(`Flags [${FLAG_CHARS.filter(([bit]) => flags & bit).map(([, c]) => c).join('') || 'none'}]`);
  let baseSeq = 0, baseAck = 0, reversed = false;
  if (!d.opts.absoluteSeq && flags & 0x10) {
    const key = connectionKey(ip, sport, dport);
    reversed = key.reversed;
    const known = d.session.tcp.get(key.id);
    if (!known || flags & 0x02) {
      d.session.tcp.set(key.id, reversed ? { seq: (ack - 1) >>> 0, ack: seq } : { seq, ack: (ack - 1) >>> 0 });
    } else {
      baseSeq = known.seq;
      baseAck = known.ack;
      if (reversed) { seq = (seq - known.ack) >>> 0; ack = (ack - known.seq) >>> 0; } else { seq = (seq - known.seq) >>> 0; ack = (ack - known.ack) >>> 0; }
    }
  }
  if (hlen > length) {
    d.print(` [bad hdr length ${hlen} - too long, > ${length}]`);
    return;
  }
  const dataLength = length - hlen;
  if (d.opts.verbose > 0 && !d.opts.noChecksum && !ip.fragmented && buf.length >= length) {
    const pseudo = pseudoHeader(ip.srcBytes, ip.dstBytes, 6, length);
    const segment = buf.subarray(0, length);
    const field = u16(buf, 16);
    d.print(`, cksum 0x${field.toString(16).padStart(4, '0')}`);
    d.print(internetChecksum([pseudo, segment]) !== 0 ? ` (incorrect -> 0x${expectedChecksum(pseudo, segment, 16).toString(16).padStart(4, '0')})` : ' (correct)');
  }
  if (d.opts.verbose > 1 || dataLength > 0 || flags & 0x07) {
    d.print(`, seq ${seq}`);
    if (dataLength > 0) d.print(`:${(seq + dataLength) >>> 0}`);
  }
  if (flags & 0x10) d.print(`, ack ${ack}`);
  d.print(`, win ${win}`);
  if (flags & 0x20) d.print(`, urg ${urp}`);
  if (hlen > 20) printOptions(d, buf.subarray(20, hlen), hlen - 20, reversed ? baseSeq : baseAck);
  d.print(`, length ${dataLength}`);
  if (dataLength <= 0 || flags & 0x04) return;
  const payload = buf.subarray(hlen);
  const either = (p: number) => sport === p || dport === p;
  if (HTTP_PORTS.some(either)) printTextProtocol(d, 'http', payload, dataLength);
  else if (either(25)) printTextProtocol(d, 'smtp', payload, dataLength);
  else if (either(53)) printDnsOverTcp(d, payload, dataLength);
}

function connectionKey(ip: IpContext, sport: number, dport: number): { id: string; reversed: boolean } {
  const cmp = compareBytes(ip.srcBytes, ip.dstBytes);
  const reversed = cmp > 0 || (cmp === 0 && sport > dport);
  return reversed
    ? { id: `${ip.dst}|${ip.src}|${dport}|${sport}`, reversed }
    : { id: `${ip.src}|${ip.dst}|${sport}|${dport}`, reversed };
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function printOptions(d: Dissector, opts: Uint8Array, optLength: number, sackBase: number): void {
  d.print(', options [');
  let sep = '';
  try {
    for (let i = 0; i < optLength;) {
      d.print(sep);
      // An option's kind and length bytes are read with tcpdump's long-jumping accessors.
      if (i >= opts.length || (opts[i] > 1 && i + 1 >= opts.length)) d.abandoned = true;
      const opt = u8(opts, i);
      let len = 1;
      if (opt !== 0 && opt !== 1) {
        len = u8(opts, i + 1);
        if (len < 2 || i + len > optLength) throw new BadOption();
      }
      const data = i + (len === 1 ? 1 : 2);
      const dataLen = len === 1 ? 0 : len - 2;
      d.print(OPTION_NAMES.get(opt) ?? `unknown-${opt}`);
      let expected = dataLen;
      try {
      switch (opt) {
        case 2: expected = 2; check(opts, data, 2, dataLen); d.print(` ${u16(opts, data)}`); break;
        case 3: expected = 1; check(opts, data, 1, dataLen); d.print(` ${u8(opts, data)}`); break;
        case 8: expected = 8; check(opts, data, 8, dataLen); d.print(` val ${u32(opts, data)} ecr ${u32(opts, data + 4)}`); break;
        case 11: case 12: case 13: expected = 4; check(opts, data, 4, dataLen); d.print(` ${u32(opts, data)}`); break;
        case 4: expected = 0; break;
        case 5:
          if (dataLen % 8 !== 0) { d.print(' invalid sack'); break; }
          d.print(` ${dataLen / 8} `);
          for (let j = 0; j < dataLen; j += 8) {
            d.print(`{${(u32(opts, data + j) - sackBase) >>> 0}:${(u32(opts, data + j + 4) - sackBase) >>> 0}}`);
          }
          break;
        case 28: {
          expected = 2; check(opts, data, 2, dataLen);
          const uto = u16(opts, data);
          d.print(` 0x${uto.toString(16)} ${uto & 1 ? (uto >> 1) * 60 : uto >> 1}`);
          break;
        }
        default:
          if (dataLen) d.print(' 0x');
          for (let j = 0; j < dataLen; j++) d.print(u8(opts, data + j).toString(16).padStart(2, '0'));
      }
      } catch (e) {
        if (!(e instanceof Truncated)) throw e;
        // An option's data cut short: tcpdump closes with the '>' of its old '<...>' syntax after the first option.
        d.print(` [|tcp]${sep ? '>' : ''}`);
        throw new Finished();
      }
      if (expected !== dataLen && opt > 1) d.print(`[len ${len}]`);
      sep = ',';
      i += len;
      if (opt === 0) break;
    }
    d.print(']');
  } catch (e) {
    if (!(e instanceof BadOption)) throw e;
    d.print('[bad opt]');
    if (sep) d.print(']');
  }
}

function check(buf: Uint8Array, at: number, need: number, have: number): void {
  if (need > have) throw new BadOption();
  if (at + need > buf.length) u8(buf, buf.length);
}

function printDnsOverTcp(d: Dissector, payload: Uint8Array, length: number): void {
  if (length < 2) {
    d.print(` [DNS over TCP: length ${length} < 2]`);
    return;
  }
  const prefix = u16(payload, 0);
  if (prefix !== length - 2) {
    d.print(` [prefix length(${prefix}) != length(${length - 2})] (invalid)`);
    return;
  }
  d.print(' ');
  printDns(d, payload.subarray(2), length - 2);
}
