/**
 * The WebAssembly batch engine: a verified Program becomes a wasm function
 * that filters a whole batch of packets lying in a `PacketArena` (one
 * fixed-size WebAssembly.Memory), with the packet loop inside. It is a
 * drop-in for the JIT's `jitBatch` (and, as `wasmBatchSelect`, for
 * `jitBatchSelect`): same signature, same answers, and for batches that are
 * not in an arena (or Programs wasm cannot run exactly) it is the JIT's
 * function. The Matcher takes it for batches in an arena, and the capture
 * file reader puts a filtered file's batches in one.
 *
 * Why: wasm can read only its own memory, so packets must be in it; in
 * exchange its loop carries none of the per-iteration checks V8 puts on
 * typed arrays, and on a corpus much larger than the cache it keeps about
 * twice as many packets in flight as the best JavaScript loop
 * (docs/BENCHMARKS.md, "JIT"). Modules are compiled once per Program and
 * semantics, and instantiated once per arena.
 */
import { hasBackwardJump, type Program } from './program.js';
import type { PacketBatch } from './batch.js';
import { DEFAULT_SEMANTICS, type Semantics } from './context.js';
import { jitBatch, jitBatchSelect, type CompiledBatchFilter, type JitOptions } from './jit.js';
import { checkForJit } from './jit-check.js';
import { CompiledCache } from './compiled-cache.js';
import { interpretBatch } from './interpreter.js';
import { verify } from './verifier.js';
import { wasmModuleBytes, wasmUnsupported, type WasmBatchForm } from './wasm-codegen.js';

// The few WebAssembly JS-API pieces used here. The project's TypeScript
// libraries (ES2022, @types/node) do not declare WebAssembly.
interface WasmMemory { readonly buffer: ArrayBuffer }
interface WasmModule { readonly __wasmModule?: never }
interface WasmInstance { readonly exports: Record<string, unknown> }
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The batch function as wasm exports it: BATCH_PARAMS in order, all i32. */
type WasmBatchFn = (n: number, offsets: number, caplens: number, wirelens: number, out: number, data: number, dataLength: number, networkOffset: number, linkHeader: number) => number;

const PAGE = 65536;

/**
 * Thrown when an arena cannot hold what is asked of it; says how much was
 * asked and how much is left.
 *
 * @example
 * try { arena.batch(1 << 30, 4096); } catch (e) { if (e instanceof ArenaError) console.error(e.message); }
 */
export class ArenaError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'ArenaError';
  }
}

/** A PacketBatch whose arrays are views into one PacketArena, with room for the results. */
export interface ArenaBatch extends PacketBatch {
  /** Where a batch function writes packet i's result (or index, for a select). */
  readonly out: Uint32Array;
  /** The arena that holds every array of the batch. */
  readonly arena: PacketArena;
}

/** Arenas by their memory's buffer, to recognise a batch whose arrays all live in one. */
const ARENAS = new WeakMap<object, PacketArena>();

/**
 * A fixed-size WebAssembly.Memory that holds packet batches, so that the
 * wasm engine can read them. It never grows: growing a memory detaches every
 * view of it, and the batches handed out are such views. Batches are
 * carved out one after the other; `reset()` makes the whole arena free again
 * (the batches handed out before then must not be used afterwards: their
 * bytes will be reused).
 *
 * @example
 * const arena = new PacketArena(64 << 20);                 // 64 MiB
 * const batch = arena.batch(8 << 20, 4096);               // 8 MiB of packet bytes, up to 4096 packets
 * batch.data.set(frame, 0); batch.offsets[0] = 0; batch.caplens[0] = frame.length; batch.wirelens[0] = frame.length; batch.count = 1;
 * wasmBatch(prog)(batch.data, batch.offsets, batch.caplens, batch.wirelens, batch.count, batch.out);
 */
export class PacketArena {
  /** The largest arena: every address and length stays a positive 32-bit number. */
  static readonly MAX_BYTES = 0x80000000 - PAGE;
  /** The memory every batch of this arena lives in. */
  readonly memory: WasmMemory;
  /** Its size in bytes (a whole number of 64 KiB pages). */
  readonly bytes: number;
  private next = 0;
  private readonly instances = new WeakMap<WasmModule, WasmBatchFn>();

