/**
 * The paths found under one key value, kept small by splitting.
 *
 * A hash table on one field separates filters that differ in that field. Flows
 * between the same few hosts differ only in combinations of fields, so any
 * one field leaves many of them in one bucket, and every packet of that
 * traffic would check them all. A bucket that grows past SPLIT_AT entries is
 * therefore split on a second field that its entries test for equality (the
 * one with the most distinct values), and so on down: a decision tree in the
 * manner of DPF, grown only where the filters need it.
 */
import type { Atom, Expr } from './expr.js';
import { U32Map } from './u32-map.js';

/** Entries a bucket checks one by one before it is worth splitting. */
export const SPLIT_AT = 4;

/** What a bucket holds: a path (its atoms) and where it is filed. */
export interface Filed {
  readonly atoms: readonly Atom[];
  bucket: Bucket<this> | undefined;
}

export interface Bucket<E> {
  /** Entries checked whenever a packet reaches this bucket. */
  readonly entries: E[];
  /** Entries here and in every bucket below. */
  size: number;
  /**
   * When split: the value the sub-buckets are keyed on, and the slot of the
   * dispatcher's value array where the dispatcher leaves that value (-1 when
   * it cannot be computed) before it walks the bucket.
   */
  splitExpr: Expr | undefined;
  splitSlot: number;
  sub: U32Map<Bucket<E>> | undefined;
  readonly parent: Bucket<E> | undefined;
  readonly keyInParent: number;
  /** Expressions already keyed on the way here (a split on them would separate nothing). */
  readonly used: ReadonlySet<string>;
  /** How many entries the last failed split attempt saw: try again only when they have doubled. */
  triedAt: number;
  /**
   * In a table keyed on several values at once (a flow's addresses and ports):
   * the values this root bucket stands for, and the next root bucket whose
   * values hash alike (the table is keyed by the hash; the dispatcher compares
   * the values themselves).
   */
  readonly tuple: readonly number[] | undefined;
  next: Bucket<E> | undefined;
  /**
   * The entry, when the bucket holds exactly one and is not split: the most
   * common bucket (one filter per host or port). A packet that finds it reads
   * the entry straight from the bucket, two fewer dependent loads (the entries
   * array and its backing store) than a walk; with thousands of filters the
   * bucket is often cold, and each of those loads is a cache miss.
   */
  only: E | undefined;
}

/**
 * A new, empty bucket.
 *
 * @example
 * const root = newBucket<PathEntry>(undefined, 0, new Set(['w[26]']));
 */
export function newBucket<E>(parent: Bucket<E> | undefined, keyInParent: number, used: ReadonlySet<string>, tuple?: readonly number[]): Bucket<E> {
  return { entries: [], size: 0, splitExpr: undefined, splitSlot: -1, sub: undefined, parent, keyInParent, used, triedAt: 0, tuple, next: undefined, only: undefined };
}

/** Keeps `only` true to the bucket's entries and split. */
function settle<E>(b: Bucket<E>): void {
  b.only = b.entries.length === 1 && b.sub === undefined ? b.entries[0] : undefined;
}

/**
 * The key of a tuple of values in a table keyed on several values at once.
 * `tupleHashSource` writes the same computation as JavaScript for the dispatcher.
 *
 * @example
 * tupleHash([0x0a000001, 0x0a000002, 40000, 80]) === eval(tupleHashSource(['a', 'b', 'c', 'd'])) // with those locals
 */
export function tupleHash(values: readonly number[]): number {
  let h = 0;
  for (const v of values) h = Math.imul(h ^ v, 0x9e3779b1);
  return h >>> 0;
}

/**
 * JavaScript computing `tupleHash` of the values held in the named locals.
 *
 * @example
 * tupleHashSource(['v1', 'v2']) // 'Math.imul(Math.imul(0 ^ v1, 2654435761) ^ v2, 2654435761) >>> 0'
 */
export function tupleHashSource(names: readonly string[]): string {
  let h = '0';
  for (const n of names) h = `Math.imul(${h} ^ ${n}, ${0x9e3779b1})`;
  return `${h} >>> 0`;
}

/** The constant an entry's path requires `expr` to equal, if it has such a test. */
function requiredValue(atoms: readonly Atom[], expr: Expr): number | undefined {
  for (const a of atoms) if (a.op === 'eq' && a.truth && a.left === expr && a.right.kind === 'const') return a.right.value;
  return undefined;
}

