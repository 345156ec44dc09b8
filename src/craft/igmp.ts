/**
 * IGMP (RFC 2236 v2 messages, RFC 3376 v3 membership reports).
 */
import { concat, put16 } from './bytes.js';
import { ipv4Bytes, type Address } from './address.js';
import { internetChecksum } from './checksum.js';
import { checkUint } from './errors.js';
import { IPPROTO, type Segment } from './layers.js';

/**
 * An IGMPv1/v2 message: type 0x11 query, 0x12 v1 report, 0x16 v2 report, 0x17 leave.
 *
 * @example
 * ipv4({ src: '10.0.0.5', dst: '239.1.1.1', ttl: 1, options: IPV4_OPTION.routerAlert() }, igmp({ type: 0x16, group: '239.1.1.1' }))
 */
export function igmp(options: { type: number; maxResponse?: number; group?: Address; checksum?: number }): Segment {
  const out = new Uint8Array(8);
  out[0] = checkUint('igmp', 'type', options.type, 0xff);
  out[1] = checkUint('igmp', 'maxResponse', options.maxResponse ?? 0, 0xff);
  out.set(ipv4Bytes(options.group ?? '0.0.0.0', 'group'), 4);
  put16(out, 2, options.checksum ?? internetChecksum(out));
  return { kind: 'segment', protocol: IPPROTO.IGMP, bytes: out };
}

/**
 * An IGMPv3 membership report (type 0x22) with group records (record type 1..6, sources).
 *
 * @example
 * igmpv3Report([{ type: 4, group: '239.2.2.2' }])
 */
export function igmpv3Report(records: ReadonlyArray<{ type: number; group: Address; sources?: readonly Address[] }>): Segment {
  const head = new Uint8Array(8);
  head[0] = 0x22;
  put16(head, 6, records.length);
  const parts: Uint8Array[] = [head];
  for (const r of records) {
    const sources = (r.sources ?? []).map((s) => ipv4Bytes(s, 'source'));
    const rec = new Uint8Array(8 + 4 * sources.length);
    rec[0] = checkUint('igmpv3Report', 'record type', r.type, 0xff);
    put16(rec, 2, sources.length);
    rec.set(ipv4Bytes(r.group, 'group'), 4);
    sources.forEach((s, i) => rec.set(s, 8 + 4 * i));
    parts.push(rec);
  }
  const out = concat(...parts);
  put16(out, 2, internetChecksum(out));
  return { kind: 'segment', protocol: IPPROTO.IGMP, bytes: out };
}
