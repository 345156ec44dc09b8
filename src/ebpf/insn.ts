/**
 * The eBPF instruction: the kernel's `struct bpf_insn` (u8 code, 4-bit dst and
 * src registers, s16 off, s32 imm), builders for the forms bpfkit emits, and
 * the binary layout bpf(2) takes. A 64-bit immediate load (ld_imm64) takes two
 * slots, as in the kernel: the second slot has code 0 and carries the upper
 * 32 bits in imm.
 */
import {
  BPF_ALU, BPF_JMP, BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_IMM, BPF_MEM, BPF_ABS, BPF_IND,
  BPF_K, BPF_X, BPF_JA,
} from '../bpf/opcodes.js';
import { BPF_ALU64, BPF_CALL, BPF_DW, BPF_END, BPF_EXIT, BPF_JMP32, BPF_MOV, BPF_PSEUDO_MAP_FD, BPF_TO_BE, BPF_TO_LE } from './opcodes.js';

/** One eBPF instruction slot. `imm` is a signed 32-bit number, `off` a signed 16-bit one. */
export interface EbpfInstruction {
  readonly code: number;
  readonly dst: number;
  readonly src: number;
  readonly off: number;
  readonly imm: number;
}

/** An eBPF program: instruction slots, ld_imm64 taking two. */
export type EbpfProgram = readonly EbpfInstruction[];

/**
 * Thrown when an instruction's fields do not fit `struct bpf_insn`; `index` is the slot when known.
 *
 * @example
 * try { ebpfInsn(0xbf, 16, 1, 0, 0); } catch (e) { (e as EbpfInstructionError).message } // '... dst register 16 is not 0..15'
 */
export class EbpfInstructionError extends Error {
  constructor(readonly index: number | undefined, message: string) {
    super(index === undefined ? `eBPF instruction: ${message}` : `eBPF instruction ${index}: ${message}`);
    this.name = 'EbpfInstructionError';
  }
}

/**
 * Makes one instruction slot, checking field ranges (imm is normalized to signed 32 bits).
 *
 * @example
 * ebpfInsn(0xb7, 0, 0, 0, 2) // r0 = 2
 */
export function ebpfInsn(code: number, dst: number, src: number, off: number, imm: number): EbpfInstruction {
  if (!Number.isInteger(code) || code < 0 || code > 0xff) throw new EbpfInstructionError(undefined, `code ${code} is not a byte`);
  if (!Number.isInteger(dst) || dst < 0 || dst > 15) throw new EbpfInstructionError(undefined, `dst register ${dst} is not 0..15`);
  if (!Number.isInteger(src) || src < 0 || src > 15) throw new EbpfInstructionError(undefined, `src register ${src} is not 0..15`);
  if (!Number.isInteger(off) || off < -0x8000 || off > 0x7fff) throw new EbpfInstructionError(undefined, `offset ${off} does not fit in 16 signed bits`);
  if (!Number.isInteger(imm) || imm < -0x80000000 || imm > 0xffffffff) throw new EbpfInstructionError(undefined, `immediate ${imm} does not fit in 32 bits`);
  return Object.freeze({ code, dst, src, off, imm: imm | 0 });
}

// Builders, named after the kernel's BPF_* instruction macros (include/linux/filter.h).

