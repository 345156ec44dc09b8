/**
 * Code generation for the JIT: turns a verified Program into the JavaScript
 * source of one function. Only numbers taken from the Program reach the
 * source, each checked to be an integer first, so no Program can inject text.
 *
 * Layout: classic BPF jumps only forward, so the control flow is a DAG. Each
 * jump target T gets a labelled block that ends right before T's code;
 * `break L_T` is a forward goto. The blocks are widened to the left until
 * they nest properly. When they nest too deeply for V8's parser, the body
 * falls back to a `switch` dispatch loop over the jump targets.
 *
 * The hot path is kept short, because over a large batch the CPU keeps only
 * a few packets' loads in flight and every instruction and every
 * mispredicted branch per packet shows: a length check is raised to the
 * largest length below which the Program is sure to return 0 anyway, so one
 * check covers the loads that follow it; a decision whose two sides both
 * return a constant becomes arithmetic on the comparison instead of a
 * branch; and the batch loop runs several packets per iteration, so V8's
 * per-iteration checks of the typed arrays are shared. `CodegenTuning`
 * switches each of these off, for the tests and for A/B measurements.
 */
import {
  BPF_A, BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_B, BPF_DIV, BPF_H, BPF_IMM, BPF_IND, BPF_JA, BPF_JEQ,
  BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET, BPF_LD, BPF_LDX, BPF_LEN, BPF_LSH, BPF_MEM, BPF_MISC,
  BPF_MOD, BPF_MSH, BPF_MUL, BPF_NEG, BPF_OR, BPF_RET, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_TAX,
  BPF_TXA, BPF_W, BPF_X, BPF_XOR, SKF_AD_ALU_XOR_X,
  bpfClass, bpfMiscOp, bpfMode, bpfOp, bpfRval, bpfSize, bpfSrc,
} from './opcodes.js';
import { successors, type Program } from './program.js';
import { ancillaryField, type Semantics } from './context.js';


/** The three function shapes the JIT emits. */
export type JitShape = 'packet' | 'batch-values' | 'batch-indices';

/**
 * Switches for the code shapes, all on by default; the tests and the A/B
 * measurements turn them off to compare against the plain shape.
 */
export interface CodegenTuning {
  /** Raise each length check to cover the loads after it (see `zeroBelow`). */
  mergeChecks: boolean;
  /** A conditional jump to two constant returns becomes a branchless select. */
  selects: boolean;
  /** The batch loop counts accepted packets without a branch. */
  branchlessCount: boolean;
  /**
   * Which batch loads of 2 and 4 bytes go through a DataView over the whole
   * buffer instead of being composed from bytes: 'all' (the default: one
   * bounds check and one byte swap per load, and in the unrolled loop the
   * view's own checks are shared by the packets of an iteration), 'none', or
   * 'auto' (the view only for Programs that load a 4-byte word, which
   * measured best before the loop was unrolled).
   */
  dataView: 'auto' | 'all' | 'none';
  /**
   * Most packets per iteration of the batch loop; fewer for long Programs,
   * so that copies × live instructions stays within UNROLL_BUDGET.
   */
  unroll: number;
}

const DEFAULT_TUNING: CodegenTuning = { mergeChecks: true, selects: true, branchlessCount: true, dataView: 'all', unroll: 8 };

/** Instructions (live ones, times copies) an unrolled batch loop may hold; beyond it the source only grows. */
export const UNROLL_BUDGET = 512;

/** Deepest block nesting emitted as labelled blocks; deeper Programs use the dispatch loop. */
export const MAX_BLOCK_NESTING = 400;

/** Names the generated code uses; fixed identifiers, never input text. */
const PACKET_PARAMS = ['p', 'w', 'ctx', 'rt'];
const BATCH_PARAMS = ['p', 'offs', 'caps', 'wires', 'n', 'out', 'ctx', 'rt'];

/** Renders a number from the Program, refusing anything that is not a plain integer. */
function num(x: number): string {
  if (!Number.isSafeInteger(x)) throw new TypeError(`JIT: ${x} is not an integer`);
  return String(x);
}

/** How the body of one function reads packets and leaves the Program. */
interface Emit {
  /** Expression for byte `offsetExpr` of the current packet. */
  byte(offsetExpr: string): string;
  /** Expression for the big-endian 1, 2 or 4 bytes at `at` (a constant or the variable t) of the current packet, as int32. */
  word(size: number, at: number | 't'): string;
  /** Expression for where the current packet starts in `p`. */
  base: string;
  /** Statement that ends the Program with the unsigned value of `expr`. */
  ret(expr: string): string;
  /** Statement that jumps forward to instruction `target`. */
  jump(target: number): string;
  /** Per instruction: a decision between two constant returns, emitted as a select. */
  selects: boolean[];
}

