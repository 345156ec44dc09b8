/**
 * Checksums the wire formats need: the Internet checksum (RFC 1071) with the
 * IPv4/IPv6 pseudo-headers, and CRC-32C for SCTP (RFC 4960 appendix B).
 */

/**
 * Adds `bytes` into a running one's-complement sum (not yet folded or inverted).
 *
 * @example
 * finishChecksum(sum16(new Uint8Array([0x45, 0x00]))) // 0xbaff
 */
export function sum16(bytes: Uint8Array, initial = 0, start = 0, end = bytes.length): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) sum += bytes[i] << 8;
  // Fold now and then so the sum stays a small integer on jumbo inputs.
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * Folds a running sum to 16 bits and inverts it: the value to store in a checksum field.
 *
 * @example
 * finishChecksum(0x1fffe) // 0x0000
 */
export function finishChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * The Internet checksum of `bytes` (the field's value, with the field itself zeroed beforehand).
 *
 * @example
 * internetChecksum(ipHeaderWithZeroChecksum) // e.g. 0xb1e6
 */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return finishChecksum(sum16(bytes, 0, start, end));
}

/**
 * The unfolded sum of an IPv4 or IPv6 pseudo-header (RFC 793 / RFC 8200 §8.1).
 *
 * @example
 * pseudoHeaderSum(src4, dst4, 6, 20) // feed as `initial` to sum16 over the TCP segment
 */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  let sum = sum16(src) + sum16(dst) + protocol;
  sum += (length >>> 16) + (length & 0xffff);
  return sum;
}

/** The byte-at-a-time table of a reflected CRC-32 with polynomial `poly`. */
function crcTable(poly: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? poly ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

function reflectedCrc(table: Uint32Array, bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const CRC32C_TABLE = crcTable(0x82f63b78);
const CRC32_TABLE = crcTable(0xedb88320);

/**
 * CRC-32C (Castagnoli), as SCTP computes it over its packet.
 *
 * @example
 * crc32c(new TextEncoder().encode('123456789')) // 0xe3069283
 */
export function crc32c(bytes: Uint8Array): number {
  return reflectedCrc(CRC32C_TABLE, bytes);
}

/**
 * CRC-32 (IEEE 802.3), the frame check sequence of Ethernet and 802.11 frames.
 *
 * @example
 * crc32(new TextEncoder().encode('123456789')) // 0xcbf43926
 */
export function crc32(bytes: Uint8Array): number {
  return reflectedCrc(CRC32_TABLE, bytes);
}
