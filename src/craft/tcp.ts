/**
 * TCP (RFC 9293): header, flags, options. The checksum is filled in by the IP
 * layer around it (it needs the pseudo-header).
 */
import { concat, put16, put32, toBytes, type ByteSource } from './bytes.js';
import { CraftError, checkUint } from './errors.js';
import { IPPROTO, type Segment } from './layers.js';

/** TCP flag bits, as tcp[tcpflags] sees them. */
export const TCP_FLAGS = Object.freeze({ FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 });

const FLAG_LETTERS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, '.': 0x10, U: 0x20, E: 0x40, W: 0x80, C: 0x80 };

/**
 * Parses tcpdump-style flag letters (`S`, `SA`, `FA`, `R`, `P.`, `SEW`...) into the flag byte.
 *
 * @example
 * tcpFlags('SA') // 0x12
 */
export function tcpFlags(flags: string | number): number {
  if (typeof flags === 'number') return checkUint('tcp', 'flags', flags, 0xfff);
  let value = 0;
  for (const letter of flags.toUpperCase()) {
    const bit = FLAG_LETTERS[letter];
    if (bit === undefined) throw new CraftError('tcp', 'flags', flags, `has unknown flag letter ${JSON.stringify(letter)} (use F S R P A U E W)`);
    value |= bit;
  }
  return value;
}

/** Structured TCP options; encoded in this order, padded with NOPs/EOL to 4 bytes. */
export interface TcpOptionSet {
  mss?: number;
  windowScale?: number;
  sackPermitted?: boolean;
  /** [TSval, TSecr] */
  timestamp?: readonly [number, number];
  /** SACK blocks [left, right]. */
  sack?: ReadonlyArray<readonly [number, number]>;
}

/**
 * Encodes TCP options (MSS, window scale, SACK-permitted, timestamps, SACK) as bytes.
 *
 * @example
 * tcpOptions({ mss: 1460, sackPermitted: true, timestamp: [1, 0], windowScale: 7 }).length // 20
 */
export function tcpOptions(set: TcpOptionSet): Uint8Array {
  const parts: Uint8Array[] = [];
  if (set.mss !== undefined) { const o = Uint8Array.of(2, 4, 0, 0); put16(o, 2, checkUint('tcp', 'mss', set.mss, 0xffff)); parts.push(o); }
  if (set.sackPermitted) parts.push(Uint8Array.of(4, 2));
  if (set.timestamp) {
    const o = new Uint8Array(10); o[0] = 8; o[1] = 10;
    put32(o, 2, checkUint('tcp', 'timestamp', set.timestamp[0], 0xffffffff));
    put32(o, 6, checkUint('tcp', 'timestamp', set.timestamp[1], 0xffffffff));
    parts.push(Uint8Array.of(1, 1), o);
  }
  if (set.windowScale !== undefined) parts.push(Uint8Array.of(1, 3, 3, checkUint('tcp', 'windowScale', set.windowScale, 14)));
  if (set.sack?.length) {
    const o = new Uint8Array(2 + 8 * set.sack.length); o[0] = 5; o[1] = o.length;
    set.sack.forEach(([l, r], i) => { put32(o, 2 + 8 * i, l >>> 0); put32(o, 6 + 8 * i, r >>> 0); });
    parts.push(Uint8Array.of(1, 1), o);
  }
  return concat(...parts);
}

export interface TcpOptions {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  /** Flag letters (`'S'`, `'SA'`, `'FA'`, `'R'`, `'P.'`) or the flag bits as a number (up to 12 bits incl. the reserved/AE bits). Default `'S'`. */
  flags?: string | number;
  window?: number;
  urgent?: number;
  /** Option bytes or a TcpOptionSet; padded with zeros to a multiple of 4. */
  options?: ByteSource | TcpOptionSet;
  /** Override the data offset (header length in 32-bit words) — for malformed packets. */
  dataOffset?: number;
  /** Give the checksum explicitly; otherwise the IP layer computes it. */
  checksum?: number;
}

/**
 * A TCP segment; put it in ipv4() or ipv6(), which compute its checksum.
 *
 * @example
 * ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 40000, dport: 80, flags: 'S', options: { mss: 1460 } }))
 * tcp({ sport: 80, dport: 40000, flags: 'P.', seq: 1, ack: 1 }, new TextEncoder().encode('HTTP/1.1 200 OK\r\n'))
 */
export function tcp(options: TcpOptions, payload: ByteSource = new Uint8Array(0)): Segment {
  const raw = options.options === undefined ? new Uint8Array(0)
    : options.options instanceof Uint8Array || Array.isArray(options.options) ? toBytes(options.options as ByteSource)
      : tcpOptions(options.options as TcpOptionSet);
  const optLen = (raw.length + 3) & ~3;
  if (optLen > 40) throw new CraftError('tcp', 'options', raw, 'exceed the 40 bytes a TCP header holds');
  const body = toBytes(payload);
  const headerLen = 20 + optLen;
  const out = new Uint8Array(headerLen + body.length);
  put16(out, 0, checkUint('tcp', 'sport', options.sport, 0xffff));
  put16(out, 2, checkUint('tcp', 'dport', options.dport, 0xffff));
  put32(out, 4, checkUint('tcp', 'seq', options.seq ?? 0, 0xffffffff));
  put32(out, 8, checkUint('tcp', 'ack', options.ack ?? 0, 0xffffffff));
  const flags = tcpFlags(options.flags ?? 'S');
  const dataOffset = checkUint('tcp', 'dataOffset', options.dataOffset ?? headerLen / 4, 15);
  put16(out, 12, (dataOffset << 12) | flags);
  put16(out, 14, checkUint('tcp', 'window', options.window ?? 65535, 0xffff));
  put16(out, 18, checkUint('tcp', 'urgent', options.urgent ?? 0, 0xffff));
  out.set(raw, 20);
  out.set(body, headerLen);
  if (options.checksum !== undefined) {
    put16(out, 16, checkUint('tcp', 'checksum', options.checksum, 0xffff));
    return { kind: 'segment', protocol: IPPROTO.TCP, bytes: out };
  }
  return { kind: 'segment', protocol: IPPROTO.TCP, bytes: out, checksumAt: 16 };
}
