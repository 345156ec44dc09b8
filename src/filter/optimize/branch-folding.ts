/**
 * Branch folding with BPF+'s global predicate propagation: the facts that
 * hold on every path into a block (dataflow.ts meets them at joins, so a
 * fact proven on both arms of an `or` still counts) may decide its
 * comparison; such a branch then goes the one way it can go, both
 * successors pointing there, and block merging removes the jump.
 */
import type { Cfg } from '../cfg.js';
import { sweep } from './dataflow.js';
import type { Pass, PassSettings } from './pass.js';
import { Values } from './values.js';

/** The branch-folding pass. */
export const branchFolding: Pass = {
  name: 'branch-folding',
  summary: 'a comparison decided by the predicates holding on every path into it goes one way',
  run(cfg: Cfg, settings: PassSettings): Cfg | null {
    let changes = 0;
    sweep(cfg, new Values(settings.exactLoads), {
      decided(b, outcome) {
        const target = outcome ? b.jt! : b.jf!;
        if (b.jt !== b.jf) { b.jt = target; b.jf = target; changes++; }
      },
    });
    return changes > 0 ? cfg : null;
  },
};
