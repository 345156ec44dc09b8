/**
 * Value numbers: every value a register or scratch slot can hold gets a
 * number, and two computations that must produce the same 32-bit value on
 * every run get the same number (hash-consing, as libpcap's `F()` in
 * optimize.c does for its value table). The packet is immutable, so a load
 * from the same place (and, for `[x + k]`, the same X) is the same value.
 *
 * Each number also carries an unsigned range [lo, hi] known from how it was
 * made (`ldb` ≤ 255, `and #m` ≤ m, constants exactly), which the predicate
 * facts start from.
 */
import {
  BPF_ADD, BPF_AND, BPF_DIV, BPF_LSH, BPF_MOD, BPF_MUL, BPF_NEG, BPF_OR, BPF_RSH, BPF_SUB, BPF_XOR,
} from '../../bpf/opcodes.js';
import { rangeFact, type Fact } from './facts.js';

const MAX = 0xffffffff;

/** Load kinds that take no X (numbered for the numeric key). */
const ABSOLUTE_KINDS = ['w', 'h', 'b', 'msh', 'len'];
/** The largest value each of those loads can give. */
const LOAD_HIGHS = [MAX, 0xffff, 0xff, 60, MAX];

/** A table of value numbers for one analysis run. */
export class Values {
  /**
   * @param exactLoads false when loads are assumed to succeed (see PassSettings).
   * @example
   * const values = new Values(true);
   */
  constructor(readonly exactLoads = true) {}

  private readonly byKey = new Map<string, number>();
  // Constants and absolute loads, the most asked for, by number: no key string to build.
  private readonly byConstant = new Map<number, number>();
  private readonly byAbsolute = new Map<number, number>();
  private readonly constants: Array<number | undefined> = [];
  private readonly los: number[] = [];
  private readonly his: number[] = [];
  private readonly rangeFacts: Array<Fact | undefined> = [];

  /**
   * A value nothing is known about except its range (a merge of different
   * values at a join, or the initial content of a register).
   *
   * @example
   * const phi = values.fresh();
   */
  fresh(lo = 0, hi = MAX): number {
    const vn = this.los.length;
    this.constants.push(lo === hi ? lo : undefined);
    this.los.push(lo);
    this.his.push(hi);
    return vn;
  }

  private keyed(key: string, lo: number, hi: number): number {
    const found = this.byKey.get(key);
    if (found !== undefined) return found;
    const vn = this.fresh(lo, hi);
    this.byKey.set(key, vn);
    return vn;
  }

  /**
   * The number of a constant.
   *
   * @example
   * values.constant(0x800) === values.constant(2048) // true
   */
  constant(c: number): number {
    const k = c >>> 0;
    const found = this.byConstant.get(k);
    if (found !== undefined) return found;
    const vn = this.fresh(k, k);
    this.byConstant.set(k, vn);
    return vn;
  }

  /**
   * The constant a number stands for, if it is one.
   *
   * @example
   * values.constantOf(values.constant(6)) // 6
   */
  constantOf(vn: number): number | undefined {
    return this.constants[vn];
  }

  /**
   * The unsigned range a number's value lies in.
   *
   * @example
   * values.range(values.load('b', 23, -1)) // [0, 255]
   */
  range(vn: number): readonly [number, number] {
    return [this.los[vn], this.his[vn]];
  }

  /**
   * The fact known about a number from its range alone (made once: facts are never changed).
   *
   * @example
   * values.rangeFact(values.load('b', 23, -1)).hi // 255
   */
  rangeFact(vn: number): Fact {
    return this.rangeFacts[vn] ??= rangeFact(this.los[vn], this.his[vn]);
  }

  /**
   * A packet (or length, or IP-header-length) load: `kind` names the mode and
   * size (`'w' | 'h' | 'b'` absolute, `'iw' | 'ih' | 'ib'` indexed by X,
   * `'msh'`, `'len'`); `x` is X's number for indexed loads (else −1).
   *
   * @example
   * const ethertype = values.load('h', 12, -1);
   */
  load(kind: string, k: number, x: number): number {
    const absolute = x < 0 ? ABSOLUTE_KINDS.indexOf(kind) : -1;
    const hi = LOAD_HIGHS[absolute] ?? (kind.endsWith('b') ? 0xff : kind.endsWith('h') ? 0xffff : MAX);
    if (absolute < 0) return this.keyed(`${kind}[${k}]x${x}`, 0, hi);
    const key = (k >>> 0) * ABSOLUTE_KINDS.length + absolute;
    const found = this.byAbsolute.get(key);
    if (found !== undefined) return found;
    const vn = this.fresh(0, hi);
    this.byAbsolute.set(key, vn);
    return vn;
  }

