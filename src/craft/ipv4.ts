/**
 * IPv4 (RFC 791): header with options, fragmentation fields, header checksum,
 * and the pseudo-header checksum of the transport segment inside.
 */
import { put16, toBytes, type ByteSource } from './bytes.js';
import { ipv4Bytes, type Address } from './address.js';
import { finishChecksum, internetChecksum, pseudoHeaderSum, sum16 } from './checksum.js';
import { CraftError, checkUint } from './errors.js';
import { ETHERTYPE, payloadBytes, type Datagram, type Payload } from './layers.js';

export interface Ipv4Options {
  src: Address;
  dst: Address;
  /** IP protocol; by default the Segment's. Required for raw-byte payloads. */
  protocol?: number;
  ttl?: number;
  tos?: number;
  id?: number;
  /** Don't Fragment. */
  df?: boolean;
  /** More Fragments. */
  mf?: boolean;
  /** The reserved ("evil") flag bit. */
  reservedFlag?: boolean;
  /** Fragment offset in 8-byte units, as on the wire (0..8191). */
  fragmentOffset?: number;
  /** Option bytes; padded with zeros (End of Options) to a multiple of 4. */
  options?: ByteSource;
  /** Override the header length field (in 32-bit words) — for malformed packets. */
  ihl?: number;
  /** Override the version field (4) — for malformed packets. */
  version?: number;
  /** Override the total length field. */
  totalLength?: number;
  /** Override the header checksum (otherwise computed). */
  checksum?: number;
}

/**
 * Fills the pseudo-header checksum of a transport segment placed at `at` in `packet`.
 *
 * @example
 * fillTransportChecksum(bytes, 20, tcpSegment, pseudoHeaderSum(src, dst, 6, tcpSegment.bytes.length))
 */
export function fillTransportChecksum(packet: Uint8Array, at: number, length: number, checksumAt: number, pseudoSum: number, protocol: number): void {
  if (at + checksumAt + 2 > packet.length) return;
  packet[at + checksumAt] = 0;
  packet[at + checksumAt + 1] = 0;
  let value = finishChecksum(sum16(packet, pseudoSum, at, at + length));
  // UDP sends a computed zero as all ones: zero means "no checksum".
  if (value === 0 && protocol === 17) value = 0xffff;
  put16(packet, at + checksumAt, value);
}

/**
 * An IPv4 datagram. Header checksum and the inner TCP/UDP/... checksum are computed.
 *
 * @example
 * ipv4({ src: '10.0.0.1', dst: '192.168.1.1', ttl: 64 }, tcp({ sport: 40000, dport: 80, flags: 'S' }))
 * ipv4({ src, dst, protocol: 89 }, ospfBytes)
 * ipv4({ src, dst, mf: true, id: 7 }, udp({ sport: 1, dport: 2 }, new Uint8Array(100)))
 */
export function ipv4(options: Ipv4Options, payload: Payload = new Uint8Array(0)): Datagram {
  const src = ipv4Bytes(options.src, 'src');
  const dst = ipv4Bytes(options.dst, 'dst');
  const segment = !(payload instanceof Uint8Array) && payload.kind === 'segment' ? payload : undefined;
  const protocol = options.protocol ?? segment?.protocol;
  if (protocol === undefined) throw new CraftError('ipv4', 'protocol', undefined, 'is required for a payload that is not a Segment');
  checkUint('ipv4', 'protocol', protocol, 0xff);
  const opts = options.options ? toBytes(options.options) : undefined;
  const optLen = opts ? (opts.length + 3) & ~3 : 0;
  if (optLen > 40) throw new CraftError('ipv4', 'options', opts, 'exceed the 40 bytes an IPv4 header holds');
  const body = payloadBytes(payload);
  const headerLen = 20 + optLen;
  const out = new Uint8Array(headerLen + body.length);
  const version = checkUint('ipv4', 'version', options.version ?? 4, 15);
  const ihl = checkUint('ipv4', 'ihl', options.ihl ?? headerLen / 4, 15);
  out[0] = (version << 4) | ihl;
  out[1] = checkUint('ipv4', 'tos', options.tos ?? 0, 0xff);
  put16(out, 2, checkUint('ipv4', 'totalLength', options.totalLength ?? out.length, 0xffff));
  put16(out, 4, checkUint('ipv4', 'id', options.id ?? 0, 0xffff));
  const frag = checkUint('ipv4', 'fragmentOffset', options.fragmentOffset ?? 0, 0x1fff);
  put16(out, 6, (options.reservedFlag ? 0x8000 : 0) | (options.df ? 0x4000 : 0) | (options.mf ? 0x2000 : 0) | frag);
  out[8] = checkUint('ipv4', 'ttl', options.ttl ?? 64, 0xff);
  out[9] = protocol;
  out.set(src, 12);
  out.set(dst, 16);
  if (opts) out.set(opts, 20);
  put16(out, 10, options.checksum !== undefined ? checkUint('ipv4', 'checksum', options.checksum, 0xffff) : internetChecksum(out, 0, headerLen));
  out.set(body, headerLen);
  if (segment?.checksumAt !== undefined) {
    fillTransportChecksum(out, headerLen, body.length, segment.checksumAt, pseudoHeaderSum(src, dst, protocol, body.length), protocol);
  }
  return { kind: 'datagram', bytes: out, etherType: ETHERTYPE.IPV4 };
}

/**
 * Splits one IPv4 datagram's payload into fragments of at most `fragmentSize`
 * payload bytes (rounded down to a multiple of 8); the transport checksum is
 * computed over the whole segment first, as the sender would.
 *
 * @example
 * ipv4Fragments({ src, dst, id: 42 }, udp({ sport: 5000, dport: 53 }, new Uint8Array(3000)), 1480) // 3 Datagrams
 */
export function ipv4Fragments(options: Ipv4Options, payload: Payload, fragmentSize: number): Datagram[] {
  const unit = Math.floor(fragmentSize / 8) * 8;
  if (unit < 8) throw new CraftError('ipv4Fragments', 'fragmentSize', fragmentSize, 'must be at least 8');
  const whole = ipv4({ ...options, options: undefined }, payload);
  const segmentProtocol = whole.bytes[9];
  const body = whole.bytes.subarray(20);
  const out: Datagram[] = [];
  for (let at = 0; at < body.length || at === 0; at += unit) {
    const more = at + unit < body.length;
    out.push(ipv4({ ...options, protocol: segmentProtocol, mf: more || options.mf, fragmentOffset: at / 8 + (options.fragmentOffset ?? 0), options: at === 0 ? options.options : undefined }, body.subarray(at, at + unit)));
    if (!more) break;
  }
  return out;
}

/** Common IPv4 options, as bytes for `Ipv4Options.options`. */
export const IPV4_OPTION = Object.freeze({
  /** Router Alert (RFC 2113), as IGMP and RSVP use it. */
  routerAlert: (): Uint8Array => Uint8Array.of(0x94, 0x04, 0x00, 0x00),
  /** No Operation. */
  nop: (): Uint8Array => Uint8Array.of(0x01),
  /** Record Route with room for `slots` addresses. */
  recordRoute: (slots = 1): Uint8Array => {
    const out = new Uint8Array(3 + 4 * slots);
    out[0] = 0x07; out[1] = out.length; out[2] = 4;
    return out;
  },
  /** Timestamp option (type 68) with room for `slots` timestamps. */
  timestamp: (slots = 1): Uint8Array => {
    const out = new Uint8Array(4 + 4 * slots);
    out[0] = 0x44; out[1] = out.length; out[2] = 5;
    return out;
  },
});
