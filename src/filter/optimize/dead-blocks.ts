/**
 * Dead-block removal: a block from which every path returns 0 (whatever its
 * statements do: a failing load returns 0 too) is the reject block, so every
 * edge into it goes to one `ret #0` instead, and blocks no longer reachable
 * vanish with it.
 */
import { isReturn, topologicalOrder, type Block, type Cfg } from '../cfg.js';
import type { Pass } from './pass.js';

function rejectsOnly(b: Block, known: ReadonlySet<Block>): boolean {
  if (isReturn(b)) return (b.code & 0x18) !== 0x10 && b.k === 0;
  return known.has(b.jt!) && known.has(b.jf!);
}

/**
 * The blocks from which every path returns 0.
 *
 * @example
 * const rejecting = rejectingBlocks(topologicalOrder(cfg));
 */
export function rejectingBlocks(order: readonly Block[]): Set<Block> {
  const rejecting = new Set<Block>();
  for (let i = order.length - 1; i >= 0; i--) if (rejectsOnly(order[i], rejecting)) rejecting.add(order[i]);
  return rejecting;
}

/** The dead-block pass. */
export const deadBlocks: Pass = {
  name: 'dead-blocks',
  summary: 'blocks that can only reject become the one `ret #0`',
  run(cfg: Cfg): Cfg | null {
    const order = topologicalOrder(cfg);
    const rejecting = rejectingBlocks(order);
    const reject = order.find((b) => rejecting.has(b) && isReturn(b));
    if (!reject) return null;
    if (rejecting.has(cfg.root)) return cfg.root === reject ? null : { root: reject };
    let changes = 0;
    for (const b of order) {
      for (const side of ['jt', 'jf'] as const) {
        const target = b[side];
        if (target && target !== reject && rejecting.has(target)) { b[side] = reject; changes++; }
      }
    }
    return changes > 0 ? cfg : null;
  },
};
