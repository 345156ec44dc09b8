/**
 * The matcher every packet path uses: a Program bound to an engine (the JIT
 * by default, the interpreter on request for debugging) and a semantics, with
 * a per-packet call and a batch path that filters a whole PacketBatch in one
 * call, the packet loop inside the generated function. A batch whose arrays
 * all lie in one PacketArena (as the file reader's do when it filters) runs
 * on the WebAssembly batch engine instead: same answers, about half the
 * time per packet on large batches (docs/bpf.md, "WebAssembly").
 */
import { hasBackwardJump, type Program } from './program.js';
import type { PacketBatch } from './batch.js';
import { DEFAULT_SEMANTICS, type AncillaryContext, type Semantics } from './context.js';
import { interpret, interpretBatch } from './interpreter.js';
import { jit, jitBatch, jitBatchSelect, type CompiledBatchFilter, type CompiledFilter } from './jit.js';
import { verify } from './verifier.js';
import { batchArena, wasmBatch, wasmBatchSelect, wasmEngine } from './wasm.js';

/** Which machine runs the Program. */
export type MatchEngine = 'jit' | 'interpreter';

export interface MatcherOptions {
  /**
   * 'jit' (default) or 'interpreter' (the reference, slower; for debugging).
   * A Program the JIT cannot compile but the verifier accepts (libpcap's
   * backward jumps, as `ip6 protochain` makes) runs on the interpreter.
   */
  engine?: MatchEngine;
  /** 'linux' (default) or 'bsd' (libpcap's bpf_filter()). */
  semantics?: Semantics;
  /** Metadata for Linux ancillary loads, used when a call passes none. */
  context?: AncillaryContext;
}

/** Batches a Matcher ran, by the engine that ran them. */
export interface BatchEngineCounts {
  /** Batches in one PacketArena, run as WebAssembly. */
  wasm: number;
  /** Batches run by the JIT's batch function (not in an arena, or a Program wasm cannot run). */
  jit: number;
  /** Batches run on the interpreter (asked for, or a backward jump). */
  interpreter: number;
}

/**
 * Thrown for a batch or result array the matcher cannot use; says which and why.
 *
 * @example
 * matcher.runBatch(batch, new Uint32Array(0)); // MatcherError: results has room for 0 packets, the batch holds 512
 */
export class MatcherError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'MatcherError';
  }
}

/** What a batch function writes: each packet's value, or the accepted packets' indices. */
type BatchForm = 'values' | 'indices';

/**
 * A Program ready to match packets.
 *
 * @example
 * const matcher = new Matcher(compile('tcp port 80'));
 * matcher.matches(frame)                          // true / false
 * const out = new Uint32Array(batch.count);
 * const accepted = matcher.runBatch(batch, out);  // out[i] = return value of packet i
 */
export class Matcher {
  readonly program: Program;
  /** The engine that actually runs the Program. */
  readonly engine: MatchEngine;
  readonly semantics: Semantics;
  /**
   * Runs the Program over one packet and returns its value (0 = reject, else
   * the number of bytes to keep). With the JIT and no default context this is
   * the generated function itself, so calling it costs one call.
   *
   * @example
   * const snap = matcher.run(frame, 1514);
   */
  readonly run: (packet: Uint8Array, wireLength?: number, context?: AncillaryContext) => number;
  /**
   * How many batches each engine has run: lets a caller (and the tests)
   * see whether its batches took the WebAssembly engine.
   *
   * @example
   * matcher.selectBatch(batch, batch.selected); matcher.batchEngines.wasm // 1 if batch lies in an arena
   */
  readonly batchEngines: BatchEngineCounts = { wasm: 0, jit: 0, interpreter: 0 };
  private readonly context: AncillaryContext | undefined;
  /** Batch functions by engine and form, made on first use. */
  private readonly batchFunctions: Partial<Record<`${'wasm' | 'jit'}/${BatchForm}`, CompiledBatchFilter>> = {};
  /** Whether wasm runs this Program, per form (undefined until the first arena batch asks). */
  private wasmRuns: { values?: boolean; indices?: boolean } = {};

  constructor(program: Program, options: MatcherOptions = {}) {
    const asked = options.engine ?? 'jit';
    if (asked !== 'jit' && asked !== 'interpreter') throw new MatcherError(`unknown engine ${JSON.stringify(asked)}: use 'jit' or 'interpreter'`);
    this.program = program;
    this.semantics = options.semantics ?? DEFAULT_SEMANTICS;
    this.context = options.context;
    const semantics = this.semantics;
    const fallback = this.context;
    verify(program, { mode: semantics });
    let compiled: CompiledFilter | undefined;
    if (asked === 'jit' && !hasBackwardJump(program)) compiled = jit(program, { semantics });
    this.engine = compiled ? 'jit' : 'interpreter';
    if (!compiled) {
      this.run = (packet, wireLength, context) => interpret(program, packet, wireLength, { semantics, context: context ?? fallback });
    } else {
      const fn = compiled;
      this.run = fallback === undefined ? fn : (packet, wireLength, context) => fn(packet, wireLength, context ?? fallback);
    }
  }