/** The source of a function `(...params) => number` and its parameter names. */
export interface GeneratedSource {
  params: string[];
  body: string;
  /** 'blocks' (labelled blocks) or 'dispatch' (switch loop). */
  layout: 'blocks' | 'dispatch';
}

/** Successors of instruction i in the code as emitted. */
type Successors = (i: number) => number[];

/** Instructions reachable from the entry, as a boolean per index. */
function reachable(prog: Program, next: Successors): boolean[] {
  const seen = new Array<boolean>(prog.length).fill(false);
  seen[0] = prog.length > 0;
  for (let i = 0; i < prog.length; i++) {
    if (!seen[i]) continue;
    for (const t of next(i)) if (t < prog.length) seen[t] = true;
  }
  return seen;
}

/**
 * The conditional jumps emitted as selects: both targets (through `ja`s)
 * return constants, so the jump itself returns and the targets need no code
 * unless something else reaches them.
 */
function selectable(prog: Program, enabled: boolean): boolean[] {
  return prog.map((x, i) => {
    if (!enabled || bpfClass(x.code) !== BPF_JMP || bpfOp(x.code) === BPF_JA || x.jt === x.jf) return false;
    return constantReturn(prog, i + 1 + x.jt) !== undefined && constantReturn(prog, i + 1 + x.jf) !== undefined;
  });
}

/**
 * Plans labelled blocks: for each jump target T (other than fall-through), a
 * block [start, T) where start is widened until all blocks nest. Returns the
 * starts by target, and the deepest nesting.
 */
function planBlocks(prog: Program, live: boolean[], next: Successors): { starts: Map<number, number>; depth: number } {
  const first = new Map<number, number>();
  for (let i = 0; i < prog.length; i++) {
    if (!live[i] || bpfClass(prog[i].code) !== BPF_JMP) continue;
    for (const t of next(i)) {
      if (t === i + 1) continue;
      if (!first.has(t)) first.set(t, i);
    }
  }
  const targets = [...first.keys()].sort((a, b) => a - b);
  const starts = new Map<number, number>();
  // The outermost blocks so far: disjoint, in order. A new block ends after all
  // of them, so it swallows those it overlaps, widening to the first one's start.
  const outer: Array<[number, number]> = [];
  for (const t of targets) {
    let s = first.get(t)!;
    while (outer.length > 0 && outer[outer.length - 1][1] > s) {
      s = Math.min(s, outer[outer.length - 1][0]);
      outer.pop();
    }
    starts.set(t, s);
    outer.push([s, t]);
  }
  // Depth: sweep opens and closes.
  const delta = new Int32Array(prog.length + 1);
  for (const [t, s] of starts) { delta[s]++; delta[t]--; }
  let depth = 0, cur = 0;
  for (let i = 0; i <= prog.length; i++) { cur += delta[i]; if (cur > depth) depth = cur; }
  return { starts, depth };
}

/**
 * Generates the source of the filter function for `prog` in one shape.
 * The Program must be verified.
 *
 * @example
 * const src = generateSource(program([{ code: 0x06, jt: 0, jf: 0, k: 1 }]), 'bsd', 'packet');
 * new Function(...src.params, src.body);
 */
