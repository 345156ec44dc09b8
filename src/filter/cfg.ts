/**
 * The control-flow graph the code generators build and the linearizer (and
 * the optimizer) consume.
 *
 * A graph is a DAG of blocks. A block is straight-line statements (loads,
 * stores, ALU operations, TAX/TXA: every classic BPF instruction except jumps
 * and returns) followed by exactly one of
 *   - a conditional jump comparing A with K or X (JEQ, JGT, JGE, JSET), with a
 *     true successor `jt` and a false successor `jf`; or
 *   - a return (RET K or RET A).
 * There are no unconditional jumps in the graph: they only appear when the
 * linearizer lays blocks out. Scratch memory slots in statements (ST, STX,
 * LD/LDX MEM) are plain slot numbers 0..15 in `k`.
 *
 * While code is generated, a condition is a `Cond`: an entry block plus the
 * dangling true and false exits (libpcap's backpatch lists). `and`, `or` and
 * `not` only splice exits; `finish` ties the exits to return blocks.
 */
import { BPF_JMP, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_K, BPF_X, BPF_RET, BPF_A, BPF_LD, BPF_IMM, bpfOp, bpfSrc } from '../bpf/opcodes.js';

/**
 * One instruction inside a block. Normally straight-line (never a jump or a
 * return). The exception is libpcap's hand-laid-out sequences (`protochain`'s
 * loop, `geneve`'s header walk): there a JMP statement carries `jt`/`jf`
 * offsets relative to itself that stay inside the same block (a JA's `k` may
 * even be negative, jumping back). Blocks holding such statements are marked
 * `opaque`; an optimizer must leave them as they are.
 */
export interface Stmt {
  code: number;
  k: number;
  jt?: number;
  jf?: number;
}

/** A basic block: statements, then a conditional jump or a return. */
export interface Block {
  /** Unique within one graph; creation order. */
  readonly id: number;
  stmts: Stmt[];
  /** BPF_JMP|op|src for a branch, BPF_RET|src for a return. */
  code: number;
  k: number;
  /** Successors of a branch (undefined while an exit is still dangling, and for returns). */
  jt?: Block;
  jf?: Block;
  /** Statements contain embedded jumps (see Stmt); do not transform. */
  opaque?: boolean;
}

/** A dangling exit: which successor field of which block is still to be set. */
export interface Exit {
  readonly block: Block;
  readonly side: 'jt' | 'jf';
}

/**
 * A list of dangling exits that concatenates in constant time (a binary tree
 * of exits), so long and/or chains stay linear to build.
 */
export type Exits = Exit | { readonly left: Exits; readonly right: Exits } | null;

/** A condition under construction: where it starts and its unset true/false exits. */
export interface Cond {
  readonly entry: Block;
  readonly trues: Exits;
  readonly falses: Exits;
}

function concat(a: Exits, b: Exits): Exits {
  if (a === null) return b;
  if (b === null) return a;
  return { left: a, right: b };
}

/** A finished graph: its root block. */
export interface Cfg {
  readonly root: Block;
}

/**
 * Makes blocks with fresh ids. One per compilation.
 *
 * @example
 * const blocks = new BlockFactory();
 * const isIp = blocks.cond([{ code: 0x28, k: 12 }], BPF_JEQ, 0x800);
 */
export class BlockFactory {
  private nextId = 0;

  /**
   * A branch block: `stmts`, then `if (A op K/X) jt else jf`.
   *
   * @example
   * const b = blocks.branch([{ code: 0x28, k: 12 }], BPF_JEQ, 0x800); // ldh [12]; jeq #0x800
   */
  branch(stmts: Stmt[], op: number, k: number, src: number = BPF_K): Block {
    return { id: this.nextId++, stmts, code: BPF_JMP | op | src, k: k >>> 0 };
  }

  /**
   * A return block (`ret #k`, or `ret a` when `fromA`).
   *
   * @example
   * const accept = blocks.ret(262144);
   */
  ret(k: number, fromA = false, stmts: Stmt[] = []): Block {
    return { id: this.nextId++, stmts, code: BPF_RET | (fromA ? BPF_A : BPF_K), k: k >>> 0 };
  }

  /**
   * A condition from one comparison block.
   *
   * @example
   * const isIp = blocks.cond([{ code: 0x28, k: 12 }], BPF_JEQ, 0x800);
   */
  cond(stmts: Stmt[], op: number, k: number, src: number = BPF_K): Cond {
    const b = this.branch(stmts, op, k, src);
    return { entry: b, trues: { block: b, side: 'jt' }, falses: { block: b, side: 'jf' } };
  }

  /**
   * Always true (`value` true) or always false, as libpcap's gen_true/gen_false: `ld #0|1; jeq #0`.
   *
   * @example
   * const never = blocks.constant(false);
   */
  constant(value: boolean): Cond {
    return this.cond([{ code: BPF_LD | BPF_IMM, k: value ? 0 : 1 }], BPF_JEQ, 0);
  }
}

function patch(exits: Exits, target: Block): void {
  const stack: Exits[] = [exits];
  while (stack.length > 0) {
    const e = stack.pop()!;
    if (e === null) continue;
    if ('block' in e) {
      if (e.side === 'jt') e.block.jt = target;
      else e.block.jf = target;
    } else {
      stack.push(e.left, e.right);
    }
  }
}

/**
 * Both conditions: `a`'s true exits lead into `b`.
 *
 * @example
 * const ipTcp = and(isIp, isTcp);
 */
export function and(a: Cond, b: Cond): Cond {
  patch(a.trues, b.entry);
  return { entry: a.entry, trues: b.trues, falses: concat(a.falses, b.falses) };
}

