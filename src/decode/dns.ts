/**
 * The DNS summary tcpdump prints (RFC 1035): id, flags, the question, the
 * answers, and the message length. -v adds owner names to answers; -vv the
 * question of a response and the authority and additional sections.
 */
import { ipv4Text, ipv6Text, need, relativeTime, Truncated, u16, u32, u8 } from './bytes.js';
import type { Dissector } from './dissector.js';

const TYPES = new Map<number, string>([
  [1, 'A'], [2, 'NS'], [3, 'MD'], [4, 'MF'], [5, 'CNAME'], [6, 'SOA'], [7, 'MB'], [8, 'MG'], [9, 'MR'], [10, 'NULL'],
  [11, 'WKS'], [12, 'PTR'], [13, 'HINFO'], [14, 'MINFO'], [15, 'MX'], [16, 'TXT'], [17, 'RP'], [18, 'AFSDB'],
  [19, 'X25'], [20, 'ISDN'], [21, 'RT'], [22, 'NSAP'], [23, 'NSAP_PTR'], [24, 'SIG'], [25, 'KEY'], [26, 'PX'],
  [27, 'GPOS'], [28, 'AAAA'], [29, 'LOC'], [30, 'NXT'], [31, 'EID'], [32, 'NIMLOC'], [33, 'SRV'], [34, 'ATMA'],
  [35, 'NAPTR'], [36, 'KX'], [37, 'CERT'], [38, 'A6'], [39, 'DNAME'], [40, 'SINK'], [41, 'OPT'], [42, 'APL'],
  [43, 'DS'], [44, 'SSHFP'], [45, 'IPSECKEY'], [46, 'RRSIG'], [47, 'NSEC'], [48, 'DNSKEY'], [99, 'SPF'],
  [100, 'UINFO'], [101, 'UID'], [102, 'GID'], [103, 'UNSPEC'], [104, 'UNSPECA'], [249, 'TKEY'], [250, 'TSIG'],
  [251, 'IXFR'], [252, 'AXFR'], [253, 'MAILB'], [254, 'MAILA'], [255, 'ANY'],
]);
const CLASSES = new Map<number, string>([[1, 'IN'], [3, 'CHAOS'], [4, 'HS'], [255, 'ANY']]);
const OPCODES = ['', ' inv_q', ' stat', ' op3', ' notify', ' update', ' op6', ' op7', ' op8', ' updateA', ' updateD', ' updateDA', ' updateM', ' updateMA', ' zoneInit', ' zoneRef'];
const RCODES = ['', ' FormErr', ' ServFail', ' NXDomain', ' NotImp', ' Refused', ' YXDomain', ' YXRRSet', ' NXRRSet', ' NotAuth', ' NotZone', ' Resp11', ' Resp12', ' Resp13', ' Resp14', ' NoChange'];

const typeName = (t: number): string => TYPES.get(t) ?? `Type${t}`;

/**
 * Prints a DNS message of `length` bytes (its captured part is `buf`).
 *
 * @example
 * printDns(d, query, 29) // '4660+ A? example.com. (29)'
 */
export function printDns(d: Dissector, buf: Uint8Array, length: number): void {
  d.protocol = 'domain';
  const id = u16(buf, 0), flags = u16(buf, 2);
  let qd = u16(buf, 4);
  let an = u16(buf, 6);
  let ns = u16(buf, 8);
  let ar = u16(buf, 10);
  const opcode = (flags >> 11) & 0xf;
  let at = 12;
  if (flags & 0x8000) {
    d.print(`${id}${OPCODES[opcode]}${RCODES[flags & 0xf]}${flags & 0x0400 ? '*' : ''}${flags & 0x0080 ? '' : '-'}${flags & 0x0200 ? '|' : ''}${flags & 0x0020 ? '$' : ''}`);
    if (qd !== 1) d.print(` [${qd}q]`);
    for (let i = 0; i < qd; i++) {
      if (i !== 0) d.print(',');
      if (d.opts.verbose > 1) { d.print(' q:'); at = printQuestion(d, buf, at); } else { at = skipName(buf, at) + 4; }
    }
    d.print(` ${an}/${ns}/${ar}`);
    // Without -v, tcpdump passes over answers that were not captured at all; with -v it marks them.
    if (an && (at < buf.length || d.opts.verbose > 0)) {
      at = printRecord(d, buf, at);
      an--;
      while (at < buf.length && an) { d.print(','); at = printRecord(d, buf, at); an--; }
    }
    if (an && at < buf.length) throw new Truncated();
    if (d.opts.verbose > 1) at = printSections(d, buf, at, ns, ar);
  } else {
    d.print(`${id}${OPCODES[opcode]}${flags & 0x0100 ? '+' : ''}${flags & 0x0010 ? '%' : ''}`);
    if (flags & 0x6cf) d.print(` [b2&3=0x${flags.toString(16)}]`);
    if (opcode === 1) {
      if (qd) d.print(` [${qd}q]`);
      if (an !== 1) d.print(` [${an}a]`);
    } else {
      if (an) d.print(` [${an}a]`);
      if (qd !== 1) d.print(` [${qd}q]`);
    }
    if (ns) d.print(` [${ns}n]`);
    if (ar) d.print(` [${ar}au]`);
    if (qd) {
      at = printQuestion(d, buf, at);
      while (at < buf.length && --qd) at = printQuestion(d, buf, at);
      if (qd > 1) throw new Truncated();
    }
    if (d.opts.verbose > 1) {
      if (an) { d.print(' an:'); at = printList(d, buf, at, an); }
      at = printSections(d, buf, at, ns, ar);
    }
  }
  d.print(` (${length})`);
}

