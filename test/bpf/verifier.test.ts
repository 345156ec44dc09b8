/**
 * The verifier: one table row per reason Linux refuses a socket filter (and
 * per acceptance edge), and libpcap mode checked against bpf_validate() on
 * random, mostly broken programs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insn, program, type Instruction } from '../../src/bpf/program.js';
import { isValid, verify, verifyProblem, VerifyError } from '../../src/bpf/verifier.js';
import { Oracle } from '../oracle/oracle.js';
import { Rng, randomProgram } from './random-program.js';

const RET = insn(0x06, 0, 0, 0xffff);
const p = (...xs: Instruction[]) => program(xs);

/** [what, program, expected index (-1: whole program), reason pattern] */
const LINUX_REFUSALS: Array<[string, Instruction[], number, RegExp]> = [
  ['empty program', [], -1, /empty/],
  ['4097 instructions', Array.from({ length: 4097 }, () => RET), -1, /4097 instructions/],
  ['unknown opcode 0x08', [insn(0x08, 0, 0, 0), RET], 0, /opcode 0x08 is not allowed/],
  ['ldx [k] (0x21)', [insn(0x21, 0, 0, 0), RET], 0, /opcode 0x21/],
  ['neg x (0x8c)', [insn(0x8c, 0, 0, 0), RET], 0, /opcode 0x8c/],
  ['ret x (0x0e)', [insn(0x0e, 0, 0, 0)], 0, /opcode 0x0e/],
  ['code above 0xff', [insn(0x106, 0, 0, 0), RET], 0, /opcode 0x106/],
  ['div #0', [insn(0x34, 0, 0, 0), RET], 0, /division by constant zero/],
  ['mod #0', [insn(0x94, 0, 0, 0), RET], 0, /modulo by constant zero/],
  ['lsh #32', [insn(0x64, 0, 0, 32), RET], 0, /shift by constant 32/],
  ['rsh #0xffffffff', [insn(0x74, 0, 0, 0xffffffff), RET], 0, /shift by constant/],
  ['ld M[16]', [insn(0x60, 0, 0, 16), RET], 0, /scratch memory index 16/],
  ['ldx M[16]', [insn(0x61, 0, 0, 16), RET], 0, /scratch memory index 16/],
  ['st M[16]', [insn(0x02, 0, 0, 16), RET], 0, /scratch memory index 16/],
  ['stx M[0xffffffff]', [insn(0x03, 0, 0, 0xffffffff), RET], 0, /scratch memory index/],
  ['ja past the end', [insn(0x05, 0, 0, 1), RET], 0, /leaves the program/],
  ['ja backwards', [RET, insn(0x05, 0, 0, 0xfffffffe), RET], 1, /leaves the program/],
  ['jeq true branch past the end', [insn(0x15, 1, 0, 0), RET], 0, /true branch target 2/],
  ['jgt false branch past the end', [insn(0x25, 0, 5, 0), RET], 0, /false branch target 6/],
  ['jset x true branch past the end', [insn(0x4d, 255, 0, 0), RET], 0, /true branch/],
  ['unknown ancillary offset', [insn(0x20, 0, 0, 0xfffff000 + 2), RET], 0, /names no ancillary field/],
  ['ancillary offset SKF_AD_MAX', [insn(0x28, 0, 0, 0xfffff040), RET], 0, /names no ancillary field/],
  ['last instruction not a return', [RET, insn(0x00, 0, 0, 0)], 1, /last instruction must be a return/],
  ['M[] read before any store', [insn(0x60, 0, 0, 3), RET], 0, /M\[3\] is read before/],
  ['M[] stored on one path only', [insn(0x15, 0, 1, 0), insn(0x02, 0, 0, 2), insn(0x61, 0, 0, 2), RET], 2, /M\[2\] is read before/],
  ['M[] store skipped by ja', [insn(0x05, 0, 0, 1), insn(0x02, 0, 0, 1), insn(0x60, 0, 0, 1), RET], 2, /M\[1\]/],
  ['first error wins: opcode before M[]', [insn(0x60, 0, 0, 0), insn(0x08, 0, 0, 0), RET], 1, /opcode 0x08/],
];

const LINUX_ACCEPTS: Array<[string, Instruction[]]> = [
  ['one ret', [RET]],
  ['ret a', [insn(0x16, 0, 0, 0)]],
  ['4096 instructions', Array.from({ length: 4096 }, () => RET)],
  ['lsh #31', [insn(0x64, 0, 0, 31), RET]],
  ['div x (checked at run time)', [insn(0x3c, 0, 0, 0), RET]],
  ['every ancillary field', Array.from({ length: 16 }, (_, i) => insn(0x20 + (i % 3) * 8, 0, 0, 0xfffff000 + 4 * i)).concat([RET])],
  ['SKF_NET_OFF and SKF_LL_OFF loads', [insn(0x20, 0, 0, 0xfff00000), insn(0x30, 0, 0, 0xffe00000 + 3), RET]],
  ['M[] stored on both paths', [insn(0x15, 0, 1, 0), insn(0x02, 0, 0, 2), insn(0x02, 0, 0, 2), insn(0x61, 0, 0, 2), RET]],
  ['M[] stored before a branch', [insn(0x03, 0, 0, 15), insn(0x15, 1, 0, 0), insn(0x00, 0, 0, 1), insn(0x60, 0, 0, 15), RET]],
  ['unreachable read after ja (the kernel resets its tracking)', [insn(0x05, 0, 0, 1), insn(0x60, 0, 0, 4), RET]],
  ['read after a ret inherits the stores before it (kernel quirk)', [insn(0x02, 0, 0, 7), RET, insn(0x60, 0, 0, 7), RET]],
  ['jump to the last instruction', [insn(0x15, 1, 0, 0), RET, RET]],
];

