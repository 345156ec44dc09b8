/**
 * Many filters at once: one pass over a packet finds every filter that
 * accepts it, at a cost that grows far slower than the number of filters.
 *
 * Each filter's Program is split into its accepting paths (paths.ts). Each
 * path is filed under one of its equality tests, `value == constant` (the
 * "key"), in a hash table per tested value: a thousand `host` filters become
 * two or four table look-ups per packet instead of a thousand programs. A
 * table runs only when the tests that all its paths share (its "guard", e.g.
 * "EtherType is IPv4 and protocol is TCP") hold, and a guard shared by several
 * tables is evaluated once per packet. Only the paths found under the
 * packet's keys are checked further. This is the MPF/DPF idea (merge common
 * prefixes, dispatch equality tests through a hash) applied to any Program.
 */
import type { Program } from '../bpf/program.js';
import { verify } from '../bpf/verifier.js';
import { jit, type CompiledFilter } from '../bpf/jit.js';
import { interpret } from '../bpf/interpreter.js';
import type { Semantics } from '../bpf/context.js';
import { compile } from '../filter/index.js';
import { type Atom, type Expr, ExprEmitter, ExprTable, RUNTIME } from './expr.js';
import { acceptPaths, type AcceptPath, type OpaqueReason } from './paths.js';
import { type Bucket, forEachEntry, insert, largestLeaf, newBucket, remove as removeFiled, visit } from './bucket.js';
import { U32Map } from './u32-map.js';

export interface FilterSetOptions {
  /** Link type for expressions given as text (DLT name or number); default EN10MB. */
  linkType?: string | number;
  /** 'linux' (the default, as the interpreter and JIT) or 'bsd' (libpcap's bpf_filter()). */
  semantics?: Semantics;
  /** Whether expressions are compiled with the optimizer; default true. */
  optimize?: boolean;
  /** A filter with more accepting paths than this is run whole instead of indexed; default 256. */
  maxPathsPerFilter?: number;
}

/** Thrown for a filter that cannot be added (bad expression, invalid Program); names the id. */
export class FilterSetError extends Error {
  constructor(readonly id: unknown, message: string, override readonly cause?: unknown) {
    super(`filter ${JSON.stringify(id)}: ${message}`);
    this.name = 'FilterSetError';
  }
}

/** A function called with each packet a filter accepts. */
export type FilterHandler<Id> = (packet: Uint8Array, wireLength: number, id: Id) => void;

interface FilterEntry<Id> {
  readonly id: Id;
  readonly seq: number;
  readonly program: Program;
  readonly handler: FilterHandler<Id> | undefined;
  readonly paths: PathEntry<Id>[];
  /** Set when the Program is run whole (it could not be split into paths). */
  readonly whole: CompiledFilter | undefined;
  readonly opaqueReason: OpaqueReason | undefined;
}

interface PathEntry<Id> {
  readonly filter: FilterEntry<Id>;
  readonly path: AcceptPath;
  readonly atoms: AcceptPath['atoms'];
  /** The path's tests that neither the key nor the table's guard covers; `always` when none are left. */
  check: (p: Uint8Array, wl: number) => boolean;
  always: boolean;
  key: Atom | undefined;
  table: DispatchTable<Id> | undefined;
  keyValue: number;
  bucket: Bucket<PathEntry<Id>> | undefined;
}

interface DispatchTable<Id> {
  readonly expr: Expr;
  readonly buckets: U32Map<Bucket<PathEntry<Id>>>;
  size: number;
  /** Conditions every path in the table has (besides its key): checked before the key is computed. */
  guard: Atom[];
}

/** How a FilterSet is organised now: for seeing why it costs what it costs. */
export interface FilterSetStats {
  filters: number;
  paths: number;
  tables: Array<{ key: string; paths: number; buckets: number; largestBucket: number; guard: string[] }>;
  /** Paths with no equality test to index on: checked for every packet. */
  unindexedPaths: number;
  /** Filters run whole, by reason. */
  wholeFilters: Record<string, number>;
}

type Dispatcher<Id> = (p: Uint8Array, wl: number, out: FilterEntry<Id>[]) => number;

