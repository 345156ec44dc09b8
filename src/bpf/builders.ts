/**
 * Builders for writing Programs by hand in TypeScript, one function per
 * instruction form, in the spirit of Go's golang.org/x/net/bpf. They are
 * gathered in the `bpf` namespace object so that short names such as `and`
 * or `ret` do not collide with anything else a user imports.
 */
import { insn, type Instruction } from './program.js';
import { SKF_AD_OFF } from './opcodes.js';

const alu = (op: number) => ({
  k: (k: number): Instruction => insn(0x04 | op, 0, 0, k),
  x: (): Instruction => insn(0x0c | op, 0, 0, 0),
});
const jump = (op: number) => ({
  k: (k: number, jt: number, jf: number): Instruction => insn(0x05 | op, jt, jf, k),
  x: (jt: number, jf: number): Instruction => insn(0x0d | op, jt, jf, 0),
});
const add = alu(0x00), sub = alu(0x10), mul = alu(0x20), div = alu(0x30), or = alu(0x40);
const and = alu(0x50), lsh = alu(0x60), rsh = alu(0x70), mod = alu(0x90), xor = alu(0xa0);
const jeq = jump(0x10), jgt = jump(0x20), jge = jump(0x30), jset = jump(0x40);

/**
 * One builder per classic BPF instruction form. Jump offsets are relative
 * (0 = the next instruction), as in `struct sock_filter`.
 *
 * @example
 * const ipv4 = program([
 *   bpf.ldh(12),             // ldh [12]
 *   bpf.jeq(0x800, 0, 1),    // jeq #0x800, jt +0, jf +1
 *   bpf.ret(0xffff),         // ret #65535
 *   bpf.ret(0),              // ret #0
 * ]);
 */
export const bpf = Object.freeze({
  /** ld [k]: 32-bit word at byte k. */
  ld: (k: number) => insn(0x20, 0, 0, k),
  /** ldh [k]: 16-bit half-word at byte k. */
  ldh: (k: number) => insn(0x28, 0, 0, k),
  /** ldb [k]: byte at k. */
  ldb: (k: number) => insn(0x30, 0, 0, k),
  /** ld [x + k]. */
  ldInd: (k: number) => insn(0x40, 0, 0, k),
  /** ldh [x + k]. */
  ldhInd: (k: number) => insn(0x48, 0, 0, k),
  /** ldb [x + k]. */
  ldbInd: (k: number) => insn(0x50, 0, 0, k),
  /** ld #k: A = k. */
  ldImm: (k: number) => insn(0x00, 0, 0, k),
  /** ldx #k: X = k. */
  ldxImm: (k: number) => insn(0x01, 0, 0, k),
  /** ld #len: A = the packet's wire length. */
  ldLen: () => insn(0x80, 0, 0, 0),
  /** ldx #len: X = the packet's wire length. */
  ldxLen: () => insn(0x81, 0, 0, 0),
  /** ld M[i]. */
  ldMem: (i: number) => insn(0x60, 0, 0, i),
  /** ldx M[i]. */
  ldxMem: (i: number) => insn(0x61, 0, 0, i),
  /** ldxb 4*([k]&0xf): X = the IPv4 header length found at byte k. */
  ldxMsh: (k: number) => insn(0xb1, 0, 0, k),
  /** ld/ldh/ldb of a Linux ancillary field (SKF_AD_OFF + field), e.g. ldAncillary(SKF_AD_PROTOCOL). */
  ldAncillary: (field: number, size: 'w' | 'h' | 'b' = 'w') => insn(size === 'w' ? 0x20 : size === 'h' ? 0x28 : 0x30, 0, 0, SKF_AD_OFF + field),
  /** st M[i]: M[i] = A. */
  st: (i: number) => insn(0x02, 0, 0, i),
  /** stx M[i]: M[i] = X. */
  stx: (i: number) => insn(0x03, 0, 0, i),
  add: add.k, addX: add.x, sub: sub.k, subX: sub.x, mul: mul.k, mulX: mul.x,
  div: div.k, divX: div.x, mod: mod.k, modX: mod.x, and: and.k, andX: and.x,
  or: or.k, orX: or.x, xor: xor.k, xorX: xor.x, lsh: lsh.k, lshX: lsh.x, rsh: rsh.k, rshX: rsh.x,
  /** neg: A = -A. */
  neg: () => insn(0x84, 0, 0, 0),
  /** ja k: skip k instructions. */
  ja: (k: number) => insn(0x05, 0, 0, k),
  jeq: jeq.k, jeqX: jeq.x, jgt: jgt.k, jgtX: jgt.x, jge: jge.k, jgeX: jge.x, jset: jset.k, jsetX: jset.x,
  /** ret #k: accept k bytes (0 = drop). */
  ret: (k: number) => insn(0x06, 0, 0, k),
  /** ret a: accept A bytes. */
  retA: () => insn(0x16, 0, 0, 0),
  /** tax: X = A. */
  tax: () => insn(0x07, 0, 0, 0),
  /** txa: A = X. */
  txa: () => insn(0x87, 0, 0, 0),
});
