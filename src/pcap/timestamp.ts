/**
 * pcapng timestamps: a 64-bit count of units since the epoch (units set per
 * interface by if_tsresol) plus a whole-second offset (if_tsoffset). These
 * helpers convert between that and {sec, nsec} without BigInt on the common
 * resolutions, because a 64-bit nanosecond count does not fit a double.
 */

/** How an interface's 64-bit timestamps count time: units per second, as a power of 10 or of 2. */
export interface TimestampResolution {
  /** The raw if_tsresol byte (6 when absent: microseconds). */
  readonly raw: number;
  /** Units per second, as a double (exact up to 2^53). */
  readonly unitsPerSecond: number;
}

/**
 * Decodes an if_tsresol byte: high bit clear means 10^-n seconds, set means 2^-n.
 *
 * @example
 * resolutionFromByte(9).unitsPerSecond    // 1e9
 * resolutionFromByte(0x8a).unitsPerSecond // 1024
 */
export function resolutionFromByte(raw: number): TimestampResolution {
  const n = raw & 0x7f;
  const unitsPerSecond = raw & 0x80 ? 2 ** n : 10 ** n;
  return { raw, unitsPerSecond };
}

/** Where `splitUnits` leaves its answer, so the per-packet path allocates nothing. */
export interface SecNsec {
  sec: number;
  nsec: number;
}

const TWO32 = 4294967296;

/**
 * Splits a 64-bit unit count (high and low 32-bit words) into whole seconds and
 * nanoseconds, truncating toward zero as Wireshark and libpcap do. Writes the
 * result into `out`; returns false when the seconds do not fit a double exactly
 * (beyond 2^53 s, which no real clock produces).
 *
 * @example
 * const t = { sec: 0, nsec: 0 };
 * splitUnits(0x17f, 0x3b9aca05 >>> 0, resolutionFromByte(9), t); // true
 */
export function splitUnits(high: number, low: number, res: TimestampResolution, out: SecNsec): boolean {
  const u = res.unitsPerSecond;
  if (high < 0x200000) {
    // The whole count fits a double exactly.
    const v = high * TWO32 + low;
    const sec = Math.floor(v / u);
    out.sec = sec;
    out.nsec = fracToNsec(v - sec * u, res);
    return true;
  }
  if (u <= 0x40000000) {
    // Long division in 16-bit digits keeps every intermediate below 2^53.
    let q = 0;
    let r = 0;
    for (const d of [high >>> 16, high & 0xffff, low >>> 16, low & 0xffff]) {
      const cur = r * 65536 + d;
      const qd = Math.floor(cur / u);
      r = cur - qd * u;
      q = q * 65536 + qd;
    }
    out.sec = q;
    out.nsec = fracToNsec(r, res);
    return q <= Number.MAX_SAFE_INTEGER;
  }
  const v = (BigInt(high) << 32n) | BigInt(low);
  const big = BigInt(u);
  const sec = v / big;
  out.sec = Number(sec);
  out.nsec = Number(((v % big) * 1000000000n) / big);
  return sec <= BigInt(Number.MAX_SAFE_INTEGER);
}

function fracToNsec(frac: number, res: TimestampResolution): number {
  const u = res.unitsPerSecond;
  if (u === 1e9) return frac;
  if (u === 1e6) return frac * 1000;
  const scaled = frac * 1e9;
  if (scaled < 2 ** 53) return Math.floor(scaled / u);
  return Number((BigInt(frac) * 1000000000n) / BigInt(u));
}

/**
 * Joins seconds and nanoseconds into a 64-bit unit count for a resolution,
 * truncating sub-unit time; returns [high, low] 32-bit words.
 *
 * @example
 * joinUnits(1700000000, 123456789, resolutionFromByte(9)) // [high, low] of 1700000000123456789
 */
export function joinUnits(sec: number, nsec: number, res: TimestampResolution): [number, number] {
  const u = res.unitsPerSecond;
  let frac: number;
  if (u === 1e9) frac = nsec;
  else if (u === 1e6) frac = Math.floor(nsec / 1000);
  else frac = Math.floor((nsec * u) / 1e9);
  if (u <= 0x40000000 && sec < TWO32 * 2) {
    const sh = Math.floor(sec / 65536);
    const sl = sec - sh * 65536;
    const a = sl * u + frac;
    const b = sh * u;
    const t = (b % 65536) * 65536 + a;
    const low = t % TWO32;
    const high = Math.floor(b / 65536) + Math.floor(t / TWO32);
    return [high >>> 0, low >>> 0];
  }
  const v = BigInt(sec) * BigInt(u) + BigInt(frac);
  return [Number((v >> 32n) & 0xffffffffn), Number(v & 0xffffffffn)];
}
