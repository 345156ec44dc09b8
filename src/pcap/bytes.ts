/**
 * Integer reads in either byte order. Capture files carry their writer's byte
 * order, so every read names it; plain byte arithmetic is what V8 inlines best.
 */

/**
 * Reads an unsigned 32-bit integer.
 *
 * @example
 * u32(new Uint8Array([1, 0, 0, 0]), 0, true) // 1
 */
export function u32(b: Uint8Array, p: number, le: boolean): number {
  return le
    ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0
    : ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/**
 * Reads an unsigned 16-bit integer.
 *
 * @example
 * u16(new Uint8Array([0, 1]), 0, false) // 1
 */
export function u16(b: Uint8Array, p: number, le: boolean): number {
  return le ? b[p] | (b[p + 1] << 8) : (b[p] << 8) | b[p + 1];
}

/**
 * Reads a signed 64-bit integer as a double (exact within ±2^53, which covers
 * every offset and section length a file can mean).
 *
 * @example
 * i64(new Uint8Array(8).fill(0xff), 0, true) // -1
 */
export function i64(b: Uint8Array, p: number, le: boolean): number {
  const lo = u32(b, le ? p : p + 4, le);
  const hi = u32(b, le ? p + 4 : p, le) | 0;
  return hi * 4294967296 + lo;
}

/**
 * Writes an unsigned 32-bit integer.
 *
 * @example
 * putU32(buf, 0, 0xa1b2c3d4, true)
 */
export function putU32(b: Uint8Array, p: number, v: number, le: boolean): void {
  if (le) {
    b[p] = v; b[p + 1] = v >>> 8; b[p + 2] = v >>> 16; b[p + 3] = v >>> 24;
  } else {
    b[p] = v >>> 24; b[p + 1] = v >>> 16; b[p + 2] = v >>> 8; b[p + 3] = v;
  }
}

/**
 * Writes an unsigned 16-bit integer.
 *
 * @example
 * putU16(buf, 4, 2, true)
 */
export function putU16(b: Uint8Array, p: number, v: number, le: boolean): void {
  if (le) { b[p] = v; b[p + 1] = v >>> 8; } else { b[p] = v >>> 8; b[p + 1] = v; }
}

/**
 * Rounds a length up to a multiple of 4, pcapng's padding rule.
 *
 * @example
 * pad4(5) // 8
 */
export function pad4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * The bytes as lowercase hex, for error messages.
 *
 * @example
 * hex(new Uint8Array([0xa1, 0xb2])) // 'a1b2'
 */
export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * Copies `n` bytes from `src[from…]` into `dst[to…]` without making a
 * subarray object (Buffer.subarray is costly per packet): short runs by a
 * loop, long ones through a plain Uint8Array view.
 *
 * @example
 * copyBytes(frame, 0, out, 16, frame.length)
 */
export function copyBytes(src: Uint8Array, from: number, dst: Uint8Array, to: number, n: number): void {
  if (n < 64) {
    for (let i = 0; i < n; i++) dst[to + i] = src[from + i];
    return;
  }
  dst.set(new Uint8Array(src.buffer, src.byteOffset + from, n), to);
}
