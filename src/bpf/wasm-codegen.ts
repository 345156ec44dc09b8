/**
 * Code generation for the WebAssembly batch engine: turns a verified Program
 * into the bytes of a small wasm module whose one exported function filters
 * a whole batch of packets that lie in a WebAssembly.Memory (see wasm.ts).
 *
 * Why wasm at all: over a large batch the JavaScript JIT's loop is bound by
 * how few packets' header loads the CPU keeps in flight, because V8
 * re-checks every typed array on each iteration. A wasm loop over its own
 * memory has no such checks (the bounds of the memory are guard pages), so
 * the same work costs about half as much per packet (docs/BENCHMARKS.md,
 * "JIT").
 *
 * Layout of the generated function, per packet i:
 * - offset, caplen (and wirelen when the Program reads `len`) are read from
 *   three u32 arrays in the same memory; the packet must lie inside the data
 *   region, else the function returns -1-i as jitBatch does;
 * - A, X and M[k] are i32 locals, zeroed for each packet;
 * - forward jumps are nested blocks, one per distinct jump target, the
 *   nearest target innermost, all opened at the packet's start: a jump is a
 *   `br` to the block whose `end` sits right before its target;
 * - every `ret` stores its value in a local and branches out of the packet's
 *   block (a failed load is `br_if` to the same place, the value being 0);
 * - the value goes to out[i] and the number of non-zero values is returned;
 *   the 'indices' form instead stores i at out[count] before the packet
 *   runs, so that the accepted indices end up packed in order, as
 *   jitBatchSelect writes them.
 *
 * Loads follow the interpreter exactly: big-endian composition, a load that
 * does not fit in the caplen ends the Program with 0 ('bsd': X + k without
 * wrapping; 'linux': the 32-bit sum, a negative one addressing SKF_LL_OFF or
 * SKF_NET_OFF as the context says), X shifts of 32 or more give 0 in 'bsd',
 * division or modulo by zero returns 0. Programs the engine cannot run
 * exactly (Linux ancillary loads and absolute loads at negative offsets,
 * libpcap's backward jumps) are refused by `wasmUnsupported`; the caller
 * runs them elsewhere.
 */
import {
  BPF_A, BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_DIV, BPF_H, BPF_IMM, BPF_IND, BPF_JA, BPF_JEQ,
  BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET, BPF_LD, BPF_LDX, BPF_LEN, BPF_LSH, BPF_MEM, BPF_MISC,
  BPF_MOD, BPF_MSH, BPF_MUL, BPF_NEG, BPF_OR, BPF_RET, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_TAX,
  BPF_TXA, BPF_W, BPF_X, BPF_XOR, SKF_LL_OFF, SKF_NET_OFF,
  bpfClass, bpfMiscOp, bpfMode, bpfOp, bpfRval, bpfSize, bpfSrc,
} from './opcodes.js';
import { successors, type Program } from './program.js';
import type { Semantics } from './context.js';

// ---------------------------------------------------------------------------
// A small wasm binary encoder: just what the engine and its benchmark need.

/** wasm value types. */
export const I32 = 0x7f;
export const I64 = 0x7e;

/** The opcodes the generator emits, named as in the wasm text format. */
export const Op = Object.freeze({
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d, return: 0x0f,
  call: 0x10, drop: 0x1a, select: 0x1b, localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Load: 0x28, i32Load8u: 0x2d, i32Load16u: 0x2f, i32Store: 0x36, i32Const: 0x41, i64Const: 0x42,
  i32Eqz: 0x45, i32Eq: 0x46, i32Ne: 0x47, i32LtS: 0x48, i32LtU: 0x49, i32GtS: 0x4a, i32GtU: 0x4b, i32LeU: 0x4d, i32GeS: 0x4e, i32GeU: 0x4f,
  i64GtU: 0x56,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32DivU: 0x6e, i32RemU: 0x70, i32And: 0x71, i32Or: 0x72, i32Xor: 0x73,
  i32Shl: 0x74, i32ShrU: 0x76, i32Rotl: 0x77, i32Rotr: 0x78,
  i64Add: 0x7c, i64ExtendI32U: 0xad,
});

/** Block type of a block that takes and leaves nothing. */
const VOID = 0x40;

/**
 * Unsigned LEB128, the encoding of wasm's counts, indices and sizes.
 *
 * @example
 * uleb(624485) // [0xe5, 0x8e, 0x26]
 */
export function uleb(v: number): number[] {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`wasm: ${v} is not an unsigned 32-bit integer`);
  const out: number[] = [];
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/**
 * Signed LEB128 of a 32-bit value (given signed or unsigned), the encoding of `i32.const`.
 *
 * @example
 * sleb(-1) // [0x7f]
 * sleb(0xffffffff) // [0x7f]: the same 32 bits
 */
