/**
 * The one data type of bpfkit: a classic BPF Program, an immutable array of
 * instructions laid out exactly as the kernel's `struct sock_filter`
 * (u16 code, u8 jt, u8 jf, u32 k).
 */
import { BPF_JA, BPF_JMP, BPF_MAXINSNS, BPF_RET, bpfClass, bpfOp } from './opcodes.js';

/** One classic BPF instruction: `struct sock_filter`. `k` is held as an unsigned 32-bit number. */
export interface Instruction {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

/** A classic BPF Program: a frozen array of frozen instructions. */
export type Program = readonly Instruction[];

/** Thrown when an instruction's fields do not fit `struct sock_filter`. */
export class ProgramError extends Error {
  constructor(readonly index: number, message: string) {
    super(`instruction ${index}: ${message}`);
    this.name = 'ProgramError';
  }
}

/**
 * Makes one instruction, normalizing `k` to unsigned 32 bits (so -1 becomes 0xffffffff).
 *
 * @example
 * insn(0x28, 0, 0, 12) // ldh [12]
 */
export function insn(code: number, jt: number, jf: number, k: number): Instruction {
  return Object.freeze({ code, jt, jf, k: k >>> 0 });
}

/**
 * Makes a Program from instructions (plain objects or `insn()` results),
 * checking that every field fits its C type. It does not verify: see `verify`.
 *
 * @example
 * const accept = program([{ code: 0x06, jt: 0, jf: 0, k: 0xffff }]); // ret #65535
 */
export function program(instructions: Iterable<{ code: number; jt: number; jf: number; k: number }>): Program {
  const out: Instruction[] = [];
  let i = 0;
  for (const x of instructions) {
    checkField(i, 'code', x.code, 0xffff);
    checkField(i, 'jt', x.jt, 0xff);
    checkField(i, 'jf', x.jf, 0xff);
    if (!Number.isInteger(x.k) || x.k < -0x80000000 || x.k > 0xffffffff) {
      throw new ProgramError(i, `k ${x.k} does not fit in 32 bits`);
    }
    out.push(insn(x.code, x.jt, x.jf, x.k));
    i++;
  }
  return Object.freeze(out);
}

function checkField(index: number, name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new ProgramError(index, `${name} ${value} is not an integer from 0 to ${max}`);
  }
}

/**
 * Packs a Program into the kernel's binary layout (8 bytes per instruction, host
 * byte order), as passed in `struct sock_fprog` to SO_ATTACH_FILTER.
 *
 * @example
 * const bytes = toBytes(program([{ code: 6, jt: 0, jf: 0, k: 0 }])); // 8 bytes
 */
export function toBytes(prog: Program, littleEndian = true): Uint8Array {
  const buf = new Uint8Array(prog.length * 8);
  const view = new DataView(buf.buffer);
  prog.forEach((x, i) => {
    view.setUint16(i * 8, x.code, littleEndian);
    buf[i * 8 + 2] = x.jt;
    buf[i * 8 + 3] = x.jf;
    view.setUint32(i * 8 + 4, x.k, littleEndian);
  });
  return buf;
}

/**
 * Reads a Program from the kernel's binary layout (the inverse of `toBytes`).
 *
 * @example
 * const same = fromBytes(toBytes(prog));
 */
export function fromBytes(bytes: Uint8Array, littleEndian = true): Program {
  if (bytes.length % 8 !== 0) {
    throw new ProgramError(Math.floor(bytes.length / 8), `binary program length ${bytes.length} is not a multiple of 8`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Instruction[] = [];
  for (let off = 0; off < bytes.length; off += 8) {
    out.push(insn(view.getUint16(off, littleEndian), bytes[off + 2], bytes[off + 3], view.getUint32(off + 4, littleEndian)));
  }
  return Object.freeze(out);
}

/**
 * True when two Programs have the same instructions.
 *
 * @example
 * programsEqual(assemble(disassemble(p, 'ddd')), p) // true
 */
export function programsEqual(a: Program, b: Program): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (x.code !== y.code || x.jt !== y.jt || x.jf !== y.jf || x.k !== y.k) return false;
  }
  return true;
}

export { BPF_MAXINSNS };

/**
 * Where control can go after instruction `i`: none after a `ret`, the jump
 * targets of a jump, else the next instruction. The code generators lay out
 * blocks from it.
 *
 * @example
 * successors(program([insn(0x15, 0, 1, 2048), insn(0x06, 0, 0, 1), insn(0x06, 0, 0, 0)]), 0) // [1, 2]
 */
export function successors(prog: Program, i: number): number[] {
  const x = prog[i];
  const cls = bpfClass(x.code);
  if (cls === BPF_RET) return [];
  if (cls !== BPF_JMP) return [i + 1];
  if (bpfOp(x.code) === BPF_JA) return [i + 1 + x.k];
  return [i + 1 + x.jt, i + 1 + x.jf];
}

/**
 * Whether the Program holds a `ja` with a negative offset, which libpcap's
 * bpf_validate() accepts (its `protochain` loops) and only the interpreter
 * runs; Linux refuses it.
 *
 * @example
 * hasBackwardJump(compile('ip6 protochain 6')) // true
 */
export function hasBackwardJump(prog: Program): boolean {
  return prog.some((x) => x.code === 0x05 && (x.k | 0) < 0);
}