const ALWAYS = (): boolean => true;

/** How many bits a value can vary in: a load's width, narrowed by a constant mask or shift. */
function valueBits(e: Expr): number {
  switch (e.kind) {
    case 'const': return 0;
    case 'len': return 16;
    case 'load': return e.size * 8;
    case 'neg': return valueBits(e.arg);
    case 'alu': {
      const inner = Math.max(valueBits(e.left), valueBits(e.right));
      if (e.op === 'and' && e.right.kind === 'const') return Math.min(inner, popcount(e.right.value));
      if (e.op === 'rsh' && e.right.kind === 'const') return Math.max(0, inner - e.right.value);
      return inner;
    }
  }
}

function popcount(v: number): number {
  let n = 0;
  for (let x = v >>> 0; x !== 0; x >>>= 1) n += x & 1;
  return n;
}
const RUNTIME_NAMES = Object.keys(RUNTIME);
const RUNTIME_VALUES = RUNTIME_NAMES.map((n) => RUNTIME[n]);

/**
 * A set of filters under ids, matched together in one pass.
 *
 * @example
 * const set = new FilterSet<string>({ linkType: 'EN10MB' });
 * set.add('web', 'tcp port 80 or tcp port 443');
 * set.add('dns', 'udp port 53');
 * set.add('db', 'host 10.0.0.5 and tcp port 5432');
 * set.match(frame);        // e.g. ['web'] — every filter that accepts the frame
 * set.matchFirst(frame);   // the first added filter that accepts it, or undefined
 * set.remove('dns');
 */
export class FilterSet<Id = string> {
  private readonly linkType: string | number;
  private readonly semantics: Semantics;
  private readonly optimize: boolean;
  private readonly maxPaths: number;
  private readonly exprs = new ExprTable();
  private readonly filters = new Map<Id, FilterEntry<Id>>();
  private readonly tables = new Map<string, DispatchTable<Id>>();
  private readonly unindexed: PathEntry<Id>[] = [];
  private readonly whole: FilterEntry<Id>[] = [];
  private readonly checks = new Map<string, (p: Uint8Array, wl: number) => boolean>();
  private readonly guardFns = new Map<string, (p: Uint8Array, wl: number) => boolean>();
  private readonly evaluators = new Map<string, (p: Uint8Array, wl: number) => number>();
  private dispatcher: Dispatcher<Id> | undefined;
  private readonly scratch: FilterEntry<Id>[] = [];
  private seq = 0;

  constructor(options: FilterSetOptions = {}) {
    this.linkType = options.linkType ?? 'EN10MB';
    this.semantics = options.semantics ?? 'linux';
    this.optimize = options.optimize ?? true;
    this.maxPaths = options.maxPathsPerFilter ?? 256;
  }

  /** Number of filters in the set. */
  get size(): number {
    return this.filters.size;
  }

  /**
   * Adds (or replaces) the filter under `id`: an expression in the pcap-filter
   * language or a Program. `handler`, if given, is called by `dispatch` for
   * each packet the filter accepts. Throws FilterSetError naming the id.
   *
   * @example
   * set.add('ssh', 'tcp port 22');
   * set.add(42, compile('icmp'), (pkt) => console.log('ping', pkt.length));
   */
  add(id: Id, filter: string | Program, handler?: FilterHandler<Id>): this {
    const program = this.toProgram(id, filter);
    if (this.filters.has(id)) this.remove(id);
    const analysis = acceptPaths(program, this.exprs, { linux: this.semantics === 'linux', maxPaths: this.maxPaths });
    const paths: PathEntry<Id>[] = [];
    const entry: FilterEntry<Id> = {
      id, seq: this.seq++, program, handler, paths,
      whole: analysis.kind === 'opaque' ? this.runWhole(program) : undefined,
      opaqueReason: analysis.kind === 'opaque' ? analysis.reason : undefined,
    };
    if (analysis.kind === 'opaque') {
      this.whole.push(entry);
    } else {
      for (const path of analysis.paths) {
        const pe: PathEntry<Id> = { filter: entry, path, atoms: path.atoms, check: ALWAYS, always: true, key: undefined, table: undefined, keyValue: 0, bucket: undefined };
        this.file(pe);
        paths.push(pe);
      }
    }
    this.filters.set(id, entry);
    return this;
  }

