/**
 * A hash map from unsigned 32-bit numbers to values, for the dispatcher's
 * per-packet look-ups.
 *
 * V8 keeps integers up to 2^30 unboxed; an IPv4 address such as 192.168.1.1
 * is larger, so as a `Map` key it is boxed into a heap number on every
 * look-up and hashed as a double. Here keys live in a Uint32Array with open
 * addressing (linear probing), so a look-up allocates nothing.
 *
 * Beside each key the map keeps a *tag*, an unsigned number its owner sets
 * (0 when none), at the same index of a second Uint32Array: a miss reads only
 * the keys, a hit reads the tag too, a load independent of the value's. The
 * FilterSet tags a key whose bucket is one filter with nothing left to check
 * with that filter's number, so the commonest hit (one filter per host or
 * port) needs neither the value nor the chain of dependent loads behind it
 * (bucket, path), which once thousands of filters outgrow the caches is one
 * cache miss after another.
 *
 * A map made *narrow* packs each key below 2^16 and its tag below 2^16 into
 * one 32-bit slot (tag in the high half), so one array of 4 bytes a slot
 * holds both: the tables of 16-bit fields (ports), of which a port filter
 * set has eight busy ones, then touch half the memory, one line a probe. A
 * narrow map becomes wide (a second array for the tags) the moment a key or
 * a tag does not fit; `narrow` tells the code that writes look-ups out.
 *
 * 0 marks an empty slot; the key 0 itself has the slot past the last one. The
 * table grows (doubles) before it is three quarters full.
 * The slot is the top bits of the key times an odd constant (Fibonacci
 * hashing), so keys that differ only in their high bits (networks under a /16
 * mask, whose low 16 bits are zero) still spread.
 */
export class U32Map<V> {
  /**
   * Key of slot i (0: empty); in a narrow map the key is the low 16 bits and
   * the tag the high 16. The key 0's slot is mask + 1 (its tag is in `tags`).
   */
  private keys: Uint32Array;
  /** Tag of slot i, in a wide map (in a narrow one, only the key 0's). */
  private tags: Uint32Array;
  /** Value of slot i; the value at mask + 1 is the key 0's. */
  private vals: (V | undefined)[];
  private shift: number;
  private mask: number;
  private count = 0;
  private hasZero = false;
  private isNarrow: boolean;

  /**
   * @example
   * const ports = new U32Map<Bucket>(8, { narrow: true }); // keys and tags below 2^16 share a slot
   */
  constructor(capacity = 8, options: { narrow?: boolean } = {}) {
    let size = 8;
    while (size < capacity * 2) size *= 2;
    this.isNarrow = options.narrow ?? false;
    this.keys = new Uint32Array(size + 1);
    this.tags = new Uint32Array(size + 1);
    this.vals = new Array<V | undefined>(size + 1).fill(undefined);
    this.mask = size - 1;
    this.shift = 32 - Math.log2(size);
  }

  /** Number of keys. */
  get size(): number {
    return this.count;
  }

  /**
   * Whether keys and tags still share one slot (see the class comment); a
   * narrow map turns wide, never back, when a key or tag of 2^16 or more comes.
   *
   * @example
   * new U32Map(8, { narrow: true }).set(70000, x).narrow // false
   */
  get narrow(): boolean {
    return this.isNarrow;
  }

  /**
   * The value under `key`, or undefined (also for a key that is not an unsigned 32-bit number, such as -1).
   *
   * @example
   * const m = new U32Map<string>(); m.set(0xc0a80101, 'a'); m.get(0xc0a80101) // 'a'
   */
  get(key: number): V | undefined {
    const i = this.find(key);
    return i < 0 ? undefined : this.vals[i];
  }

  /**
   * The tag kept beside `key`'s value: 0 when none was set or the key is absent.
   *
   * @example
   * m.set(80, bucket); m.setTag(80, 7); m.tag(80) // 7
   */
  tag(key: number): number {
    const i = this.find(key);
    if (i < 0) return 0;
    return this.isNarrow && i <= this.mask ? this.keys[i] >>> 16 : this.tags[i];
  }

