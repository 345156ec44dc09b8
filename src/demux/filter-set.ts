/**
 * Many filters at once: one pass over a packet finds every filter that
 * accepts it, at a cost that grows far slower than the number of filters.
 *
 * Each filter's Program is split into its accepting paths (paths.ts). Each
 * path is filed in a hash table under its equality tests on wide values
 * (`value == constant`: an address, a port, or a flow's addresses and ports
 * together as one tuple), so a thousand `host` filters become two look-ups
 * per packet instead of a thousand programs. A table is probed only when the
 * tests that all its paths share (its "guard": the EtherType, the IP
 * protocol, "not a fragment") hold, and the dispatcher is one generated
 * function in which the guards are nested blocks: a test several tables
 * share is made once, and tables under a guard that failed cost nothing.
 * Only the paths found under the packet's keys are checked further. This is
 * the MPF/DPF idea (merge common prefixes, dispatch equality tests through a
 * hash) applied to any Program.
 */
import type { Program } from '../bpf/program.js';
import { verify } from '../bpf/verifier.js';
import { jit, type CompiledFilter } from '../bpf/jit.js';
import { interpret } from '../bpf/interpreter.js';
import type { Semantics } from '../bpf/context.js';
import { compile } from '../filter/index.js';
import { type Atom, type Expr, ExprTable, RUNTIME, ScopedEmitter, canFail } from './expr.js';
import { acceptPaths, type AcceptPath, type OpaqueReason } from './paths.js';
import { type Bucket, forEachEntry, insert, largestLeaf, newBucket, remove as removeFiled, tupleHash, tupleHashSource } from './bucket.js';
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
  /** Its number in the set's `direct` array, the tag of a key whose bucket is this filter alone (see `retag`). */
  readonly index: number;
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
  /**
   * The path's tests that neither the key nor the table's guard covers; `always` when none are left.
   * Checks are shared by every path with the same tests on different constants, which come in `consts`.
   */
  check: Check;
  consts: number[];
  always: boolean;
  /** The tests the path is filed under: `value == constant`, one per value its table is keyed on. */
  keys: readonly Atom[];
  table: DispatchTable<Id> | undefined;
  /** Its key in the table's map: the value itself, or the hash of the values for a tuple. */
  keyValue: number;
  bucket: Bucket<PathEntry<Id>> | undefined;
}

interface DispatchTable<Id> {
  /** The values keyed on and the table's class (see `file`). */
  readonly id: string;
  /** The values a table is keyed on: one, or a tuple (a flow's addresses and ports). */
  readonly exprs: readonly Expr[];
  /** Root buckets by value (one value) or by tuple hash (chained through `next`, told apart by `tuple`). */
  readonly buckets: U32Map<Bucket<PathEntry<Id>>>;
  /** The class (see `file`), when the table counts against its key's cap on classes. */
  readonly cls: string | undefined;
  size: number;
  /** Conditions every path in the table has (besides its key): checked before the key is computed. */
  guard: Atom[];
  /** Values its buckets are split on: the dispatcher computes them when a bucket it finds is split. */
  readonly splitExprs: Expr[];
  /** Whether the current dispatcher's probe of this table reads it as a narrow map (see U32Map). */
  generatedNarrow: boolean | undefined;
}

/** How a FilterSet is organised now: for seeing why it costs what it costs. */
export interface FilterSetStats {
  filters: number;
  paths: number;
  /**
   * One per table: the value(s) it is keyed on (several for a tuple), its paths, the distinct keys
   * in its hash map, the most paths one packet can check in it, and its guard.
   */
  tables: Array<{ key: string; paths: number; buckets: number; largestBucket: number; guard: string[] }>;
  /** Paths with no equality test to index on: checked for every packet. */
  unindexedPaths: number;
  /** Filters run whole, by reason. */
  wholeFilters: Record<string, number>;
}

type Dispatcher<Id> = (p: Uint8Array, wl: number, out: FilterEntry<Id>[]) => number;
type Direct<Id> = Array<FilterEntry<Id> | undefined>;
type Check = (p: Uint8Array, wl: number, k: readonly number[]) => boolean;

const ALWAYS: Check = () => true;
const NO_CONSTS: number[] = [];

