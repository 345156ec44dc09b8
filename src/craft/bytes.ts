/**
 * Byte plumbing shared by the builders: joining parts and writing big- and
 * little-endian integers into a fresh buffer.
 */

/** Bytes a builder accepts as a payload: a Uint8Array or a plain array of byte values. */
export type ByteSource = Uint8Array | readonly number[];

/**
 * Returns `source` as a Uint8Array (the same object when it already is one).
 *
 * @example
 * toBytes([1, 2, 3]) // Uint8Array [1, 2, 3]
 */
export function toBytes(source: ByteSource): Uint8Array {
  return source instanceof Uint8Array ? source : Uint8Array.from(source);
}

/**
 * Joins byte arrays into one new array.
 *
 * @example
 * concat(new Uint8Array([1]), new Uint8Array([2, 3])) // Uint8Array [1, 2, 3]
 */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Writes a 16-bit big-endian value at `at`.
 *
 * @example
 * const b = new Uint8Array(2); put16(b, 0, 0x0800); // b = [8, 0]
 */
export function put16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 8;
  bytes[at + 1] = value;
}

/**
 * Writes a 32-bit big-endian value at `at`.
 *
 * @example
 * const b = new Uint8Array(4); put32(b, 0, 0x0a000001); // b = [10, 0, 0, 1]
 */
export function put32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = value >>> 16;
  bytes[at + 2] = value >>> 8;
  bytes[at + 3] = value;
}

/**
 * Writes a 16-bit little-endian value at `at`.
 *
 * @example
 * const b = new Uint8Array(2); put16le(b, 0, 0x0102); // b = [2, 1]
 */
export function put16le(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value;
  bytes[at + 1] = value >>> 8;
}

/**
 * Writes a 32-bit little-endian value at `at`.
 *
 * @example
 * const b = new Uint8Array(4); put32le(b, 0, 2); // b = [2, 0, 0, 0]
 */
export function put32le(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value;
  bytes[at + 1] = value >>> 8;
  bytes[at + 2] = value >>> 16;
  bytes[at + 3] = value >>> 24;
}

/**
 * Pads `bytes` with zeros to a multiple of `unit` (a copy only when padding is needed).
 *
 * @example
 * padTo(new Uint8Array(5), 4).length // 8
 */
export function padTo(bytes: Uint8Array, unit: number): Uint8Array {
  const rem = bytes.length % unit;
  if (rem === 0) return bytes;
  const out = new Uint8Array(bytes.length + unit - rem);
  out.set(bytes);
  return out;
}
