/**
 * One instruction as libpcap 1.10's bpf_image() prints it: the line format of
 * `tcpdump -d`. Kept apart from the program-level text formats because the
 * verifier and error messages print single instructions too.
 */
import type { Instruction } from './program.js';
import {
  SKF_AD_ALU_XOR_X, SKF_AD_CPU, SKF_AD_HATYPE, SKF_AD_IFINDEX, SKF_AD_MARK, SKF_AD_NLATTR,
  SKF_AD_NLATTR_NEST, SKF_AD_OFF, SKF_AD_PAY_OFFSET, SKF_AD_PKTTYPE, SKF_AD_PROTOCOL,
  SKF_AD_QUEUE, SKF_AD_RANDOM, SKF_AD_RXHASH, SKF_AD_VLAN_TAG, SKF_AD_VLAN_TAG_PRESENT, SKF_AD_VLAN_TPID,
} from './opcodes.js';

/**
 * The names bpf_image() prints for Linux ancillary loads (`ld [proto]`), by
 * offset from SKF_AD_OFF. They differ from bpf_asm's in two places
 * (`random` for `rand`, `vlanp` for `vlan_pr`).
 */
export const IMAGE_ANCILLARY_NAMES: ReadonlyMap<number, string> = new Map([
  [SKF_AD_PROTOCOL, 'proto'], [SKF_AD_PKTTYPE, 'type'], [SKF_AD_IFINDEX, 'ifidx'],
  [SKF_AD_NLATTR, 'nla'], [SKF_AD_NLATTR_NEST, 'nlan'], [SKF_AD_MARK, 'mark'],
  [SKF_AD_QUEUE, 'queue'], [SKF_AD_HATYPE, 'hatype'], [SKF_AD_RXHASH, 'rxhash'],
  [SKF_AD_CPU, 'cpu'], [SKF_AD_ALU_XOR_X, 'xor_x'], [SKF_AD_VLAN_TAG, 'vlan_tci'],
  [SKF_AD_VLAN_TAG_PRESENT, 'vlanp'], [SKF_AD_PAY_OFFSET, 'poff'], [SKF_AD_RANDOM, 'random'],
  [SKF_AD_VLAN_TPID, 'vlan_tpid'],
]);

/** How bpf_image() writes an operand: `d` signed decimal, `x` hex, or a fixed text. */
type OperandForm = 'd' | 'x' | 'none';

/** Per opcode: mnemonic, operand form, and the text around the operand. */
interface ImageForm {
  readonly op: string;
  readonly form: OperandForm;
  readonly before: string;
  readonly after: string;
}

const f = (op: string, form: OperandForm, before = '', after = ''): ImageForm => ({ op, form, before, after });

/** Every opcode that bpf_image() names; any other prints as `unimp`. */
export const IMAGE_FORMS: ReadonlyMap<number, ImageForm> = new Map([
  [0x06, f('ret', 'd', '#')], [0x16, f('ret', 'none')],
  [0x20, f('ld', 'd', '[', ']')], [0x28, f('ldh', 'd', '[', ']')], [0x30, f('ldb', 'd', '[', ']')],
  [0x80, f('ld', 'none', '#pktlen')],
  [0x40, f('ld', 'd', '[x + ', ']')], [0x48, f('ldh', 'd', '[x + ', ']')], [0x50, f('ldb', 'd', '[x + ', ']')],
  [0x00, f('ld', 'x', '#0x')], [0x01, f('ldx', 'x', '#0x')],
  [0xb1, f('ldxb', 'd', '4*([', ']&0xf)')],
  [0x60, f('ld', 'd', 'M[', ']')], [0x61, f('ldx', 'd', 'M[', ']')],
  [0x02, f('st', 'd', 'M[', ']')], [0x03, f('stx', 'd', 'M[', ']')],
  [0x05, f('ja', 'd')],
  [0x25, f('jgt', 'x', '#0x')], [0x35, f('jge', 'x', '#0x')], [0x15, f('jeq', 'x', '#0x')], [0x45, f('jset', 'x', '#0x')],
  [0x2d, f('jgt', 'none', 'x')], [0x3d, f('jge', 'none', 'x')], [0x1d, f('jeq', 'none', 'x')], [0x4d, f('jset', 'none', 'x')],
  [0x0c, f('add', 'none', 'x')], [0x1c, f('sub', 'none', 'x')], [0x2c, f('mul', 'none', 'x')], [0x3c, f('div', 'none', 'x')],
  [0x9c, f('mod', 'none', 'x')], [0x5c, f('and', 'none', 'x')], [0x4c, f('or', 'none', 'x')], [0xac, f('xor', 'none', 'x')],
  [0x6c, f('lsh', 'none', 'x')], [0x7c, f('rsh', 'none', 'x')],
  [0x04, f('add', 'd', '#')], [0x14, f('sub', 'd', '#')], [0x24, f('mul', 'd', '#')], [0x34, f('div', 'd', '#')],
  [0x94, f('mod', 'd', '#')], [0x54, f('and', 'x', '#0x')], [0x44, f('or', 'x', '#0x')], [0xa4, f('xor', 'x', '#0x')],
  [0x64, f('lsh', 'd', '#')], [0x74, f('rsh', 'd', '#')],
  [0x84, f('neg', 'none')], [0x07, f('tax', 'none')], [0x87, f('txa', 'none')],
]);

/**
 * True for a conditional jump layout: class JMP with an operation other than
 * JA (unimp codes included), which bpf_image() prints with jt/jf targets.
 *
 * @example
 * isConditionalJumpCode(0x15) // true (jeq #k)
 * isConditionalJumpCode(0x05) // false (ja)
 */
export function isConditionalJumpCode(code: number): boolean {
  return (code & 0x07) === 0x05 && (code & 0xf0) !== 0x00;
}

/**
 * The operand text bpf_image() prints for an instruction at `index` (without
 * mnemonic or jump targets).
 *
 * @example
 * imageOperand(insn(0x28, 0, 0, 12), 0) // '[12]'
 */
export function imageOperand(x: Instruction, index: number): string {
  const form = IMAGE_FORMS.get(x.code);
  if (!form) return `0x${x.code.toString(16)}`;
  if ((x.code === 0x20 || x.code === 0x28 || x.code === 0x30)) {
    const name = IMAGE_ANCILLARY_NAMES.get((x.k | 0) - SKF_AD_OFF);
    if (name !== undefined) return `[${name}]`;
  }
  if (x.code === 0x05) return String((index + 1 + x.k) | 0);
  if (form.form === 'none') return form.before;
  const value = form.form === 'd' ? String(x.k | 0) : (x.k >>> 0).toString(16);
  return form.before + value + form.after;
}

/**
 * One instruction exactly as libpcap 1.10's bpf_image() prints it, which is
 * one line of `tcpdump -d`.
 *
 * @example
 * instructionImage(insn(0x15, 0, 1, 0x800), 1) // '(001) jeq      #0x800           jt 2\tjf 3'
 */
export function instructionImage(x: Instruction, index: number): string {
  const op = IMAGE_FORMS.get(x.code)?.op ?? 'unimp';
  const operand = imageOperand(x, index);
  const n = String(index).padStart(3, '0');
  if (isConditionalJumpCode(x.code)) {
    return `(${n}) ${op.padEnd(8)} ${operand.padEnd(16)} jt ${index + 1 + x.jt}\tjf ${index + 1 + x.jf}`;
  }
  return `(${n}) ${op.padEnd(8)} ${operand}`;
}