/** Whether an atom is `value == constant`, a test a path can be filed under. */
function keyable(atom: Atom): boolean {
  return atom.op === 'eq' && atom.truth && atom.right.kind === 'const' && atom.left.kind !== 'const';
}

/**
 * Walks the bucket a packet's key found and the sub-buckets its values lead
 * to (the dispatcher has left those values in `S`). It is generated with each
 * dispatcher rather than shared, so that V8's type feedback for its calls (the
 * paths' checks) belongs to one set. A bucket of one entry is read straight
 * from `only`.
 */
const VISIT_SOURCE = `function visit(b, p, wl, out, c) {
  for (;;) {
    const one = b.only;
    if (one !== undefined) {
      if (one.always || one.check(p, wl, one.consts)) out[c++] = one.filter;
      return c;
    }
    const e = b.entries;
    for (let j = 0; j < e.length; j++) {
      const pe = e[j];
      if (pe.always || pe.check(p, wl, pe.consts)) out[c++] = pe.filter;
    }
    const sub = b.sub;
    if (sub === undefined) return c;
    const v = S[b.splitSlot];
    if (v < 0) return c;
    let next;
    ${U32Map.lookupSource('sub', 'v', 'next')}
    if (next === undefined) return c;
    b = next;
  }
}`;

let setSerial = 0;