/** 64-bit ALU op with an immediate. @example alu64Imm(BPF_ADD, 1, 14) // r1 += 14 */
export const alu64Imm = (op: number, dst: number, imm: number): EbpfInstruction => ebpfInsn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
/** 64-bit ALU op with a register. @example alu64Reg(BPF_MOV, 6, 1) // r6 = r1 */
export const alu64Reg = (op: number, dst: number, src: number): EbpfInstruction => ebpfInsn(BPF_ALU64 | op | BPF_X, dst, src, 0, 0);
/** 32-bit ALU op with an immediate (zero-extends dst). @example alu32Imm(BPF_AND, 0, 0xff) // w0 &= 255 */
export const alu32Imm = (op: number, dst: number, imm: number): EbpfInstruction => ebpfInsn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
/** 32-bit ALU op with a register. @example alu32Reg(BPF_XOR, 0, 0) // w0 ^= w0 */
export const alu32Reg = (op: number, dst: number, src: number): EbpfInstruction => ebpfInsn(BPF_ALU | op | BPF_X, dst, src, 0, 0);
/** 64-bit move of an immediate (sign-extended). @example mov64Imm(0, 2) // r0 = 2 */
export const mov64Imm = (dst: number, imm: number): EbpfInstruction => alu64Imm(BPF_MOV, dst, imm);
/** 64-bit register move. @example mov64Reg(6, 1) // r6 = r1 */
export const mov64Reg = (dst: number, src: number): EbpfInstruction => alu64Reg(BPF_MOV, dst, src);
/** 32-bit move of an immediate (zero-extended). @example mov32Imm(0, 0xffff) // w0 = 65535 */
export const mov32Imm = (dst: number, imm: number): EbpfInstruction => alu32Imm(BPF_MOV, dst, imm);
/** Byte swap to/from big (or little) endian of the low `bits` of dst. @example endian(0, 'be', 16) // r0 = be16 r0 */
export const endian = (dst: number, order: 'be' | 'le', bits: 16 | 32 | 64): EbpfInstruction =>
  ebpfInsn(BPF_ALU | BPF_END | (order === 'be' ? BPF_TO_BE : BPF_TO_LE), dst, 0, 0, bits);
/** Load from memory: dst = *(size *)(src + off). @example ldxMem(BPF_W, 7, 1, 0) // r7 = *(u32 *)(r1 +0) */
export const ldxMem = (size: number, dst: number, src: number, off: number): EbpfInstruction => ebpfInsn(BPF_LDX | BPF_MEM | size, dst, src, off, 0);
/** Store a register: *(size *)(dst + off) = src. @example stxMem(BPF_W, 10, 0, -4) */
export const stxMem = (size: number, dst: number, src: number, off: number): EbpfInstruction => ebpfInsn(BPF_STX | BPF_MEM | size, dst, src, off, 0);
/** Store an immediate: *(size *)(dst + off) = imm. @example stMem(BPF_W, 10, -4, 0) */
export const stMem = (size: number, dst: number, off: number, imm: number): EbpfInstruction => ebpfInsn(BPF_ST | BPF_MEM | size, dst, 0, off, imm);
/** Socket-filter absolute packet load into r0 (context in r6). @example ldAbs(BPF_H, 12) // r0 = *(u16 *)skb[12] */
export const ldAbs = (size: number, imm: number): EbpfInstruction => ebpfInsn(BPF_LD | BPF_ABS | size, 0, 0, 0, imm);
/** Socket-filter indirect packet load into r0. @example ldInd(BPF_B, 7, 14) // r0 = *(u8 *)skb[r7 + 14] */
export const ldInd = (size: number, src: number, imm: number): EbpfInstruction => ebpfInsn(BPF_LD | BPF_IND | size, 0, src, 0, imm);
/** Conditional jump against an immediate, 64-bit compare. @example jmpImm(BPF_JEQ, 0, 0, 3) // if r0 == 0x0 goto pc+3 */
export const jmpImm = (op: number, dst: number, imm: number, off: number): EbpfInstruction => ebpfInsn(BPF_JMP | op | BPF_K, dst, 0, off, imm);
/** Conditional jump against a register, 64-bit compare. @example jmpReg(BPF_JGT, 2, 9, 5) // if r2 > r9 goto pc+5 */
export const jmpReg = (op: number, dst: number, src: number, off: number): EbpfInstruction => ebpfInsn(BPF_JMP | op | BPF_X, dst, src, off, 0);
/** Conditional jump against an immediate, 32-bit compare. @example jmp32Imm(BPF_JGT, 0, -1, 2) // if w0 > 0xffffffff goto pc+2 */
export const jmp32Imm = (op: number, dst: number, imm: number, off: number): EbpfInstruction => ebpfInsn(BPF_JMP32 | op | BPF_K, dst, 0, off, imm);
/** Conditional jump against a register, 32-bit compare. @example jmp32Reg(BPF_JSET, 0, 7, 1) // if w0 & w7 goto pc+1 */
export const jmp32Reg = (op: number, dst: number, src: number, off: number): EbpfInstruction => ebpfInsn(BPF_JMP32 | op | BPF_X, dst, src, off, 0);
/** Unconditional jump. @example ja(4) // goto pc+4 */
export const ja = (off: number): EbpfInstruction => ebpfInsn(BPF_JMP | BPF_JA, 0, 0, off, 0);
/** Helper call. @example call(BPF_FUNC_map_lookup_elem) */
export const call = (helper: number): EbpfInstruction => ebpfInsn(BPF_JMP | BPF_CALL, 0, 0, 0, helper);
/** Return r0. @example exit() */
export const exit = (): EbpfInstruction => ebpfInsn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