  /**
   * Sets the tag beside a key already in the map (an unsigned 32-bit number;
   * 0 for none); returns whether the key was there. Setting the key's value
   * again keeps its tag.
   *
   * @example
   * m.setTag(80, 0) // false if 80 is not in the map
   */
  setTag(key: number, tag: number): boolean {
    if (this.isNarrow && tag > 0xffff) this.widen();
    const i = this.find(key);
    if (i < 0) return false;
    if (this.isNarrow && i <= this.mask) this.keys[i] = (this.keys[i] & 0xffff) | (tag << 16);
    else this.tags[i] = tag;
    return true;
  }

  /** The key held in slot i (0 when empty). */
  private keyAt(i: number): number {
    return this.isNarrow ? this.keys[i] & 0xffff : this.keys[i];
  }

  /** The slot of `key`, or -1. */
  private find(key: number): number {
    if (key === 0) return this.hasZero ? this.mask + 1 : -1;
    const mask = this.mask;
    let i = Math.imul(key, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const k = this.keyAt(i);
      if (k === key) return i;
      if (k === 0) return -1;
      i = (i + 1) & mask;
    }
  }

  /**
   * JavaScript statements that find a key's slot as `get` does, written out
   * where a dispatcher needs them: `out` (a `let` declared by the caller)
   * receives the slot of the key held in the local `key` in the map in the
   * local `map`, or -1. The slot's value is then `map.vals[out]` and its tag
   * `tagSource(map, out, narrow)`. `narrow` must be the map's `narrow` (a
   * dispatcher is rewritten when it changes). Written out rather than called,
   * the look-up never depends on V8's inlining budget (a dispatcher with a
   * dozen probes can exhaust it, and then which probes stay calls varies from
   * run to run) and keeps its own type feedback. It must stay the same
   * look-up as `get`.
   *
   * @example
   * new Function('m', 'key', `let s; ${U32Map.findSource('m', 'key', 's')} return s < 0 ? undefined : m.vals[s];`)(map, 80)
   */
  static findSource(map: string, key: string, out: string, narrow = false): string {
    return `if (${key} === 0) ${out} = ${map}.hasZero ? ${map}.mask + 1 : -1; else {
  const keys = ${map}.keys, mask = ${map}.mask;
  let i = Math.imul(${key}, 0x9e3779b1) >>> ${map}.shift;
  for (;;) {
    const k = keys[i]${narrow ? ' & 0xffff' : ''};
    if (k === ${key}) { ${out} = i; break; }
    if (k === 0) { ${out} = -1; break; }
    i = (i + 1) & mask;
  }
}`;
  }

  /**
   * A JavaScript expression for the tag of the slot held in the local `slot`
   * (found by `findSource` with the same `narrow`).
   *
   * @example
   * U32Map.tagSource('T0', 's', true) // '(s > T0.mask ? T0.tags[s] : T0.keys[s] >>> 16)'
   */
  static tagSource(map: string, slot: string, narrow = false): string {
    return narrow ? `(${slot} > ${map}.mask ? ${map}.tags[${slot}] : ${map}.keys[${slot}] >>> 16)` : `${map}.tags[${slot}]`;
  }

  /**
   * JavaScript statements that do what `get` does on a wide map (see
   * `findSource`): `out` (a `let` declared by the caller) receives the value, or undefined.
   *
   * @example
   * new Function('m', 'key', `let b; ${U32Map.lookupSource('m', 'key', 'b')} return b;`)(map, 80)
   */
  static lookupSource(map: string, key: string, out: string): string {
    return `{
let slot;
${U32Map.findSource(map, key, 'slot')}
${out} = slot < 0 ? undefined : ${map}.vals[slot];
}`;
  }

