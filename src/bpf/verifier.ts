/**
 * The verifier: decides whether a Program may run, as the Linux kernel does
 * for a socket filter (bpf_check_classic, then check_load_and_stores) or as
 * libpcap 1.10's bpf_validate() does. It reports the first offending
 * instruction in the order the kernel finds it.
 */
import type { Instruction, Program } from './program.js';
import { BPF_MAXINSNS, BPF_MEMWORDS, SKF_AD_OFF } from './opcodes.js';
import { ancillaryField } from './context.js';
import { instructionImage } from './image.js';

/** Which verifier to imitate: the Linux kernel's (default) or libpcap's bpf_validate(). */
export type VerifyMode = 'linux' | 'bsd';

export interface VerifyOptions {
  mode?: VerifyMode;
}

/**
 * A Program the verifier refuses: which instruction (-1 for the Program as a
 * whole), that instruction as `tcpdump -d` prints it, and why.
 *
 * @example
 * const e = verifyProblem(program([insn(0x34, 0, 0, 0), insn(0x16, 0, 0, 0)]));
 * e?.index        // 0
 * e?.instruction  // '(000) div      #0'
 * e?.reason       // 'division by constant zero'
 */
export class VerifyError extends Error {
  constructor(
    readonly index: number,
    readonly instruction: string,
    readonly reason: string,
  ) {
    super(index < 0 ? reason : `instruction ${index}: ${reason}: ${instruction}`);
    this.name = 'VerifyError';
  }
}

/** The opcodes Linux accepts in a classic socket filter (chk_code_allowed). */
export const LINUX_OPCODES: ReadonlySet<number> = new Set([
  0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x94, 0x9c, 0x54, 0x5c, 0x44, 0x4c, 0xa4, 0xac,
  0x64, 0x6c, 0x74, 0x7c, 0x84, // ALU
  0x20, 0x28, 0x30, 0x80, 0x40, 0x48, 0x50, 0x00, 0x60, // LD
  0x81, 0xb1, 0x01, 0x61, // LDX
  0x02, 0x03, 0x07, 0x87, 0x06, 0x16, // ST STX MISC RET
  0x05, 0x15, 0x1d, 0x35, 0x3d, 0x25, 0x2d, 0x45, 0x4d, // JMP
]);

function fail(prog: Program, index: number, reason: string): never {
  throw new VerifyError(index, instructionImage(prog[index] as Instruction, index), reason);
}

/**
 * Checks a Program and throws `VerifyError` naming the first instruction the
 * chosen verifier refuses. Linux mode (default) accepts exactly what the
 * kernel accepts for SO_ATTACH_FILTER; BSD mode what libpcap's bpf_validate()
 * accepts.
 *
 * @example
 * verify(program([insn(0x06, 0, 0, 0xffff)]));              // ok
 * verify(program([insn(0x34, 0, 0, 0), insn(0x16, 0, 0, 0)])); // throws: division by constant zero
 */
export function verify(prog: Program, options: VerifyOptions = {}): void {
  if (options.mode === 'bsd') verifyBsd(prog);
  else verifyLinux(prog);
}

/**
 * The non-throwing form of `verify`: the error, or undefined when the Program is accepted.
 *
 * @example
 * const problem = verifyProblem(prog); if (problem) console.error(problem.message);
 */
export function verifyProblem(prog: Program, options: VerifyOptions = {}): VerifyError | undefined {
  try {
    verify(prog, options);
    return undefined;
  } catch (e) {
    if (e instanceof VerifyError) return e;
    throw e;
  }
}

/**
 * True when the verifier accepts the Program.
 *
 * @example
 * isValid(prog, { mode: 'bsd' }) // as libpcap's bpf_validate() != 0
 */
export function isValid(prog: Program, options: VerifyOptions = {}): boolean {
  return verifyProblem(prog, options) === undefined;
}

