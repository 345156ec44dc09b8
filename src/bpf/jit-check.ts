/**
 * The JIT's gate: it compiles only Programs the verifier accepts (in the
 * mode of the semantics asked for) and that the interpreter can execute, so
 * the code generator can rely on known opcodes, forward jumps that land
 * inside the Program, scratch indices below 16 and no division by a zero
 * constant. libpcap's bpf_validate() lets through a few opcodes bpf_filter()
 * cannot run (ret x, ld with mode msh); those stop here, at compile time.
 */
import { BPF_MEMWORDS } from './opcodes.js';
import type { Program } from './program.js';
import { LINUX_OPCODES, verify } from './verifier.js';
import type { Semantics } from './context.js';

/**
 * Thrown when the JIT is handed a Program it must not compile; names the instruction.
 *
 * @example
 * try { jit(prog, { semantics: 'bsd' }); } catch (e) { if (e instanceof JitError) console.error(e.index, e.reason); }
 */
export class JitError extends Error {
  constructor(readonly index: number, readonly reason: string) {
    super(`JIT: instruction ${index}: ${reason}`);
    this.name = 'JitError';
  }
}

/**
 * Throws the verifier's VerifyError, or a JitError, unless the Program is
 * safe to compile for `semantics`.
 *
 * @example
 * checkForJit(program([{ code: 0x06, jt: 0, jf: 0, k: 0 }]), 'linux'); // passes
 */
export function checkForJit(prog: Program, semantics: Semantics): void {
  verify(prog, { mode: semantics });
  for (let i = 0; i < prog.length; i++) {
    const { code, jt, jf, k } = prog[i];
    for (const [name, v, max] of [['code', code, 0xffff], ['jt', jt, 0xff], ['jf', jf, 0xff], ['k', k, 0xffffffff]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > max) throw new JitError(i, `${name} ${v} is not an integer from 0 to ${max}`);
    }
    if (!LINUX_OPCODES.has(code)) throw new JitError(i, `opcode 0x${code.toString(16)} is not one the interpreter executes`);
    const cls = code & 7;
    if (cls === 0x05) {
      if (code === 0x05 && (k | 0) < 0) throw new JitError(i, `backward jump (ja ${k | 0}): the JIT compiles forward jumps only; run this Program with the interpreter`);
      const far = code === 0x05 ? i + 1 + k : i + 1 + Math.max(jt, jf);
      if (far >= prog.length) throw new JitError(i, 'jump past the end of the Program');
    } else if (cls !== 0x06 && i + 1 >= prog.length) {
      throw new JitError(i, 'the Program can run past its last instruction');
    }
    const usesMem = ((code === 0x60 || code === 0x61) || cls === 0x02 || cls === 0x03);
    if (usesMem && k >= BPF_MEMWORDS) throw new JitError(i, `scratch index ${k} is not below ${BPF_MEMWORDS}`);
    if ((code === 0x34 || code === 0x94) && k === 0) throw new JitError(i, 'division by constant zero');
  }
}
