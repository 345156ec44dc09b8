/**
 * IGMP (RFC 1112, 2236, 3376) as tcpdump prints it: queries with their
 * version, reports, leaves, and the v3 group records under -v.
 */
import { ipv4Text, relativeTime, u16, u8 } from './bytes.js';
import { internetChecksum } from './checksum.js';
import type { Dissector } from './dissector.js';

const RECORD_TYPES = ['', 'is_in', 'is_ex', 'to_in', 'to_ex', 'allow', 'block'];

/**
 * Prints an IGMP message of `length` bytes.
 *
 * @example
 * printIgmp(d, message, 8) // 'igmp v2 report 239.1.1.1'
 */
export function printIgmp(d: Dissector, buf: Uint8Array, length: number): void {
  if (d.opts.quiet) { d.print('igmp'); return; }
  d.protocol = 'igmp';
  const type = u8(buf, 0);
  const tail = () => (length !== 8 ? ` [len ${length}]` : '');
  switch (type) {
    case 0x11: {
      d.print('igmp query');
      if (length >= 12) { printV3Query(d, buf, length); break; }
      const mrt = u8(buf, 1);
      d.print(mrt ? ' v2' : ' v1');
      if (mrt && mrt !== 100) d.print(` [max resp time ${relativeTime(mrt)}]`);
      if (buf.length >= 8 && u8(buf, 4) | u8(buf, 5) | u8(buf, 6) | u8(buf, 7)) d.print(` [gaddr ${ipv4Text(buf, 4)}]`);
      d.print(tail());
      break;
    }
    case 0x12: d.print(`igmp v1 report ${ipv4Text(buf, 4)}${tail()}`); break;
    case 0x16: d.print(`igmp v2 report ${ipv4Text(buf, 4)}${tail()}`); break;
    case 0x17: d.print(`igmp leave ${ipv4Text(buf, 4)}${tail()}`); break;
    case 0x22: d.print('igmp v3 report'); printV3Report(d, buf, length); break;
    default: d.print(`igmp-${type}`);
  }
  if (d.opts.verbose > 0 && length >= 4 && buf.length >= length && internetChecksum([buf.subarray(0, length)]) !== 0) {
    d.print(` bad igmp cksum ${u16(buf, 2).toString(16)}!`);
  }
}

/** An exponential IGMPv3 code (max response code, QQIC) as a number. */
function expCode(c: number): number {
  return c < 128 ? c : ((c & 0x0f) | 0x10) << (((c & 0x70) >> 4) + 3);
}

function printV3Query(d: Dissector, buf: Uint8Array, length: number): void {
  d.print(' v3');
  const mrc = u8(buf, 1);
  const mrt = expCode(mrc);
  if (mrc !== 100) d.print(` [max resp time ${mrt < 600 ? `${(mrt * 0.1).toFixed(1)}s` : relativeTime(Math.floor(mrt / 10))}]`);
  if ((u8(buf, 4) | u8(buf, 5) | u8(buf, 6) | u8(buf, 7)) === 0) return;
  d.print(` [gaddr ${ipv4Text(buf, 4)}`);
  const qqi = expCode(u8(buf, 9));
  if (qqi !== 125) d.print(` [qqi ${relativeTime(qqi)}]`);
  const nsrcs = u16(buf, 10);
  if (nsrcs > 0) {
    if (length < 12 + nsrcs * 4) d.print(' [invalid number of sources]');
    else if (d.opts.verbose > 1) {
      d.print(' {');
      for (let i = 0; i < nsrcs; i++) d.print(` ${ipv4Text(buf, 12 + 4 * i)}`);
      d.print(' }');
    } else d.print(`, ${nsrcs} source(s)`);
  }
  d.print(']');
}

function printV3Report(d: Dissector, buf: Uint8Array, length: number): void {
  const groups = u16(buf, 6);
  d.print(`, ${groups} group record(s)`);
  if (!d.opts.verbose) return;
  let at = 8;
  for (let g = 0; g < groups; g++) {
    d.print(` [gaddr ${ipv4Text(buf, at + 4)}`);
    const kind = u8(buf, at);
    d.print(` ${RECORD_TYPES[kind] || ` [v3-report-#${kind}]`}`);
    const nsrcs = u16(buf, at + 2);
    if (length < at + 8 + nsrcs * 4) { d.print(` [invalid number of sources ${nsrcs}]`); return; }
    if (d.opts.verbose === 1) d.print(`, ${nsrcs} source(s)`);
    else {
      d.print(' {');
      for (let i = 0; i < nsrcs; i++) d.print(` ${ipv4Text(buf, at + 8 + 4 * i)}`);
      d.print(' }');
    }
    at += 8 + nsrcs * 4;
    d.print(']');
  }
}