function verifyLinux(prog: Program): void {
  const n = prog.length;
  if (n === 0) throw new VerifyError(-1, '', 'the program is empty (Linux needs 1 to 4096 instructions)');
  if (n > BPF_MAXINSNS) throw new VerifyError(-1, '', `the program has ${n} instructions (Linux accepts at most ${BPF_MAXINSNS})`);
  for (let pc = 0; pc < n; pc++) {
    const x = prog[pc];
    if (!LINUX_OPCODES.has(x.code)) fail(prog, pc, `opcode 0x${x.code.toString(16).padStart(2, '0')} is not allowed in a Linux socket filter`);
    switch (x.code) {
      case 0x34: case 0x94:
        if (x.k === 0) fail(prog, pc, `${x.code === 0x34 ? 'division' : 'modulo'} by constant zero`);
        break;
      case 0x64: case 0x74:
        if (x.k >= 32) fail(prog, pc, `shift by constant ${x.k} (Linux accepts 0 to 31)`);
        break;
      case 0x60: case 0x61: case 0x02: case 0x03:
        if (x.k >= BPF_MEMWORDS) fail(prog, pc, `scratch memory index ${x.k} is out of range (M[0] to M[15])`);
        break;
      case 0x05:
        if (x.k >= n - pc - 1) fail(prog, pc, `jump offset ${x.k} leaves the program (target ${pc + 1 + x.k}, last instruction ${n - 1})`);
        break;
      case 0x15: case 0x1d: case 0x25: case 0x2d: case 0x35: case 0x3d: case 0x45: case 0x4d:
        if (pc + x.jt + 1 >= n) fail(prog, pc, `true branch target ${pc + x.jt + 1} is past the last instruction ${n - 1}`);
        if (pc + x.jf + 1 >= n) fail(prog, pc, `false branch target ${pc + x.jf + 1} is past the last instruction ${n - 1}`);
        break;
      case 0x20: case 0x28: case 0x30:
        if (x.k >= (SKF_AD_OFF >>> 0) && ancillaryField(x.k) < 0) {
          fail(prog, pc, `offset ${x.k | 0} is in the ancillary range (SKF_AD_OFF + ${(x.k | 0) - SKF_AD_OFF}) but names no ancillary field`);
        }
        break;
    }
  }
  const last = prog[n - 1].code;
  if (last !== 0x06 && last !== 0x16) fail(prog, n - 1, 'the last instruction must be a return (ret #k or ret a)');
  checkLoadsAfterStores(prog);
}

/**
 * The kernel's check_load_and_stores(): a linear pass that tracks which M[]
 * cells are certainly written, meeting paths at jump targets. Its quirks are
 * kept on purpose (a RET does not end the flow it tracks), so that we accept
 * exactly what Linux accepts.
 */
function checkLoadsAfterStores(prog: Program): void {
  const n = prog.length;
  const masks = new Uint16Array(n).fill(0xffff);
  let valid = 0;
  for (let pc = 0; pc < n; pc++) {
    valid &= masks[pc];
    const x = prog[pc];
    switch (x.code) {
      case 0x02: case 0x03:
        valid |= 1 << x.k;
        break;
      case 0x60: case 0x61:
        if (!(valid & (1 << x.k))) fail(prog, pc, `M[${x.k}] is read before it is written on some path`);
        break;
      case 0x05:
        masks[pc + 1 + x.k] &= valid;
        valid = 0xffff;
        break;
      case 0x15: case 0x1d: case 0x25: case 0x2d: case 0x35: case 0x3d: case 0x45: case 0x4d:
        masks[pc + 1 + x.jt] &= valid;
        masks[pc + 1 + x.jf] &= valid;
        valid = 0xffff;
        break;
    }
  }
}

/** libpcap 1.10's bpf_validate(), which checks classes and operations but not every opcode bit. */
function verifyBsd(prog: Program): void {
  const n = prog.length;
  if (n === 0) throw new VerifyError(-1, '', 'the program is empty');
  for (let i = 0; i < n; i++) {
    const x = prog[i];
    const cls = x.code & 0x07;
    switch (cls) {
      case 0x00: case 0x01: {
        const mode = x.code & 0xe0;
        if (mode === 0x60 && x.k >= BPF_MEMWORDS) fail(prog, i, `scratch memory index ${x.k} is out of range (M[0] to M[15])`);
        if (mode !== 0x00 && mode !== 0x20 && mode !== 0x40 && mode !== 0xa0 && mode !== 0x60 && mode !== 0x80) {
          fail(prog, i, `load mode 0x${mode.toString(16)} does not exist`);
        }
        break;
      }
      case 0x02: case 0x03:
        if (x.k >= BPF_MEMWORDS) fail(prog, i, `scratch memory index ${x.k} is out of range (M[0] to M[15])`);
        break;
      case 0x04: {
        const op = x.code & 0xf0;
        if (op === 0x30 || op === 0x90) {
          if ((x.code & 0x08) === 0 && x.k === 0) fail(prog, i, `${op === 0x30 ? 'division' : 'modulo'} by constant zero`);
        } else if (op > 0xa0) {
          fail(prog, i, `ALU operation 0x${op.toString(16)} does not exist`);
        }
        break;
      }
      case 0x05: {
        const from = i + 1;
        const op = x.code & 0xf0;
        if (op === 0x00) {
          // libpcap adds in unsigned 32-bit arithmetic, so a huge offset wraps.
          if (((from + x.k) >>> 0) >= n) fail(prog, i, `jump offset ${x.k} leaves the program`);
        } else if (op === 0x10 || op === 0x20 || op === 0x30 || op === 0x40) {
          if (from + x.jt >= n) fail(prog, i, `true branch target ${from + x.jt} is past the last instruction ${n - 1}`);
          if (from + x.jf >= n) fail(prog, i, `false branch target ${from + x.jf} is past the last instruction ${n - 1}`);
        } else {
          fail(prog, i, `jump operation 0x${op.toString(16)} does not exist`);
        }
        break;
      }
      case 0x06: case 0x07:
        break;
    }
  }
  if ((prog[n - 1].code & 0x07) !== 0x06) fail(prog, n - 1, 'the last instruction must be a return');
}
