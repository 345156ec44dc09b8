/**
 * The Internet checksum (RFC 1071) with the IPv4 and IPv6 pseudo-headers, for
 * -v's "(correct)" / "(incorrect -> 0x....)" verdicts.
 */

/**
 * One's-complement sum of 16-bit words over the given byte ranges, folded and inverted.
 *
 * @example
 * internetChecksum([new Uint8Array([0x45, 0, 0, 0x1c])]) // 0xbae3
 */
export function internetChecksum(parts: readonly Uint8Array[]): number {
  let sum = 0;
  for (const p of parts) {
    const n = p.length & ~1;
    for (let i = 0; i < n; i += 2) sum += (p[i] << 8) | p[i + 1];
    if (p.length & 1) sum += p[p.length - 1] << 8;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * The pseudo-header that TCP, UDP and ICMPv6 checksums cover: addresses,
 * protocol and upper-layer length, for IPv4 (4-byte addresses) or IPv6 (16).
 *
 * @example
 * pseudoHeader(src4, dst4, 17, 13).length // 12
 */
export function pseudoHeader(src: Uint8Array, dst: Uint8Array, proto: number, length: number): Uint8Array {
  if (src.length === 4) {
    return new Uint8Array([...src, ...dst, 0, proto, (length >> 8) & 0xff, length & 0xff]);
  }
  return new Uint8Array([...src, ...dst, (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff, 0, 0, 0, proto]);
}

/**
 * The value the checksum field should hold so that the whole segment sums to
 * zero: computed with the field itself counted as zero.
 *
 * @example
 * expectedChecksum(pseudo, segment, 16) // for TCP, the field is at offset 16
 */
export function expectedChecksum(pseudo: Uint8Array, segment: Uint8Array, fieldOffset: number): number {
  const copy = segment.slice();
  copy[fieldOffset] = 0;
  copy[fieldOffset + 1] = 0;
  return internetChecksum([pseudo, copy]);
}