export function generateSource(
  prog: Program, semantics: Semantics, shape: JitShape, forceLayout?: 'blocks' | 'dispatch', tuning: Partial<CodegenTuning> = {},
): GeneratedSource {
  const tune = { ...DEFAULT_TUNING, ...tuning };
  const selects = selectable(prog, tune.selects);
  const next: Successors = (i) => (selects[i] ? [] : successors(prog, i));
  const live = reachable(prog, next);
  const loadsWord = prog.some((x, i) => live[i] && readsPacketAt(x) && sizeOf(x.code) === 4);
  const viaView = shape !== 'packet' && (tune.dataView === 'all' || (tune.dataView === 'auto' && loadsWord));
  const { starts, depth } = planBlocks(prog, live, next);
  const layout = forceLayout ?? (depth > MAX_BLOCK_NESTING ? 'dispatch' : 'blocks');
  const batch = shape !== 'packet';
  const emit: Emit = {
    byte: batch ? (off) => `p[o + ${off}]` : (off) => `p[${off}]`,
    word: (size, at) => (viaView
      ? batchWord(size, at)
      : byteLoad(size, (d) => (at === 't' ? (d ? `t + ${d}` : 't') : num(at + d)), emit)),
    base: batch ? 'o' : '0',
    ret: batch ? (e) => `{ r = ${e}; break P; }` : (e) => `return ${e};`,
    jump: layout === 'blocks' ? (t) => `break L${num(t)};` : (t) => `{ pc = ${num(t)}; continue D; }`,
    selects,
  };

  const checks = lengthChecks(prog, live, semantics, tune.mergeChecks, next);
  const usesMem = new Set<number>();
  let usesLen = false;
  let readsPacket = false;
  for (let i = 0; i < prog.length; i++) {
    if (!live[i]) continue;
    const x = prog[i];
    const cls = bpfClass(x.code);
    if ((cls === BPF_LD || cls === BPF_LDX) && bpfMode(x.code) === BPF_MEM) usesMem.add(x.k);
    if (cls === BPF_ST || cls === BPF_STX) usesMem.add(x.k);
    if ((cls === BPF_LD || cls === BPF_LDX) && bpfMode(x.code) === BPF_LEN) usesLen = true;
    if (readsPacketAt(x)) readsPacket = true;
  }

  const lines: string[] = [];
  const targetsAt = new Map<number, number[]>();
  for (const [t, s] of starts) {
    const list = targetsAt.get(s) ?? [];
    list.push(t);
    targetsAt.set(s, list);
  }
  for (let i = 0; i < prog.length; i++) {
    if (layout === 'blocks') {
      if (starts.has(i)) lines.push('}');
      const opening = (targetsAt.get(i) ?? []).sort((a, b) => b - a);
      for (const t of opening) lines.push(`L${num(t)}: {`);
    } else if (starts.has(i) || i === 0) {
      lines.push(`case ${num(i)}:`);
    }
    if (live[i]) lines.push(instruction(prog, i, semantics, emit, checks[i]));
  }

  const mem = [...usesMem].sort((a, b) => a - b).map((k) => `m${num(k)} = 0`);
  const regs = ['A = 0', 'X = 0', 't = 0', ...mem].join(', ');
  const program = layout === 'blocks'
    ? lines.join('\n')
    : `let pc = 0;\nD: for (;;) switch (pc) {\n${lines.join('\n')}\ndefault: ${emit.ret('0')}\n}`;

  if (!batch) {
    const head = `${readsPacket || usesLen ? 'const c = p.length;\n' : ''}${usesLen ? 'if (w === undefined) w = c;\n' : ''}let ${regs};\n`;
    return { params: PACKET_PARAMS, body: `'use strict';\n${head}${program}\nreturn 0;`, layout };
  }
  // `(r !== 0) | 0` is a setcc, not a branch: which packets match is data, and a
  // mispredicted branch here costs more than the add.
  const store = shape === 'batch-values'
    ? (tune.branchlessCount ? 'out[q] = r;\nk += (r !== 0) | 0;' : 'out[q] = r;\nif (r !== 0) k++;')
    : 'if (r !== 0) out[k++] = q;';
  // One packet, number q.
  const packet = `${readsPacket ? 'const o = offs[q], c = caps[q];\nif (o + c > dl) return -1 - q;\n' : ''}${usesLen ? 'const w = wires[q];\n' : ''}let ${regs}, r = 0;
P: {
${program}
}
${store}`;
  const liveCount = live.filter(Boolean).length;
  let copies = 1;
  while (copies * 2 <= tune.unroll && copies * 2 * liveCount <= UNROLL_BUDGET) copies *= 2;
  // V8 re-checks each typed array's map and reloads its data pointer and
  // length once per loop iteration; with several packets per iteration those
  // loads are shared, and the CPU gets more packets' loads in flight.
  const loop = copies === 1
    ? `for (let i = 0; i < n; i++) {\nconst q = i;\n${packet}\n}`
    : `let i = 0;
for (; i + ${num(copies)} <= n; i += ${num(copies)}) {
${Array.from({ length: copies }, (_, j) => `{\nconst q = i + ${num(j)};\n${packet}\n}`).join('\n')}
}
for (; i < n; i++) {\nconst q = i;\n${packet}\n}`;
  const body = `'use strict';
const dl = p.length;
${viaView && readsPacket ? 'const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);\n' : ''}let k = 0;
${loop}
return k;`;
  return { params: BATCH_PARAMS, body, layout };
}

