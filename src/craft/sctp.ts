/**
 * SCTP (RFC 9260): common header, chunks padded to 4 bytes, CRC-32C checksum
 * over the whole packet (stored least significant byte first, as senders do).
 */
import { concat, put16, put32, toBytes, type ByteSource } from './bytes.js';
import { crc32c } from './checksum.js';
import { checkUint } from './errors.js';
import { IPPROTO, type Segment } from './layers.js';

/** SCTP chunk types. */
export const SCTP_CHUNK = Object.freeze({ DATA: 0, INIT: 1, INIT_ACK: 2, SACK: 3, HEARTBEAT: 4, HEARTBEAT_ACK: 5, ABORT: 6, SHUTDOWN: 7, COOKIE_ECHO: 10, COOKIE_ACK: 11 });

/** One chunk: type, flags and value (the 4-byte chunk header is added). */
export interface SctpChunk {
  type: number;
  flags?: number;
  value?: ByteSource;
}

/**
 * A DATA chunk (flags: beginning+ending fragment by default).
 *
 * @example
 * sctp({ sport: 5000, dport: 5001, tag: 7 }, [sctpData({ tsn: 1, stream: 0, ssn: 0, ppid: 0 }, new Uint8Array(12))])
 */
export function sctpData(options: { tsn: number; stream?: number; ssn?: number; ppid?: number; flags?: number }, data: ByteSource): SctpChunk {
  const head = new Uint8Array(12);
  put32(head, 0, checkUint('sctpData', 'tsn', options.tsn, 0xffffffff));
  put16(head, 4, checkUint('sctpData', 'stream', options.stream ?? 0, 0xffff));
  put16(head, 6, checkUint('sctpData', 'ssn', options.ssn ?? 0, 0xffff));
  put32(head, 8, checkUint('sctpData', 'ppid', options.ppid ?? 0, 0xffffffff));
  return { type: SCTP_CHUNK.DATA, flags: options.flags ?? 0x03, value: concat(head, toBytes(data)) };
}

/**
 * An INIT chunk.
 *
 * @example
 * sctp({ sport: 5000, dport: 5001, tag: 0 }, [sctpInit({ initiateTag: 0x1234 })])
 */
export function sctpInit(options: { initiateTag: number; window?: number; outStreams?: number; inStreams?: number; initialTsn?: number }): SctpChunk {
  const v = new Uint8Array(16);
  put32(v, 0, checkUint('sctpInit', 'initiateTag', options.initiateTag, 0xffffffff));
  put32(v, 4, checkUint('sctpInit', 'window', options.window ?? 65536, 0xffffffff));
  put16(v, 8, options.outStreams ?? 10);
  put16(v, 10, options.inStreams ?? 10);
  put32(v, 12, (options.initialTsn ?? 1) >>> 0);
  return { type: SCTP_CHUNK.INIT, value: v };
}

/**
 * An SCTP packet with its CRC-32C checksum.
 *
 * @example
 * ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, sctp({ sport: 36412, dport: 36412, tag: 1 }, [sctpInit({ initiateTag: 9 })]))
 */
export function sctp(options: { sport: number; dport: number; tag?: number; checksum?: number }, chunks: readonly SctpChunk[] = []): Segment {
  const parts: Uint8Array[] = [new Uint8Array(12)];
  put16(parts[0], 0, checkUint('sctp', 'sport', options.sport, 0xffff));
  put16(parts[0], 2, checkUint('sctp', 'dport', options.dport, 0xffff));
  put32(parts[0], 4, checkUint('sctp', 'tag', options.tag ?? 0, 0xffffffff));
  for (const c of chunks) {
    const value = toBytes(c.value ?? []);
    const chunk = new Uint8Array((4 + value.length + 3) & ~3);
    chunk[0] = checkUint('sctp', 'chunk type', c.type, 0xff);
    chunk[1] = checkUint('sctp', 'chunk flags', c.flags ?? 0, 0xff);
    put16(chunk, 2, 4 + value.length);
    chunk.set(value, 4);
    parts.push(chunk);
  }
  const out = concat(...parts);
  const crc = options.checksum ?? crc32c(out);
  out[8] = crc; out[9] = crc >>> 8; out[10] = crc >>> 16; out[11] = crc >>> 24;
  return { kind: 'segment', protocol: IPPROTO.SCTP, bytes: out };
}
