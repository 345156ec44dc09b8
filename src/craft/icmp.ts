/**
 * ICMP for IPv4 (RFC 792): echo, unreachable, time exceeded and any other
 * type; the checksum covers the ICMP message only.
 */
import { put16, put32, toBytes, type ByteSource } from './bytes.js';
import { internetChecksum } from './checksum.js';
import { checkUint } from './errors.js';
import { IPPROTO, payloadBytes, type Payload, type Segment } from './layers.js';

/** ICMP types tcpdump's `icmp[icmptype]` names. */
export const ICMP_TYPE = Object.freeze({
  ECHOREPLY: 0, UNREACH: 3, SOURCEQUENCH: 4, REDIRECT: 5, ECHO: 8, ROUTERADVERT: 9, ROUTERSOLICIT: 10,
  TIMXCEED: 11, PARAMPROB: 12, TSTAMP: 13, TSTAMPREPLY: 14, IREQ: 15, IREQREPLY: 16, MASKREQ: 17, MASKREPLY: 18,
});

export interface IcmpOptions {
  type: number;
  code?: number;
  /** Identifier (echo, timestamp, ...): the first half of the rest-of-header word. */
  id?: number;
  /** Sequence number: the second half of the rest-of-header word. */
  seq?: number;
  /** The whole rest-of-header word (overrides id/seq), e.g. the next-hop MTU or the redirect gateway. */
  rest?: number;
  /** Override the checksum. */
  checksum?: number;
}

/**
 * An ICMP message with its checksum; the payload is echo data or the quoted datagram of an error.
 *
 * @example
 * ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, icmp({ type: 8, id: 1, seq: 1 }, new Uint8Array(56)))
 * icmp({ type: 3, code: 3 }, quotedDatagramBytes) // port unreachable
 */
export function icmp(options: IcmpOptions, payload?: Payload | ByteSource): Segment {
  const out = icmpMessage('icmp', options, payload);
  put16(out, 2, options.checksum !== undefined ? checkUint('icmp', 'checksum', options.checksum, 0xffff) : internetChecksum(out));
  return { kind: 'segment', protocol: IPPROTO.ICMP, bytes: out };
}

/**
 * The 8-byte header ICMP and ICMPv6 share (type, code, checksum left 0, then
 * the rest-of-header word or id and sequence) followed by the body.
 *
 * @example
 * const bytes = icmpMessage('icmpv6', { type: 128, id: 7, seq: 1 }, new Uint8Array(8));
 */
export function icmpMessage(builder: string, options: IcmpOptions, payload?: Payload | ByteSource): Uint8Array {
  const body = Array.isArray(payload) ? toBytes(payload as ByteSource) : payloadBytes(payload as Payload | undefined);
  const out = new Uint8Array(8 + body.length);
  out[0] = checkUint(builder, 'type', options.type, 0xff);
  out[1] = checkUint(builder, 'code', options.code ?? 0, 0xff);
  if (options.rest !== undefined) put32(out, 4, checkUint(builder, 'rest', options.rest, 0xffffffff));
  else {
    put16(out, 4, checkUint(builder, 'id', options.id ?? 0, 0xffff));
    put16(out, 6, checkUint(builder, 'seq', options.seq ?? 0, 0xffff));
  }
  out.set(body, 8);
  return out;
}
