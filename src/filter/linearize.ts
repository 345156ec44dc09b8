/**
 * CFG → Program. Blocks are laid out in topological order, so every jump
 * goes forward. A conditional jump reaches at most 255 instructions ahead;
 * when a target is farther, the jump goes to an unconditional `ja` (32-bit
 * offset) placed right after it, as libpcap does.
 */
import { BPF_JA, BPF_JMP } from '../bpf/opcodes.js';
import { program, type Instruction, type Program } from '../bpf/program.js';
import { isReturn, type Block, type Cfg } from './cfg.js';
import { layoutBlocks } from './optimize/layout.js';

/**
 * Thrown when a graph cannot become a Program (a dangling exit).
 *
 * @example
 * throw new LinearizeError('block 3 has a dangling exit');
 */
export class LinearizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinearizeError';
  }
}

interface Layout {
  block: Block;
  /** Extra `ja` trampolines after the jump, for a far true and/or false target. */
  farTrue: boolean;
  farFalse: boolean;
}

function size(l: Layout): number {
  return l.block.stmts.length + 1 + (l.farTrue ? 1 : 0) + (l.farFalse ? 1 : 0);
}

/**
 * Lays a graph out as a Program.
 *
 * @example
 * const prog = linearize(cfg);
 */
export function linearize(cfg: Cfg): Program {
  const order = layoutBlocks(cfg);
  const layouts: Layout[] = order.map((block) => {
    if (!isReturn(block) && (!block.jt || !block.jf)) throw new LinearizeError(`block ${block.id} has a dangling exit`);
    return { block, farTrue: false, farFalse: false };
  });
  // Positions by block id (ids are small integers unique in one graph).
  const start: number[] = [];
  const pos = (b: Block): number => start[b.id];
  for (;;) {
    let at = 0;
    for (const l of layouts) {
      start[l.block.id] = at;
      at += size(l);
    }
    let changed = false;
    for (const l of layouts) {
      if (isReturn(l.block)) continue;
      const jumpAt = pos(l.block) + l.block.stmts.length;
      const after = jumpAt + 1;
      if (!l.farTrue && pos(l.block.jt!) - after > 255) { l.farTrue = true; changed = true; }
      if (!l.farFalse && pos(l.block.jf!) - after - (l.farTrue ? 1 : 0) > 255) { l.farFalse = true; changed = true; }
    }
    if (!changed) break;
  }
  const out: Instruction[] = [];
  for (const l of layouts) {
    const b = l.block;
    for (const s of b.stmts) out.push({ code: s.code, jt: s.jt ?? 0, jf: s.jf ?? 0, k: s.k >>> 0 });
    if (isReturn(b)) {
      out.push({ code: b.code, jt: 0, jf: 0, k: b.k });
      continue;
    }
    const jumpAt = out.length;
    const trampolineTrue = jumpAt + 1;
    const trampolineFalse = jumpAt + 1 + (l.farTrue ? 1 : 0);
    const fallthrough = trampolineFalse + (l.farFalse ? 1 : 0);
    const tTarget = pos(b.jt!), fTarget = pos(b.jf!);
    const jt = l.farTrue ? trampolineTrue - jumpAt - 1 : tTarget - jumpAt - 1;
    const jf = l.farFalse ? trampolineFalse - jumpAt - 1 : fTarget - jumpAt - 1;
    out.push({ code: b.code, jt, jf, k: b.k });
    if (l.farTrue) out.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: tTarget - trampolineTrue - 1 });
    if (l.farFalse) out.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: fTarget - trampolineFalse - 1 });
    void fallthrough;
  }
  return program(out);
}
