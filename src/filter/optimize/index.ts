/**
 * The optimizer: a pipeline of passes over the control-flow graph, run to a
 * fixed point, called by compile() when `optimize` is on.
 *
 * Termination. Every pass reports a change only when it strictly decreases,
 * in lexicographic order, the measure
 *   (instructions, statement weight, branches with two different successors,
 *    branch blocks, root-to-return paths)
 * over the reachable graph, without increasing an earlier component (the
 * per-pass argument is in docs/optimizer.md). These are natural numbers, so
 * the loop "run every pass; stop when none changed anything" ends. Each
 * pass itself visits each block a bounded number of times (one topological
 * sweep; jump chains move strictly down the topological order).
 */
import { topologicalOrder, type Cfg } from '../cfg.js';
import { blockMerging } from './block-merging.js';
import { branchFolding } from './branch-folding.js';
import { deadBlocks } from './dead-blocks.js';
import { deadCode } from './dead-code.js';
import { crossJumping } from './cross-jumping.js';
import { cloneCfg } from './graph.js';
import { hoisting } from './hoisting.js';
import { interning } from './interning.js';
import { jumpThreading } from './jump-threading.js';
import { markOptimized } from './layout.js';
import type { Pass } from './pass.js';
import { peephole } from './peephole.js';
import { redundantTests } from './redundant-tests.js';
import { reorder } from './reorder.js';
import { valueNumbering } from './value-numbering.js';

export { dumpCfgDot } from './dump.js';
export type { Pass, PassSettings } from './pass.js';

/** Every pass, in the order one round runs them. */
export const PASSES: readonly Pass[] = [
  valueNumbering, branchFolding, jumpThreading, deadCode, peephole, reorder, deadBlocks, blockMerging, hoisting, interning, crossJumping, redundantTests,
];

/** Options of `optimizeCfg`. */
export interface OptimizeOptions {
  /** Names of the passes to run (default: all of PASSES); the others are switched off. */
  passes?: readonly string[];
  /**
   * Keep the result of every packet, truncated ones included (default true).
   * False assumes loads succeed, as libpcap's optimizer does (see PassSettings).
   */
  exactLoads?: boolean;
  /** Called after every pass that changed the graph, with the graph then (for dumps). */
  onPass?: (pass: string, cfg: Cfg, round: number) => void;
}

/**
 * An equivalent graph with fewer instructions: the input is copied, never
 * changed. Graphs with hand-laid-out (opaque) blocks are returned as they
 * are, as libpcap does for protochain and geneve.
 *
 * @example
 * const cfg2 = optimizeCfg(buildCfg('ip and ip'));
 * const traced = optimizeCfg(buildCfg('tcp port 80'), { onPass: (name, g) => console.log(name, dumpCfg(g)) });
 */
export function optimizeCfg(cfg: Cfg, options: OptimizeOptions = {}): Cfg {
  if (topologicalOrder(cfg).some((b) => b.opaque)) return cfg;
  const unknown = (options.passes ?? []).filter((n) => !PASSES.some((p) => p.name === n));
  if (unknown.length > 0) throw new Error(`unknown optimizer pass ${unknown.join(', ')} (known: ${PASSES.map((p) => p.name).join(', ')})`);
  const enabled = options.passes ? PASSES.filter((p) => options.passes!.includes(p.name)) : PASSES;
  const settings = { exactLoads: options.exactLoads ?? true };
  let current = cloneCfg(cfg);
  // Passes are deterministic: one that found nothing to do in the graph as it
  // still is would find nothing again, so it is not asked twice.
  let version = 0;
  const idleAt = new Map<Pass, number>();
  for (let round = 1, changed = true; changed; round++) {
    changed = false;
    for (const pass of enabled) {
      if ((pass.late && changed) || idleAt.get(pass) === version) continue;
      const next = pass.run(current, settings);
      if (next === null) { idleAt.set(pass, version); continue; }
      current = next;
      changed = true;
      version++;
      options.onPass?.(pass.name, current, round);
    }
  }
  return markOptimized(current);
}