function printSections(d: Dissector, buf: Uint8Array, at: number, ns: number, ar: number): number {
  if (at < buf.length && ns) { d.print(' ns:'); at = printList(d, buf, at, ns); }
  if (at < buf.length && ar) { d.print(' ar:'); at = printList(d, buf, at, ar); }
  return at;
}

function printList(d: Dissector, buf: Uint8Array, at: number, count: number): number {
  at = printRecord(d, buf, at);
  while (at < buf.length && --count) { d.print(','); at = printRecord(d, buf, at); }
  return at;
}

function printQuestion(d: Dissector, buf: Uint8Array, at: number): number {
  const afterName = skipName(buf, at);
  const type = u16(buf, afterName), cls = u16(buf, afterName + 2);
  d.print(` ${typeName(type)}`);
  if (cls !== 1) d.print(` ${className(cls)}`);
  d.print(`? ${nameText(buf, at)}`);
  return afterName + 4;
}

function className(cls: number): string {
  return CLASSES.get(cls & 0x7fff) ?? `(Class ${cls})`;
}

function printRecord(d: Dissector, buf: Uint8Array, at: number): number {
  if (d.opts.verbose > 0) {
    d.print(' ');
    d.print(nameText(buf, at));
  }
  let afterName: number;
  try {
    afterName = skipName(buf, at);
    need(buf, afterName, 10);
  } catch (e) {
    // tcpdump skips a record whose fixed part was not captured, silently.
    if (e instanceof Truncated) return buf.length;
    throw e;
  }
  const type = u16(buf, afterName), cls = u16(buf, afterName + 2), ttl = u32(buf, afterName + 4);
  const rdlen = u16(buf, afterName + 8);
  const rd = afterName + 10;
  const end = rd + rdlen;
  d.print(` ${typeName(type)}`);
  if (cls !== 1 && type !== 41) d.print(` ${className(cls)}`);
  if (d.opts.verbose > 2 && type !== 41) d.print(` [${relativeTime(ttl)}]`);
  switch (type) {
    case 1: d.print(` ${ipv4Text(buf, rd)}`); break;
    case 28: d.print(` ${ipv6Text(buf, rd)}`); break;
    case 2: case 5: case 12: case 39: d.print(` ${nameText(buf, rd)}`); break;
    case 15: d.print(` ${nameText(buf, rd + 2)} ${u16(buf, rd)}`); break;
    case 33: d.print(` ${nameText(buf, rd + 6)}:${u16(buf, rd + 4)} ${u16(buf, rd)} ${u16(buf, rd + 2)}`); break;
    case 16:
      for (let p = rd; p < end;) {
        const n = u8(buf, p);
        d.print(` "${String.fromCharCode(...buf.subarray(p + 1, p + 1 + n))}"`);
        p += 1 + n;
      }
      break;
    case 6:
      if (d.opts.verbose > 0) {
        const rname = skipName(buf, rd);
        const nums = skipName(buf, rname);
        d.print(` ${nameText(buf, rd)} ${nameText(buf, rname)} ${u32(buf, nums)} ${u32(buf, nums + 4)} ${u32(buf, nums + 8)} ${u32(buf, nums + 12)} ${u32(buf, nums + 16)}`);
      }
      break;
    default: break;
  }
  return end;
}


/** Where the encoded name at `at` ends (after its terminator or first pointer). */
function skipName(buf: Uint8Array, at: number): number {
  for (;;) {
    const len = u8(buf, at);
    if ((len & 0xc0) === 0xc0) { u8(buf, at + 1); return at + 2; }
    if (len === 0) return at + 1;
    at += len + 1;
  }
}

/** The name at `at`, following compression pointers, with its trailing dot. */
function nameText(buf: Uint8Array, at: number): string {
  const labels: string[] = [];
  let jumps = 0;
  for (;;) {
    const len = u8(buf, at);
    if ((len & 0xc0) === 0xc0) {
      if (++jumps > 64) return `${labels.join('.')}<LOOP>`;
      at = ((len & 0x3f) << 8) | u8(buf, at + 1);
      continue;
    }
    if (len === 0) break;
    if (len & 0xc0) return `${labels.join('.')}<ELT ${len.toString(16)}>`;
    const bytes = buf.subarray(at + 1, at + 1 + len);
    if (bytes.length < len) throw new Truncated();
    labels.push(Array.from(bytes, (c) => (c >= 0x21 && c <= 0x7e && c !== 0x2e && c !== 0x5c ? String.fromCharCode(c) : c === 0x2e || c === 0x5c ? `\\${String.fromCharCode(c)}` : `\\${c.toString(8).padStart(3, '0')}`)).join(''));
    at += len + 1;
  }
  return labels.length ? `${labels.join('.')}.` : '.';
}
