/**
 * Address notation to bytes: MAC (colon, dash or dot separated), IPv4
 * dotted quads and IPv6 (with `::` and an embedded dotted quad). Builders
 * accept either the text or the bytes.
 */
import { CraftError } from './errors.js';

/** An address given as text or as its bytes. */
export type Address = string | Uint8Array;

const HEX = /^[0-9a-fA-F]{1,4}$/;

// Parsed strings are cached because the corpus builds millions of packets from a few hundred addresses.
const CACHE_LIMIT = 8192;
const MAC_CACHE = new Map<string, Uint8Array>();
const IPV4_CACHE = new Map<string, Uint8Array>();
const IPV6_CACHE = new Map<string, Uint8Array>();

function cached(cache: Map<string, Uint8Array>, text: string, field: string, parse: (a: Address, f: string) => Uint8Array): Uint8Array {
  let bytes = cache.get(text);
  if (bytes === undefined) {
    bytes = parse(text, field);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(text, bytes);
  }
  return bytes;
}

/**
 * Parses a 48-bit MAC address (`aa:bb:cc:dd:ee:ff`, `aa-bb-…`, `aabb.ccdd.eeff`) or checks a 6-byte array.
 *
 * @example
 * mac('ff:ff:ff:ff:ff:ff') // Uint8Array(6) [255, …]
 */
export function mac(address: Address, field = 'mac'): Uint8Array {
  return macBytes(address, field).slice();
}

/**
 * Like mac(), but a string's bytes come from a cache and are shared: read them, never write them.
 *
 * @example
 * out.set(macBytes('02:00:00:00:00:01'), 6)
 */
export function macBytes(address: Address, field = 'mac'): Uint8Array {
  if (typeof address === 'string') return cached(MAC_CACHE, address, field, parseMac);
  return parseMac(address, field);
}

function parseMac(address: Address, field: string): Uint8Array {
  if (address instanceof Uint8Array) {
    if (address.length !== 6) throw new CraftError('mac', field, address, 'must be 6 bytes');
    return address;
  }
  let groups: string[];
  if (/^[0-9a-fA-F]{1,2}([:-][0-9a-fA-F]{1,2}){5}$/.test(address)) groups = address.split(/[:-]/);
  else if (/^[0-9a-fA-F]{4}(\.[0-9a-fA-F]{4}){2}$/.test(address) || /^[0-9a-fA-F]{12}$/.test(address)) {
    groups = address.replace(/\./g, '').match(/../g) ?? [];
  } else throw new CraftError('mac', field, address, 'is not a MAC address');
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) out[i] = parseInt(groups[i], 16);
  return out;
}

/**
 * Parses a dotted-quad IPv4 address or checks a 4-byte array.
 *
 * @example
 * ipv4Address('10.0.0.1') // Uint8Array(4) [10, 0, 0, 1]
 */
export function ipv4Address(address: Address, field = 'address'): Uint8Array {
  return ipv4Bytes(address, field).slice();
}

/**
 * Like ipv4Address(), but a string's bytes come from a cache and are shared: read them, never write them.
 *
 * @example
 * out.set(ipv4Bytes('10.0.0.1'), 12)
 */
export function ipv4Bytes(address: Address, field = 'address'): Uint8Array {
  if (typeof address === 'string') return cached(IPV4_CACHE, address, field, parseIpv4);
  return parseIpv4(address, field);
}

function parseIpv4(address: Address, field: string): Uint8Array {
  if (address instanceof Uint8Array) {
    if (address.length !== 4) throw new CraftError('ipv4', field, address, 'must be 4 bytes');
    return address;
  }
  const parts = address.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    throw new CraftError('ipv4', field, address, 'is not a dotted-quad IPv4 address');
  }
  return Uint8Array.from(parts, Number);
}

/**
 * Parses an IPv6 address (RFC 4291 text forms, without a zone) or checks a 16-byte array.
 *
 * @example
 * ipv6Address('2001:db8::1') // Uint8Array(16) [0x20, 0x01, 0x0d, 0xb8, 0, …, 1]
 */
export function ipv6Address(address: Address, field = 'address'): Uint8Array {
  return ipv6Bytes(address, field).slice();
}

/**
 * Like ipv6Address(), but a string's bytes come from a cache and are shared: read them, never write them.
 *
 * @example
 * out.set(ipv6Bytes('2001:db8::1'), 8)
 */
export function ipv6Bytes(address: Address, field = 'address'): Uint8Array {
  if (typeof address === 'string') return cached(IPV6_CACHE, address, field, parseIpv6);
  return parseIpv6(address, field);
}

function parseIpv6(address: Address, field: string): Uint8Array {
  if (address instanceof Uint8Array) {
    if (address.length !== 16) throw new CraftError('ipv6', field, address, 'must be 16 bytes');
    return address;
  }
  const bad = (): never => { throw new CraftError('ipv6', field, address, 'is not an IPv6 address'); };
  let text = address;
  const words: number[] = [];
  let tail: number[] = [];
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const v4 = parseIpv4(quad[1], field);
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    text = text.slice(0, -quad[1].length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) bad();
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((w) => (HEX.test(w) ? parseInt(w, 16) : bad())));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const given = head.length + rest.length + tail.length;
  if (halves.length === 2 ? given > 7 : given !== 8) bad();
  words.push(...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail);
  const out = new Uint8Array(16);
  words.forEach((w, i) => { out[i * 2] = w >>> 8; out[i * 2 + 1] = w & 0xff; });
  return out;
}

/**
 * Formats 4 bytes as a dotted quad.
 *
 * @example
 * formatIpv4(new Uint8Array([192, 168, 1, 1])) // '192.168.1.1'
 */
export function formatIpv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/**
 * Formats 6 bytes as a colon-separated lower-case MAC address.
 *
 * @example
 * formatMac(new Uint8Array([0, 1, 2, 3, 4, 5])) // '00:01:02:03:04:05'
 */
export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}
