/**
 * The canonical form of a Program: the same instructions with every field
 * that its opcode ignores set to zero. Text formats that print only the
 * fields that matter (tcpdump -d, bpf_asm) round-trip to this form; libpcap's
 * code generator leaves junk in such fields (a `tax` with k = 5).
 */
import { insn, type Instruction, type Program } from './program.js';

/** Opcodes whose k is never read. */
const K_UNUSED = new Set([
  0x80, 0x81, 0x84, 0x07, 0x87, 0x16, 0x0e,
  0x0c, 0x1c, 0x2c, 0x3c, 0x9c, 0x5c, 0x4c, 0xac, 0x6c, 0x7c,
  0x1d, 0x2d, 0x3d, 0x4d,
]);

/** Opcodes that read jt and jf: the conditional jumps. */
const JUMPS = new Set([0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d]);

/**
 * One instruction with its ignored fields zeroed. Unknown opcodes are left as they are.
 *
 * @example
 * canonicalInstruction(insn(0x07, 0, 0, 5)) // tax with k 0
 */
export function canonicalInstruction(x: Instruction): Instruction {
  const known = K_UNUSED.has(x.code) || JUMPS.has(x.code) || [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x14, 0x20, 0x24, 0x28, 0x30,
    0x34, 0x40, 0x44, 0x48, 0x50, 0x54, 0x60, 0x61, 0x64, 0x74, 0x94, 0xa4, 0xb1].includes(x.code);
  if (!known) return x;
  const jumps = JUMPS.has(x.code);
  const k = K_UNUSED.has(x.code) ? 0 : x.k;
  const jt = jumps ? x.jt : 0;
  const jf = jumps ? x.jf : 0;
  return jt === x.jt && jf === x.jf && k === x.k ? x : insn(x.code, jt, jf, k);
}

/**
 * The Program with every ignored field zeroed: it runs exactly as `prog` does.
 *
 * @example
 * programsEqual(assemble(disassemble(p, 'asm')), canonical(p)) // true
 */
export function canonical(prog: Program): Program {
  return Object.freeze(prog.map(canonicalInstruction));
}
