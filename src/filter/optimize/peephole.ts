/**
 * Peepholes at the end of a block and around indexed loads, as libpcap's
 * `opt_peep` does, each removing at least one instruction:
 *
 * - `sub #c; jeq #k` → `jeq #k+c` (also `add`, `xor`), `sub x; jeq #0` →
 *   `jeq x`, `and #m; jeq #0` → `jset #m` with the successors swapped, and
 *   `and #m; jgt #0` → `jset #m`, when A is dead after the branch;
 * - `add x; tax; ld [x + k]` with A known to be the constant c →
 *   `ld [x + k + c]`, when X is dead after the load and no sum can reach
 *   2^31 (so both machines' bounds checks see the same offset).
 */
import {
  BPF_ADD, BPF_ALU, BPF_AND, BPF_IND, BPF_JEQ, BPF_JGT, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_MISC, BPF_SUB, BPF_TAX, BPF_X, BPF_XOR,
  bpfClass, bpfMode, bpfOp, bpfSrc,
} from '../../bpf/opcodes.js';
import { isReturn, topologicalOrder, type Block, type Cfg } from '../cfg.js';
import { copyState, execute, sweep, type State } from './dataflow.js';
import { defOf, endUses, liveIn, liveOut, REG_A, REG_X, usesOf } from './graph.js';
import type { Pass, PassSettings } from './pass.js';
import { Values } from './values.js';

const isAluK = (code: number, op: number): boolean => code === (BPF_ALU | op | BPF_K);

/** Folds the block's last statement into its comparison; true when it did. */
function foldIntoBranch(b: Block, out: number): boolean {
  if (isReturn(b) || b.stmts.length === 0 || (out & (1 << REG_A)) !== 0) return false;
  const s = b.stmts[b.stmts.length - 1];
  const op = bpfOp(b.code), byK = bpfSrc(b.code) === BPF_K;
  if (!byK) return false;
  let code = b.code, k = b.k, swap = false;
  if (op === BPF_JEQ && isAluK(s.code, BPF_SUB)) k = (b.k + s.k) >>> 0;
  else if (op === BPF_JEQ && isAluK(s.code, BPF_ADD)) k = (b.k - s.k) >>> 0;
  else if (op === BPF_JEQ && isAluK(s.code, BPF_XOR)) k = (b.k ^ s.k) >>> 0;
  else if (op === BPF_JEQ && b.k === 0 && isAluK(s.code, BPF_AND)) { code = BPF_JMP | BPF_JSET | BPF_K; k = s.k; swap = true; }
  else if (op === BPF_JGT && b.k === 0 && isAluK(s.code, BPF_AND)) { code = BPF_JMP | BPF_JSET | BPF_K; k = s.k; }
  else if (op === BPF_JEQ && b.k === 0 && s.code === (BPF_ALU | BPF_SUB | BPF_X)) { code = BPF_JMP | BPF_JEQ | BPF_X; k = 0; }
  else return false;
  b.stmts = b.stmts.slice(0, -1);
  b.code = code;
  b.k = k;
  if (swap) [b.jt, b.jf] = [b.jf, b.jt];
  return true;
}

/** Registers live after each statement of a block (index i: after stmts[i]). */
function liveAfter(b: Block, out: number): number[] {
  const after: number[] = new Array<number>(b.stmts.length);
  let l = out | endUses(b);
  for (let i = b.stmts.length - 1; i >= 0; i--) {
    after[i] = l;
    const s = b.stmts[i];
    l = (l & ~(1 << defOf(s))) | usesOf(s);
  }
  return after;
}

/** Folds `add x; tax; ld [x + k]` with A constant into one load; the number folded. */
function foldIndexOffsets(values: Values, b: Block, entry: State, out: number): number {
  const state = copyState(entry);
  const after = liveAfter(b, out);
  let folded = 0;
  const kept = [];
  for (let i = 0; i < b.stmts.length; i++) {
    const s = b.stmts[i], t = b.stmts[i + 1], load = b.stmts[i + 2];
    const c = values.constantOf(state.regs[REG_A]);
    if (c !== undefined && t && load && s.code === (BPF_ALU | BPF_ADD | BPF_X) && t.code === (BPF_MISC | BPF_TAX)
      && bpfClass(load.code) === BPF_LD && bpfMode(load.code) === BPF_IND && (after[i + 2] & (1 << REG_X)) === 0
      && values.range(state.regs[REG_X])[1] + c + load.k < 0x80000000) {
      const merged = { code: load.code, k: c + load.k };
      execute(values, state, merged);
      kept.push(merged);
      folded++;
      i += 2;
      continue;
    }
    execute(values, state, s);
    kept.push(s);
  }
  if (folded > 0) b.stmts = kept;
  return folded;
}

/** The peephole pass. */
export const peephole: Pass = {
  name: 'peephole',
  summary: 'arithmetic folded into the comparison after it, constant index offsets folded into indexed loads',
  run(cfg: Cfg, settings: PassSettings): Cfg | null {
    const order = topologicalOrder(cfg);
    const live = liveIn(order);
    const values = new Values(settings.exactLoads);
    let changes = 0;
    sweep(cfg, values, {
      block(b, entry) {
        const out = liveOut(b, live);
        changes += foldIndexOffsets(values, b, entry, out);
        if (foldIntoBranch(b, out)) changes++;
      },
    }, order);
    return changes > 0 ? cfg : null;
  },
};
