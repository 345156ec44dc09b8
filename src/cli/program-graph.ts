/**
 * The control-flow graph of a Program: basic blocks (straight runs of
 * instructions ending in a jump or a return) and their edges, printed as
 * text or as Graphviz DOT.
 */
import { BPF_JA, BPF_JMP, BPF_RET, bpfClass, bpfOp } from '../bpf/opcodes.js';
import { instructionImage } from '../bpf/image.js';
import type { Program } from '../bpf/program.js';

/** One basic block: instructions [start, end], and where control goes after it. */
export interface BasicBlock {
  readonly id: number;
  readonly start: number;
  readonly end: number;
  /** Successor block ids: [true, false] for a conditional jump, one for JA/fallthrough, none for RET. */
  readonly next: readonly number[];
}

/**
 * Splits a Program into basic blocks.
 *
 * @example
 * basicBlocks(program).length // 1 for a lone 'ret #0'
 */
export function basicBlocks(prog: Program): BasicBlock[] {
  const leaders = new Set<number>([0]);
  prog.forEach((x, i) => {
    if (bpfClass(x.code) === BPF_JMP) {
      if (bpfOp(x.code) === BPF_JA) leaders.add(i + 1 + x.k);
      else { leaders.add(i + 1 + x.jt); leaders.add(i + 1 + x.jf); }
      leaders.add(i + 1);
    } else if (bpfClass(x.code) === BPF_RET) {
      leaders.add(i + 1);
    }
  });
  const starts = [...leaders].filter((i) => i < prog.length).sort((a, b) => a - b);
  const blockAt = new Map(starts.map((s, id) => [s, id]));
  return starts.map((start, id) => {
    const end = (starts[id + 1] ?? prog.length) - 1;
    const last = prog[end];
    let next: number[] = [];
    if (bpfClass(last.code) === BPF_JMP) {
      next = bpfOp(last.code) === BPF_JA ? [blockAt.get(end + 1 + last.k)!] : [blockAt.get(end + 1 + last.jt)!, blockAt.get(end + 1 + last.jf)!];
    } else if (bpfClass(last.code) !== BPF_RET && end + 1 < prog.length) {
      next = [blockAt.get(end + 1)!];
    }
    return { id, start, end, next };
  });
}

/**
 * The graph as text: each block's instructions (tcpdump -d lines) and its edges.
 *
 * @example
 * graphText(program) // 'block 0 [0-3]\n  (000) ldh [12]\n  ...\n  -> true: block 1, false: block 2'
 */
export function graphText(prog: Program): string {
  const lines: string[] = [];
  for (const b of basicBlocks(prog)) {
    lines.push(`block ${b.id} [${b.start}-${b.end}]`);
    for (let i = b.start; i <= b.end; i++) lines.push(`  ${instructionImage(prog[i], i)}`);
    if (b.next.length === 2) lines.push(`  -> true: block ${b.next[0]}, false: block ${b.next[1]}`);
    else if (b.next.length === 1) lines.push(`  -> block ${b.next[0]}`);
  }
  return lines.join('\n');
}

/**
 * The graph as Graphviz DOT: one record node per block, edges labelled T/F.
 *
 * @example
 * graphDot(program).startsWith('digraph bpf {') // true
 */
export function graphDot(prog: Program): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const lines = ['digraph bpf {', '  node [shape=box, fontname="monospace"];'];
  for (const b of basicBlocks(prog)) {
    const body: string[] = [];
    for (let i = b.start; i <= b.end; i++) body.push(esc(instructionImage(prog[i], i)));
    lines.push(`  b${b.id} [label="${body.join('\\l')}\\l"];`);
    if (b.next.length === 2) {
      lines.push(`  b${b.id} -> b${b.next[0]} [label="T"];`);
      lines.push(`  b${b.id} -> b${b.next[1]} [label="F"];`);
    } else if (b.next.length === 1) {
      lines.push(`  b${b.id} -> b${b.next[0]};`);
    }
  }
  lines.push('}');
  return lines.join('\n');
}
