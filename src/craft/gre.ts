/**
 * GRE (RFC 2784 with RFC 2890 key and sequence number).
 */
import { put16, put32 } from './bytes.js';
import { internetChecksum } from './checksum.js';
import { CraftError, checkUint } from './errors.js';
import { IPPROTO, payloadBytes, type Payload, type Segment } from './layers.js';

/**
 * A GRE packet around a payload; the protocol type is the payload's EtherType unless given.
 *
 * @example
 * ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, gre({ key: 42 }, ipv4({ src: '192.168.1.1', dst: '192.168.1.2' }, icmp({ type: 8 }))))
 */
export function gre(options: { protocol?: number; checksum?: boolean; key?: number; sequence?: number }, payload: Payload): Segment {
  const protocol = options.protocol ?? (payload instanceof Uint8Array || payload.kind === 'segment' ? undefined : payload.etherType);
  if (protocol === undefined) throw new CraftError('gre', 'protocol', undefined, 'is required for a payload without an EtherType');
  const body = payloadBytes(payload);
  const headerLen = 4 + (options.checksum ? 4 : 0) + (options.key !== undefined ? 4 : 0) + (options.sequence !== undefined ? 4 : 0);
  const out = new Uint8Array(headerLen + body.length);
  put16(out, 0, (options.checksum ? 0x8000 : 0) | (options.key !== undefined ? 0x2000 : 0) | (options.sequence !== undefined ? 0x1000 : 0));
  put16(out, 2, checkUint('gre', 'protocol', protocol, 0xffff));
  let at = options.checksum ? 8 : 4;
  if (options.key !== undefined) { put32(out, at, checkUint('gre', 'key', options.key, 0xffffffff)); at += 4; }
  if (options.sequence !== undefined) put32(out, at, checkUint('gre', 'sequence', options.sequence, 0xffffffff));
  out.set(body, headerLen);
  if (options.checksum) put16(out, 4, internetChecksum(out));
  return { kind: 'segment', protocol: IPPROTO.GRE, bytes: out };
}