  /** Makes an arena of at least `bytes` bytes (rounded up to 64 KiB pages); throws ArenaError beyond MAX_BYTES. */
  constructor(bytes: number) {
    if (!Number.isInteger(bytes) || bytes < 1 || bytes > PacketArena.MAX_BYTES) {
      throw new ArenaError(`PacketArena: size ${bytes} is not a whole number of bytes from 1 to ${PacketArena.MAX_BYTES}`);
    }
    const pages = Math.ceil(bytes / PAGE);
    this.memory = new wasmApi.Memory({ initial: pages, maximum: pages });
    this.bytes = pages * PAGE;
    ARENAS.set(this.memory.buffer, this);
  }

  /** Bytes handed out since the arena was made or last reset. */
  get used(): number {
    return this.next;
  }

  /**
   * Hands out an empty batch with room for `capacity` packets and
   * `dataBytes` bytes of packet data, all of it views into this arena.
   * Throws ArenaError when it does not fit in what is left.
   *
   * @example
   * const batch = arena.batch(4 << 20, 4096);
   */
  batch(dataBytes: number, capacity: number): ArenaBatch {
    for (const [what, v] of [['dataBytes', dataBytes], ['capacity', capacity]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new ArenaError(`PacketArena.batch: ${what} ${v} is not a non-negative integer`);
    }
    // Four u32 arrays (offsets, caplens, wirelens, out), then the data, each 8-aligned.
    const arrays = 16 * capacity;
    const need = arrays + ((dataBytes + 7) & ~7);
    const free = this.bytes - this.next;
    if (need > free) {
      throw new ArenaError(`PacketArena: a batch of ${dataBytes} data bytes and ${capacity} packets needs ${need} bytes, but only ${free} of the arena's ${this.bytes} are free (${this.next} in use); make a larger arena or reset() this one`);
    }
    const at = this.next;
    this.next += need;
    const buffer = this.memory.buffer;
    return {
      offsets: new Uint32Array(buffer, at, capacity),
      caplens: new Uint32Array(buffer, at + 4 * capacity, capacity),
      wirelens: new Uint32Array(buffer, at + 8 * capacity, capacity),
      out: new Uint32Array(buffer, at + 12 * capacity, capacity),
      data: new Uint8Array(buffer, at + arrays, dataBytes),
      count: 0,
      arena: this,
    };
  }

  /**
   * Copies a batch into the arena (only the bytes its packets use, packed in
   * order) and returns the copy. Throws ArenaError when it does not fit.
   *
   * @example
   * const inArena = arena.copyIn(batchOf(packets));
   */
  copyIn(batch: PacketBatch): ArenaBatch {
    const n = batch.count;
    let total = 0;
    for (let i = 0; i < n; i++) total += batch.caplens[i];
    const copy = this.batch(total, n);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const start = batch.offsets[i], len = batch.caplens[i];
      if (start + len > batch.data.length) throw new ArenaError(`PacketArena.copyIn: packet ${i} (bytes ${start}..${start + len}) lies outside its ${batch.data.length}-byte buffer`);
      copy.data.set(batch.data.subarray(start, start + len), at);
      copy.offsets[i] = at;
      copy.caplens[i] = len;
      copy.wirelens[i] = batch.wirelens[i];
      at += len;
    }
    copy.count = n;
    return copy;
  }

  /**
   * Makes the whole arena free again. Batches handed out earlier stay views
   * of it, and will see whatever later batches write.
   *
   * @example
   * arena.reset(); const fresh = arena.batch(1 << 20, 1024);
   */
  reset(): void {
    this.next = 0;
  }

  /**
   * The batch function of a module made by wasmModuleBytes, over this
   * arena's memory: instantiated on first use, then kept as long as both live.
   *
   * @example
   * const f = arena.instanceOf(new WebAssembly.Module(wasmModuleBytes(prog, 'bsd')));
   */
  instanceOf(module: WasmModule): WasmBatchFn {
    let fn = this.instances.get(module);
    if (fn === undefined) {
      fn = new wasmApi.Instance(module, { m: { mem: this.memory } }).exports.f as WasmBatchFn;
      this.instances.set(module, fn);
    }
    return fn;
  }
}

/**
 * The arena whose memory `array` is a view of, if any.
 *
 * @example
 * arenaOf(arena.batch(1024, 8).data) === arena // true
 */