/** Gives the slot where the dispatcher leaves a value that a bucket is split on. */
export type SlotOf = (e: Expr) => number;

/**
 * Files an entry under `bucket` (descending through its splits), splitting
 * the bucket it lands in when that has grown too large.
 *
 * @example
 * insert(root, entry, (e) => slotFor(table, e));
 */
export function insert<E extends Filed>(root: Bucket<E>, entry: E, slotOf: SlotOf): void {
  let b = root;
  for (;;) {
    b.size++;
    if (!b.sub || !b.splitExpr) break;
    const v = requiredValue(entry.atoms, b.splitExpr);
    if (v === undefined) break;
    let next = b.sub.get(v);
    if (!next) b.sub.set(v, (next = newBucket(b, v, b.used)));
    b = next;
  }
  b.entries.push(entry);
  entry.bucket = b;
  settle(b);
  if (b.entries.length > SPLIT_AT && b.entries.length >= 2 * b.triedAt) split(b, slotOf);
}

/**
 * Takes an entry out of the bucket it is filed in; empty sub-buckets are dropped.
 * Returns true when the root bucket is now empty.
 *
 * @example
 * if (remove(entry)) table.buckets.delete(value);
 */
export function remove<E extends Filed>(entry: E): boolean {
  let b = entry.bucket;
  if (!b) return false;
  b.entries.splice(b.entries.indexOf(entry), 1);
  entry.bucket = undefined;
  settle(b);
  for (;;) {
    b.size--;
    const parent: Bucket<E> | undefined = b.parent;
    if (!parent) return b.size === 0;
    if (b.size === 0) parent.sub!.delete(b.keyInParent);
    b = parent;
  }
}

/** Moves the entries that test one more field for equality into sub-buckets keyed on it. */
function split<E extends Filed>(b: Bucket<E>, slotOf: SlotOf): void {
  if (!b.splitExpr) {
    const values = new Map<Expr, Set<number>>();
    for (const entry of b.entries) {
      for (const a of entry.atoms) {
        if (a.op !== 'eq' || !a.truth || a.right.kind !== 'const' || a.left.kind === 'const' || b.used.has(a.left.key)) continue;
        let set = values.get(a.left);
        if (!set) values.set(a.left, (set = new Set()));
        set.add(a.right.value);
      }
    }
    let best: Expr | undefined;
    let bestCount = 1;
    for (const [expr, set] of values) if (set.size > bestCount) { best = expr; bestCount = set.size; }
    if (!best) {
      b.triedAt = b.entries.length;
      return;
    }
    b.splitExpr = best;
    b.splitSlot = slotOf(best);
    b.sub = new U32Map();
  }
  const expr = b.splitExpr;
  const used = new Set(b.used).add(expr.key);
  const stay: E[] = [];
  for (const entry of b.entries) {
    const v = requiredValue(entry.atoms, expr);
    if (v === undefined) { stay.push(entry); continue; }
    let next = b.sub!.get(v);
    if (!next) b.sub!.set(v, (next = newBucket(b, v, used)));
    next.entries.push(entry);
    next.size++;
    entry.bucket = next;
  }
  b.entries.length = 0;
  b.entries.push(...stay);
  b.triedAt = stay.length;
  settle(b);
  for (const next of b.sub!.values()) settle(next);
  for (const next of b.sub!.values()) if (next.entries.length > SPLIT_AT && next.entries.length >= 2 * next.triedAt) split(next, slotOf);
}

/**
 * Calls fn for every entry in the bucket and the buckets below it.
 *
 * @example
 * forEachEntry(root, (e) => recheck(e));
 */
export function forEachEntry<E>(b: Bucket<E>, fn: (entry: E) => void): void {
  for (const e of b.entries) fn(e);
  if (b.sub) for (const next of b.sub.values()) forEachEntry(next, fn);
}

/**
 * The largest number of entries any one packet checks in this bucket tree.
 *
 * @example
 * largestLeaf(root) // e.g. 3
 */
export function largestLeaf(b: Bucket<unknown>): number {
  let most = 0;
  if (b.sub) for (const next of b.sub.values()) most = Math.max(most, largestLeaf(next));
  return b.entries.length + most;
}
