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
 */
import {
  BPF_A, BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_B, BPF_DIV, BPF_H, BPF_IMM, BPF_IND, BPF_JA, BPF_JEQ,
  BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET, BPF_LD, BPF_LDX, BPF_LEN, BPF_LSH, BPF_MEM, BPF_MISC,
  BPF_MOD, BPF_MSH, BPF_MUL, BPF_NEG, BPF_OR, BPF_RET, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_TAX,
  BPF_TXA, BPF_W, BPF_X, BPF_XOR, SKF_AD_ALU_XOR_X,
  bpfClass, bpfMiscOp, bpfMode, bpfOp, bpfRval, bpfSize, bpfSrc,
} from './opcodes.js';
import type { Program } from './program.js';
import { ancillaryField, type Semantics } from './context.js';


/** The three function shapes the JIT emits. */
export type JitShape = 'packet' | 'batch-values' | 'batch-indices';

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
}

/** The source of a function `(...params) => number` and its parameter names. */
export interface GeneratedSource {
  params: string[];
  body: string;
  /** 'blocks' (labelled blocks) or 'dispatch' (switch loop). */
  layout: 'blocks' | 'dispatch';
}

/** Instructions reachable from the entry, as a boolean per index. */
function reachable(prog: Program): boolean[] {
  const seen = new Array<boolean>(prog.length).fill(false);
  seen[0] = prog.length > 0;
  for (let i = 0; i < prog.length; i++) {
    if (!seen[i]) continue;
    for (const t of successors(prog, i)) if (t < prog.length) seen[t] = true;
  }
  return seen;
}

function successors(prog: Program, i: number): number[] {
  const x = prog[i];
  const cls = bpfClass(x.code);
  if (cls === BPF_RET) return [];
  if (cls !== BPF_JMP) return [i + 1];
  if (bpfOp(x.code) === BPF_JA) return [i + 1 + x.k];
  return [i + 1 + x.jt, i + 1 + x.jf];
}

/**
 * Plans labelled blocks: for each jump target T (other than fall-through), a
 * block [start, T) where start is widened until all blocks nest. Returns the
 * starts by target, and the deepest nesting.
 */