  /**
   * Sets the value under `key` (an unsigned 32-bit number). A new key's tag is 0.
   *
   * @example
   * m.set(80, bucket);
   */
  set(key: number, value: V): this {
    const k = key >>> 0;
    if (k === 0) {
      if (!this.hasZero) {
        this.count++;
        this.tags[this.mask + 1] = 0;
      }
      this.hasZero = true;
      this.vals[this.mask + 1] = value;
      return this;
    }
    if (this.isNarrow && k > 0xffff) this.widen();
    if ((this.count + 1) * 4 > (this.mask + 1) * 3) this.grow();
    this.insert(k, value, 0);
    return this;
  }

  /** Puts a key (not 0) with its value and tag in its slot; an existing key keeps its tag. */
  private insert(k: number, value: V, tag: number): void {
    const mask = this.mask;
    let i = this.home(k);
    while (this.keyAt(i) !== 0) {
      if (this.keyAt(i) === k) { this.vals[i] = value; return; }
      i = (i + 1) & mask;
    }
    if (this.isNarrow) this.keys[i] = k | (tag << 16);
    else {
      this.keys[i] = k;
      this.tags[i] = tag;
    }
    this.vals[i] = value;
    this.count++;
  }

  /**
   * Removes `key`; returns whether it was there. Later entries of its probe run
   * move back, so no tombstones slow look-ups down.
   *
   * @example
   * m.delete(80) // true
   */
  delete(key: number): boolean {
    const k = key >>> 0, mask = this.mask, keys = this.keys, tags = this.tags;
    if (k === 0) {
      if (!this.hasZero) return false;
      this.hasZero = false;
      this.vals[mask + 1] = undefined;
      tags[mask + 1] = 0;
      this.count--;
      return true;
    }
    let i = this.home(k);
    while (this.keyAt(i) !== 0 && this.keyAt(i) !== k) i = (i + 1) & mask;
    if (this.keyAt(i) === 0) return false;
    // Backward-shift deletion: refill the hole with any later entry whose home is at or before it.
    // A slot moves whole: in a narrow map its tag is in it.
    let hole = i;
    for (let j = (i + 1) & mask; this.keyAt(j) !== 0; j = (j + 1) & mask) {
      const home = this.home(this.keyAt(j));
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        keys[hole] = keys[j];
        tags[hole] = tags[j];
        this.vals[hole] = this.vals[j];
        hole = j;
      }
    }
    keys[hole] = 0;
    tags[hole] = 0;
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
    for (const [, v] of this.entries()) yield v;
  }

  /**
   * The keys and their values, in no particular order.
   *
   * @example
   * for (const [key, bucket] of m.entries()) m.setTag(key, tagOf(bucket));
   */
  *entries(): IterableIterator<[number, V]> {
    const size = this.mask + 1;
    if (this.hasZero) yield [0, this.vals[size] as V];
    for (let i = 0; i < size; i++) if (this.keyAt(i) !== 0) yield [this.keyAt(i), this.vals[i] as V];
  }

  private home(k: number): number {
    return Math.imul(k, 0x9e3779b1) >>> this.shift;
  }

  /** Rebuilds the slots at `size` (a power of two), as narrow or wide; keys, values and tags stay. */
  private rebuild(size: number, narrow: boolean): void {
    const { keys, tags, vals } = this;
    const old = this.mask + 1;
    const wasNarrow = this.isNarrow;
    this.isNarrow = narrow;
    this.keys = new Uint32Array(size + 1);
    this.tags = new Uint32Array(size + 1);
    this.vals = new Array<V | undefined>(size + 1).fill(undefined);
    this.mask = size - 1;
    this.shift = 32 - Math.log2(size);
    // The key 0's tag and value move to the new end.
    this.tags[size] = tags[old];
    this.vals[size] = vals[old];
    this.count = this.hasZero ? 1 : 0;
    for (let i = 0; i < old; i++) {
      const k = wasNarrow ? keys[i] & 0xffff : keys[i];
      if (k !== 0) this.insert(k, vals[i] as V, wasNarrow ? keys[i] >>> 16 : tags[i]);
    }
  }

  private grow(): void {
    this.rebuild((this.mask + 1) * 2, this.isNarrow);
  }

  private widen(): void {
    this.rebuild(this.mask + 1, false);
  }
}
