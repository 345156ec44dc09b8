/**
 * Predicates known about one value at one point of the program (BPF+'s
 * predicate propagation): what the branches taken on the way here proved.
 * A fact is an abstraction of the set of values the value can still have:
 * an unsigned interval, optionally an explicit small set, values it is known
 * not to be, bits known to be zero, and masks known to share a set bit.
 *
 * Facts are met at joins (what holds on every incoming path), refined along
 * an edge by the branch taken, and asked whether they decide a comparison.
 * Every list is bounded in length (`LIMIT`), which bounds precision, never
 * termination: a fact loses members, it is never iterated.
 */
import { BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET } from '../../bpf/opcodes.js';

/** Longest explicit list a fact keeps (possible values, excluded values, masks). */
const LIMIT = 16;

/** What is known about one value. */
export interface Fact {
  readonly lo: number;
  readonly hi: number;
  /** When defined, the value is one of these (sorted, at most LIMIT). */
  readonly vals?: readonly number[];
  /** Values it is known not to be. */
  readonly neq: readonly number[];
  /** Bits known to be zero. */
  readonly zero: number;
  /** Masks m with (value & m) != 0. */
  readonly someBit: readonly number[];
}

/**
 * The fact that holds for any value in [lo, hi].
 *
 * @example
 * const byte = rangeFact(0, 255);
 */
export function rangeFact(lo: number, hi: number): Fact {
  return lo === hi ? { lo, hi, vals: [lo], neq: [], zero: ~lo >>> 0, someBit: [] } : { lo, hi, neq: [], zero: 0, someBit: [] };
}

function holds(f: Fact, v: number): boolean {
  if (v < f.lo || v > f.hi) return false;
  if ((v & f.zero) !== 0) return false;
  if (f.neq.includes(v)) return false;
  for (const m of f.someBit) if ((v & m) === 0) return false;
  return true;
}

function compare(op: number, v: number, k: number): boolean {
  switch (op) {
    case BPF_JEQ: return v === k;
    case BPF_JGT: return v > k;
    case BPF_JGE: return v >= k;
    default: return (v & k) !== 0;
  }
}

/** The lowest set bit of k as a number (0 when k is 0). */
function lowBit(k: number): number {
  return k === 0 ? 0 : (k & -k) >>> 0;
}

/**
 * Whether `value op k` is decided by the fact: true, false, or undefined
 * (either can happen). `op` is BPF_JEQ, BPF_JGT, BPF_JGE or BPF_JSET.
 *
 * @example
 * decide(rangeFact(0, 255), BPF_JGT, 300) // false
 */
export function decide(f: Fact, op: number, k: number): boolean | undefined {
  if (f.vals) {
    let sawTrue = false, sawFalse = false;
    for (const v of f.vals) if (compare(op, v, k)) sawTrue = true; else sawFalse = true;
    if (sawTrue !== sawFalse) return sawTrue;
  }
  switch (op) {
    case BPF_JEQ:
      if (k < f.lo || k > f.hi || f.neq.includes(k) || (k & f.zero) !== 0) return false;
      if (f.lo === f.hi) return true;
      for (const m of f.someBit) if ((k & m) === 0) return false;
      return undefined;
    case BPF_JGT:
      if (f.lo > k) return true;
      if (f.hi <= k) return false;
      return undefined;
    case BPF_JGE:
      if (f.lo >= k) return true;
      if (f.hi < k) return false;
      return undefined;
    case BPF_JSET:
      if (((k & ~f.zero) >>> 0) === 0) return false;
      if (f.hi < lowBit(k)) return false;
      for (const m of f.someBit) if (((m & ~k) >>> 0) === 0) return true;
      if (f.lo === f.hi) return (f.lo & k) !== 0;
      return undefined;
    default:
      return undefined;
  }
}

/**
 * The fact after learning that `value op k` is `outcome`; null when that is
 * impossible (the edge is never taken).
 *
 * @example
 * refine(rangeFact(0, 255), BPF_JEQ, 6, true) // { lo: 6, hi: 6, vals: [6], … }
 */
export function refine(f: Fact, op: number, k: number, outcome: boolean): Fact | null {
  let { lo, hi, zero } = f;
  let neq = f.neq, someBit = f.someBit;
  let vals = f.vals;
  switch (op) {
    case BPF_JEQ:
      if (outcome) { if (vals && !vals.includes(k)) return null; lo = Math.max(lo, k); hi = Math.min(hi, k); vals = [k]; }
      else if (!neq.includes(k) && neq.length < LIMIT) neq = [...neq, k];
      if (!outcome && k === lo) lo++;
      if (!outcome && k === hi) hi--;
      break;
    case BPF_JGT:
      if (outcome) lo = Math.max(lo, k + 1); else hi = Math.min(hi, k);
      break;
    case BPF_JGE:
      if (outcome) lo = Math.max(lo, k); else hi = Math.min(hi, k - 1);
      break;
    case BPF_JSET:
      if (outcome) { if (k === 0) return null; if (!someBit.includes(k) && someBit.length < LIMIT) someBit = [...someBit, k]; }
      else zero = (zero | k) >>> 0;
      break;
  }
  if (lo > hi || lo < 0 || hi > 0xffffffff) return null;
  // Nothing learnt: the same fact (callers then keep sharing their lists).
  if (lo === f.lo && hi === f.hi && vals === f.vals && neq === f.neq && zero === f.zero && someBit === f.someBit) return f;
  const next: Fact = { lo, hi, vals, neq, zero, someBit };
  if (vals) {
    let kept: number[] | undefined;
    for (let i = 0; i < vals.length; i++) {
      const ok = holds(next, vals[i]);
      if (!ok && !kept) kept = vals.slice(0, i);
      else if (ok && kept) kept.push(vals[i]);
    }
    const left = kept ?? vals;
    if (left.length === 0) return null;
    return { lo: Math.max(lo, left[0]), hi: Math.min(hi, left[left.length - 1]), vals: left, neq, zero, someBit };
  }
  if (lo === hi) return holds(next, lo) ? { lo, hi, vals: [lo], neq, zero, someBit } : null;
  return next;
}

/**
 * What holds on both paths: the weaker of two facts.
 *
 * @example
 * meetFacts(rangeFact(1, 1), rangeFact(3, 3)) // { lo: 1, hi: 3, vals: [1, 3], … }
 */
export function meetFacts(f: Fact, g: Fact): Fact {
  if (f === g) return f;
  let vals: number[] | undefined;
  if (f.vals && g.vals) {
    const union = [...new Set([...f.vals, ...g.vals])].sort((a, b) => a - b);
    if (union.length <= LIMIT) vals = union;
  }
  return {
    lo: Math.min(f.lo, g.lo),
    hi: Math.max(f.hi, g.hi),
    vals,
    neq: [...new Set([...f.neq, ...g.neq])].filter((v) => !holds(f, v) && !holds(g, v)).slice(0, LIMIT),
    zero: (f.zero & g.zero) >>> 0,
    someBit: f.someBit.filter((m) => g.someBit.includes(m)),
  };
}
