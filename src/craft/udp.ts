/**
 * UDP (RFC 768). The checksum is filled in by the IP layer around it.
 */
import { put16 } from './bytes.js';
import { checkUint } from './errors.js';
import { IPPROTO, payloadBytes, type Payload, type Segment } from './layers.js';

export interface UdpOptions {
  sport: number;
  dport: number;
  /** Override the length field (header + payload by default). */
  length?: number;
  /** Give the checksum explicitly (0 = none); otherwise the IP layer computes it. */
  checksum?: number;
}

/**
 * A UDP datagram; put it in ipv4() or ipv6(), which compute its checksum.
 *
 * @example
 * ipv4({ src: '10.0.0.1', dst: '10.0.0.53' }, udp({ sport: 33333, dport: 53 }, dns({ id: 1, questions: [{ name: 'example.com' }] })))
 */
export function udp(options: UdpOptions, payload?: Payload): Segment {
  const body = payloadBytes(payload);
  const out = new Uint8Array(8 + body.length);
  put16(out, 0, checkUint('udp', 'sport', options.sport, 0xffff));
  put16(out, 2, checkUint('udp', 'dport', options.dport, 0xffff));
  put16(out, 4, checkUint('udp', 'length', options.length ?? out.length, 0xffff));
  out.set(body, 8);
  if (options.checksum !== undefined) {
    put16(out, 6, checkUint('udp', 'checksum', options.checksum, 0xffff));
    return { kind: 'segment', protocol: IPPROTO.UDP, bytes: out };
  }
  return { kind: 'segment', protocol: IPPROTO.UDP, bytes: out, checksumAt: 6 };
}