  /**
   * Removes the filter under `id`; returns whether there was one.
   *
   * @example
   * set.remove('ssh'); // true
   */
  remove(id: Id): boolean {
    const entry = this.filters.get(id);
    if (!entry) return false;
    this.filters.delete(id);
    if (entry.whole) {
      this.whole.splice(this.whole.indexOf(entry), 1);
      return true;
    }
    for (const pe of entry.paths) {
      const table = pe.table;
      if (!table) {
        this.unindexed.splice(this.unindexed.indexOf(pe), 1);
        continue;
      }
      if (removeFiled(pe)) table.buckets.delete(pe.keyValue);
      table.size--;
      if (table.size === 0) {
        this.tables.delete(table.expr.key);
        this.dispatcher = undefined;
      }
    }
    return true;
  }

  /**
   * Whether a filter is in the set under `id`.
   *
   * @example
   * set.has('web') // true
   */
  has(id: Id): boolean {
    return this.filters.has(id);
  }

  /**
   * The ids in the order they were added.
   *
   * @example
   * set.ids() // ['web', 'dns', 'db']
   */
  ids(): Id[] {
    return [...this.filters.values()].sort((a, b) => a.seq - b.seq).map((f) => f.id);
  }

  /**
   * The ids of every filter that accepts the packet (in no particular order).
   *
   * @example
   * for (const id of set.match(frame, 1514)) counters[id]++;
   */
  match(packet: Uint8Array, wireLength: number = packet.length): Id[] {
    const out = this.scratch;
    const n = this.run(packet, wireLength, out);
    const ids = new Array<Id>(n);
    for (let i = 0; i < n; i++) ids[i] = out[i].id;
    return ids;
  }

  /**
   * How many filters accept the packet, without building a list: the fastest call.
   *
   * @example
   * const hits = set.count(frame);
   */
  count(packet: Uint8Array, wireLength: number = packet.length): number {
    return this.run(packet, wireLength, this.scratch);
  }

  /**
   * The id of the earliest-added filter that accepts the packet, or undefined:
   * rule-list ("first match wins") semantics.
   *
   * @example
   * const rule = set.matchFirst(frame) ?? 'default';
   */
  matchFirst(packet: Uint8Array, wireLength: number = packet.length): Id | undefined {
    const out = this.scratch;
    const n = this.run(packet, wireLength, out);
    let best: FilterEntry<Id> | undefined;
    for (let i = 0; i < n; i++) if (!best || out[i].seq < best.seq) best = out[i];
    return best?.id;
  }

  /**
   * Calls the handler of every filter that accepts the packet; returns how many accepted it.
   *
   * @example
   * for await (const rec of readCapture('in.pcap')) set.dispatch(rec.data, rec.len);
   */
  dispatch(packet: Uint8Array, wireLength: number = packet.length): number {
    const n = this.run(packet, wireLength, this.scratch);
    // A handler may match other packets with this set: work from a copy of the matches.
    const hits = this.scratch.slice(0, n);
    for (const f of hits) f.handler?.(packet, wireLength, f.id);
    return n;
  }

  /**
   * How the set is organised: tables, buckets, guards, unindexed paths, filters run whole.
   *
   * @example
   * console.log(set.stats().tables.map((t) => `${t.key}: ${t.buckets} values`));
   */
  stats(): FilterSetStats {
    const wholeFilters: Record<string, number> = {};
    for (const f of this.whole) wholeFilters[f.opaqueReason!] = (wholeFilters[f.opaqueReason!] ?? 0) + 1;
    let paths = 0;
    for (const f of this.filters.values()) paths += f.paths.length;
    return {
      filters: this.filters.size,
      paths,
      tables: [...this.tables.values()].map((t) => ({
        key: t.expr.key,
        paths: t.size,
        buckets: t.buckets.size,
        largestBucket: Math.max(0, ...[...t.buckets.values()].map(largestLeaf)),
        guard: t.guard.map((a) => a.key),
      })),
      unindexedPaths: this.unindexed.length,
      wholeFilters,
    };
  }

