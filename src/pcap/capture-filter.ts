/**
 * A filter for capture files: a Program, or an expression compiled once per
 * link type met in the file (a pcapng file may mix them). Programs run through
 * the JIT with libpcap's bpf_filter() semantics, as tcpdump -r runs them.
 */
import { jit, jitBatchSelect, type CompiledBatchFilter, type CompiledFilter } from '../bpf/jit.js';
import { fromFileLinkType, linkType as linkTypeInfo } from '../bpf/linktypes.js';
import type { Program } from '../bpf/program.js';
import * as filterLayer from '../filter/index.js';

/** A filter as the capture API takes it: a Program (for every link type) or pcap-filter expression text. */
export type FilterSpec = Program | string;

type Compile = (expression: string, options: { linkType: string | number; optimize?: boolean; snaplen?: number }) => Program;

/** Thrown when an expression cannot become a Program for a link type. */
export class CaptureFilterError extends Error {
  constructor(readonly expression: string, readonly linkType: number, message: string) {
    super(message);
    this.name = 'CaptureFilterError';
  }
}

/**
 * Resolves a FilterSpec into JIT-compiled matchers, per link type, cached.
 *
 * @example
 * const f = new CaptureFilter('tcp port 80');
 * const match = f.matcher(1); // DLT_EN10MB
 * if (match(frame, frame.length) !== 0) keep(frame);
 */
export class CaptureFilter {
  private readonly programs = new Map<number, Program>();
  private readonly matchers = new Map<number, CompiledFilter>();
  private readonly selectors = new Map<number, CompiledBatchFilter>();

  constructor(readonly spec: FilterSpec) {}

  /** The Program this filter runs on packets of a link type (DLT number). */
  program(dlt: number): Program {
    if (typeof this.spec !== 'string') return this.spec;
    let prog = this.programs.get(dlt);
    if (!prog) {
      const compile = (filterLayer as Record<string, unknown>).compile as Compile | undefined;
      if (typeof compile !== 'function') {
        throw new CaptureFilterError(this.spec, dlt, 'this build of bpfkit has no expression compiler yet: pass a Program');
      }
      let name: string | number = dlt;
      try { name = linkTypeInfo(dlt).name; } catch { name = fromFileLinkType(dlt)?.name ?? dlt; }
      prog = compile(this.spec, { linkType: name, optimize: true });
      this.programs.set(dlt, prog);
    }
    return prog;
  }

  /** `(packet, wireLength) => number`: nonzero accepts. */
  matcher(dlt: number): CompiledFilter {
    let m = this.matchers.get(dlt);
    if (!m) { m = jit(this.program(dlt), { semantics: 'bsd' }); this.matchers.set(dlt, m); }
    return m;
  }

  /** The batch form: writes the indices of accepted packets and returns their count. */
  selector(dlt: number): CompiledBatchFilter {
    let s = this.selectors.get(dlt);
    if (!s) { s = jitBatchSelect(this.program(dlt), { semantics: 'bsd' }); this.selectors.set(dlt, s); }
    return s;
  }
}