/**
 * 64-bit immediate load: two slots. `src` selects a pseudo form
 * (BPF_PSEUDO_MAP_FD: the value is a map file descriptor).
 *
 * @example
 * const [lo, hi] = ldImm64(1, 0x1122334455667788n); // r1 = 0x1122334455667788
 */
export function ldImm64(dst: number, value: bigint, src = 0): [EbpfInstruction, EbpfInstruction] {
  const v = BigInt.asUintN(64, value);
  return [
    ebpfInsn(BPF_LD | BPF_IMM | BPF_DW, dst, src, 0, Number(BigInt.asIntN(32, v))),
    ebpfInsn(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n))),
  ];
}

/**
 * Loads a map's address into `dst` from its file descriptor (the kernel
 * resolves the fd at load time).
 *
 * @example
 * const [a, b] = ldMapFd(1, counters.fd); // r1 = map[fd:N]
 */
export function ldMapFd(dst: number, fd: number): [EbpfInstruction, EbpfInstruction] {
  return ldImm64(dst, BigInt(fd), BPF_PSEUDO_MAP_FD);
}

/** True for the first slot of an ld_imm64. @example isLdImm64(ldImm64(1, 5n)[0]) // true */
export function isLdImm64(x: EbpfInstruction): boolean {
  return x.code === (BPF_LD | BPF_IMM | BPF_DW);
}

/** The 64-bit value of the ld_imm64 starting at slot `i`. @example ldImm64Value(p, 0) // 5n */
export function ldImm64Value(prog: EbpfProgram, i: number): bigint {
  const hi = prog[i + 1];
  if (!hi) throw new EbpfInstructionError(i, 'ld_imm64 is missing its second slot');
  return (BigInt(hi.imm >>> 0) << 32n) | BigInt(prog[i].imm >>> 0);
}

/**
 * Packs a program into `struct bpf_insn` bytes (8 per slot, little-endian,
 * dst in the low nibble of byte 1), as BPF_PROG_LOAD takes it.
 *
 * @example
 * const bytes = ebpfToBytes([mov64Imm(0, 2), exit()]); // 16 bytes
 */
export function ebpfToBytes(prog: EbpfProgram): Uint8Array {
  const out = new Uint8Array(prog.length * 8);
  const view = new DataView(out.buffer);
  prog.forEach((x, i) => {
    out[i * 8] = x.code;
    out[i * 8 + 1] = (x.src << 4) | x.dst;
    view.setInt16(i * 8 + 2, x.off, true);
    view.setInt32(i * 8 + 4, x.imm, true);
  });
  return out;
}

/**
 * Reads `struct bpf_insn` bytes back into a program (the inverse of ebpfToBytes).
 *
 * @example
 * const same = ebpfFromBytes(ebpfToBytes(prog));
 */
export function ebpfFromBytes(bytes: Uint8Array): EbpfProgram {
  if (bytes.length % 8 !== 0) throw new EbpfInstructionError(Math.floor(bytes.length / 8), `length ${bytes.length} is not a multiple of 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: EbpfInstruction[] = [];
  for (let at = 0; at < bytes.length; at += 8) {
    out.push(ebpfInsn(bytes[at], bytes[at + 1] & 0xf, bytes[at + 1] >> 4, view.getInt16(at + 2, true), view.getInt32(at + 4, true)));
  }
  return Object.freeze(out);
}