  /**
   * The result of an ALU operation (`op` a BPF_ALU operation, `b` the right
   * operand's number, ignored for NEG), folded when both sides are constants
   * and simplified by the identities that hold for every value
   * (`a + 0`, `a & 0`, `a - a`, …). Operations that may fault or whose result
   * differs between machines (division by zero, shifts by 32 or more) are
   * never folded.
   *
   * @example
   * values.alu(BPF_AND, values.load('b', 14, -1), values.constant(0x0f))
   */
  alu(op: number, a: number, b: number): number {
    if (op === BPF_NEG) {
      const c = this.constantOf(a);
      return c !== undefined ? this.constant(-c) : this.keyed(`neg ${a}`, 0, MAX);
    }
    const ca = this.constantOf(a), cb = this.constantOf(b);
    if (ca !== undefined && cb !== undefined) {
      const folded = fold(op, ca, cb);
      if (folded !== undefined) return this.constant(folded);
    }
    const simple = this.identity(op, a, b, ca, cb);
    if (simple !== undefined) return simple;
    const commutative = op === BPF_ADD || op === BPF_MUL || op === BPF_AND || op === BPF_OR || op === BPF_XOR;
    const [l, r] = commutative && b < a ? [b, a] : [a, b];
    const [lo, hi] = this.aluRange(op, a, b, cb);
    return this.keyed(`${op} ${l} ${r}`, lo, hi);
  }

  private identity(op: number, a: number, b: number, ca: number | undefined, cb: number | undefined): number | undefined {
    if (cb === 0 && (op === BPF_ADD || op === BPF_SUB || op === BPF_OR || op === BPF_XOR || op === BPF_LSH || op === BPF_RSH)) return a;
    if (ca === 0 && (op === BPF_ADD || op === BPF_OR || op === BPF_XOR)) return b;
    if (cb === 1 && (op === BPF_MUL || op === BPF_DIV)) return a;
    if (ca === 1 && op === BPF_MUL) return b;
    if (cb === MAX && op === BPF_AND) return a;
    if (ca === MAX && op === BPF_AND) return b;
    if ((cb === 0 || ca === 0) && (op === BPF_MUL || op === BPF_AND)) return this.constant(0);
    if (cb === 1 && op === BPF_MOD) return this.constant(0);
    if (a === b && (op === BPF_SUB || op === BPF_XOR)) return this.constant(0);
    if (a === b && (op === BPF_AND || op === BPF_OR)) return a;
    return undefined;
  }

  private aluRange(op: number, a: number, b: number, cb: number | undefined): [number, number] {
    const [la, ha] = this.range(a), [lb, hb] = this.range(b);
    switch (op) {
      case BPF_AND: return [0, Math.min(ha, hb)];
      case BPF_RSH: return cb !== undefined && cb < 32 ? [Math.floor(la / 2 ** cb), Math.floor(ha / 2 ** cb)] : [0, MAX];
      case BPF_MOD: return cb !== undefined && cb > 0 ? [0, Math.min(ha, cb - 1)] : [0, MAX];
      case BPF_DIV: return cb !== undefined && cb > 0 ? [Math.floor(la / cb), Math.floor(ha / cb)] : [0, MAX];
      case BPF_ADD: return ha + hb <= MAX ? [la + lb, ha + hb] : [0, MAX];
      case BPF_LSH: return cb !== undefined && cb < 32 && ha * 2 ** cb <= MAX ? [la * 2 ** cb, ha * 2 ** cb] : [0, MAX];
      case BPF_MUL: return ha * hb <= MAX ? [la * lb, ha * hb] : [0, MAX];
      case BPF_OR: return ha <= 0xffff && hb <= 0xffff ? [Math.max(la, lb), 0xffff] : [0, MAX];
      default: return [0, MAX];
    }
  }
}

/**
 * `a op b` on unsigned 32-bit values, or undefined when the operation faults
 * (division by zero) or machines disagree (shift by 32 or more).
 *
 * @example
 * fold(BPF_SUB, 1, 2) // 0xffffffff
 */
export function fold(op: number, a: number, b: number): number | undefined {
  switch (op) {
    case BPF_ADD: return (a + b) >>> 0;
    case BPF_SUB: return (a - b) >>> 0;
    case BPF_MUL: return Math.imul(a, b) >>> 0;
    case BPF_DIV: return b === 0 ? undefined : Math.floor(a / b) >>> 0;
    case BPF_MOD: return b === 0 ? undefined : (a % b) >>> 0;
    case BPF_AND: return (a & b) >>> 0;
    case BPF_OR: return (a | b) >>> 0;
    case BPF_XOR: return (a ^ b) >>> 0;
    case BPF_LSH: return b < 32 ? (a << b) >>> 0 : undefined;
    case BPF_RSH: return b < 32 ? a >>> b : undefined;
    default: return undefined;
  }
}
