/**
 * Symbolic execution of a classic BPF Program into its accepting paths.
 *
 * A Program is a DAG of forward jumps, and a packet follows exactly one path
 * through it. So the Program accepts a packet exactly when one of its
 * accepting paths has every condition true, where a condition is a comparison
 * of computed values (an Atom) and every value the path computes must be
 * computable (no load past the captured bytes, no division by zero: either
 * ends a real run with 0). That turns each filter into a few conjunctions that
 * many filters can share and index.
 */
import type { Program } from '../bpf/program.js';
import { type Atom, type AluOp, type CmpOp, type Expr, ExprTable, canFail, foldAlu } from './expr.js';

/** One way through a Program that returns non-zero. */
export interface AcceptPath {
  /** Conditions that must all hold, in the order the Program tests them. */
  readonly atoms: readonly Atom[];
  /** Values the path computes without testing them; each must be computable. */
  readonly computed: readonly Expr[];
  /** The value returned (`ret a` makes it an expression). */
  readonly result: Expr;
}

/** Why a Program cannot be split into paths (it is then run whole). */
export type OpaqueReason = 'ancillary-or-negative-offset' | 'backward-jump' | 'too-many-paths' | 'invalid';

export type PathAnalysis =
  | { readonly kind: 'paths'; readonly paths: readonly AcceptPath[] }
  | { readonly kind: 'opaque'; readonly reason: OpaqueReason };

const ALU_OPS: Record<number, AluOp> = {
  0x00: 'add', 0x10: 'sub', 0x20: 'mul', 0x30: 'div', 0x40: 'or', 0x50: 'and', 0x60: 'lsh', 0x70: 'rsh', 0x90: 'mod', 0xa0: 'xor',
};
const JMP_OPS: Record<number, CmpOp> = { 0x10: 'eq', 0x20: 'gt', 0x30: 'ge', 0x40: 'set' };
const SIZES: Record<number, 1 | 2 | 4> = { 0x00: 4, 0x08: 2, 0x10: 1 };

interface State {
  a: Expr;
  x: Expr;
  mem: Expr[];
  atoms: Atom[];
  computed: Expr[];
  /** Values this path has proved: an expression key → its constant. */
  known: Map<string, number>;
  /** Values this path has excluded: key → constants it is not. */
  excluded: Map<string, Set<number>>;
}

class Opaque extends Error {
  constructor(readonly reason: OpaqueReason) {
    super(reason);
  }
}

/**
 * Splits a Program into its accepting paths, or says why it cannot.
 *
 * @example
 * const table = new ExprTable();
 * const analysis = acceptPaths(compile('host 10.0.0.1'), table, { linux: true });
 * // analysis.kind === 'paths'; one path per way `host` can match (IPv4 src, IPv4 dst, ARP, RARP...)
 */
