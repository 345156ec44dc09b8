/**
 * Bounds-checked reads over captured bytes and the address formats every
 * decoder prints. A read past the captured data throws `Truncated`, which the
 * printer turns into tcpdump's `[|proto]` mark after whatever was printed.
 */

/**
 * Thrown when a decoder needs bytes that were not captured.
 *
 * @example
 * if (off + 2 > buf.length) throw new Truncated();
 */
export class Truncated extends Error {
  constructor() {
    super('truncated');
    this.name = 'Truncated';
  }
}

/**
 * Thrown after a decoder printed its own truncation mark (tcpdump's
 * `[|tcp]>` inside TCP options): the printer adds nothing more.
 *
 * @example
 * d.print(' [|tcp]>'); throw new Finished();
 */
export class Finished extends Error {
  constructor() {
    super('finished');
    this.name = 'Finished';
  }
}

/**
 * Reads one byte, or throws Truncated when `off` is outside `buf`.
 *
 * @example
 * u8(new Uint8Array([7]), 0) // 7
 */
export function u8(buf: Uint8Array, off: number): number {
  if (off < 0 || off >= buf.length) throw new Truncated();
  return buf[off];
}

/**
 * Reads a big-endian 16-bit number, or throws Truncated.
 *
 * @example
 * u16(new Uint8Array([1, 2]), 0) // 258
 */
export function u16(buf: Uint8Array, off: number): number {
  if (off < 0 || off + 2 > buf.length) throw new Truncated();
  return (buf[off] << 8) | buf[off + 1];
}

/**
 * Reads a big-endian unsigned 32-bit number, or throws Truncated.
 *
 * @example
 * u32(new Uint8Array([0, 0, 1, 0]), 0) // 256
 */
export function u32(buf: Uint8Array, off: number): number {
  if (off < 0 || off + 4 > buf.length) throw new Truncated();
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

/**
 * Throws Truncated unless `len` bytes from `off` were captured.
 *
 * @example
 * need(new Uint8Array(4), 0, 4) // ok
 */
export function need(buf: Uint8Array, off: number, len: number): void {
  if (off < 0 || len < 0 || off + len > buf.length) throw new Truncated();
}

/**
 * Formats 4 bytes as dotted-quad IPv4.
 *
 * @example
 * ipv4Text(new Uint8Array([10, 0, 0, 1]), 0) // '10.0.0.1'
 */
export function ipv4Text(buf: Uint8Array, off: number): string {
  need(buf, off, 4);
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

/**
 * Formats 16 bytes as an IPv6 address the way inet_ntop does (RFC 5952:
 * longest run of two or more zero groups becomes `::`, IPv4-mapped and
 * IPv4-compatible forms keep a dotted quad).
 *
 * @example
 * ipv6Text(new Uint8Array([0xfd, 0, ...new Array(13).fill(0), 1]), 0) // 'fd00::1'
 */
export function ipv6Text(buf: Uint8Array, off: number): string {
  need(buf, off, 16);
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((buf[off + 2 * i] << 8) | buf[off + 2 * i + 1]);
  let bestAt = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const dotted = (i: number) => `${buf[off + 2 * i]}.${buf[off + 2 * i + 1]}.${buf[off + 2 * i + 2]}.${buf[off + 2 * i + 3]}`;
  // inet_ntop keeps the embedded IPv4 address of ::a.b.c.d and ::ffff:a.b.c.d.
  if (bestAt === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff))) {
    if (bestLen === 6 && g[6] === 0 && g[7] <= 1) { /* :: and ::1 stay hex */ } else {
      return bestLen === 6 ? `::${dotted(6)}` : `::ffff:${dotted(6)}`;
    }
  }
  const parts: string[] = [];
  for (let i = 0; i < 8; i++) {
    if (i === bestAt) { parts.push(i === 0 ? ':' : ''); i += bestLen - 1; if (i === 7) parts.push(''); continue; }
    parts.push(g[i].toString(16));
  }
  return parts.join(':');
}

/**
 * Formats 6 bytes as a colon-separated MAC address, lower-case hex.
 *
 * @example
 * macText(new Uint8Array([0, 1, 2, 0xa, 0xb, 0xc]), 0) // '00:01:02:0a:0b:0c'
 */
export function macText(buf: Uint8Array, off: number, len = 6): string {
  need(buf, off, len);
  const parts: string[] = [];
  for (let i = 0; i < len; i++) parts.push(hex2(buf[off + i]));
  return parts.join(':');
}

/**
 * Two lower-case hex digits.
 *
 * @example
 * hex2(10) // '0a'
 */
export function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/**
 * Four lower-case hex digits.
 *
 * @example
 * hex4(0x800) // '0800'
 */
export function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/**
 * A duration in seconds as tcpdump's unsigned_relts_print writes it.
 *
 * @example
 * relativeTime(3723) // '1h2m3s'
 */
export function relativeTime(secs: number): string {
  if (secs === 0) return '0s';
  let out = '';
  for (const [size, unit] of [[31536000, 'y'], [604800, 'w'], [86400, 'd'], [3600, 'h'], [60, 'm'], [1, 's']] as const) {
    if (secs >= size) { out += `${Math.floor(secs / size)}${unit}`; secs %= size; }
  }
  return out;
}
