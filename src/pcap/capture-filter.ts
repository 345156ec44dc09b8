/**
 * A filter for capture files: a Program, or an expression compiled once per
 * link type met in the file (a pcapng file may mix them). Programs run through
 * a Matcher (the JIT, or the interpreter for libpcap's backward jumps, as in
 * `ip6 protochain`) with libpcap's bpf_filter() semantics, as tcpdump -r runs them;
 * batches whose arrays lie in the PacketArena this filter makes for the
 * reader run on the Matcher's WebAssembly engine.
 */
import type { BatchEngineCounts, Matcher as MatcherClass } from '../bpf/filter.js';
import type { PacketArena as PacketArenaClass } from '../bpf/wasm.js';
import type { CompiledFilter } from '../bpf/jit.js';
import type { PacketBatch } from '../bpf/batch.js';
import type { Program } from '../bpf/program.js';
import type { compile as compileFn } from '../filter/compile.js';

/** A filter as the capture API takes it: a Program (for every link type) or pcap-filter expression text. */
export type FilterSpec = Program | string;

/**
 * Resolves a FilterSpec into JIT-compiled matchers, per link type, cached.
 *
 * @example
 * const f = new CaptureFilter('tcp port 80');
 * await f.load();
 * const match = f.matcher(1); // DLT_EN10MB
 * if (match(frame, frame.length) !== 0) keep(frame);
 */
export class CaptureFilter {
  private readonly programs = new Map<number, Program>();
  private readonly matchers = new Map<number, MatcherClass>();
  private compile: typeof compileFn | undefined;
  private Matcher: typeof MatcherClass | undefined;
  private PacketArena: typeof PacketArenaClass | undefined;

  constructor(readonly spec: FilterSpec) {}

  /**
   * Loads the JIT, and the expression compiler when the spec is text. They
   * are loaded on demand because they are the largest modules of bpfkit and
   * many reads have no filter: start-up time counts when reading a file.
   *
   * @example
   * const f = new CaptureFilter('udp'); await f.load(); f.program(1);
   */
  async load(): Promise<void> {
    this.Matcher ??= (await import('../bpf/filter.js')).Matcher;
    this.PacketArena ??= (await import('../bpf/wasm.js')).PacketArena;
    if (typeof this.spec === 'string') this.compile ??= (await import('../filter/compile.js')).compile;
  }

  /**
   * A new PacketArena of `bytes` bytes for the reader to put its chunks and
   * batch arrays in (see ByteWindow.open, createCaptureBatch): batches lying
   * in it run on the WebAssembly engine. Undefined when this runtime cannot
   * make one (then everything runs in JavaScript, with the same answers).
   *
   * @example
   * const f = new CaptureFilter('tcp'); await f.load(); const arena = f.arena(8 << 20);
   */
  arena(bytes: number): PacketArenaClass | undefined {
    if (!this.PacketArena) throw new Error('CaptureFilter.load() must finish before an arena is made');
    try {
      return new this.PacketArena(bytes);
    } catch {
      // No address space for another memory (or a size beyond the limit): the JS path needs none.
      return undefined;
    }
  }

  /**
   * How many batches each engine has filtered so far, over every link type:
   * `wasm` counts those that ran as WebAssembly.
   *
   * @example
   * for await (const b of reader.batches()) {} ; filter.batchEngines().wasm // > 0 for a file read with an arena
   */
  batchEngines(): BatchEngineCounts {
    const total: BatchEngineCounts = { wasm: 0, jit: 0, interpreter: 0 };
    for (const m of this.matchers.values()) {
      total.wasm += m.batchEngines.wasm;
      total.jit += m.batchEngines.jit;
      total.interpreter += m.batchEngines.interpreter;
    }
    return total;
  }

  private matcherFor(dlt: number): MatcherClass {
    let m = this.matchers.get(dlt);
    if (!m) {
      if (!this.Matcher) throw new Error('CaptureFilter.load() must finish before a filter runs');
      m = new this.Matcher(this.program(dlt), { semantics: 'bsd' });
      this.matchers.set(dlt, m);
    }
    return m;
  }

  /** The Program this filter runs on packets of a link type (DLT number). */
  program(dlt: number): Program {
    if (typeof this.spec !== 'string') return this.spec;
    let prog = this.programs.get(dlt);
    if (!prog) {
      if (!this.compile) throw new Error('CaptureFilter.load() must finish before an expression is compiled');
      // Compiled per link type, as tcpdump compiles for the file's link type (errors are the compiler's own).
      prog = this.compile(this.spec, { linkType: dlt });
      this.programs.set(dlt, prog);
    }
    return prog;
  }

  /** `(packet, wireLength) => number`: nonzero accepts. */
  matcher(dlt: number): CompiledFilter {
    return this.matcherFor(dlt).run;
  }

  /** The batch form: writes the indices of the batch's accepted packets into `indices` and returns their count. */
  select(dlt: number, batch: PacketBatch, indices: Uint32Array): number {
    return this.matcherFor(dlt).selectBatch(batch, indices);
  }
}
