/**
 * IPv6 (RFC 8200) with extension headers: hop-by-hop options, routing,
 * fragment and destination options, and the upper-layer checksum over the
 * pseudo-header (final destination when a routing header lists one).
 */
import { concat, put16, put32, toBytes, type ByteSource } from './bytes.js';
import { ipv6Bytes, type Address } from './address.js';
import { pseudoHeaderSum } from './checksum.js';
import { CraftError, checkUint } from './errors.js';
import { fillTransportChecksum } from './ipv4.js';
import { ETHERTYPE, IPPROTO, payloadBytes, type Datagram, type Payload } from './layers.js';

/** One extension header: its own Next Header number, and how to encode it given the header after it. */
export interface Ipv6Extension {
  /** The protocol number that announces this header (0, 43, 44, 60, 51, ...). */
  readonly type: number;
  encode(nextHeader: number): Uint8Array;
  /** For a routing header: the final destination, which the pseudo-header uses. */
  readonly finalDestination?: Uint8Array;
}

export interface Ipv6Options {
  src: Address;
  dst: Address;
  /** Next Header of the last header in the chain; by default the Segment's protocol (59, No Next Header, for an empty payload). */
  nextHeader?: number;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  extensions?: readonly Ipv6Extension[];
  /** Override the payload length field. */
  payloadLength?: number;
  /** Override the version field (6). */
  version?: number;
}

/**
 * An IPv6 datagram with optional extension headers; the upper-layer checksum is computed.
 *
 * @example
 * ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }, tcp({ sport: 1234, dport: 443, flags: 'S' }))
 * ipv6({ src, dst, extensions: [hopByHop(), fragmentHeader({ id: 1, more: true })] }, udp({ sport: 1, dport: 2 }))
 */
export function ipv6(options: Ipv6Options, payload: Payload = new Uint8Array(0)): Datagram {
  const src = ipv6Bytes(options.src, 'src');
  const dst = ipv6Bytes(options.dst, 'dst');
  const segment = !(payload instanceof Uint8Array) && payload.kind === 'segment' ? payload : undefined;
  const body = payloadBytes(payload);
  const upper = options.nextHeader ?? segment?.protocol ?? (body.length === 0 ? IPPROTO.NONE : undefined);
  if (upper === undefined) throw new CraftError('ipv6', 'nextHeader', undefined, 'is required for a payload that is not a Segment');
  checkUint('ipv6', 'nextHeader', upper, 0xff);
  const exts = options.extensions ?? [];
  const encoded: Uint8Array[] = [];
  let finalDst = dst;
  for (let i = 0; i < exts.length; i++) {
    encoded.push(exts[i].encode(i + 1 < exts.length ? exts[i + 1].type : upper));
    finalDst = exts[i].finalDestination ?? finalDst;
  }
  const extBytes = concat(...encoded);
  const out = new Uint8Array(40 + extBytes.length + body.length);
  const tc = checkUint('ipv6', 'trafficClass', options.trafficClass ?? 0, 0xff);
  const flow = checkUint('ipv6', 'flowLabel', options.flowLabel ?? 0, 0xfffff);
  put32(out, 0, ((checkUint('ipv6', 'version', options.version ?? 6, 15) << 28) | (tc << 20) | flow) >>> 0);
  put16(out, 4, checkUint('ipv6', 'payloadLength', options.payloadLength ?? out.length - 40, 0xffff));
  out[6] = exts.length ? exts[0].type : upper;
  out[7] = checkUint('ipv6', 'hopLimit', options.hopLimit ?? 64, 0xff);
  out.set(src, 8);
  out.set(dst, 24);
  out.set(extBytes, 40);
  const at = 40 + extBytes.length;
  out.set(body, at);
  if (segment?.checksumAt !== undefined) {
    fillTransportChecksum(out, at, body.length, segment.checksumAt, pseudoHeaderSum(src, finalDst, upper, body.length), upper);
  }
  return { kind: 'datagram', bytes: out, etherType: ETHERTYPE.IPV6 };
}

/**
 * An extension header in the common layout: next header, length in 8-byte units
 * beyond the first 8, body, zero padding to 8 bytes — with Pad1/PadN options
 * filling the gap when the body is a TLV options list.
 */