  /**
   * The JavaScript of the current dispatcher: what one packet runs.
   *
   * @example
   * console.log(set.source());
   */
  source(): string {
    return this.generate().source;
  }

  private run(packet: Uint8Array, wireLength: number, out: FilterEntry<Id>[]): number {
    const d = this.dispatcher ?? (this.dispatcher = this.generate().fn);
    return d(packet, wireLength, out);
  }

  private toProgram(id: Id, filter: string | Program): Program {
    let program: Program;
    try {
      program = typeof filter === 'string'
        ? compile(filter, { linkType: this.linkType, optimize: this.optimize })
        : filter;
      verify(program, { mode: this.semantics });
    } catch (err) {
      throw new FilterSetError(id, err instanceof Error ? err.message : String(err), err);
    }
    return program;
  }

  /** The JIT's function for a Program run whole; the interpreter's for the few the JIT refuses (libpcap's backward jumps). */
  private runWhole(program: Program): CompiledFilter {
    const semantics = this.semantics;
    try {
      return jit(program, { semantics });
    } catch {
      return (packet, wireLength) => interpret(program, packet, wireLength, { semantics });
    }
  }

  /** Files a path under its best key, or among the unindexed paths. */
  private file(pe: PathEntry<Id>): void {
    let best: Atom | undefined;
    let bestCost = Infinity;
    for (const atom of pe.path.atoms) {
      if (atom.op !== 'eq' || !atom.truth || atom.right.kind !== 'const' || atom.left.kind === 'const') continue;
      const table = this.tables.get(atom.left.key);
      // Expected work per packet, in units of one path check. A bucket's share of packets is
      // guessed from how many distinct values its table holds: a field with few values (an
      // EtherType, an IP protocol) is a poor key however small its bucket is today. A bucket
      // splits as it grows (bucket.ts), so a packet in it pays about log2 of its size. A new
      // table costs every packet a look-up, the more so the fewer bits its value can vary in
      // (an 8-bit protocol field will never spread packets as a 32-bit address does).
      const size = table?.buckets.get(atom.right.value)?.size ?? 0;
      const cost = table ? (1 + Math.log2(1 + size)) / Math.max(1, table.buckets.size) : 2 + (32 - valueBits(atom.left)) / 32;
      if (cost <= bestCost) { best = atom; bestCost = cost; } // later tests are more specific: ties go to them
    }
    if (!best || best.right.kind !== 'const') {
      this.unindexed.push(pe);
      this.setCheck(pe, []);
      return;
    }
    const value = best.right.value;
    const others = pe.path.atoms.filter((a) => a !== best);
    let table = this.tables.get(best.left.key);
    if (!table) {
      table = { expr: best.left, buckets: new U32Map(), size: 0, guard: others.slice() };
      this.tables.set(best.left.key, table);
      this.dispatcher = undefined;
    } else {
      const shared = table.guard.filter((a) => others.includes(a));
      if (shared.length !== table.guard.length) {
        table.guard = shared;
        this.dispatcher = undefined;
        // The guard no longer covers some tests its paths left to it: give those back to their checks.
        for (const bucket of table.buckets.values()) forEachEntry(bucket, (e) => this.setCheck(e, table!.guard));
      }
    }
    pe.key = best;
    this.setCheck(pe, table.guard);
    let bucket = table.buckets.get(value);
    if (!bucket) table.buckets.set(value, (bucket = newBucket<PathEntry<Id>>(undefined, value, new Set([best.left.key]))));
    insert(bucket, pe, this.evaluator);
    table.size++;
    pe.table = table;
    pe.keyValue = value;
  }

  /** Sets what a path still has to check once its key and its table's guard have passed. */
  private setCheck(pe: PathEntry<Id>, guard: readonly Atom[]): void {
    const atoms = pe.path.atoms.filter((a) => a !== pe.key && !guard.includes(a));
    pe.always = atoms.length === 0 && pe.path.computed.length === 0;
    pe.check = pe.always ? ALWAYS : this.checkFor(pe.path, atoms);
  }

