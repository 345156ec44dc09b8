/**
 * A hash map from unsigned 32-bit numbers to values, for the dispatcher's
 * per-packet look-ups.
 *
 * V8 keeps integers up to 2^30 unboxed; an IPv4 address such as 192.168.1.1
 * is larger, so as a `Map` key it is boxed into a heap number on every
 * look-up and hashed as a double. Here keys live in a Uint32Array with open
 * addressing (linear probing), so a look-up allocates nothing.
 *
 * A look-up touches one array until it finds its key: 0 marks an empty slot,
 * and the key 0 itself is kept beside the table. With thousands of filters
 * the tables outgrow the CPU's caches, and each array a probe reads is one
 * more cache miss per packet. The slot is the top bits of the key times an
 * odd constant (Fibonacci hashing), so keys that differ only in their high
 * bits (networks under a /16 mask, whose low 16 bits are zero) still spread.

 */
export class U32Map<V> {
  private keys: Uint32Array;
  private vals: (V | undefined)[];
  private shift: number;
  private mask: number;
  private count = 0;
  private zero: V | undefined = undefined;
  private hasZero = false;

  constructor(capacity = 8) {
    let size = 8;
    while (size < capacity * 2) size *= 2;
    this.keys = new Uint32Array(size);
    this.vals = new Array<V | undefined>(size).fill(undefined);
    this.mask = size - 1;
    this.shift = 32 - Math.log2(size);
  }

  /** Number of keys. */
  get size(): number {
    return this.count;
  }

  /**
   * The value under `key`, or undefined (also for a key that is not an unsigned 32-bit number, such as -1).
   *
   * @example
   * const m = new U32Map<string>(); m.set(0xc0a80101, 'a'); m.get(0xc0a80101) // 'a'
   */
  get(key: number): V | undefined {
    if (key === 0) return this.zero;
    const keys = this.keys, mask = this.mask;
    let i = Math.imul(key, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const k = keys[i];
      if (k === key) return this.vals[i];
      if (k === 0) return undefined;
      i = (i + 1) & mask;
    }
  }

  /**
   * JavaScript statements that do what `get` does, written out where a
   * dispatcher needs them: `out` (a `let` declared by the caller) receives the
   * value under the key held in the local `key`, for the map in the local
   * `map`. Written out rather than called, the look-up never depends on V8's
   * inlining budget (a dispatcher with a dozen probes can exhaust it, and then
   * which probes stay calls varies from run to run) and keeps its own type
   * feedback. It must stay the same look-up as `get`.
   *
   * @example
   * new Function('m', 'key', `let b; ${U32Map.lookupSource('m', 'key', 'b')} return b;`)(map, 80)
   */
  static lookupSource(map: string, key: string, out: string): string {
    return `if (${key} === 0) ${out} = ${map}.zero; else {
  const keys = ${map}.keys, mask = ${map}.mask;
  let i = Math.imul(${key}, 0x9e3779b1) >>> ${map}.shift;
  for (;;) {
    const k = keys[i];
    if (k === ${key}) { ${out} = ${map}.vals[i]; break; }
    if (k === 0) { ${out} = undefined; break; }
    i = (i + 1) & mask;
  }
}`;
  }

  /**
   * Sets the value under `key` (an unsigned 32-bit number).
   *
   * @example
   * m.set(80, bucket);
   */
  set(key: number, value: V): this {
    const k = key >>> 0;
    if (k === 0) {
      if (!this.hasZero) this.count++;
      this.hasZero = true;
      this.zero = value;
      return this;
    }
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    let i = this.home(k);
    while (this.keys[i] !== 0) {
      if (this.keys[i] === k) { this.vals[i] = value; return this; }
      i = (i + 1) & this.mask;
    }
    this.keys[i] = k;
    this.vals[i] = value;
    this.count++;
    return this;
  }

  /**
   * Removes `key`; returns whether it was there. Later entries of its probe run
   * move back, so no tombstones slow look-ups down.
   *
   * @example
   * m.delete(80) // true
   */
  delete(key: number): boolean {
    const k = key >>> 0, mask = this.mask;
    if (k === 0) {
      if (!this.hasZero) return false;
      this.hasZero = false;
      this.zero = undefined;
      this.count--;
      return true;
    }
    let i = this.home(k);
    while (this.keys[i] !== 0 && this.keys[i] !== k) i = (i + 1) & mask;
    if (this.keys[i] === 0) return false;
    // Backward-shift deletion: refill the hole with any later entry whose home is at or before it.
    let hole = i;
    for (let j = (i + 1) & mask; this.keys[j] !== 0; j = (j + 1) & mask) {
      const home = this.home(this.keys[j]);
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        this.keys[hole] = this.keys[j];
        this.vals[hole] = this.vals[j];
        hole = j;
      }
    }
    this.keys[hole] = 0;
    this.vals[hole] = undefined;
    this.count--;
    return true;
  }

  /**
   * The values, in no particular order.
   *
   * @example
   * for (const bucket of m.values()) total += bucket.size;
   */
  *values(): IterableIterator<V> {
    if (this.hasZero) yield this.zero as V;
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] !== 0) yield this.vals[i] as V;
  }

  private home(k: number): number {
    return Math.imul(k, 0x9e3779b1) >>> this.shift;
  }

  private grow(): void {
    const { keys, vals } = this;
    const size = keys.length * 2;
    this.keys = new Uint32Array(size);
    this.vals = new Array<V | undefined>(size).fill(undefined);
    this.mask = size - 1;
    this.shift = 32 - Math.log2(size);
    this.count = this.hasZero ? 1 : 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) this.set(keys[i], vals[i] as V);
  }
}