function extensionHeader(type: number, body: Uint8Array, tlvPadding: boolean): Ipv6Extension {
  const total = Math.max(8, (2 + body.length + 7) & ~7);
  return {
    type,
    encode(next) {
      const out = new Uint8Array(total);
      out[0] = next;
      out[1] = total / 8 - 1;
      out.set(body, 2);
      const pad = total - 2 - body.length;
      if (tlvPadding && pad >= 2) { out[2 + body.length] = 1; out[3 + body.length] = pad - 2; } // PadN (Pad1 is a zero byte)
      return out;
    },
  };
}

/**
 * A Hop-by-Hop Options header; `options` are raw TLVs (padding is added).
 *
 * @example
 * ipv6({ src, dst, extensions: [hopByHop([0x05, 0x02, 0x00, 0x00])] }, icmpv6({ type: 143 })) // Router Alert (MLD)
 */
export function hopByHop(options?: ByteSource): Ipv6Extension {
  return extensionHeader(IPPROTO.HOPOPTS, toBytes(options ?? []), true);
}

/**
 * A Destination Options header; `options` are raw TLVs (padding is added).
 *
 * @example
 * ipv6({ src, dst, extensions: [destinationOptions()] }, udp({ sport: 1, dport: 2 }))
 */
export function destinationOptions(options?: ByteSource): Ipv6Extension {
  return extensionHeader(IPPROTO.DSTOPTS, toBytes(options ?? []), true);
}

/**
 * A Routing header (type 0/2-style address list, or type 4 segment routing when `routingType` is 4).
 *
 * @example
 * ipv6({ src, dst: '2001:db8::10', extensions: [routingHeader({ addresses: ['2001:db8::20'], segmentsLeft: 1 })] }, tcp({ sport: 1, dport: 80 }))
 */
export function routingHeader(options: { routingType?: number; segmentsLeft?: number; addresses?: readonly Address[] }): Ipv6Extension {
  const addresses = (options.addresses ?? []).map((a) => ipv6Bytes(a, 'routing address'));
  const routingType = checkUint('routingHeader', 'routingType', options.routingType ?? 0, 0xff);
  const segmentsLeft = checkUint('routingHeader', 'segmentsLeft', options.segmentsLeft ?? addresses.length, 0xff);
  return {
    type: IPPROTO.ROUTING,
    finalDestination: segmentsLeft > 0 && addresses.length ? addresses[addresses.length - 1] : undefined,
    encode(next) {
      const out = new Uint8Array(8 + 16 * addresses.length);
      out[0] = next;
      out[1] = addresses.length * 2;
      out[2] = routingType;
      out[3] = segmentsLeft;
      addresses.forEach((a, i) => out.set(a, 8 + 16 * i));
      return out;
    },
  };
}

/**
 * A Fragment header. `offset` is in 8-byte units, as on the wire.
 *
 * @example
 * ipv6({ src, dst, extensions: [fragmentHeader({ id: 0x1234, offset: 0, more: true })] }, udp({ sport: 1, dport: 2 }, new Uint8Array(64)))
 */
export function fragmentHeader(options: { id: number; offset?: number; more?: boolean }): Ipv6Extension {
  const offset = checkUint('fragmentHeader', 'offset', options.offset ?? 0, 0x1fff);
  const id = checkUint('fragmentHeader', 'id', options.id, 0xffffffff);
  return {
    type: IPPROTO.FRAGMENT,
    encode(next) {
      const out = new Uint8Array(8);
      out[0] = next;
      put16(out, 2, (offset << 3) | (options.more ? 1 : 0));
      put32(out, 4, id);
      return out;
    },
  };
}

/**
 * Any other extension header, given as its type and body (the 2-byte next/length prefix is added; padded to 8).
 *
 * @example
 * genericExtension(135, new Uint8Array(6)) // a Mobility header
 */
export function genericExtension(type: number, body: ByteSource): Ipv6Extension {
  return extensionHeader(checkUint('genericExtension', 'type', type, 0xff), toBytes(body), false);
}