for (const [what, xs, index, reason] of LINUX_REFUSALS) {
  test(`Linux refuses: ${what}`, () => {
    const error = verifyProblem(p(...xs));
    assert.ok(error instanceof VerifyError, 'refused');
    assert.equal(error.index, index);
    assert.match(error.reason, reason);
    if (index >= 0) assert.match(error.instruction, new RegExp(`^\\(${String(index).padStart(3, '0')}\\) `));
    assert.throws(() => verify(p(...xs)), VerifyError);
    assert.equal(isValid(p(...xs)), false);
  });
}

for (const [what, xs] of LINUX_ACCEPTS) {
  test(`Linux accepts: ${what}`, () => {
    verify(p(...xs));
    assert.equal(isValid(p(...xs)), true);
  });
}

test('the error message names the index, the printed instruction and the reason', () => {
  const error = verifyProblem(p(RET, insn(0x34, 0, 0, 0), RET))!;
  assert.equal(error.message, 'instruction 1: division by constant zero: (001) div      #0');
});

test('BSD mode: what libpcap accepts and Linux does not', () => {
  const backward = p(insn(0x00, 0, 0, 1), insn(0x05, 0, 0, 0xfffffffe), RET);
  assert.equal(isValid(backward, { mode: 'bsd' }), true, 'libpcap allows backward ja (protochain)');
  assert.equal(isValid(backward), false);
  const readFirst = p(insn(0x60, 0, 0, 3), RET);
  assert.equal(isValid(readFirst, { mode: 'bsd' }), true, 'bpf_validate does not track M[] stores');
  assert.equal(isValid(p(insn(0x64, 0, 0, 40), RET), { mode: 'bsd' }), true, 'bpf_validate allows lsh #40');
  assert.equal(isValid(p(insn(0x0e, 0, 0, 0)), { mode: 'bsd' }), true, 'bpf_validate checks only the class of RET');
  assert.equal(isValid(p(insn(0x34, 0, 0, 0), RET), { mode: 'bsd' }), false);
});

/** A random program, then broken in a few random ways. */
function mutant(rng: Rng): Instruction[] {
  const xs = [...randomProgram(rng, { maxLength: 12 })];
  for (let m = rng.int(3); m >= 0; m--) {
    const i = rng.int(xs.length);
    const x = xs[i];
    const pick = rng.int(5);
    xs[i] = pick === 0 ? insn(rng.int(256), x.jt, x.jf, x.k)
      : pick === 1 ? insn(x.code, rng.int(256), rng.int(4), x.k)
        : pick === 2 ? insn(x.code, x.jt, x.jf, rng.pick([0, 15, 16, 31, 32, 0xfffff000, 0xfffffffe, 0xffffffff, rng.next32()]))
          : pick === 3 ? insn(rng.pick([0x05, 0x34, 0x94, 0x60, 0x02, 0x64, 0x8c, 0x18, 0xc0, 0xe1]), x.jt, x.jf, rng.int(40))
            : insn(x.code, x.jt, x.jf, x.k);
  }
  if (rng.chance(0.1)) xs.pop();
  return xs;
}

test('BSD mode agrees with libpcap bpf_validate() on random, mostly broken programs', async () => {
  const oracle = await Oracle.start();
  try {
    const rng = new Rng(77);
    const count = process.env.BPFKIT_LONG ? 50_000 : 4_000;
    let accepted = 0;
    for (let n = 0; n < count; n++) {
      const xs = mutant(rng);
      if (xs.length === 0) continue;
      const prog = p(...xs);
      const ours = isValid(prog, { mode: 'bsd' });
      const theirs = await oracle.validate(prog);
      if (ours) accepted++;
      assert.equal(ours, theirs, `program ${n}: ours ${ours}, libpcap ${theirs}: ${JSON.stringify(prog)}`);
    }
    assert.ok(accepted > count / 10 && accepted < count * 0.9, `a useful mix (${accepted} of ${count} accepted)`);
  } finally {
    oracle.close();
  }
});

test('Linux mode agrees with the running kernel (SO_ATTACH_FILTER) on random, mostly broken programs', async (t) => {
  if (process.platform !== 'linux') return t.skip('needs Linux: asks the kernel to attach socket filters');
  const oracle = await Oracle.start();
  try {
    const rng = new Rng(4242);
    const count = process.env.BPFKIT_LONG ? 50_000 : 4_000;
    let accepted = 0;
    for (let n = 0; n < count; n++) {
      const xs = mutant(rng);
      if (rng.chance(0.2)) {
        const i = rng.int(xs.length || 1);
        if (xs[i]) xs[i] = insn(rng.pick([0x20, 0x28, 0x30]), 0, 0, 0xfffff000 + rng.int(72));
      }
      if (rng.chance(0.15)) {
        const i = rng.int(xs.length || 1);
        if (xs[i]) xs[i] = insn(rng.pick([0x60, 0x61, 0x02, 0x03]), 0, 0, rng.int(17));
      }
      const prog = p(...xs);
      const ours = isValid(prog);
      const kernel = await oracle.attach(prog);
      if (ours) accepted++;
      assert.equal(ours, kernel.accepted, `program ${n}: ours ${ours}, kernel ${kernel.accepted} (errno ${kernel.errno}): ${JSON.stringify(prog)}\n${verifyProblem(prog)?.message ?? ''}`);
    }
    assert.ok(accepted > count / 20, `a useful mix (${accepted} of ${count} accepted)`);
  } finally {
    oracle.close();
  }
});