/** Tables with different classes one key may have (see `file`). */
const MAX_CLASSES = 16;

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
  private readonly checks = new Map<string, Check>();
  private readonly serial = setSerial++;
  private generation = 0;
  /** Where in the dispatcher's value array each value that buckets split on is left. */
  private readonly slots = new Map<string, number>();
  /** How many tables with a class each key (its values) has. */
  private readonly classCount = new Map<string, number>();
  private dispatcher: Dispatcher<Id> | undefined;
  private readonly scratch: FilterEntry<Id>[] = [];
  private seq = 0;
  /** The filters by number (`FilterEntry.index`, from 1: a tag of 0 means none); numbers of removed filters are reused. */
  private readonly direct: Direct<Id> = [undefined];
  private readonly freeIndexes: number[] = [];

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
    const index = this.freeIndexes.pop() ?? this.direct.length;
    const entry: FilterEntry<Id> = {
      id, seq: this.seq++, index, program, handler, paths,
      whole: analysis.kind === 'opaque' ? this.runWhole(program) : undefined,
      opaqueReason: analysis.kind === 'opaque' ? analysis.reason : undefined,
    };
    if (analysis.kind === 'opaque') {
      // The dispatcher has a loop over the filters run whole only while there are some.
      if (this.whole.length === 0) this.dispatcher = undefined;
      this.whole.push(entry);
    } else {
      for (const path of analysis.paths) {
        const pe: PathEntry<Id> = { filter: entry, path, atoms: path.atoms, check: ALWAYS, consts: NO_CONSTS, always: true, keys: [], table: undefined, keyValue: 0, bucket: undefined };
        this.file(pe);
        paths.push(pe);
      }
    }
    this.direct[index] = entry;
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
    this.direct[entry.index] = undefined;
    this.freeIndexes.push(entry.index);
    if (entry.whole) {
      this.whole.splice(this.whole.indexOf(entry), 1);
      if (this.whole.length === 0) this.dispatcher = undefined;
      return true;
    }
    for (const pe of entry.paths) {
      const table = pe.table;
      if (!table) {
        this.unindexed.splice(this.unindexed.indexOf(pe), 1);
        if (this.unindexed.length === 0) this.dispatcher = undefined;
        continue;
      }
      let root = pe.bucket!;
      while (root.parent) root = root.parent;
      if (removeFiled(pe)) unlinkRoot(table, pe.keyValue, root);
      else this.retag(table, pe.keyValue);
      table.size--;
      if (table.size === 0) {
        this.tables.delete(table.id);
        if (table.cls !== undefined) this.classCount.set(table.cls, this.classCount.get(table.cls)! - 1);
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
        key: t.exprs.map((e) => e.key).join(', '),
        paths: t.size,
        buckets: t.buckets.size,
        largestBucket: Math.max(0, ...roots(t).map(largestLeaf)),
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

  /**
   * Files a path under its best key, or among the unindexed paths. The key is
   * the equality test on the widest value (a 32-bit address before a 16-bit
   * port before an 8-bit protocol: the wider the field, the more filters it
   * tells apart); between equals the later test, which is the more specific
   * one in compiled filters (a port after the EtherType, a net after it). The
   * choice depends on the path alone, never on the filters added before it, so
   * a set files the same paths the same way whatever the order it was built in.
   *
   * A table holds the paths with one key value and one *class*: the equality
   * tests on narrow fields (16 bits or fewer) that the path makes before its
   * key, the EtherType and the IP protocol in compiled filters. A table's class
   * is part of its guard, so ARP paths are probed only for ARP packets, and TCP
   * ports only for TCP, however many filters share the key's field.
   */
  private file(pe: PathEntry<Id>): void {
    let best: Atom | undefined;
    let bestBits = -1;
    let bestAt = -1;
    const atoms = pe.path.atoms;
    for (let i = 0; i < atoms.length; i++) {
      if (!keyable(atoms[i])) continue;
      const bits = valueBits(atoms[i].left);
      if (bits >= bestBits) { best = atoms[i]; bestBits = bits; bestAt = i; }
    }
    if (best === undefined) {
      if (this.unindexed.length === 0) this.dispatcher = undefined;
      this.unindexed.push(pe);
      this.setCheck(pe, []);
      return;
    }
    const key: Atom = best;
    // The class: narrow equality tests made before the key (EtherType, IP protocol).
    const cls = atoms.slice(0, bestAt).filter((a) => keyable(a) && valueBits(a.left) <= 16 && a.left !== key.left);
    // The tuple: the key and every other equality test on a value of 16 bits or more outside the class
    // (a flow's other address and its ports), one test per value, ordered by value so that filters
    // naming the same fields in another order share the table.
    const keys: Atom[] = [];
    for (const a of atoms) {
      if (a === key || (keyable(a) && !cls.includes(a) && valueBits(a.left) >= 16)) {
        if (!keys.some((k) => k.left === a.left)) keys.push(a);
        else if (a === key) keys[keys.findIndex((k) => k.left === a.left)] = a;
      }
    }
    keys.sort((a, b) => (a.left.key < b.left.key ? -1 : a.left.key > b.left.key ? 1 : 0));
    const values = keys.map((a) => (a.right.kind === 'const' ? a.right.value : 0));
    const keyValue = keys.length === 1 ? values[0] : tupleHash(values);
    const keyId = keys.map((a) => a.left.key).join(', ');
    const clsId = `${keyId}|${cls.map((a) => a.key).join('&')}`;
    // A set whose filters test a key's field after many different narrow values would make a table
    // per value: past MAX_CLASSES, such paths share one table without a class.
    let id = clsId;
    if (cls.length > 0 && !this.tables.has(clsId) && (this.classCount.get(keyId) ?? 0) >= MAX_CLASSES) id = `${keyId}|`;
    const others = atoms.filter((a) => !keys.includes(a));
    let table = this.tables.get(id);
    if (!table) {
      const counted = id === clsId && cls.length > 0 ? keyId : undefined;
      if (counted !== undefined) this.classCount.set(counted, (this.classCount.get(counted) ?? 0) + 1);
      // A table keyed on one value starts narrow (keys and tags in one slot) and widens when a key or a
      // filter number needs more than 16 bits; a tuple's hash needs 32 from the start.
      const buckets = new U32Map<Bucket<PathEntry<Id>>>(8, { narrow: keys.length === 1 });
      table = { id, exprs: keys.map((a) => a.left), buckets, cls: counted, size: 0, guard: others.slice(), splitExprs: [], generatedNarrow: undefined };
      this.tables.set(id, table);
      this.dispatcher = undefined;
    } else {
      const shared = table.guard.filter((a) => others.includes(a));
      if (shared.length !== table.guard.length) {
        table.guard = shared;
        this.dispatcher = undefined;
        // The guard no longer covers some tests its paths left to it: give those back to their checks.
        for (const bucket of roots(table)) forEachEntry(bucket, (e) => this.setCheck(e, table!.guard));
        for (const [key] of table.buckets.entries()) this.retag(table!, key);
      }
    }
    pe.keys = keys;
    this.setCheck(pe, table.guard);
    let bucket = table.buckets.get(keyValue);
    if (keys.length > 1) while (bucket && !bucket.tuple!.every((v, i) => v === values[i])) bucket = bucket.next;
    if (!bucket) {
      bucket = newBucket<PathEntry<Id>>(undefined, keyValue, new Set(keys.map((a) => a.left.key)), keys.length > 1 ? values : undefined);
      bucket.next = keys.length > 1 ? table.buckets.get(keyValue) : undefined;
      table.buckets.set(keyValue, bucket);
    }
    const filedIn = table;
    insert(bucket, pe, (e) => this.slotFor(filedIn, e));
    table.size++;
    pe.table = table;
    pe.keyValue = keyValue;
    this.retag(table, keyValue);
  }

  /**
   * Keeps the tag beside a key in a table keyed on one value true to its root
   * bucket: the filter's number when the bucket is one path with nothing left
   * to check and no split (the dispatcher then takes the filter straight from
   * the set's `direct` array), 0 otherwise. Tables keyed on a tuple compare
   * the tuple's values in the bucket, so their tags stay 0. A table that has
   * just turned wide needs a dispatcher that reads it so.
   */
  private retag(table: DispatchTable<Id>, keyValue: number): void {
    if (table.exprs.length !== 1) return;
    const root = table.buckets.get(keyValue);
    const one = root?.only;
    table.buckets.setTag(keyValue, one !== undefined && one.always ? one.filter.index : 0);
    if (table.generatedNarrow !== undefined && table.buckets.narrow !== table.generatedNarrow) this.dispatcher = undefined;
  }

  /** Sets what a path still has to check once its key and its table's guard have passed. */
  private setCheck(pe: PathEntry<Id>, guard: readonly Atom[]): void {
    const atoms = pe.path.atoms.filter((a) => !pe.keys.includes(a) && !guard.includes(a));
    pe.always = atoms.length === 0 && pe.path.computed.length === 0;
    if (pe.always) {
      pe.check = ALWAYS;
      pe.consts = NO_CONSTS;
      return;
    }
    // The constants of `value == c` style tests are passed in, so that a thousand host filters
    // share one check function (and V8 sees one function at the call) instead of compiling each.
    const consts: number[] = [];
    const shape = atoms.map((a) => {
      if (a.right.kind !== 'const' || a.left.kind === 'const') return a.key;
      consts.push(a.right.value);
      return `${a.truth ? '' : '!'}${a.op} ${a.left.key} ?`;
    });
    pe.consts = consts;
    const signature = `${shape.join('&')}|${pe.path.computed.map((e) => e.key).join(',')}`;
    let fn = this.checks.get(signature);
    if (!fn) {
      fn = this.checkFunction(atoms, pe.path.computed);
      this.checks.set(signature, fn);
    }
    pe.check = fn;
  }

  /** Compiles the test of some atoms (constants on the right taken from `K`) and computed values. */
  private checkFunction(atoms: readonly Atom[], computed: readonly Expr[]): Check {
    const em = new ScopedEmitter(this.semantics === 'linux');
    let k = 0;
    for (const atom of atoms) {
      const right = atom.right.kind === 'const' && atom.left.kind !== 'const' ? `K[${k++}]` : undefined;
      em.lines.push(`if (!${em.condition(atom, right)}) return false;`);
    }
    for (const e of computed) em.lines.push(`if (${em.value(e)} < 0) return false;`);
    const body = `return function check(p, wl, K) {\n${em.lines.join('\n')}\nreturn true;\n};`;
    return new Function(...RUNTIME_NAMES, body)(...RUNTIME_VALUES) as Check;
  }

  /** The value-array slot of a value a table's buckets split on; a value new to the table changes the dispatcher. */
  private slotFor(table: DispatchTable<Id>, e: Expr): number {
    let slot = this.slots.get(e.key);
    if (slot === undefined) this.slots.set(e.key, (slot = this.slots.size));
    if (!table.splitExprs.includes(e)) {
      table.splitExprs.push(e);
      this.dispatcher = undefined;
    }
    return slot;
  }

  /**
   * Generates the dispatcher: one function whose guards are nested blocks, so
   * a test that several tables' guards share (the EtherType, the IP protocol,
   * the fragment offset) is made once, and only the tables under the guards
   * that passed are probed. Equality guards on one value with different
   * constants (IPv4, IPv6, ARP) become one chain of `else if`s.
   */
  private generate(): { fn: Dispatcher<Id>; source: string } {
    const tables = [...this.tables.values()];
    const em = new ScopedEmitter(this.semantics === 'linux');
    em.lines.push('let c = 0;');
    this.emitGuarded(em, tables.map((t, index) => ({ index, guard: t.guard })), new Map(), tables);
    if (this.unindexed.length > 0) em.lines.push('for (let j = 0; j < U.length; j++) { const pe = U[j]; if (pe.check(p, wl, pe.consts)) out[c++] = pe.filter; }');
    if (this.whole.length > 0) em.lines.push('for (let j = 0; j < W.length; j++) { const f = W[j]; if (f.whole(p, wl) !== 0) out[c++] = f; }');
    em.lines.push('return c;');
    // The serial and generation make every dispatcher's text unique, so V8 never shares one
    // set's compiled code or type feedback with another's.
    const source = [
      `// FilterSet ${this.serial}, dispatcher ${this.generation++}`,
      ...tables.map((_, i) => `const T${i} = T[${i}];`),
      `const visit = ${VISIT_SOURCE};`,
      `return function dispatch(p, wl, out) {\n${em.lines.join('\n')}\n};`,
    ].join('\n');
    const T = tables.map((t) => t.buckets);
    for (const t of tables) t.generatedNarrow = t.buckets.narrow;
    const S = new Float64Array(Math.max(1, this.slots.size));
    const fn = new Function('T', 'S', 'U', 'W', 'F', ...RUNTIME_NAMES, source)(T, S, this.unindexed, this.whole, this.direct, ...RUNTIME_VALUES) as Dispatcher<Id>;
    return { fn, source };
  }

  /**
   * Emits the probes of some tables under what their guards still require,
   * given the values already known in this block.
   */
  private emitGuarded(em: ScopedEmitter, items: Array<{ index: number; guard: readonly Atom[] }>, known: ReadonlyMap<string, number>, tables: DispatchTable<Id>[]): void {
    // Drop what the enclosing blocks have decided: true tests go, a false one leaves the table out here.
    let rest: Array<{ index: number; guard: readonly Atom[] }> = [];
    for (const item of items) {
      const guard: Atom[] = [];
      let possible = true;
      for (const a of item.guard) {
        const d = decideKnown(a, known);
        if (d === undefined) guard.push(a);
        else if (!d) { possible = false; break; }
      }
      if (!possible) continue;
      if (guard.length === 0) this.emitProbe(em, item.index, tables[item.index]);
      else rest.push({ index: item.index, guard });
    }
    while (rest.length > 0) {
      // The test the most tables still need is made first; ties go to the earliest one met.
      const counts = new Map<Atom, number>();
      let best: Atom | undefined;
      let bestCount = 0;
      for (const item of rest) for (const a of item.guard) {
        const n = (counts.get(a) ?? 0) + 1;
        counts.set(a, n);
        if (n > bestCount) { best = a; bestCount = n; }
      }
      const atom = best!;
      if (keyable(atom)) {
        // One value, several constants: an if / else-if chain, each branch knowing the value.
        const expr = atom.left;
        const name = em.value(expr);
        const groups = new Map<number, Array<{ index: number; guard: readonly Atom[] }>>();
        const left: typeof rest = [];
        for (const item of rest) {
          const eq = item.guard.find((a) => keyable(a) && a.left === expr);
          if (!eq || eq.right.kind !== 'const') { left.push(item); continue; }
          const v = eq.right.value;
          if (!groups.has(v)) groups.set(v, []);
          groups.get(v)!.push(item);
        }
        const ordered = [...groups].sort((a, b) => b[1].length - a[1].length);
        ordered.forEach(([v, group], i) => {
          if (i === 0) em.open(`if (${name} === ${v})`);
          else em.close(`else if (${name} === ${v})`);
          this.emitGuarded(em, group, new Map(known).set(expr.key, v), tables);
        });
        em.close();
        rest = left;
      } else {
        const cond = em.condition(atom);
        em.open(`if ${cond}`);
        const inside: typeof rest = [];
        const left: typeof rest = [];
        for (const item of rest) {
          if (item.guard.includes(atom)) inside.push({ index: item.index, guard: item.guard.filter((a) => a !== atom) });
          else left.push(item);
        }
        this.emitGuarded(em, inside, known, tables);
        em.close();
        rest = left;
      }
    }
  }

  /**
   * Emits one table's key and hash probe; the bucket found is walked by
   * `visit`. When that bucket is split, the values its sub-buckets are keyed
   * on are computed here, inline, and left in `S` for `visit`: no call per
   * level of the tree.
   */
  private emitProbe(em: ScopedEmitter, index: number, table: DispatchTable<Id>): void {
    const names = table.exprs.map((e) => em.value(e));
    const computable = table.exprs.flatMap((e, i) => (canFail(e) ? [`${names[i]} >= 0`] : []));
    em.open(computable.length ? `if (${computable.join(' && ')})` : '');
    if (names.length === 1) {
      // The tag beside the key (in the key's own slot while the table is narrow) answers the commonest hit (see retag).
      const narrow = table.buckets.narrow;
      em.lines.push('let s;', U32Map.findSource(`T${index}`, names[0], 's', narrow));
      em.open('if (s >= 0)');
      em.lines.push(`const t = ${U32Map.tagSource(`T${index}`, 's', narrow)};`);
      em.lines.push('if (t !== 0) out[c++] = F[t];');
      em.open('else');
      em.lines.push(`const b = T${index}.vals[s];`);
    } else {
      // Several tuples may share a hash: follow the chain to the one whose values are the packet's.
      em.lines.push(
        `const h = ${tupleHashSource(names)};`,
        'let b;',
        U32Map.lookupSource(`T${index}`, 'h', 'b'),
        `while (b !== undefined && !(${names.map((n, i) => `b.tuple[${i}] === ${n}`).join(' && ')})) b = b.next;`,
      );
    }
    em.open('if (b !== undefined)');
    // The common bucket, one path and no split, is handled here: no call on the way to a match.
    em.lines.push('const one = b.only;');
    em.open('if (one !== undefined)');
    em.lines.push('if (one.always || one.check(p, wl, one.consts)) out[c++] = one.filter;');
    em.close('else');
    if (table.splitExprs.length > 0) {
      em.open('if (b.sub !== undefined)');
      for (const e of table.splitExprs) em.lines.push(`S[${this.slots.get(e.key)!}] = ${em.value(e)};`);
      em.close();
    }
    em.lines.push('c = visit(b, p, wl, out, c);');
    em.close();
    em.close();
    if (names.length === 1) {
      em.close();
      em.close();
    }
    em.close();
  }
}

/** The root buckets of a table, chains included. */
function roots<Id>(table: DispatchTable<Id>): Bucket<PathEntry<Id>>[] {
  const out: Bucket<PathEntry<Id>>[] = [];
  for (let b of table.buckets.values()) for (; b !== undefined; b = b.next!) out.push(b);
  return out;
}

/** Takes an emptied root bucket out of its table (and out of its chain of tuples that hash alike). */
function unlinkRoot<Id>(table: DispatchTable<Id>, keyValue: number, root: Bucket<PathEntry<Id>>): void {
  const head = table.buckets.get(keyValue);
  if (head === root) {
    if (root.next) table.buckets.set(keyValue, root.next);
    else table.buckets.delete(keyValue);
    return;
  }
  for (let b = head; b !== undefined; b = b.next) {
    if (b.next === root) { b.next = root.next; return; }
  }
}

/** What values known in a block (expression key → constant) decide about an atom: true, false or unknown. */
function decideKnown(atom: Atom, known: ReadonlyMap<string, number>): boolean | undefined {
  if (atom.right.kind !== 'const') return undefined;
  const l = known.get(atom.left.key);
  if (l === undefined) return undefined;
  const r = atom.right.value;
  const result = atom.op === 'eq' ? l === r : atom.op === 'gt' ? l > r : atom.op === 'ge' ? l >= r : (l & r) !== 0;
  return atom.truth ? result : !result;
}
