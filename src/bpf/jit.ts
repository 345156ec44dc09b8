/**
 * The JIT: compiles a verified Program into one JavaScript function that V8
 * optimizes like hand-written code. Same answers as the interpreter, in both
 * semantics; compiled functions are cached by Program.
 */
import type { Program } from './program.js';
import { generateSource, type JitShape } from './jit-codegen.js';
import { loadAncillary, loadNegative } from './jit-runtime.js';
import { checkForJit } from './jit-check.js';
import { CompiledCache } from './compiled-cache.js';
import { DEFAULT_SEMANTICS, type AncillaryContext, type Semantics } from './context.js';

/** A compiled Program: returns what the Program returns (0 = reject, else the snap length). */
export type CompiledFilter = (packet: Uint8Array, wireLength?: number, context?: AncillaryContext) => number;

/**
 * A compiled Program over a whole batch: runs packets 0..count-1 of the
 * arrays, writes into `out` and returns how many packets were accepted (a
 * negative number -1-i when packet i lies outside `data`).
 */
export type CompiledBatchFilter = (
  data: Uint8Array, offsets: Uint32Array, caplens: Uint32Array, wirelens: Uint32Array,
  count: number, out: Uint32Array, context?: AncillaryContext,
) => number;

export interface JitOptions {
  /** 'linux' (the kernel: ancillary data, negative offsets; the default, as for the interpreter) or 'bsd' (libpcap's bpf_filter()). */
  semantics?: Semantics;
}

/** The helpers generated code calls for rare Linux paths. */
const runtime = Object.freeze({ anc: loadAncillary, neg: loadNegative });

type AnyCompiled = CompiledFilter | CompiledBatchFilter;

const compiledFunctions = new CompiledCache<AnyCompiled>();

function compileShape(prog: Program, semantics: Semantics, shape: JitShape): AnyCompiled {
  const variant = `${semantics}/${shape}`;
  const hit = compiledFunctions.known(prog, variant);
  if (hit) return hit;
  checkForJit(prog, semantics);
  return compiledFunctions.compile(prog, variant, () => {
    const src = generateSource(prog, semantics, shape);
    const inner = src.params.filter((p) => p !== 'rt');
    // The factory closes over the runtime helpers so the returned function is the generated one itself.
    // The parentheses make V8 compile it eagerly instead of pre-parsing it now and parsing it again on the first call.
    const factory = new Function('rt', `return (function bpfFilter(${inner.join(', ')}) {\n${src.body}\n});`);
    return factory(runtime) as AnyCompiled;
  });
}

/**
 * Compiles a Program into a function `(packet, wireLength?, context?) => number`
 * that returns exactly what the interpreter returns. Throws if the Program
 * does not verify.
 *
 * @example
 * const match = jit(program([{ code: 0x06, jt: 0, jf: 0, k: 0xffff }]));
 * match(new Uint8Array(60)) // 65535
 */
export function jit(prog: Program, options: JitOptions = {}): CompiledFilter {
  return compileShape(prog, options.semantics ?? DEFAULT_SEMANTICS, 'packet') as CompiledFilter;
}

/**
 * Compiles a Program into a batch function with the packet loop inside: it
 * writes each packet's return value into `out[i]` and returns the number accepted.
 *
 * @example
 * const run = jitBatch(prog);
 * const out = new Uint32Array(batch.count);
 * const accepted = run(batch.data, batch.offsets, batch.caplens, batch.wirelens, batch.count, out);
 */
export function jitBatch(prog: Program, options: JitOptions = {}): CompiledBatchFilter {
  return compileShape(prog, options.semantics ?? DEFAULT_SEMANTICS, 'batch-values') as CompiledBatchFilter;
}

/**
 * Like `jitBatch`, but writes only the indices of accepted packets, in order,
 * into `out`, and returns how many there are.
 *
 * @example
 * const select = jitBatchSelect(prog);
 * const n = select(batch.data, batch.offsets, batch.caplens, batch.wirelens, batch.count, indices);
 * for (let j = 0; j < n; j++) use(indices[j]);
 */
export function jitBatchSelect(prog: Program, options: JitOptions = {}): CompiledBatchFilter {
  return compileShape(prog, options.semantics ?? DEFAULT_SEMANTICS, 'batch-indices') as CompiledBatchFilter;
}

/**
 * The JavaScript source the JIT generates for a Program, for reading and debugging.
 *
 * @example
 * console.log(jitSource(prog)); // function bpfFilter(p, w, ctx) { ... }
 */
export function jitSource(prog: Program, options: JitOptions & { shape?: JitShape } = {}): string {
  const semantics = options.semantics ?? DEFAULT_SEMANTICS;
  checkForJit(prog, semantics);
  const src = generateSource(prog, semantics, options.shape ?? 'packet');
  return `function bpfFilter(${src.params.filter((p) => p !== 'rt').join(', ')}) {\n${src.body}\n}`;
}
