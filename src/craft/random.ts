/**
 * A small, fast, seeded pseudo-random generator (sfc32), so corpora are
 * the same for the same seed on every machine and Node version.
 */

/**
 * Deterministic random numbers from a 32-bit seed.
 *
 * @example
 * const rng = new Random(7); rng.pick(POOLS.tcpPorts) // the same port every run
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /**
   * @example
   * const rng = new Random(42); rng.int(6) // 0..5, the same every run
   */
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  /**
   * The next 32-bit unsigned value.
   *
   * @example
   * new Random(1).next() // a number in 0..2^32-1
   */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /**
   * An integer in [0, n).
   *
   * @example
   * rng.int(65536) // a random port
   */
  int(n: number): number {
    return Math.floor((this.next() / 0x100000000) * n);
  }

  /**
   * An integer in [lo, hi] (both included).
   *
   * @example
   * rng.range(1024, 65535)
   */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /**
   * True with probability p.
   *
   * @example
   * if (rng.chance(0.1)) { ... } // 10% of the time
   */
  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }

  /**
   * One element of a non-empty array.
   *
   * @example
   * rng.pick([22, 80, 443])
   */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /**
   * One key of a weight table, chosen in proportion to its weight.
   *
   * @example
   * rng.weighted({ tcp: 6, udp: 3, icmp: 1 }) // 'tcp' 60% of the time
   */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    let total = 0;
    for (const k in weights) total += weights[k];
    let x = (this.next() / 0x100000000) * total;
    let last: K | undefined;
    for (const k in weights) {
      last = k;
      x -= weights[k];
      if (x < 0) return k;
    }
    return last!;
  }

  /**
   * `n` random bytes.
   *
   * @example
   * rng.bytes(4)
   */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.next();
      out[i] = v; if (i + 1 < n) out[i + 1] = v >>> 8; if (i + 2 < n) out[i + 2] = v >>> 16; if (i + 3 < n) out[i + 3] = v >>> 24;
    }
    return out;
  }
}