/**
 * Either condition: `a`'s false exits lead into `b`.
 *
 * @example
 * const ipOrArp = or(isIp, isArp);
 */
export function or(a: Cond, b: Cond): Cond {
  patch(a.falses, b.entry);
  return { entry: a.entry, trues: concat(a.trues, b.trues), falses: b.falses };
}

/**
 * The negation: true and false exits swap.
 *
 * @example
 * const notIp = not(isIp);
 */
export function not(a: Cond): Cond {
  return { entry: a.entry, trues: a.falses, falses: a.trues };
}

/**
 * Closes a condition: true exits return `accept`, false exits return 0.
 *
 * @example
 * const cfg = finish(blocks, cond, 262144);
 */
export function finish(blocks: BlockFactory, cond: Cond, accept: number): Cfg {
  const yes = blocks.ret(accept);
  const no = blocks.ret(0);
  patch(cond.trues, yes);
  patch(cond.falses, no);
  return { root: cond.entry };
}

/**
 * True for a return block.
 *
 * @example
 * isReturn(blocks.ret(0)) // true
 */
export function isReturn(b: Block): boolean {
  return (b.code & 0x07) === BPF_RET;
}

/**
 * Every block reachable from the root, in an order where each block comes
 * before all its successors (so jumps only go forward when laid out in it).
 *
 * @example
 * for (const b of topologicalOrder(cfg)) console.log(b.id);
 */
export function topologicalOrder(cfg: Cfg): Block[] {
  const order: Block[] = [];
  // Marks by block id: ids are small integers, unique within a graph.
  const seen: boolean[] = [];
  seen[cfg.root.id] = true;
  // Iterative DFS post-order (deep graphs must not overflow the stack).
  const blocks: Block[] = [cfg.root];
  const steps: number[] = [0];
  while (blocks.length > 0) {
    const top = blocks.length - 1;
    const b = blocks[top];
    const step = steps[top];
    if (step < 2) {
      steps[top] = step + 1;
      const next = step === 0 ? b.jf : b.jt;
      if (next && seen[next.id] !== true) {
        seen[next.id] = true;
        blocks.push(next);
        steps.push(0);
      }
      continue;
    }
    blocks.pop();
    steps.pop();
    order.push(b);
  }
  return order.reverse();
}

const OP_NAMES: Record<number, string> = { [BPF_JEQ]: 'jeq', [BPF_JGT]: 'jgt', [BPF_JGE]: 'jge', [BPF_JSET]: 'jset' };

/**
 * A readable dump of the graph, one block per paragraph, for people and tests.
 * Statements print as `code k` pairs in hex with a mnemonic where simple.
 *
 * @example
 * console.log(dumpCfg(buildCfg('ip', { linkType: 'EN10MB' })));
 * // B0: ldh [12]
 * //     jeq #0x800 -> B1 : B2
 */
export function dumpCfg(cfg: Cfg): string {
  const order = topologicalOrder(cfg);
  const names = new Map(order.map((b, i) => [b, `B${i}`]));
  const lines: string[] = [];
  for (const b of order) {
    const head = `${names.get(b)}:`;
    const body = b.stmts.map((s) => stmtText(s));
    if (isReturn(b)) body.push((b.code & BPF_A) === BPF_A ? 'ret a' : `ret #${b.k}`);
    else {
      const operand = bpfSrc(b.code) === BPF_X ? 'x' : `#0x${b.k.toString(16)}`;
      body.push(`${OP_NAMES[bpfOp(b.code)] ?? `op${bpfOp(b.code)}`} ${operand} -> ${b.jt ? names.get(b.jt) : '?'} : ${b.jf ? names.get(b.jf) : '?'}`);
    }
    lines.push(`${head} ${body.join('\n    ')}`);
  }
  return lines.join('\n');
}

function stmtText(s: Stmt): string {
  const mode = s.code & 0xe0, size = s.code & 0x18, cls = s.code & 0x07;
  const sz = size === 0x10 ? 'b' : size === 0x08 ? 'h' : '';
  if (cls === 0) {
    if (mode === 0x20) return `ld${sz} [${s.k}]`;
    if (mode === 0x40) return `ld${sz} [x + ${s.k}]`;
    if (mode === 0x00) return `ld #0x${s.k.toString(16)}`;
    if (mode === 0x60) return `ld M[${s.k}]`;
    if (mode === 0x80) return 'ld #pktlen';
  }
  if (cls === 1) {
    if (mode === 0x00) return `ldx #0x${s.k.toString(16)}`;
    if (mode === 0x60) return `ldx M[${s.k}]`;
    if (mode === 0xa0) return `ldxb 4*([${s.k}]&0xf)`;
    if (mode === 0x80) return 'ldx #pktlen';
  }
  if (cls === 2) return `st M[${s.k}]`;
  if (cls === 3) return `stx M[${s.k}]`;
  if (cls === 7) return (s.code & 0xf8) === 0x80 ? 'txa' : 'tax';
  if (cls === 5) {
    if ((s.code & 0xf0) === 0) return `ja ${s.k | 0}`;
    return `${OP_NAMES[bpfOp(s.code)] ?? 'j?'} #0x${s.k.toString(16)} jt ${s.jt ?? 0} jf ${s.jf ?? 0}`;
  }
  if (cls === 4) {
    const ops = ['add', 'sub', 'mul', 'div', 'or', 'and', 'lsh', 'rsh', 'neg', 'mod', 'xor'];
    const op = ops[(s.code & 0xf0) >> 4] ?? '?';
    if (op === 'neg') return 'neg';
    return `${op} ${(s.code & 0x08) ? 'x' : `#0x${s.k.toString(16)}`}`;
  }
  return `code 0x${s.code.toString(16)} k ${s.k}`;
}
