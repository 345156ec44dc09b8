/**
 * DNS messages (RFC 1035): header, questions and resource records, with
 * name compression for names already written.
 */
import { concat, put16, put32 } from './bytes.js';
import { ipv4Bytes, ipv6Bytes } from './address.js';
import { CraftError, checkUint } from './errors.js';

/** Resource record types. */
export const DNS_TYPE = Object.freeze({ A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 });

export interface DnsQuestion {
  name: string;
  /** Record type; A by default. */
  type?: number;
  /** Class; IN (1) by default. */
  class?: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  class?: number;
  ttl?: number;
  /** Record data: an address for A/AAAA, a name for CNAME/NS/PTR, { preference, exchange } for MX, text for TXT, or raw bytes. */
  data: string | Uint8Array | { preference: number; exchange: string };
}

export interface DnsMessage {
  id: number;
  /** Response (QR) bit. */
  response?: boolean;
  opcode?: number;
  authoritative?: boolean;
  truncated?: boolean;
  recursionDesired?: boolean;
  recursionAvailable?: boolean;
  rcode?: number;
  questions?: readonly DnsQuestion[];
  answers?: readonly DnsRecord[];
  authority?: readonly DnsRecord[];
  additional?: readonly DnsRecord[];
}

/** Writes names, pointing back at suffixes already written (RFC 1035 §4.1.4). */
class NameWriter {
  private readonly parts: Uint8Array[] = [];
  private length = 12;
  private readonly seen = new Map<string, number>();

  bytes(): Uint8Array { return concat(...this.parts); }
  offset(): number { return this.length; }
  push(b: Uint8Array): void { this.parts.push(b); this.length += b.length; }

  name(name: string): void {
    const labels = name.replace(/\.$/, '').split('.').filter((l) => l.length > 0);
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.').toLowerCase();
      const at = this.seen.get(suffix);
      if (at !== undefined) { this.push(Uint8Array.of(0xc0 | (at >>> 8), at & 0xff)); return; }
      if (this.length < 0x3fff) this.seen.set(suffix, this.length);
      const label = new TextEncoder().encode(labels[i]);
      if (label.length > 63) throw new CraftError('dns', 'name', name, `has a label longer than 63 bytes`);
      this.push(concat(Uint8Array.of(label.length), label));
    }
    this.push(Uint8Array.of(0));
  }
}

function recordData(w: NameWriter, r: DnsRecord): void {
  const lengthAt = new Uint8Array(2);
  w.push(lengthAt);
  const start = w.offset();
  const d = r.data;
  if (d instanceof Uint8Array) w.push(d);
  else if (typeof d === 'object') { const p = new Uint8Array(2); put16(p, 0, d.preference); w.push(p); w.name(d.exchange); }
  else if (r.type === DNS_TYPE.A) w.push(ipv4Bytes(d, 'A record'));
  else if (r.type === DNS_TYPE.AAAA) w.push(ipv6Bytes(d, 'AAAA record'));
  else if (r.type === DNS_TYPE.TXT) { const t = new TextEncoder().encode(d).subarray(0, 255); w.push(concat(Uint8Array.of(t.length), t)); }
  else if (r.type === DNS_TYPE.CNAME || r.type === DNS_TYPE.NS || r.type === DNS_TYPE.PTR) w.name(d);
  else throw new CraftError('dns', 'data', d, `cannot be encoded for record type ${r.type}: give raw bytes`);
  put16(lengthAt, 0, w.offset() - start);
}

/**
 * A DNS message (query or response). Put it in udp({ dport: 53 }) or udp({ sport: 53 }).
 *
 * @example
 * dns({ id: 0x1234, recursionDesired: true, questions: [{ name: 'example.com', type: DNS_TYPE.A }] })
 * dns({ id: 0x1234, response: true, questions: [{ name: 'example.com' }], answers: [{ name: 'example.com', type: DNS_TYPE.A, ttl: 300, data: '93.184.216.34' }] })
 */
export function dns(message: DnsMessage): Uint8Array {
  const head = new Uint8Array(12);
  put16(head, 0, checkUint('dns', 'id', message.id, 0xffff));
  const flags = (message.response ? 0x8000 : 0) | (checkUint('dns', 'opcode', message.opcode ?? 0, 15) << 11) |
    (message.authoritative ? 0x0400 : 0) | (message.truncated ? 0x0200 : 0) | (message.recursionDesired ? 0x0100 : 0) |
    (message.recursionAvailable ? 0x0080 : 0) | checkUint('dns', 'rcode', message.rcode ?? 0, 15);
  put16(head, 2, flags);
  const sections = [message.questions ?? [], message.answers ?? [], message.authority ?? [], message.additional ?? []];
  sections.forEach((s, i) => put16(head, 4 + 2 * i, s.length));
  const w = new NameWriter();
  for (const q of message.questions ?? []) {
    w.name(q.name);
    const t = new Uint8Array(4);
    put16(t, 0, q.type ?? DNS_TYPE.A);
    put16(t, 2, q.class ?? 1);
    w.push(t);
  }
  for (const r of [...(message.answers ?? []), ...(message.authority ?? []), ...(message.additional ?? [])]) {
    w.name(r.name);
    const t = new Uint8Array(8);
    put16(t, 0, checkUint('dns', 'type', r.type, 0xffff));
    put16(t, 2, r.class ?? 1);
    put32(t, 4, checkUint('dns', 'ttl', r.ttl ?? 300, 0xffffffff));
    w.push(t);
    recordData(w, r);
  }
  return concat(head, w.bytes());
}