/** Bytes an absolute load (ld/ldx abs, ldx msh) needs in the packet, or 0 for other instructions and Linux's negative offsets. */
function absoluteNeed(x: Program[number], semantics: Semantics): number {
  const cls = bpfClass(x.code);
  if (cls !== BPF_LD && cls !== BPF_LDX) return 0;
  if (semantics === 'linux' && (x.k | 0) < 0) return 0;
  const mode = bpfMode(x.code);
  if (mode === BPF_ABS) return x.k + sizeOf(x.code);
  if (mode === BPF_MSH) return x.k + 1;
  return 0;
}

/**
 * For each instruction, the packet length below which the Program, run from
 * there, is sure to return 0: a load needing L bytes returns 0 below L, a
 * `ret #0` returns 0 whatever the length (Infinity), a branch is only as sure
 * as its weaker side. Filters have no side effects, so returning 0 as soon
 * as the length is known to be too short gives the same answer as running on
 * to the load that would fail. Classic BPF jumps forward only: one backward pass.
 */
function zeroBelow(prog: Program, live: boolean[], semantics: Semantics, next: Successors): number[] {
  const zb = new Array<number>(prog.length).fill(0);
  for (let i = prog.length - 1; i >= 0; i--) {
    if (!live[i]) continue;
    const x = prog[i];
    const cls = bpfClass(x.code);
    if (cls === BPF_RET) {
      const rv = bpfRval(x.code);
      zb[i] = rv !== BPF_A && rv !== BPF_X && x.k === 0 ? Infinity : 0;
      continue;
    }
    let after = Infinity;
    const targets = next(i);
    // A select returns one of its constants: sure to be 0 only if both are.
    if (targets.length === 0) after = constantReturn(prog, i + 1 + x.jt) === 0 && constantReturn(prog, i + 1 + x.jf) === 0 ? Infinity : 0;
    for (const t of targets) after = Math.min(after, zb[t]);
    zb[i] = Math.max(absoluteNeed(x, semantics), after);
  }
  return zb;
}

/**
 * For each instruction, the length its own bounds check tests (0: none).
 * A forward pass tracks how many leading bytes every path to an instruction
 * has already proven present; a load within that needs no check. With
 * `merge`, a check tests the length below which the Program returns 0 anyway
 * (`zeroBelow`), so it also proves the bytes of the loads that follow it: in
 * `tcp port 80` one `c < 24` at the EtherType covers the IPv4 path.
 */
function lengthChecks(prog: Program, live: boolean[], semantics: Semantics, merge: boolean, next: Successors): number[] {
  const zb = merge ? zeroBelow(prog, live, semantics, next) : [];
  const atEntry = new Array<number>(prog.length).fill(Infinity);
  const check = new Array<number>(prog.length).fill(0);
  if (prog.length > 0) atEntry[0] = 0;
  for (let i = 0; i < prog.length; i++) {
    if (!live[i]) continue;
    let after = atEntry[i];
    const need = absoluteNeed(prog[i], semantics);
    if (need > after) {
      // Infinity: every path from here returns 0; the load's own length is checked as before.
      check[i] = merge && Number.isFinite(zb[i]) ? Math.max(need, zb[i]) : need;
      after = check[i];
    }
    for (const t of next(i)) if (t < prog.length) atEntry[t] = Math.min(atEntry[t], after);
  }
  return check;
}

/** Emits one instruction's statement(s); `check` is the length its bounds check tests (0: none needed). */
function instruction(prog: Program, i: number, semantics: Semantics, emit: Emit, check: number): string {
  const x = prog[i];
  const k = x.k;
  const ks = num(k | 0); // k as a signed 32-bit literal, for int32 arithmetic
  const ku = num(k >>> 0);
  switch (bpfClass(x.code)) {
    case BPF_RET:
      return emit.ret(bpfRval(x.code) === BPF_A ? 'A >>> 0' : bpfRval(x.code) === BPF_X ? 'X >>> 0' : ku);
    case BPF_LD:
      return load(x.code, k, 'A', semantics, emit, check);
    case BPF_LDX:
      return load(x.code, k, 'X', semantics, emit, check);
    case BPF_ST:
      return `m${num(k)} = A;`;
    case BPF_STX:
      return `m${num(k)} = X;`;
    case BPF_MISC:
      return bpfMiscOp(x.code) === BPF_TAX ? 'X = A;' : bpfMiscOp(x.code) === BPF_TXA ? 'A = X;' : unreachableCode(i);
    case BPF_ALU:
      return alu(x.code, ks, ku, semantics, emit, i);
    case BPF_JMP:
      return jump(prog, i, emit);
    default:
      return unreachableCode(i);
  }
}

