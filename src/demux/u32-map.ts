/**
 * A hash map from unsigned 32-bit numbers to values, for the dispatcher's
 * per-packet look-ups.
 *
 * V8 keeps integers up to 2^30 unboxed; an IPv4 address such as 192.168.1.1
 * is larger, so as a `Map` key it is boxed into a heap number on every
 * look-up and hashed as a double. Here keys live in a Uint32Array with open
 * addressing (linear probing), so a look-up allocates nothing.
 */
export class U32Map<V> {
  private keys: Uint32Array;
  private vals: (V | undefined)[];
  private used: Uint8Array;
  private mask: number;
  private count = 0;

  constructor(capacity = 8) {
    let size = 8;
    while (size < capacity * 2) size *= 2;
    this.keys = new Uint32Array(size);
    this.vals = new Array<V | undefined>(size).fill(undefined);
    this.used = new Uint8Array(size);
    this.mask = size - 1;
  }

  /** Number of keys. */
  get size(): number {
    return this.count;
  }

  /**
   * The value under `key`, or undefined.
   *
   * @example
   * const m = new U32Map<string>(); m.set(0xc0a80101, 'a'); m.get(0xc0a80101) // 'a'
   */
  get(key: number): V | undefined {
    const keys = this.keys, used = this.used, mask = this.mask;
    let i = Math.imul(key, 0x9e3779b1) >>> 0 & mask;
    while (used[i] !== 0) {
      if (keys[i] === key) return this.vals[i];
      i = (i + 1) & mask;
    }
    return undefined;
  }

  /**
   * Sets the value under `key` (an unsigned 32-bit number).
   *
   * @example
   * m.set(80, bucket);
   */
  set(key: number, value: V): this {
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    const k = key >>> 0;
    let i = Math.imul(k, 0x9e3779b1) >>> 0 & this.mask;
    while (this.used[i] !== 0) {
      if (this.keys[i] === k) { this.vals[i] = value; return this; }
      i = (i + 1) & this.mask;
    }
    this.used[i] = 1;
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
    let i = Math.imul(k, 0x9e3779b1) >>> 0 & mask;
    while (this.used[i] !== 0 && this.keys[i] !== k) i = (i + 1) & mask;
    if (this.used[i] === 0) return false;
    // Backward-shift deletion: refill the hole with any later entry whose home is at or before it.
    let hole = i;
    for (let j = (i + 1) & mask; this.used[j] !== 0; j = (j + 1) & mask) {
      const home = Math.imul(this.keys[j], 0x9e3779b1) >>> 0 & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        this.keys[hole] = this.keys[j];
        this.vals[hole] = this.vals[j];
        hole = j;
      }
    }
    this.used[hole] = 0;
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
    for (let i = 0; i < this.keys.length; i++) if (this.used[i] !== 0) yield this.vals[i] as V;
  }

  private grow(): void {
    const { keys, vals, used } = this;
    const size = keys.length * 2;
    this.keys = new Uint32Array(size);
    this.vals = new Array<V | undefined>(size).fill(undefined);
    this.used = new Uint8Array(size);
    this.mask = size - 1;
    this.count = 0;
    for (let i = 0; i < keys.length; i++) if (used[i] !== 0) this.set(keys[i], vals[i] as V);
  }
}
