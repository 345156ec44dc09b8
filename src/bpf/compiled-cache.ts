/**
 * The cache behind the JIT and the wasm engine: compiled code per Program and
 * variant (semantics and shape). A frozen Program is remembered by identity,
 * the cheap look-up a loop over packets makes; any Program is also found by
 * its instructions' content, so an equal Program built again (a recompiled
 * expression) reuses the code instead of compiling it anew. The content side
 * keeps the last `limit` entries.
 */
import type { Program } from './program.js';

/**
 * Compiled values of one kind (functions, wasm modules) by Program and variant.
 *
 * @example
 * const cache = new CompiledCache<Function>();
 * const fn = cache.known(prog, 'bsd/batch') ?? cache.compile(prog, 'bsd/batch', () => build(prog));
 */
export class CompiledCache<V> {
  private readonly byProgram = new WeakMap<Program, Map<string, V>>();
  private readonly byContent = new Map<string, V>();

  constructor(private readonly limit = 256) {}

  /**
   * What is already compiled for this very Program object and variant, if anything.
   *
   * @example
   * cache.known(prog, 'linux/packet') // undefined the first time
   */
  known(prog: Program, variant: string): V | undefined {
    return this.byProgram.get(prog)?.get(variant);
  }

  /**
   * The value for a Program with the same instructions and variant, built
   * with `build` when there is none, and remembered for this Program object
   * when it cannot change (program() freezes it).
   *
   * @example
   * const fn = cache.compile(prog, 'bsd/select', () => generate(prog));
   */
  compile(prog: Program, variant: string, build: () => V): V {
    const key = `${variant}|${contentKey(prog)}`;
    let value = this.byContent.get(key);
    if (value === undefined) {
      value = build();
      if (this.byContent.size >= this.limit) this.byContent.delete(this.byContent.keys().next().value as string);
      this.byContent.set(key, value);
    }
    if (Object.isFrozen(prog) && prog.every((x) => Object.isFrozen(x))) {
      let mine = this.byProgram.get(prog);
      if (!mine) this.byProgram.set(prog, mine = new Map());
      mine.set(variant, value);
    }
    return value;
  }
}

function contentKey(prog: Program): string {
  let s = '';
  for (const x of prog) s += `${x.code},${x.jt},${x.jf},${x.k};`;
  return s;
}