function unreachableCode(i: number): never {
  throw new RangeError(`JIT: instruction ${i} has an opcode the verifier should have refused`);
}

function batchWord(size: number, at: number | 't'): string {
  const where = at === 't' ? 'o + t' : `o + ${num(at)}`;
  return size === 1 ? `p[${where}]` : size === 2 ? `dv.getUint16(${where})` : `dv.getInt32(${where})`;
}

/** Expression composing `size` bytes big-endian, byte d at `at(d)`. */
function byteLoad(size: number, at: (d: number) => string, emit: Emit): string {
  if (size === 1) return emit.byte(at(0));
  if (size === 2) return `(${emit.byte(at(0))} << 8 | ${emit.byte(at(1))})`;
  return `(${emit.byte(at(0))} << 24 | ${emit.byte(at(1))} << 16 | ${emit.byte(at(2))} << 8 | ${emit.byte(at(3))})`;
}

/** Whether the instruction loads from the packet (absolute, indirect or msh). */
function readsPacketAt(x: Program[number]): boolean {
  const cls = bpfClass(x.code);
  return (cls === BPF_LD || cls === BPF_LDX) && [BPF_ABS, BPF_IND, BPF_MSH].includes(bpfMode(x.code));
}

function sizeOf(code: number): number {
  const s = bpfSize(code);
  return s === BPF_W ? 4 : s === BPF_H ? 2 : 1;
}

function load(code: number, k: number, reg: 'A' | 'X', semantics: Semantics, emit: Emit, check: number): string {
  const mode = bpfMode(code);
  switch (mode) {
    case BPF_IMM: return `${reg} = ${num(k | 0)};`;
    case BPF_LEN: return `${reg} = w | 0;`;
    case BPF_MEM: return `${reg} = m${num(k)};`;
    case BPF_MSH: {
      if (semantics === 'linux' && (k | 0) < 0) {
        return `t = rt.neg(p, ${emit.base}, c, ${num(k | 0)}, 1, ctx); if (t < 0) ${emit.ret('0')} X = (t & 15) << 2;`;
      }
      const guard = check === 0 ? '' : `if (c < ${num(check)}) ${emit.ret('0')} `;
      return `${guard}X = (${emit.byte(num(k))} & 15) << 2;`;
    }
    case BPF_ABS: {
      const size = sizeOf(code);
      if (semantics === 'linux' && (k | 0) < 0) {
        const field = ancillaryField(k);
        if (field === SKF_AD_ALU_XOR_X) return 'A ^= X;';
        if (field >= 0) return `A = rt.anc(${num(field)}, p, ${emit.base}, c, A, X, ctx) | 0;`;
        return `t = rt.neg(p, ${emit.base}, c, ${num(k | 0)}, ${num(size)}, ctx); if (t < 0) ${emit.ret('0')} A = t | 0;`;
      }
      const guard = check === 0 ? '' : `if (c < ${num(check)}) ${emit.ret('0')} `;
      return `${guard}A = ${emit.word(size, k)};`;
    }
    case BPF_IND: {
      const size = sizeOf(code);
      if (semantics === 'linux') {
        // The kernel adds X and k in 32 bits; a negative sum addresses the link or network header.
        return `t = (X + ${num(k | 0)}) | 0; if (t < 0) { t = rt.neg(p, ${emit.base}, c, t, ${num(size)}, ctx); if (t < 0) ${emit.ret('0')} A = t | 0; } else { if (t + ${num(size)} > c) ${emit.ret('0')} A = ${emit.word(size, 't')}; }`;
      }
      // libpcap checks k, X and the size separately, so the sum never wraps.
      return `t = (X >>> 0) + ${num(k)}; if (t + ${num(size)} > c) ${emit.ret('0')} A = ${emit.word(size, 't')};`;
    }
    default:
      throw new RangeError(`JIT: load mode ${mode} is not valid`);
  }
}