  /** A function checking some of a path's conditions, shared by every path with the same ones. */
  private checkFor(path: AcceptPath, atoms: readonly Atom[]): (p: Uint8Array, wl: number) => boolean {
    const signature = `${atoms.map((a) => a.key).join('&')}|${path.computed.map((e) => e.key).join(',')}`;
    let fn = this.checks.get(signature);
    if (!fn) {
      fn = this.conditionFunction(atoms, path.computed);
      this.checks.set(signature, fn);
    }
    return fn;
  }

  private conditionFunction(atoms: readonly Atom[], computed: readonly Expr[]): (p: Uint8Array, wl: number) => boolean {
    const em = new ExprEmitter('return false;', this.semantics === 'linux');
    for (const atom of atoms) {
      const cond = em.condition(atom);
      em.lines.push(`if (!${cond}) return false;`);
    }
    for (const e of computed) em.value(e);
    const body = `return function check(p, wl) {\n${em.lines.join('\n')}\nreturn true;\n};`;
    return new Function(...RUNTIME_NAMES, body)(...RUNTIME_VALUES) as (p: Uint8Array, wl: number) => boolean;
  }

  /** A compiled function computing one value of a packet, -1 when it cannot be computed; shared per value. */
  private readonly evaluator = (e: Expr): ((p: Uint8Array, wl: number) => number) => {
    let fn = this.evaluators.get(e.key);
    if (!fn) {
      const em = new ExprEmitter('return -1;', this.semantics === 'linux');
      const name = em.value(e);
      const body = `return function value(p, wl) {\n${em.lines.join('\n')}\nreturn ${name};\n};`;
      fn = new Function(...RUNTIME_NAMES, body)(...RUNTIME_VALUES) as (p: Uint8Array, wl: number) => number;
      this.evaluators.set(e.key, fn);
    }
    return fn;
  };

  private guardFunction(atom: Atom): (p: Uint8Array, wl: number) => boolean {
    let fn = this.guardFns.get(atom.key);
    if (!fn) {
      fn = this.conditionFunction([atom], []);
      this.guardFns.set(atom.key, fn);
    }
    return fn;
  }

  /** Generates the dispatcher: guards (each evaluated at most once), one hash look-up per table, then the rest. */
  private generate(): { fn: Dispatcher<Id>; source: string } {
    const tables = [...this.tables.values()];
    const guardAtoms = new Map<string, { atom: Atom; index: number }>();
    for (const t of tables) for (const a of t.guard) if (!guardAtoms.has(a.key)) guardAtoms.set(a.key, { atom: a, index: guardAtoms.size });
    const lines: string[] = ['let c = 0;'];
    for (const { index } of guardAtoms.values()) lines.push(`let g${index} = 2;`);
    tables.forEach((t, i) => {
      const em = new ExprEmitter(`break t${i};`, this.semantics === 'linux');
      const keyName = em.value(t.expr);
      lines.push(`t${i}: {`);
      for (const a of t.guard) {
        const g = guardAtoms.get(a.key)!.index;
        lines.push(`if (g${g} === 2) g${g} = G[${g}](p, wl) ? 1 : 0;`, `if (g${g} === 0) break t${i};`);
      }
      lines.push(...em.lines);
      lines.push(
        `const b = T[${i}].get(${keyName});`,
        'if (b !== undefined) c = visit(b, p, wl, out, c);',
        '}',
      );
    });
    lines.push(
      'for (let j = 0; j < U.length; j++) { const pe = U[j]; if (pe.check(p, wl)) out[c++] = pe.filter; }',
      'for (let j = 0; j < W.length; j++) { const f = W[j]; if (f.whole(p, wl) !== 0) out[c++] = f; }',
      'return c;',
    );
    const source = `return function dispatch(p, wl, out) {\n${lines.join('\n')}\n};`;
    const G = [...guardAtoms.values()].map(({ atom }) => this.guardFunction(atom));
    const T = tables.map((t) => t.buckets);
    const fn = new Function('G', 'T', 'U', 'W', 'visit', ...RUNTIME_NAMES, source)(G, T, this.unindexed, this.whole, visit, ...RUNTIME_VALUES) as Dispatcher<Id>;
    return { fn, source };
  }
}