export function arenaOf(array: ArrayBufferView): PacketArena | undefined {
  return ARENAS.get(array.buffer);
}

/** Which machine a batch function runs an arena batch on. */
export type WasmEngine = 'wasm' | 'jit' | 'interpreter';

interface Compiled {
  fn: CompiledBatchFilter;
  engine: WasmEngine;
  /** Why not wasm, when it is not. */
  reason?: string;
}

/** A cache key: the semantics and the form of the batch function. */
type Flavour = `${Semantics}/${WasmBatchForm}`;

const compiledModules = new CompiledCache<Compiled>();

/** A batch loop over the interpreter, for the Programs no compiler takes. */
function interpreterBatch(prog: Program, semantics: Semantics, form: WasmBatchForm): CompiledBatchFilter {
  const indices = form === 'indices';
  return (data, offsets, caplens, wirelens, count, out, context) =>
    interpretBatch(prog, data, offsets, caplens, wirelens, count, out, indices, { semantics, context });
}

/**
 * Whether a batch (its data, offsets, caplens, wirelens and an output array)
 * lies wholly in one PacketArena, `count` fitting every array: the batches
 * wasmBatch and wasmBatchSelect run as WebAssembly. Returns that arena.
 *
 * @example
 * const b = arena.batch(1 << 20, 1024);
 * batchArena(b.data, b.offsets, b.caplens, b.wirelens, b.out, 0) === arena // true
 */
export function batchArena(data: Uint8Array, offsets: Uint32Array, caplens: Uint32Array, wirelens: Uint32Array, out: Uint32Array, count: number): PacketArena | undefined {
  const buffer = data.buffer;
  const arena = ARENAS.get(buffer);
  if (arena === undefined || offsets.buffer !== buffer || caplens.buffer !== buffer || wirelens.buffer !== buffer || out.buffer !== buffer
    || !(count >= 0 && count <= offsets.length && count <= caplens.length && count <= wirelens.length && count <= out.length) || !Number.isInteger(count)) {
    return undefined;
  }
  return arena;
}

/** Whether a Program's loads depend on the Linux negative-offset rule (indirect loads can reach it). */
function readsIndirect(prog: Program, semantics: Semantics): boolean {
  return semantics === 'linux' && prog.some((x) => (x.code & 0x07) <= 1 && (x.code & 0xe0) === 0x40);
}

function build(prog: Program, semantics: Semantics, form: WasmBatchForm): Compiled {
  verify(prog, { mode: semantics });
  if (semantics === 'bsd' && hasBackwardJump(prog)) {
    return { fn: interpreterBatch(prog, semantics, form), engine: 'interpreter', reason: 'a backward jump (libpcap): only the interpreter runs it' };
  }
  checkForJit(prog, semantics);
  const jitOf = form === 'indices' ? jitBatchSelect : jitBatch;
  let js: CompiledBatchFilter | undefined;
  const viaJit: CompiledBatchFilter = (data, offsets, caplens, wirelens, count, out, context) =>
    (js ??= jitOf(prog, { semantics }))(data, offsets, caplens, wirelens, count, out, context);
  const why = wasmUnsupported(prog, semantics);
  if (why !== undefined) return { fn: jitOf(prog, { semantics }), engine: 'jit', reason: why };
  let module: WasmModule;
  try {
    module = new wasmApi.Module(wasmModuleBytes(prog, semantics, {}, form));
  } catch (e) {
    // An engine limit (V8 caps function size and nesting); the JIT takes the Program.
    return { fn: jitOf(prog, { semantics }), engine: 'jit', reason: `the wasm engine refused the module: ${(e as Error).message}` };
  }
  const usesContext = readsIndirect(prog, semantics);
  const fn: CompiledBatchFilter = (data, offsets, caplens, wirelens, count, out, context) => {
    const arena = batchArena(data, offsets, caplens, wirelens, out, count);
    if (arena === undefined) return viaJit(data, offsets, caplens, wirelens, count, out, context);
    let networkOffset = -1, linkHeader = 1;
    if (usesContext && context !== undefined) {
      const net = context.networkOffset;
      if (net !== undefined) {
        // An offset the wasm side cannot add without overflow: let the JIT apply the rule.
        if (!(Number.isInteger(net) && net >= 0 && net < 0x40000000)) return viaJit(data, offsets, caplens, wirelens, count, out, context);
        networkOffset = net;
      }
      linkHeader = context.noLinkHeader ? 0 : 1;
    }
    return arena.instanceOf(module)(count, offsets.byteOffset, caplens.byteOffset, wirelens.byteOffset, out.byteOffset, data.byteOffset, data.length, networkOffset, linkHeader);
  };
  return { fn, engine: 'wasm' };
}