function planBlocks(prog: Program, live: boolean[]): { starts: Map<number, number>; depth: number } {
  const first = new Map<number, number>();
  for (let i = 0; i < prog.length; i++) {
    if (!live[i] || bpfClass(prog[i].code) !== BPF_JMP) continue;
    for (const t of successors(prog, i)) {
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
export function generateSource(prog: Program, semantics: Semantics, shape: JitShape, forceLayout?: 'blocks' | 'dispatch'): GeneratedSource {
  const live = reachable(prog);
  const { starts, depth } = planBlocks(prog, live);
  const layout = forceLayout ?? (depth > MAX_BLOCK_NESTING ? 'dispatch' : 'blocks');
  const batch = shape !== 'packet';
  const emit: Emit = {
    byte: batch ? (off) => `p[o + ${off}]` : (off) => `p[${off}]`,
    word: batch && USE_DATAVIEW ? batchWord : (size, at) => byteLoad(size, (d) => (at === 't' ? (d ? `t + ${d}` : 't') : num(at + d)), emit),
    base: batch ? 'o' : '0',
    ret: batch ? (e) => `{ r = ${e}; break P; }` : (e) => `return ${e};`,
    jump: layout === 'blocks' ? (t) => `break L${num(t)};` : (t) => `{ pc = ${num(t)}; continue D; }`,
  };

  const present = provenLengths(prog, live, semantics);
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
    if ((cls === BPF_LD || cls === BPF_LDX) && [BPF_ABS, BPF_IND, BPF_MSH].includes(bpfMode(x.code))) readsPacket = true;
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
    if (live[i]) lines.push(instruction(prog, i, semantics, emit, present[i]));
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
  const store = shape === 'batch-values'
    ? 'out[i] = r;\nif (r !== 0) k++;'
    : 'if (r !== 0) out[k++] = i;';
  const body = `'use strict';
const dl = p.length;
${USE_DATAVIEW ? 'const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);\n' : ''}let k = 0;
for (let i = 0; i < n; i++) {
${readsPacket ? 'const o = offs[i], c = caps[i];\nif (o + c > dl) return -1 - i;\n' : ''}${usesLen ? 'const w = wires[i];\n' : ''}let ${regs}, r = 0;
P: {
${program}
}
${store}
}
return k;`;
  return { params: BATCH_PARAMS, body, layout };
}

/**
 * For each instruction, how many leading packet bytes are known to be present
 * when it runs: every path to it passed a bounds check at least that large.
 * Loads within that length need no check of their own.
 */
function provenLengths(prog: Program, live: boolean[], semantics: Semantics): number[] {
  const atEntry = new Array<number>(prog.length).fill(Infinity);
  if (prog.length > 0) atEntry[0] = 0;
  for (let i = 0; i < prog.length; i++) {
    if (!live[i]) continue;
    const x = prog[i];
    let after = atEntry[i];
    const cls = bpfClass(x.code);
    if (cls === BPF_LD || cls === BPF_LDX) {
      const mode = bpfMode(x.code);
      const direct = semantics === 'bsd' || (x.k | 0) >= 0;
      if (mode === BPF_ABS && direct) after = Math.max(after, x.k + sizeOf(x.code));
      if (mode === BPF_MSH && direct) after = Math.max(after, x.k + 1);
    }
    for (const t of successors(prog, i)) if (t < prog.length) atEntry[t] = Math.min(atEntry[t], after);
  }
  return atEntry;
}

/** Emits one instruction's statement(s); `present` bytes are known to be in the packet. */
function instruction(prog: Program, i: number, semantics: Semantics, emit: Emit, present: number): string {
  const x = prog[i];
  const k = x.k;
  const ks = num(k | 0); // k as a signed 32-bit literal, for int32 arithmetic
  const ku = num(k >>> 0);
  switch (bpfClass(x.code)) {
    case BPF_RET:
      return emit.ret(bpfRval(x.code) === BPF_A ? 'A >>> 0' : bpfRval(x.code) === BPF_X ? 'X >>> 0' : ku);
    case BPF_LD:
      return load(x.code, k, 'A', semantics, emit, present);
    case BPF_LDX:
      return load(x.code, k, 'X', semantics, emit, present);
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

/** Batch loads go through a DataView over the whole buffer: one bounds check and one byte swap per word. */
const USE_DATAVIEW = true;

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

function sizeOf(code: number): number {
  const s = bpfSize(code);
  return s === BPF_W ? 4 : s === BPF_H ? 2 : 1;
}

function load(code: number, k: number, reg: 'A' | 'X', semantics: Semantics, emit: Emit, present: number): string {
  const mode = bpfMode(code);
  switch (mode) {
    case BPF_IMM: return `${reg} = ${num(k | 0)};`;
    case BPF_LEN: return `${reg} = w | 0;`;
    case BPF_MEM: return `${reg} = m${num(k)};`;
    case BPF_MSH: {
      if (semantics === 'linux' && (k | 0) < 0) {
        return `t = rt.neg(p, ${emit.base}, c, ${num(k | 0)}, 1, ctx); if (t < 0) ${emit.ret('0')} X = (t & 15) << 2;`;
      }
      const check = k + 1 <= present ? '' : `if (c <= ${num(k)}) ${emit.ret('0')} `;
      return `${check}X = (${emit.byte(num(k))} & 15) << 2;`;
    }
    case BPF_ABS: {
      const size = sizeOf(code);
      if (semantics === 'linux' && (k | 0) < 0) {
        const field = ancillaryField(k);
        if (field === SKF_AD_ALU_XOR_X) return 'A ^= X;';
        if (field >= 0) return `A = rt.anc(${num(field)}, p, ${emit.base}, c, A, X, ctx) | 0;`;
        return `t = rt.neg(p, ${emit.base}, c, ${num(k | 0)}, ${num(size)}, ctx); if (t < 0) ${emit.ret('0')} A = t | 0;`;
      }
      const check = k + size <= present ? '' : `if (c < ${num(k + size)}) ${emit.ret('0')} `;
      return `${check}A = ${emit.word(size, k)};`;
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
  if (f === i + 1) return `if (${cond}) ${emit.jump(t)}`;
  if (t === i + 1) return `if (${negated}) ${emit.jump(f)}`;
  return `if (${cond}) ${emit.jump(t)} ${emit.jump(f)}`;
}

