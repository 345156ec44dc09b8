/**
 * Dead-store and dead-load removal, including scratch memory: a statement
 * whose result no later instruction reads goes, unless it could end the
 * run early. A load that could fail still goes when its bytes are covered
 * either by loads that already succeeded on every path here (the forward
 * analysis's extent) or by loads every accepting path from here makes
 * anyway (the anticipated length): then a packet too short for it is
 * rejected with or without it, so every result stays the same. This is how
 * we drop the loads libpcap drops without accepting the truncated packets
 * libpcap's optimized programs accept.
 */
import { BPF_ALU, BPF_DIV, BPF_IMM, BPF_LD, BPF_LDX, BPF_LEN, BPF_MEM, BPF_MOD, BPF_X, bpfClass, bpfMode, bpfOp, bpfSrc } from '../../bpf/opcodes.js';
import { topologicalOrder, type Block, type Cfg, type Stmt } from '../cfg.js';
import { copyState, execute, sweep } from './dataflow.js';
import { absoluteEnd, defOf, endUses, liveOut, needAtEnd, usesOf } from './graph.js';
import type { Pass, PassSettings } from './pass.js';
import { Values } from './values.js';

/** Statements the forward analysis proves cannot end the run. */
function safeStatements(cfg: Cfg, settings: PassSettings): Set<Stmt> {
  const safe = new Set<Stmt>();
  const values = new Values(settings.exactLoads);
  sweep(cfg, values, {
    block(b, entry) {
      const state = copyState(entry);
      for (const s of b.stmts) if (!execute(values, state, s).mayFail) safe.add(s);
    },
  });
  return safe;
}

/** Statements that can never end a run whatever the state: no packet load, no division by X. */
function neverFails(s: Stmt): boolean {
  const cls = bpfClass(s.code), mode = bpfMode(s.code);
  if (cls === BPF_LD || cls === BPF_LDX) return mode === BPF_IMM || mode === BPF_MEM || mode === BPF_LEN;
  if (cls === BPF_ALU) return !(bpfSrc(s.code) === BPF_X && (bpfOp(s.code) === BPF_DIV || bpfOp(s.code) === BPF_MOD));
  return true;
}

/** The dead-code pass. */
export const deadCode: Pass = {
  name: 'dead-code',
  summary: 'statements whose results are never read (registers and M[]) and that cannot change the result go',
  run(cfg: Cfg, settings: PassSettings): Cfg | null {
    // The forward sweep is only needed for a dead load: most runs find none.
    // It may run part-way through the backward walk below, which has then
    // changed only blocks after the current one, so every statement asked
    // about is still analysed with the graph above it as it was.
    let safe: Set<Stmt> | undefined;
    const order = topologicalOrder(cfg);
    const live = new Map<Block, number>();
    const need = new Map<Block, number>();
    let removed = 0;
    for (let i = order.length - 1; i >= 0; i--) {
      const b = order[i];
      let l = liveOut(b, live) | endUses(b);
      let n = needAtEnd(b, need);
      const kept: Stmt[] = [];
      for (let j = b.stmts.length - 1; j >= 0; j--) {
        const s = b.stmts[j];
        const def = defOf(s);
        const end = absoluteEnd(s);
        if ((l & (1 << def)) === 0 && (neverFails(s) || (end !== undefined && end <= n) || (safe ??= safeStatements(cfg, settings)).has(s))) { removed++; continue; }
        l = (l & ~(1 << def)) | usesOf(s);
        if (end !== undefined) n = Math.max(n, end);
        kept.push(s);
      }
      if (kept.length !== b.stmts.length) b.stmts = kept.reverse();
      live.set(b, l);
      need.set(b, n);
    }
    return removed > 0 ? cfg : null;
  },
};