export function acceptPaths(prog: Program, table: ExprTable, options: { linux: boolean; maxPaths?: number }): PathAnalysis {
  const maxPaths = options.maxPaths ?? 256;
  const maxSteps = maxPaths * 256;
  const paths: AcceptPath[] = [];
  const zero = table.constant(0);
  const start: State = {
    a: zero, x: zero, mem: new Array<Expr>(16).fill(zero), atoms: [], computed: [],
    known: new Map(), excluded: new Map(),
  };

  const fork = (s: State): State => ({
    a: s.a, x: s.x, mem: s.mem.slice(), atoms: s.atoms.slice(), computed: s.computed.slice(),
    known: new Map(s.known), excluded: new Map([...s.excluded].map(([k, v]) => [k, new Set(v)])),
  });

  // Records that a value the path computes must be computable.
  const compute = (s: State, e: Expr): void => {
    if (canFail(e) && !s.known.has(e.key)) s.computed.push(e);
  };

  // The value of an ALU operation, or undefined when it certainly divides by zero (the run returns 0).
  const alu = (s: State, op: AluOp, left: Expr, right: Expr): Expr | undefined => {
    if (left.kind === 'const' && right.kind === 'const') {
      const folded = foldAlu(op, left.value, right.value, options.linux);
      return folded === undefined ? undefined : table.constant(folded);
    }
    if ((op === 'div' || op === 'mod') && right.kind === 'const' && right.value === 0) return undefined;
    const e = table.alu(op, left, right);
    compute(s, e);
    return e;
  };

  // Depth-first over the DAG; each call walks one path from pc with state s (owned by the call).
  let steps = 0;
  const walk = (pc: number, s: State): void => {
    for (;;) {
      // Paths that reject count too: bound the whole walk, not just the accepting paths.
      if (++steps > maxSteps) throw new Opaque('too-many-paths');
      if (pc < 0 || pc >= prog.length) throw new Opaque('invalid');
      const { code, jt, jf, k } = prog[pc];
      const cls = code & 0x07;
      if (cls === 0x06) { // ret
        const result = (code & 0x18) === 0x10 ? s.a : table.constant(k);
        if (result.kind === 'const') {
          if (result.value !== 0) push(s, result);
        } else {
          // ret a: accepts when A is non-zero.
          const atom = table.atom('eq', result, zero, false);
          s.atoms.push(atom);
          push(s, result);
        }
        return;
      }
      if (cls === 0x00 || cls === 0x01) { // ld / ldx
        const mode = code & 0xe0;
        const size = SIZES[code & 0x18];
        let v: Expr;
        if (mode === 0x00) v = table.constant(k);
        else if (mode === 0x80) v = table.length();
        else if (mode === 0x60) v = s.mem[k];
        else if (mode === 0x20 && cls === 0x00) {
          if (k >= 0x80000000 || !size) throw new Opaque('ancillary-or-negative-offset');
          v = table.load(size, k, null);
          compute(s, v);
        } else if (mode === 0x40 && cls === 0x00) {
          if (!size) throw new Opaque('invalid');
          if (s.x.kind === 'const') {
            const off = options.linux ? (s.x.value + k) | 0 : s.x.value + k;
            if (off < 0 || off >= 0x80000000 || (!options.linux && k > 0xffffffff)) throw new Opaque('ancillary-or-negative-offset');
            v = table.load(size, off >>> 0, null);
          } else {
            v = table.load(size, k, s.x);
          }
          compute(s, v);
        } else if (mode === 0xa0 && cls === 0x01) { // ldxb 4*([k]&0xf)
          if (k >= 0x80000000) throw new Opaque('ancillary-or-negative-offset');
          const byte = table.load(1, k, null);
          compute(s, byte);
          v = table.alu('lsh', table.alu('and', byte, table.constant(0xf)), table.constant(2));
        } else throw new Opaque('invalid');
        if (cls === 0x00) s.a = v; else s.x = v;
        pc++;
        continue;
      }
      if (cls === 0x02) { s.mem[k] = s.a; pc++; continue; }
      if (cls === 0x03) { s.mem[k] = s.x; pc++; continue; }
      if (cls === 0x04) { // alu
        const op = code & 0xf0;
        if (op === 0x80) {
          s.a = s.a.kind === 'const' ? table.constant(-s.a.value) : table.neg(s.a);
        } else {
          const name = ALU_OPS[op];
          if (!name) throw new Opaque('invalid');
          const right = (code & 0x08) ? s.x : table.constant(k);
          const v = alu(s, name, s.a, right);
          if (!v) return; // always divides by zero: this way returns 0
          s.a = v;
        }
        pc++;
        continue;
      }
      if (cls === 0x07) { // tax / txa
        if ((code & 0xf8) === 0x80) s.a = s.x; else s.x = s.a;
        pc++;
        continue;
      }
      // cls === 0x05: jumps
      const op = code & 0xf0;
      if (op === 0x00) { // ja
        if (k >= 0x80000000) throw new Opaque('backward-jump');
        pc += 1 + k;
        continue;
      }
      const cmp = JMP_OPS[op];
      if (!cmp) throw new Opaque('invalid');
      const right = (code & 0x08) ? s.x : table.constant(k);
      const decided = decide(s, cmp, s.a, right);
      if (decided === true) { pc += 1 + jt; continue; }
      if (decided === false) { pc += 1 + jf; continue; }
      if (jt === jf) { // both ways lead to the same place: only the operands must be computable
        pc += 1 + jt;
        continue;
      }
      const other = fork(s);
      assume(s, table.atom(cmp, s.a, right, true));
      walk(pc + 1 + jt, s);
      assume(other, table.atom(cmp, other.a, right, false));
      pc += 1 + jf;
      s = other;
    }
  };

  const push = (s: State, result: Expr): void => {
    if (paths.length >= maxPaths) throw new Opaque('too-many-paths');
    const tested = new Set<string>();
    for (const atom of s.atoms) { tested.add(atom.left.key); tested.add(atom.right.key); }
    // A value that a condition tests is computable whenever the condition holds; keep only the untested ones.
    const computed = [...new Map(s.computed.filter((e) => !tested.has(e.key)).map((e) => [e.key, e])).values()];
    paths.push(Object.freeze({ atoms: Object.freeze(s.atoms.slice()), computed: Object.freeze(computed), result }));
  };

  try {
    walk(0, start);
  } catch (err) {
    if (err instanceof Opaque) return { kind: 'opaque', reason: err.reason };
    throw err;
  }
  return { kind: 'paths', paths };
}

/** What the path already proves about `left op right`: true, false, or unknown. */
function decide(s: State, op: CmpOp, left: Expr, right: Expr): boolean | undefined {
  const l = left.kind === 'const' ? left.value : s.known.get(left.key);
  const r = right.kind === 'const' ? right.value : s.known.get(right.key);
  if (l !== undefined && r !== undefined) {
    switch (op) {
      case 'eq': return l === r;
      case 'gt': return l > r;
      case 'ge': return l >= r;
      case 'set': return (l & r) !== 0;
    }
  }
  if (op === 'eq' && r !== undefined && s.excluded.get(left.key)?.has(r)) return false;
  return undefined;
}

/** Adds a condition to the path and what it proves (equalities to constants). */
function assume(s: State, atom: Atom): void {
  s.atoms.push(atom);
  if (atom.op !== 'eq' || atom.right.kind !== 'const' || atom.left.kind === 'const') return;
  if (atom.truth) s.known.set(atom.left.key, atom.right.value);
  else {
    let set = s.excluded.get(atom.left.key);
    if (!set) s.excluded.set(atom.left.key, (set = new Set()));
    set.add(atom.right.value);
  }
}