  /**
   * True when the Program accepts the packet (returns non-zero).
   *
   * @example
   * if (matcher.matches(frame)) keep(frame);
   */
  matches(packet: Uint8Array, wireLength?: number, context?: AncillaryContext): boolean {
    return this.run(packet, wireLength, context) !== 0;
  }

  /**
   * Filters every packet of a batch: `results[i]` receives packet i's return
   * value. Returns how many packets were accepted.
   *
   * @example
   * const results = new Uint32Array(batch.count);
   * const accepted = matcher.runBatch(batch, results);
   */
  runBatch(batch: PacketBatch, results: Uint32Array, context?: AncillaryContext): number {
    this.checkOutput(batch, results, 'results');
    return this.runForm(batch, results, 'values', context);
  }


  /**
   * Filters every packet of a batch and writes the indices of the accepted
   * ones, in order, into `indices`. Returns how many were written. Entries
   * from that count up to the batch's count may be overwritten too (the
   * wasm engine uses them as scratch).
   *
   * @example
   * const indices = new Uint32Array(batch.count);
   * const n = matcher.selectBatch(batch, indices);
   * for (let j = 0; j < n; j++) sink(batch, indices[j]);
   */
  selectBatch(batch: PacketBatch, indices: Uint32Array, context?: AncillaryContext): number {
    this.checkOutput(batch, indices, 'indices');
    return this.runForm(batch, indices, 'indices', context);
  }

  /** One batch on the engine that takes it: the interpreter when asked, wasm for a batch in an arena, else the JIT. */
  private runForm(batch: PacketBatch, out: Uint32Array, form: BatchForm, context: AncillaryContext | undefined): number {
    if (this.engine === 'interpreter') return this.interpretBatch(batch, out, form === 'indices', context);
    const options = { semantics: this.semantics };
    let fn: CompiledBatchFilter;
    if (this.inArena(batch, out, form)) {
      fn = this.batchFunctions[`wasm/${form}`] ??= (form === 'indices' ? wasmBatchSelect : wasmBatch)(this.program, options);
    } else {
      this.batchEngines.jit++;
      fn = this.batchFunctions[`jit/${form}`] ??= (form === 'indices' ? jitBatchSelect : jitBatch)(this.program, options);
    }
    return this.checked(fn(batch.data, batch.offsets, batch.caplens, batch.wirelens, batch.count, out, context ?? this.context), batch);
  }


  /**
   * Whether the wasm engine takes this batch, counting it when it does. The
   * wasm modules are built only here, on the first batch in an arena, so
   * matchers that never see one never pay for them.
   */
  private inArena(batch: PacketBatch, out: Uint32Array, form: BatchForm): boolean {
    if (batchArena(batch.data, batch.offsets, batch.caplens, batch.wirelens, out, batch.count) === undefined) return false;
    // A Program wasm cannot run would go to the JIT inside wasmBatch anyway: count it there.
    const runs = this.wasmRuns[form] ??= wasmEngine(this.program, { semantics: this.semantics }, form).engine === 'wasm';
    if (runs) this.batchEngines.wasm++;
    return runs;
  }

  private checkOutput(batch: PacketBatch, out: Uint32Array, name: string): void {
    const count = batch.count;
    if (!Number.isInteger(count) || count < 0 || count > batch.offsets.length || count > batch.caplens.length || count > batch.wirelens.length) {
      throw new MatcherError(`batch count ${count} does not fit its offsets/caplens/wirelens arrays (${batch.offsets.length}/${batch.caplens.length}/${batch.wirelens.length})`);
    }
    if (out.length < count) throw new MatcherError(`${name} has room for ${out.length} packets, the batch holds ${count}`);
  }

  private checked(answer: number, batch: PacketBatch): number {
    if (answer >= 0) return answer;
    const i = -1 - answer;
    throw new MatcherError(`batch packet ${i}: bytes ${batch.offsets[i]}..${batch.offsets[i] + batch.caplens[i]} lie outside the ${batch.data.length}-byte buffer`);
  }

  private interpretBatch(batch: PacketBatch, out: Uint32Array, select: boolean, context: AncillaryContext | undefined): number {
    this.batchEngines.interpreter++;
    return this.checked(interpretBatch(this.program, batch.data, batch.offsets, batch.caplens, batch.wirelens, batch.count, out, select,
      { semantics: this.semantics, context: context ?? this.context }), batch);
  }

}

/**
 * Makes a Matcher: the JIT unless `{ engine: 'interpreter' }`.
 *
 * @example
 * const m = createMatcher(prog, { semantics: 'bsd' });
 * m.matches(frame);
 */
export function createMatcher(program: Program, options: MatcherOptions = {}): Matcher {
  return new Matcher(program, options);
}
