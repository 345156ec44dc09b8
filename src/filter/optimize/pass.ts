/**
 * The shape of an optimizer pass: it takes a graph it may mutate and returns
 * the (possibly new-rooted) graph when it changed something, or null when it
 * found nothing to do. Reporting "changed" only when the program really got
 * smaller in the pipeline's measure (see index.ts) is what makes the fixed
 * point loop end.
 */
import type { Cfg } from '../cfg.js';

/** How the passes may treat loads. */
export interface PassSettings {
  /**
   * True (the default): a load past the captured bytes ends the run with 0,
   * and every result, truncated packets included, stays what the
   * unoptimized program returns. False: loads are assumed to succeed, as
   * libpcap's optimizer assumes (its `-O` programs accept some truncated
   * packets its unoptimized programs reject); results stay the same for
   * every packet long enough for the loads the unoptimized program makes.
   */
  readonly exactLoads: boolean;
}

/** One optimization pass. */
export interface Pass {
  /** Short name, used to switch it off and in dumps. */
  readonly name: string;
  /** What it does, one line. */
  readonly summary: string;
  /** Runs only in a round where no other pass changed anything (it wants a graph the others have finished with). */
  readonly late?: boolean;
  /** Transforms `cfg` in place; the result when anything changed, else null. */
  run(cfg: Cfg, settings: PassSettings): Cfg | null;
}
