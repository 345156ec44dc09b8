/**
 * Value numbering across blocks, constant folding and propagation,
 * redundant load and store removal, and scratch-memory forwarding.
 *
 * Along the forward analysis (dataflow.ts) each statement's result gets a
 * value number. A statement that writes a register already holding that
 * value does nothing and goes (a repeated `ldh [12]`, a store of what the
 * slot already holds). A result known to be constant becomes `ld #c` /
 * `ldx #c`; a result already in the other register becomes `tax` / `txa`
 * (so `st M[i] … ldx M[i]` stops needing the slot, and the dead-code pass
 * removes the store); an operation on an X known to be constant uses the
 * constant. Every rewrite is to a strictly cheaper statement (see WEIGHT),
 * so the pass cannot undo itself.
 */
import {
  BPF_ABS, BPF_ALU, BPF_DIV, BPF_IND, BPF_IMM, BPF_K, BPF_LD, BPF_LDX, BPF_LSH, BPF_MISC, BPF_MOD, BPF_RSH, BPF_TAX, BPF_TXA, BPF_X,
  bpfClass, bpfMode, bpfOp, bpfSrc,
} from '../../bpf/opcodes.js';
import { isReturn, topologicalOrder, type Block, type Cfg, type Stmt } from '../cfg.js';
import { copyState, effectOf, execute, sweep, type State } from './dataflow.js';
import { defOf, endUses, liveIn, liveOut, REG_A, REG_X, REGS, usesOf } from './graph.js';
import type { Pass, PassSettings } from './pass.js';
import { Values } from './values.js';

/**
 * A statement's cost in the pipeline's measure: a rewrite always lowers it.
 *
 * @example
 * statementWeight({ code: 0x00, k: 1 }) // 0 (ld #1)
 */
export function statementWeight(s: Stmt): number {
  const cls = bpfClass(s.code);
  if ((cls === BPF_LD || cls === BPF_LDX) && bpfMode(s.code) === BPF_IMM) return 0;
  if (cls === BPF_MISC) return 1;
  if (cls === BPF_ALU) return bpfSrc(s.code) === BPF_X ? 3 : 2;
  if (cls === BPF_LD && bpfMode(s.code) === BPF_IND) return 5;
  if (cls === BPF_LD || cls === BPF_LDX) return 4;
  return 1;
}

function foldableX(op: number, c: number): boolean {
  if (op === BPF_DIV || op === BPF_MOD) return c !== 0;
  if (op === BPF_LSH || op === BPF_RSH) return c < 32;
  return true;
}

/** The cheaper statement computing the same thing, or undefined. */
function cheaper(values: Values, state: State, s: Stmt): Stmt | undefined {
  if (bpfClass(s.code) === BPF_LD && bpfMode(s.code) === BPF_IND) {
    // [x + k] with X constant is [k + X], the same on both machines while the sum stays below 2^31.
    const x = values.constantOf(state.regs[REG_X]);
    if (x !== undefined && x + s.k < 0x80000000) return { code: (s.code & ~BPF_IND) | BPF_ABS, k: x + s.k };
  }
  const effect = effectOf(values, state, s);
  if (effect.mayFail) return undefined;
  const c = values.constantOf(effect.value);
  if (effect.dest === REG_A || effect.dest === REG_X) {
    const cls = effect.dest === REG_A ? BPF_LD : BPF_LDX;
    if (c !== undefined) return s.code === (cls | BPF_IMM) ? undefined : { code: cls | BPF_IMM, k: c };
    if (effect.dest === REG_A && state.regs[REG_X] === effect.value && statementWeight(s) > 1) return { code: BPF_MISC | BPF_TXA, k: 0 };
    if (effect.dest === REG_X && state.regs[REG_A] === effect.value && statementWeight(s) > 1) return { code: BPF_MISC | BPF_TAX, k: 0 };
  }
  if (bpfClass(s.code) === BPF_ALU && bpfSrc(s.code) === BPF_X) {
    const x = values.constantOf(state.regs[REG_X]);
    if (x !== undefined && foldableX(bpfOp(s.code), x)) return { code: BPF_ALU | bpfOp(s.code) | BPF_K, k: x };
  }
  return undefined;
}

function rewriteBlock(values: Values, b: Block, entry: State, out: number): number {
  const state = copyState(entry);
  const kept: Stmt[] = [];
  let changes = 0;
  for (const s of b.stmts) {
    const effect = effectOf(values, state, s);
    if (state.regs[effect.dest] === effect.value) { changes++; continue; }
    const better = cheaper(values, state, s);
    const chosen = better ?? s;
    if (better) changes++;
    execute(values, state, chosen);
    kept.push(chosen);
  }
  b.stmts = dropRecomputation(values, entry, kept, out);
  changes += kept.length - b.stmts.length;
  if (!isReturn(b) && bpfSrc(b.code) === BPF_X) {
    const x = values.constantOf(state.regs[REG_X]);
    if (x !== undefined) { b.code = (b.code & ~BPF_X) | BPF_K; b.k = x; changes++; }
  }
  return changes;
}

/**
 * Drops the first run of statements that, all together, change nothing
 * that is read afterwards (each live register ends with the value it had)
 * and cannot end the run: a header length recomputed from the same bytes
 * (`ldx M[0]; ldb [x+0]; and #0xf; lsh #2; add x; tax` when X already holds
 * the result). One statement at a time never sees it: each one alone does
 * change a register.
 */
function dropRecomputation(values: Values, entry: State, stmts: Stmt[], out: number): Stmt[] {
  if (stmts.length < 2) return stmts;
  const states: State[] = [copyState(entry)];
  const fails: boolean[] = [];
  for (const s of stmts) {
    const next = copyState(states[states.length - 1]);
    fails.push(execute(values, next, s).mayFail);
    states.push(next);
  }
  const liveAfter: number[] = new Array<number>(stmts.length);
  let l = out;
  for (let i = stmts.length - 1; i >= 0; i--) {
    liveAfter[i] = l;
    l = (l & ~(1 << defOf(stmts[i]))) | usesOf(stmts[i]);
  }
  for (let i = 0; i < stmts.length; i++) {
    for (let j = i; j < stmts.length && !fails[j]; j++) {
      if (j === i) continue; // single statements are the per-statement rule's business
      const before = states[i].regs, after = states[j + 1].regs;
      let same = true;
      for (let r = 0; r < REGS && same; r++) same = after[r] === before[r] || (liveAfter[j] & (1 << r)) === 0;
      if (same) return [...stmts.slice(0, i), ...stmts.slice(j + 1)];
    }
  }
  return stmts;
}

/** The value-numbering pass. */
export const valueNumbering: Pass = {
  name: 'value-numbering',
  summary: 'value numbering across blocks: constant folding, redundant loads and stores, register forwarding',
  run(cfg: Cfg, settings: PassSettings): Cfg | null {
    const values = new Values(settings.exactLoads);
    let changes = 0;
    const order = topologicalOrder(cfg);
    const live = liveIn(order);
    sweep(cfg, values, { block: (b, entry) => { changes += rewriteBlock(values, b, entry, liveOut(b, live) | endUses(b)); } }, order);
    return changes > 0 ? cfg : null;
  },
};