export function sleb(v: number): number[] {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) throw new RangeError(`wasm: ${v} is not a 32-bit integer`);
  let x = v | 0;
  const out: number[] = [];
  for (;;) {
    const byte = x & 0x7f;
    x >>= 7;
    if ((x === 0 && (byte & 0x40) === 0) || (x === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** Signed LEB128 of a non-negative integer below 2^53, the encoding of `i64.const` here. */
function sleb64(v: number): number[] {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`wasm: ${v} is not a small non-negative integer`);
  const out: number[] = [];
  for (;;) {
    const byte = v % 128;
    v = Math.floor(v / 128);
    if (v === 0 && (byte & 0x40) === 0) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** One function of a module: its signature, its locals beyond the parameters, and its body (without the final `end`). */
export interface WasmFunction {
  params: number[];
  results: number[];
  /** Types of the locals after the parameters, one entry per local. */
  locals: number[];
  body: number[];
}

// Byte arrays are joined by loops, not spreads: a 4,096-instruction Program's body is tens of
// thousands of bytes, and copying it through spreads at every level dominated the compile time.
function append(out: number[], bytes: ArrayLike<number>): number[] {
  for (let i = 0; i < bytes.length; i++) out.push(bytes[i]);
  return out;
}
const section = (id: number, bytes: number[]): number[] => append([id, ...uleb(bytes.length)], bytes);
const vector = (items: number[][]): number[] => {
  const out = uleb(items.length);
  for (const item of items) append(out, item);
  return out;
};
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];

/**
 * Encodes a module that imports one memory as `m.mem` (at least one page, no
 * maximum: the module runs over any memory it is instantiated with) and
 * defines `functions`, exporting the first as `f`. Function i may call
 * function j with `call j`.
 *
 * @example
 * const bytes = encodeModule([{ params: [I32], results: [I32], locals: [], body: [Op.localGet, 0] }]);
 * new WebAssembly.Module(bytes); // exports f(x) => x
 */
export function encodeModule(functions: WasmFunction[]): Uint8Array {
  const types = functions.map((f) => [0x60, ...vector(f.params.map((t) => [t])), ...vector(f.results.map((t) => [t]))]);
  const bodies = functions.map((f) => {
    // Runs of equal types, as the format groups locals.
    const runs: number[][] = [];
    for (let i = 0; i < f.locals.length;) {
      let j = i;
      while (j < f.locals.length && f.locals[j] === f.locals[i]) j++;
      runs.push([...uleb(j - i), f.locals[i]]);
      i = j;
    }
    const code = append(vector(runs), f.body);
    code.push(Op.end);
    return append(uleb(code.length), code);
  });
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  append(out, section(1, vector(types)));
  append(out, section(2, vector([[...name('m'), ...name('mem'), 0x02, 0x00, ...uleb(1)]])));
  append(out, section(3, vector(functions.map((_, i) => uleb(i)))));
  append(out, section(7, vector([[...name('f'), 0x00, ...uleb(0)]])));
  append(out, section(10, vector(bodies)));
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------------------
// What the engine runs.

/**
 * Why the wasm engine cannot run `prog` exactly under `semantics`, or
 * undefined when it can. The Program must already pass the JIT's gate
 * (checkForJit); this adds only what wasm itself cannot do.
 *
 * @example
 * wasmUnsupported(program([insn(0x20, 0, 0, (SKF_AD_OFF + SKF_AD_PROTOCOL) >>> 0), insn(0x16, 0, 0, 0)]), 'linux')
 * // 'instruction 0: an ancillary load or a load at a negative offset (Linux) needs the context'
 */
export function wasmUnsupported(prog: Program, semantics: Semantics): string | undefined {
  for (let i = 0; i < prog.length; i++) {
    const x = prog[i];
    const cls = bpfClass(x.code);
    if (cls === BPF_JMP && bpfOp(x.code) === BPF_JA && semantics === 'bsd' && (x.k | 0) < 0) {
      return `instruction ${i}: a backward jump (libpcap) cannot be a forward block`;
    }
    if ((cls === BPF_LD || cls === BPF_LDX) && (bpfMode(x.code) === BPF_ABS || bpfMode(x.code) === BPF_MSH) && semantics === 'linux' && (x.k | 0) < 0) {
      return `instruction ${i}: an ancillary load or a load at a negative offset (Linux) needs the context`;
    }
  }
  return undefined;
}

/** Parameters of the batch function, in order (all i32). */
export const BATCH_PARAMS = Object.freeze(['n', 'offsets', 'caplens', 'wirelens', 'out', 'data', 'dataLength', 'networkOffset', 'linkHeader'] as const);

// Local indices: the parameters first, then the generator's own.
const P_N = 0, P_OFFS = 1, P_CAPS = 2, P_WIRES = 3, P_OUT = 4, P_DATA = 5, P_DLEN = 6, P_NET = 7, P_LL = 8;
const L_I = 9, L_COUNT = 10, L_O = 11, L_C = 12, L_PB = 13, L_W = 14, L_A = 15, L_X = 16, L_T = 17, L_R = 18, L_Q = 19, L_PF = 20, L_M0 = 21;
const LOCALS = [...Array.from({ length: L_M0 + 16 - BATCH_PARAMS.length }, () => I32)];

/** No packet is longer than this: an arena (wasm.ts) holds less than 2^31 bytes, and a caplen beyond its data fails first. */
export const MAX_CAPLEN = 0x7fff0000;

/** Where a failed negative-offset position points: beyond any caplen. */
const NOWHERE = 0x7ffffff0;

/**
 * The Linux negative-offset helper as a wasm function (t, networkOffset,
 * linkHeader) → position in the packet, or NOWHERE: the rule of
 * context.ts's negativeOffsetPosition, with the context reduced to two numbers
 * (networkOffset -1 when there is none; linkHeader 0 when the skb has none).
 */
function negativeHelper(): WasmFunction {
  const g = (l: number) => [Op.localGet, l];
  const c = (v: number) => [Op.i32Const, ...sleb(v)];
  const body = [
    // t >= SKF_NET_OFF: relative to the network header, if there is one.
    ...g(0), ...c(SKF_NET_OFF), Op.i32GeS, Op.if, VOID,
    ...g(1), ...c(0), Op.i32LtS, Op.if, VOID, ...c(NOWHERE), Op.return, Op.end,
    ...g(1), ...g(0), ...c(-SKF_NET_OFF), Op.i32Add, Op.i32Add, Op.return,
    Op.end,
    // t >= SKF_LL_OFF: from the packet's first byte, unless there is no link header.
    ...g(0), ...c(SKF_LL_OFF), Op.i32GeS, ...g(2), Op.i32And, Op.if, VOID,
    ...g(0), ...c(-SKF_LL_OFF), Op.i32Add, Op.return,
    Op.end,
    ...c(NOWHERE),
  ];
  return { params: [I32, I32, I32], results: [I32], locals: [], body };
}

function sizeOf(code: number): number {
  const s = bpfSize(code);
  return s === BPF_W ? 4 : s === BPF_H ? 2 : 1;
}

/** The constant instruction j returns, through `ja`s; undefined if it does not simply return one. */
function constantReturn(prog: Program, j: number): number | undefined {
  for (let hops = 0; hops < 8 && j < prog.length; hops++) {
    const x = prog[j];
    const cls = bpfClass(x.code);
    if (cls === BPF_RET) return bpfRval(x.code) === BPF_A || bpfRval(x.code) === BPF_X ? undefined : x.k >>> 0;
    if (cls !== BPF_JMP || bpfOp(x.code) !== BPF_JA) return undefined;
    j = j + 1 + x.k;
  }
  return undefined;
}

/** Bytes an absolute load (ld abs, ldx msh) needs in the packet, or 0 for any other instruction. */
function absoluteNeed(x: Program[number]): number {
  const cls = bpfClass(x.code);
  if (cls !== BPF_LD && cls !== BPF_LDX) return 0;
  const mode = bpfMode(x.code);
  if (mode === BPF_ABS) return x.k + sizeOf(x.code);
  if (mode === BPF_MSH) return x.k + 1;
  return 0;
}

/** The generation choices that the tests and A/B measurements switch off. */
export interface WasmTuning {
  /**
   * A conditional jump whose two targets return constants returns without a
   * branch to mispredict: 'select' (wasm's select), 'mask' (arithmetic on
   * the comparison's 0 or 1), or 'branch' (an ordinary jump).
   */
  selects: 'select' | 'mask' | 'branch';
  /** A length check tests the length below which the Program returns 0 anyway, so it covers the loads after it. */
  mergeChecks: boolean;
  /**
   * A 2- or 4-byte load whose value only meets `jeq #k` and `jset #k` stays
   * in memory (little-endian) order, and those compare with k's bytes
   * swapped instead: wasm has no byte-swap instruction, so this saves five
   * to nine instructions per load.
   */
  rawCompares: boolean;
  /** Most packets per iteration of the loop; fewer for long Programs (copies × live instructions stays within UNROLL_BUDGET). */
  unroll: number;
  /** Packets ahead whose header is touched early (0: none), so that its cache miss is under way before a mispredicted branch discards younger loads. */
  lookahead: number;
  /**
   * Fewest conditional jumps a Program must have for the lookahead: a
   * Program with few branches mispredicts little and only pays for the
   * extra load (measured: `ip` and `ip6 and tcp` about 1 ns/packet slower
   * with it, `tcp` and longer ones 1 to 9 ns faster).
   */
  lookaheadFrom: number;
}

/** Instructions (live ones, times copies) an unrolled loop may hold. */
export const UNROLL_BUDGET = 512;

const swap16 = (v: number): number => ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
const swap32 = (v: number): number => (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;

/** Most definitions of A tracked per instruction; beyond it the analysis gives up (no raw loads). */
const MAX_REACHING = 16;

/**
 * Which loads may leave A in memory byte order (`raw[i]`, the load's size)
 * and which jumps then compare against it that way (`rawUse[j]`, the size).
 * A load qualifies when every instruction that can read its value is a
 * `jeq #k` or `jset #k` (byte order does not change equality nor which bits
 * meet), and every definition reaching such a jump is a qualifying load of
 * the same size. Reaching definitions of A are tracked forward (jumps go
 * forward only); disqualifying one load can disqualify the loads it meets
 * at a jump, so the marking repeats until nothing changes.
 */
function rawLoads(prog: Program, live: boolean[], next: (i: number) => number[]): { raw: Uint8Array; rawUse: Uint8Array } {
  const n = prog.length;
  const raw = new Uint8Array(n);
  const rawUse = new Uint8Array(n);
  const ENTRY = -1;
  const reach: Array<number[] | undefined> = new Array(n);
  if (n > 0) reach[0] = [ENTRY];
  const readsA: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!live[i]) continue;
    const x = prog[i];
    const cls = bpfClass(x.code);
    const into = reach[i];
    if (into === undefined) continue;
    const usesA = cls === BPF_ALU || cls === BPF_ST || (cls === BPF_RET && bpfRval(x.code) === BPF_A)
      || (cls === BPF_MISC && bpfMiscOp(x.code) === BPF_TAX) || (cls === BPF_JMP && bpfOp(x.code) !== BPF_JA);
    if (usesA) readsA.push(i);
    const definesA = cls === BPF_LD || cls === BPF_ALU || (cls === BPF_MISC && bpfMiscOp(x.code) === BPF_TXA);
    if (cls === BPF_LD && (bpfMode(x.code) === BPF_ABS || bpfMode(x.code) === BPF_IND) && sizeOf(x.code) > 1) raw[i] = sizeOf(x.code);
    const out = definesA ? [i] : into;
    for (const t of next(i)) {
      if (t >= n) continue;
      const have = reach[t];
      if (have === undefined) { reach[t] = out; continue; }
      const merged = [...new Set([...have, ...out])];
      if (merged.length > MAX_REACHING) return { raw: new Uint8Array(n), rawUse };
      reach[t] = merged;
    }
  }
  const tolerant = (j: number) => {
    const x = prog[j];
    return bpfClass(x.code) === BPF_JMP && bpfSrc(x.code) !== BPF_X && (bpfOp(x.code) === BPF_JEQ || bpfOp(x.code) === BPF_JSET);
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const j of readsA) {
      const defs = reach[j]!;
      const size = defs[0] === ENTRY ? 0 : raw[defs[0]];
      const ok = tolerant(j) && size !== 0 && defs.every((d) => d !== ENTRY && raw[d] === size);
      if (ok) continue;
      for (const d of defs) if (d !== ENTRY && raw[d] !== 0) { raw[d] = 0; changed = true; }
    }
  }
  for (const j of readsA) {
    const defs = reach[j]!;
    if (tolerant(j) && defs[0] !== ENTRY && raw[defs[0]] !== 0) rawUse[j] = raw[defs[0]];
  }
  return { raw, rawUse };
}

const DEFAULT_TUNING: WasmTuning = { selects: 'branch', mergeChecks: true, rawCompares: true, unroll: 4, lookahead: 16, lookaheadFrom: 5 };

/**
 * What a batch function writes to `out`: 'values' (jitBatch's shape: out[i]
 * is packet i's return value) or 'indices' (jitBatchSelect's: the indices of
 * the accepted packets, in order, from out[0]).
 */
export type WasmBatchForm = 'values' | 'indices';

/**
 * The wasm module for `prog` under `semantics`: one exported function
 * `f(n, offsets, caplens, wirelens, out, data, dataLength, networkOffset,
 * linkHeader) → i32` over the memory it is instantiated with, where the
 * pointers are byte addresses in that memory (offsets are relative to
 * `data`). Returns the number of accepted packets, or -1-i when packet i
 * does not lie within `dataLength` bytes of `data`. `form` says what goes
 * to `out` (see WasmBatchForm); with 'indices', out[accepted] may also be
 * written (up to out[n-1]), as a scratch slot. The Program must pass
 * checkForJit and `wasmUnsupported`.
 *
 * @example
 * const bytes = wasmModuleBytes(program([insn(0x28, 0, 0, 12), insn(0x16, 0, 0, 0)]), 'bsd');
 * const module = new WebAssembly.Module(bytes);
 * const select = new WebAssembly.Module(wasmModuleBytes(prog, 'bsd', {}, 'indices'));
 */
export function wasmModuleBytes(prog: Program, semantics: Semantics, tuning: Partial<WasmTuning> = {}, form: WasmBatchForm = 'values'): Uint8Array {
  const why = wasmUnsupported(prog, semantics);
  if (why !== undefined) throw new RangeError(`wasm: ${why}`);
  const tune = { ...DEFAULT_TUNING, ...tuning };
  const linux = semantics === 'linux';
  const n = prog.length;

  // Which jumps become selects, and what is reachable once they do.
  const selects = prog.map((x, i) => {
    if (tune.selects === 'branch' || bpfClass(x.code) !== BPF_JMP || bpfOp(x.code) === BPF_JA || x.jt === x.jf) return false;
    return constantReturn(prog, i + 1 + x.jt) !== undefined && constantReturn(prog, i + 1 + x.jf) !== undefined;
  });
  const next = (i: number): number[] => (selects[i] ? [] : successors(prog, i));
  const live = new Array<boolean>(n).fill(false);
  if (n > 0) live[0] = true;
  for (let i = 0; i < n; i++) if (live[i]) for (const t of next(i)) if (t < n) live[t] = true;

  // Length checks: a forward pass of how many leading bytes every path has
  // proven present; with mergeChecks, a check tests the length below which
  // the Program is sure to return 0 (a backward pass), covering later loads.
  const zeroBelow = new Array<number>(n).fill(0);
  if (tune.mergeChecks) {
    for (let i = n - 1; i >= 0; i--) {
      if (!live[i]) continue;
      const x = prog[i];
      if (bpfClass(x.code) === BPF_RET) {
        const rv = bpfRval(x.code);
        zeroBelow[i] = rv !== BPF_A && rv !== BPF_X && x.k === 0 ? Infinity : 0;
        continue;
      }
      const targets = next(i);
      let after = Infinity;
      if (targets.length === 0) after = constantReturn(prog, i + 1 + x.jt) === 0 && constantReturn(prog, i + 1 + x.jf) === 0 ? Infinity : 0;
      for (const t of targets) after = Math.min(after, zeroBelow[t]);
      zeroBelow[i] = Math.max(absoluteNeed(x), after);
    }
  }
  const proven = new Array<number>(n).fill(Infinity);
  const check = new Array<number>(n).fill(0);
  if (n > 0) proven[0] = 0;
  for (let i = 0; i < n; i++) {
    if (!live[i]) continue;
    let have = proven[i];
    const need = absoluteNeed(prog[i]);
    // A need beyond MAX_CAPLEN is beyond any packet: the load itself returns 0, no check to merge.
    if (need > have && need <= MAX_CAPLEN) {
      check[i] = tune.mergeChecks && Number.isFinite(zeroBelow[i]) && zeroBelow[i] <= MAX_CAPLEN ? Math.max(need, zeroBelow[i]) : need;
      have = check[i];
    }
    for (const t of next(i)) if (t < n) proven[t] = Math.min(proven[t], have);
  }

  // Blocks: one per distinct target of a live jump (fall-through needs none), sorted.
  const targetSet = new Set<number>();
  for (let i = 0; i < n; i++) {
    if (!live[i] || bpfClass(prog[i].code) !== BPF_JMP) continue;
    for (const t of next(i)) if (t !== i + 1) targetSet.add(t);
  }
  const targets = [...targetSet].sort((a, b) => a - b);
  const indexOf = new Map<number, number>(targets.map((t, j) => [t, j]));

  let readsPacket = false, usesLen = false;
  const memRead = new Set<number>();
  for (let i = 0; i < n; i++) {
    if (!live[i]) continue;
    const x = prog[i];
    const cls = bpfClass(x.code);
    if (cls === BPF_LD || cls === BPF_LDX) {
      const mode = bpfMode(x.code);
      if (mode === BPF_ABS || mode === BPF_IND || mode === BPF_MSH) readsPacket = true;
      if (mode === BPF_LEN) usesLen = true;
      if (mode === BPF_MEM) memRead.add(x.k);
    }
  }

  const { raw, rawUse } = tune.rawCompares ? rawLoads(prog, live, next) : { raw: new Uint8Array(n), rawUse: new Uint8Array(n) };

  const b: number[] = [];
  const get = (l: number) => b.push(Op.localGet, l);
  const set = (l: number) => b.push(Op.localSet, l);
  const konst = (v: number) => b.push(Op.i32Const, ...sleb(v));

  // Per-instruction emission. `lo` is the index in `targets` of the innermost
  // open block; the packet's own block lies just outside all open ones.
  let lo = 0;
  const depthTo = (t: number) => indexOf.get(t)! - lo;
  const depthOut = () => targets.length - lo;
  const failIf = () => b.push(Op.brIf, ...uleb(depthOut())); // r is still 0
  // Each return counts its own packet: a constant one is known to accept or not, so only
  // returns of A, X or a select between 0 and another constant test their value, and the
  // packet's end merely stores r (0 unless a return set it).
  const retConst = (v: number) => {
    if (v !== 0) { konst(v); set(L_R); get(L_COUNT); konst(1); b.push(Op.i32Add); set(L_COUNT); }
    b.push(Op.br, ...uleb(depthOut())); // r is still 0 for a 0
  };
  const retValue = () => {
    b.push(Op.localTee, L_R); konst(0); b.push(Op.i32Ne); get(L_COUNT); b.push(Op.i32Add); set(L_COUNT);
    b.push(Op.br, ...uleb(depthOut()));
  };
  const checkLength = (len: number) => { get(L_C); konst(len); b.push(Op.i32LtU); failIf(); };
  // Big-endian value at the address on the stack (+ constant offset), as i32.
  const loadAt = (size: number, offset: number, raw = false) => {
    const memarg = [size === 4 ? 2 : size === 2 ? 1 : 0, ...uleb(offset)];
    if (size === 1) { b.push(Op.i32Load8u, ...memarg); return; }
    if (raw) { b.push(size === 2 ? Op.i32Load16u : Op.i32Load, ...memarg); return; }
    if (size === 2) {
      b.push(Op.i32Load16u, ...memarg, Op.localTee, L_T);
      konst(8); b.push(Op.i32Shl); get(L_T); konst(8); b.push(Op.i32ShrU, Op.i32Or); konst(0xffff); b.push(Op.i32And);
      return;
    }
    // bswap32: the bytes at even places by one rotation, the odd ones by the other.
    b.push(Op.i32Load, ...memarg, Op.localTee, L_T);
    konst(8); b.push(Op.i32Rotl); konst(0x00ff00ff); b.push(Op.i32And);
    get(L_T); konst(8); b.push(Op.i32Rotr); konst(0xff00ff00); b.push(Op.i32And, Op.i32Or);
  };

  const emitLoad = (x: Program[number], i: number, reg: number) => {
    const mode = bpfMode(x.code);
    const k = x.k;
    switch (mode) {
      case BPF_IMM: konst(k); set(reg); return;
      case BPF_LEN: get(L_W); set(reg); return;
      case BPF_MEM: get(L_M0 + k); set(reg); return;
      case BPF_MSH:
        // Beyond any packet (Linux's negative offsets are refused above): the Program returns 0.
        if (k + 1 > MAX_CAPLEN) { b.push(Op.br, ...uleb(depthOut())); return; }
        if (check[i] !== 0) checkLength(check[i]);
        get(L_PB); loadAt(1, k); konst(15); b.push(Op.i32And); konst(2); b.push(Op.i32Shl); set(L_X);
        return;
      case BPF_ABS: {
        if (k + sizeOf(x.code) > MAX_CAPLEN) { b.push(Op.br, ...uleb(depthOut())); return; }
        if (check[i] !== 0) checkLength(check[i]);
        get(L_PB); loadAt(sizeOf(x.code), k, raw[i] !== 0); set(L_A);
        return;
      }
      case BPF_IND: {
        const size = sizeOf(x.code);
        if (linux) {
          // The kernel's 32-bit sum; a negative one goes through the SKF rule.
          get(L_X); konst(k); b.push(Op.i32Add, Op.localTee, L_T); konst(0); b.push(Op.i32LtS, Op.if, VOID);
          get(L_T); get(P_NET); get(P_LL); b.push(Op.call, 1); set(L_T);
          b.push(Op.end);
          // t + size cannot wrap: t is below 2^31 here.
          get(L_T); konst(size); b.push(Op.i32Add); get(L_C); b.push(Op.i32GtU); failIf();
          get(L_PB); get(L_T); b.push(Op.i32Add); loadAt(size, 0, raw[i] !== 0); set(L_A);
          return;
        }
        // libpcap: k >= 2^31 fails whatever X is; else X (unsigned) + k + size, without wrapping, must fit.
        if (k >= 0x80000000) { b.push(Op.br, ...uleb(depthOut())); return; }
        get(L_X); b.push(Op.i64ExtendI32U, Op.i64Const, ...sleb64(k + size), Op.i64Add);
        get(L_C); b.push(Op.i64ExtendI32U, Op.i64GtU); failIf();
        get(L_PB); get(L_X); b.push(Op.i32Add); loadAt(size, k, raw[i] !== 0); set(L_A);
        return;
      }
      default:
        throw new RangeError(`wasm: instruction ${i}: load mode 0x${mode.toString(16)} is not valid`);
    }
  };

  const emitAlu = (x: Program[number], i: number) => {
    const op = bpfOp(x.code);
    if (op === BPF_NEG) { konst(0); get(L_A); b.push(Op.i32Sub); set(L_A); return; }
    const fromX = bpfSrc(x.code) === BPF_X;
    const operand = () => (fromX ? get(L_X) : konst(x.k));
    if ((op === BPF_DIV || op === BPF_MOD) && fromX) { get(L_X); b.push(Op.i32Eqz); failIf(); }
    if ((op === BPF_LSH || op === BPF_RSH) && fromX && !linux) {
      // libpcap 1.10: a count in X of 32 or more gives 0 (wasm, like Linux, would take it modulo 32).
      get(L_A); get(L_X); b.push(op === BPF_LSH ? Op.i32Shl : Op.i32ShrU); konst(0); get(L_X); konst(31); b.push(Op.i32LeU, Op.select); set(L_A);
      return;
    }
    const wasmOp = ({
      [BPF_ADD]: Op.i32Add, [BPF_SUB]: Op.i32Sub, [BPF_MUL]: Op.i32Mul, [BPF_DIV]: Op.i32DivU, [BPF_MOD]: Op.i32RemU,
      [BPF_OR]: Op.i32Or, [BPF_AND]: Op.i32And, [BPF_XOR]: Op.i32Xor, [BPF_LSH]: Op.i32Shl, [BPF_RSH]: Op.i32ShrU,
    } as Record<number, number>)[op];
    if (wasmOp === undefined) throw new RangeError(`wasm: instruction ${i}: ALU operation 0x${op.toString(16)} is not valid`);
    get(L_A); operand(); b.push(wasmOp); set(L_A);
  };

  /** Pushes the jump's condition (non-zero when it jumps to jt). */
  const condition = (x: Program[number], i: number) => {
    const op = bpfOp(x.code);
    const seen = rawUse[i];
    if (seen === 2 && op === BPF_JEQ && x.k > 0xffff) { konst(0); return; } // no 16-bit value equals it
    get(L_A);
    if (bpfSrc(x.code) === BPF_X) get(L_X);
    // A holds the packet's bytes in memory order: compare with the constant's bytes in that order.
    else konst(seen === 2 ? swap16(x.k & 0xffff) : seen === 4 ? swap32(x.k) : x.k);
    switch (op) {
      case BPF_JEQ: b.push(Op.i32Eq); return;
      case BPF_JGT: b.push(Op.i32GtU); return;
      case BPF_JGE: b.push(Op.i32GeU); return;
      case BPF_JSET: b.push(Op.i32And); return;
      default: throw new RangeError(`wasm: instruction ${i}: jump operation 0x${op.toString(16)} is not valid`);
    }
  };

  const emitJump = (x: Program[number], i: number) => {
    if (bpfOp(x.code) === BPF_JA) {
      if (x.k !== 0) b.push(Op.br, ...uleb(depthTo(i + 1 + x.k)));
      return;
    }
    const t = i + 1 + x.jt, f = i + 1 + x.jf;
    if (selects[i]) {
      const yes = constantReturn(prog, t)!, no = constantReturn(prog, f)!;
      if (yes === no) { retConst(yes); return; }
      if (tune.selects === 'select') {
        konst(yes); konst(no); condition(x, i); b.push(Op.select);
      } else {
        // no ^ ((0 - cond) & (yes ^ no)), cond made 0 or 1 first (jset leaves the bits).
        konst(no); konst(0); condition(x, i);
        if (bpfOp(x.code) === BPF_JSET) { konst(0); b.push(Op.i32Ne); }
        b.push(Op.i32Sub); konst((yes ^ no) >>> 0); b.push(Op.i32And, Op.i32Xor);
      }
      if (yes !== 0 && no !== 0) {
        set(L_R); get(L_COUNT); konst(1); b.push(Op.i32Add); set(L_COUNT); b.push(Op.br, ...uleb(depthOut()));
      } else {
        retValue();
      }
      return;
    }
    if (t === f) {
      if (t !== i + 1) b.push(Op.br, ...uleb(depthTo(t)));
      return;
    }
    condition(x, i);
    if (t === i + 1) { b.push(Op.i32Eqz, Op.brIf, ...uleb(depthTo(f))); return; }
    b.push(Op.brIf, ...uleb(depthTo(t)));
    if (f !== i + 1) b.push(Op.br, ...uleb(depthTo(f)));
  };

  // One packet, number i + j: q holds i * 4, so the arrays are read at constant offsets 4j from it.
  const packet = (j: number, ahead: number) => {
    lo = 0;
    const at = (base: number) => { get(base); get(L_Q); b.push(Op.i32Add); };
    if (ahead > 0) {
      // Packet i + j + ahead exists (the loop checks it): read one byte of its header and drop it,
      // its offset clamped into the data, so a garbage offset cannot leave the memory.
      at(P_OFFS); b.push(Op.i32Load, 2, ...uleb(4 * (j + ahead)), Op.localTee, L_PF);
      konst(0); get(L_PF); get(P_DLEN); b.push(Op.i32LtU, Op.select);
      get(P_DATA); b.push(Op.i32Add, Op.i32Load8u, 0, ...uleb(14), Op.drop);
    }
    if (readsPacket) {
      at(P_OFFS); b.push(Op.i32Load, 2, ...uleb(4 * j)); set(L_O);
      at(P_CAPS); b.push(Op.i32Load, 2, ...uleb(4 * j)); set(L_C);
      // Inside the data region: offset + caplen <= dataLength, added without wrapping.
      get(L_O); b.push(Op.i64ExtendI32U); get(L_C); b.push(Op.i64ExtendI32U, Op.i64Add); get(P_DLEN); b.push(Op.i64ExtendI32U, Op.i64GtU, Op.if, VOID);
      konst(-1 - j); get(L_I); b.push(Op.i32Sub, Op.return, Op.end);
      get(P_DATA); get(L_O); b.push(Op.i32Add); set(L_PB);
    }
    if (usesLen) { at(P_WIRES); b.push(Op.i32Load, 2, ...uleb(4 * j)); set(L_W); }
    if (form === 'indices') {
      // The packet's index goes to out[count] before it runs: an accepted packet then bumps
      // count past it, a rejected one leaves the slot to the next packet. No branch, one store.
      get(P_OUT); get(L_COUNT); konst(2); b.push(Op.i32Shl, Op.i32Add); get(L_I); if (j !== 0) { konst(j); b.push(Op.i32Add); }
      b.push(Op.i32Store, 2, 0);
    }
    konst(0); set(L_A); konst(0); set(L_X); konst(0); set(L_R);
    for (const m of [...memRead].sort((p, q) => p - q)) { konst(0); set(L_M0 + m); }
    b.push(Op.block, VOID); // the packet's block: every ret leaves it
    for (let t = targets.length - 1; t >= 0; t--) b.push(Op.block, VOID);
    for (let i = 0; i < n; i++) {
      while (lo < targets.length && targets[lo] === i) { b.push(Op.end); lo++; }
      if (!live[i]) continue;
      const x = prog[i];
      switch (bpfClass(x.code)) {
        case BPF_RET: {
          const rv = bpfRval(x.code);
          if (rv === BPF_A || rv === BPF_X) { get(rv === BPF_A ? L_A : L_X); retValue(); } else retConst(x.k >>> 0);
          break;
        }
        case BPF_LD: emitLoad(x, i, L_A); break;
        case BPF_LDX: emitLoad(x, i, L_X); break;
        case BPF_ST: get(L_A); set(L_M0 + x.k); break;
        case BPF_STX: get(L_X); set(L_M0 + x.k); break;
        case BPF_ALU: emitAlu(x, i); break;
        case BPF_JMP: emitJump(x, i); break;
        case BPF_MISC:
          if (bpfMiscOp(x.code) === BPF_TAX) { get(L_A); set(L_X); } else if (bpfMiscOp(x.code) === BPF_TXA) { get(L_X); set(L_A); } else throw new RangeError(`wasm: instruction ${i}: misc operation is not valid`);
          break;
        default:
          throw new RangeError(`wasm: instruction ${i}: opcode 0x${x.code.toString(16)} is not valid`);
      }
    }
    // A verified Program cannot run off its end; if it could, the packet would read 0.
    while (lo < targets.length) { b.push(Op.end); lo++; }
    b.push(Op.end); // the packet's block
    if (form === 'values') { at(P_OUT); get(L_R); b.push(Op.i32Store, 2, ...uleb(4 * j)); }
  };

  // The packet loop: `copies` packets per iteration while that many are left, then one at a time.
  const live1 = live.filter(Boolean).length;
  let copies = 1;
  while (copies * 2 <= tune.unroll && copies * 2 * live1 <= UNROLL_BUDGET) copies *= 2;
  let branches = 0;
  for (let i = 0; i < n; i++) if (live[i] && bpfClass(prog[i].code) === BPF_JMP && bpfOp(prog[i].code) !== BPF_JA && prog[i].jt !== prog[i].jf) branches++;
  const ahead = readsPacket && branches >= tune.lookaheadFrom ? tune.lookahead : 0;
  if (copies > 1 || ahead > 0) {
    const span = copies + ahead; // packets that must exist for one iteration
    b.push(Op.block, VOID, Op.loop, VOID);
    // i + span <= n, unsigned and without wrapping: i <= n - span when n >= span.
    get(P_N); konst(span); b.push(Op.i32LtU, Op.brIf, 1);
    get(L_I); get(P_N); konst(span); b.push(Op.i32Sub, Op.i32GtU, Op.brIf, 1);
    get(L_I); konst(2); b.push(Op.i32Shl); set(L_Q);
    for (let j = 0; j < copies; j++) packet(j, ahead);
    get(L_I); konst(copies); b.push(Op.i32Add); set(L_I);
    b.push(Op.br, 0, Op.end, Op.end);
  }
  b.push(Op.block, VOID, Op.loop, VOID);
  get(L_I); get(P_N); b.push(Op.i32GeU, Op.brIf, 1);
  get(L_I); konst(2); b.push(Op.i32Shl); set(L_Q);
  packet(0, 0);
  get(L_I); konst(1); b.push(Op.i32Add); set(L_I);
  b.push(Op.br, 0, Op.end, Op.end);
  get(L_COUNT);

  return encodeModule([
    { params: BATCH_PARAMS.map(() => I32), results: [I32], locals: LOCALS, body: b },
    negativeHelper(),
  ]);
}