function alu(code: number, ks: string, ku: string, semantics: Semantics, emit: Emit, i: number): string {
  const op = bpfOp(code);
  if (op === BPF_NEG) return 'A = -A | 0;';
  const fromX = bpfSrc(code) === BPF_X;
  const v = fromX ? 'X' : ks;
  const vu = fromX ? '(X >>> 0)' : ku;
  switch (op) {
    case BPF_ADD: return `A = (A + ${v}) | 0;`;
    case BPF_SUB: return `A = (A - ${v}) | 0;`;
    case BPF_MUL: return `A = Math.imul(A, ${v});`;
    case BPF_OR: return `A |= ${v};`;
    case BPF_AND: return `A &= ${v};`;
    case BPF_XOR: return `A ^= ${v};`;
    case BPF_DIV:
    case BPF_MOD: {
      const sym = op === BPF_DIV ? '/' : '%';
      const guard = fromX ? `if (X === 0) ${emit.ret('0')} ` : '';
      return `${guard}A = ((A >>> 0) ${sym} ${vu}) | 0;`;
    }
    case BPF_LSH:
    case BPF_RSH: {
      const sym = op === BPF_LSH ? '<<' : '>>>';
      // Linux takes the count modulo 32 (as JS does); libpcap 1.10 gives 0 for a count in X of 32 or more.
      if (fromX && semantics === 'bsd') return `A = (X >>> 0) > 31 ? 0 : (A ${sym} X) | 0;`;
      return `A = (A ${sym} ${v}) | 0;`;
    }
    default:
      return unreachableCode(i);
  }
}

function jump(prog: Program, i: number, emit: Emit): string {
  const x = prog[i];
  const op = bpfOp(x.code);
  if (op === BPF_JA) return x.k === 0 ? '' : emit.jump(i + 1 + x.k);
  const t = i + 1 + x.jt, f = i + 1 + x.jf;
  if (t === f) return t === i + 1 ? '' : emit.jump(t);
  const fromX = bpfSrc(x.code) === BPF_X;
  const vs = fromX ? 'X' : num(x.k | 0);
  const vu = fromX ? '(X >>> 0)' : num(x.k >>> 0);
  let cond: string, negated: string;
  switch (op) {
    case BPF_JEQ: cond = `A === ${vs}`; negated = `A !== ${vs}`; break;
    case BPF_JGT: cond = `(A >>> 0) > ${vu}`; negated = `(A >>> 0) <= ${vu}`; break;
    case BPF_JGE: cond = `(A >>> 0) >= ${vu}`; negated = `(A >>> 0) < ${vu}`; break;
    case BPF_JSET: cond = `(A & ${vs}) !== 0`; negated = `(A & ${vs}) === 0`; break;
    default: return unreachableCode(i);
  }
  if (emit.selects[i]) return emit.ret(select(cond, constantReturn(prog, t)!, constantReturn(prog, f)!));
  if (f === i + 1) return `if (${cond}) ${emit.jump(t)}`;
  if (t === i + 1) return `if (${negated}) ${emit.jump(f)}`;
  return `if (${cond}) ${emit.jump(t)} ${emit.jump(f)}`;
}

/** The constant that instruction `j` returns, following unconditional jumps; undefined if it does not simply return one. */
function constantReturn(prog: Program, j: number): number | undefined {
  for (let hops = 0; hops < 8 && j < prog.length; hops++) {
    const x = prog[j];
    const cls = bpfClass(x.code);
    if (cls === BPF_RET) {
      const rv = bpfRval(x.code);
      return rv === BPF_A || rv === BPF_X ? undefined : x.k >>> 0;
    }
    if (cls !== BPF_JMP || bpfOp(x.code) !== BPF_JA) return undefined;
    j = j + 1 + x.k;
  }
  return undefined;
}

/**
 * Branchless `cond ? a : b` for constants a and b (unsigned 32-bit), as an
 * unsigned value. V8 compiles a comparison used as a number to a setcc, and
 * `0 - bool` to a mask of all ones or zeros, where a `?:` would be a branch
 * that mispredicts on about every other packet when the decision is data.
 */
function select(cond: string, a: number, b: number): string {
  if (a === b) return num(a);
  const unsigned = (e: string) => (a > 0x7fffffff || b > 0x7fffffff ? `(${e}) >>> 0` : e);
  if (b === 0) return unsigned(`(0 - (${cond})) & ${num(a | 0)}`);
  if (a === 0) return unsigned(`((${cond}) - 1) & ${num(b | 0)}`);
  return unsigned(`${num(b | 0)} ^ ((0 - (${cond})) & ${num((a ^ b) | 0)})`);
}