function compiled(prog: Program, semantics: Semantics, form: WasmBatchForm = 'values'): Compiled {
  const flavour: Flavour = `${semantics}/${form}`;
  return compiledModules.known(prog, flavour) ?? compiledModules.compile(prog, flavour, () => build(prog, semantics, form));
}

/**
 * Compiles a Program into a batch function with jitBatch's signature and
 * answers: `out[i]` receives packet i's return value, the result is the
 * number accepted (or -1-i when packet i lies outside `data`). When every
 * array (data, offsets, caplens, wirelens and out) is a view into one
 * PacketArena it runs as WebAssembly; otherwise it is the JIT's batch
 * function (nothing is copied behind the caller's back). Programs wasm
 * cannot run exactly always take the JIT: Linux ancillary loads (SKF_AD_*)
 * and absolute loads at negative offsets (SKF_NET_OFF, SKF_LL_OFF); and
 * libpcap's backward jumps, which no compiler takes, run on the
 * interpreter. Linux indirect loads whose sum is negative follow the
 * context's `networkOffset` and `noLinkHeader` in wasm as well. Throws
 * VerifyError (or JitError) for a Program the JIT would refuse.
 *
 * @example
 * const arena = new PacketArena(256 << 20);
 * const batch = arena.copyIn(corpus);
 * const accepted = wasmBatch(prog, { semantics: 'bsd' })(batch.data, batch.offsets, batch.caplens, batch.wirelens, batch.count, batch.out);
 */
export function wasmBatch(prog: Program, options: JitOptions = {}): CompiledBatchFilter {
  return compiled(prog, options.semantics ?? DEFAULT_SEMANTICS).fn;
}

/**
 * The indices-writing form of wasmBatch, with jitBatchSelect's signature and
 * answers: the indices of the accepted packets go to `out` in order and
 * their count is returned (or -1-i when packet i lies outside `data`;
 * `out` beyond the count may be written too). The same rules say which
 * engine runs: WebAssembly when every array is a view of one PacketArena
 * and the Program allows it, else jitBatchSelect, or the interpreter for
 * libpcap's backward jumps.
 *
 * @example
 * const b = arena.copyIn(corpus);
 * const n = wasmBatchSelect(prog, { semantics: 'bsd' })(b.data, b.offsets, b.caplens, b.wirelens, b.count, b.out);
 * for (let j = 0; j < n; j++) use(b.out[j]);
 */
export function wasmBatchSelect(prog: Program, options: JitOptions = {}): CompiledBatchFilter {
  return compiled(prog, options.semantics ?? DEFAULT_SEMANTICS, 'indices').fn;
}

/**
 * Which engine `wasmBatch(prog, options)` (or, with form 'indices',
 * wasmBatchSelect) uses for a batch in an arena, and why not wasm when it
 * is not.
 *
 * @example
 * wasmEngine(compile('tcp port 80')) // { engine: 'wasm' }
 */
export function wasmEngine(prog: Program, options: JitOptions = {}, form: WasmBatchForm = 'values'): { engine: WasmEngine; reason?: string } {
  const c = compiled(prog, options.semantics ?? DEFAULT_SEMANTICS, form);
  return c.reason === undefined ? { engine: c.engine } : { engine: c.engine, reason: c.reason };
}

/**
 * The wasm module bytes wasmBatch would compile for `prog`, for inspection
 * (e.g. with `wasm-objdump`); throws RangeError for a Program the engine
 * does not run.
 *
 * @example
 * writeFileSync('filter.wasm', wasmBytes(prog, { semantics: 'bsd' }));
 */
export function wasmBytes(prog: Program, options: JitOptions = {}): Uint8Array {
  const semantics = options.semantics ?? DEFAULT_SEMANTICS;
  checkForJit(prog, semantics);
  return wasmModuleBytes(prog, semantics);
}
