/**
 * The optimizer's single entry point, called by compile() when `optimize` is
 * on. This is the seam where the optimizer (its own issue) plugs in; until
 * then it returns the graph unchanged, which is always correct.
 */
import type { Cfg } from '../cfg.js';

/**
 * Returns an equivalent graph (the same graph, for now).
 *
 * @example
 * const cfg2 = optimizeCfg(buildCfg('ip and ip'));
 */
export function optimizeCfg(cfg: Cfg): Cfg {
  return cfg;
}
