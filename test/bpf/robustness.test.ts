/**
 * Bad input never crashes or hangs the machine: garbage Programs either run
 * to an unsigned 32-bit result or throw InterpretError; garbage text either
 * assembles or throws AssembleError with a position inside the text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insn, program, type Instruction } from '../../src/bpf/program.js';
import { interpret, InterpretError } from '../../src/bpf/interpreter.js';
import { verifyProblem, VerifyError } from '../../src/bpf/verifier.js';
import { assemble, disassemble, TEXT_FORMATS } from '../../src/bpf/text.js';
import { AssembleError } from '../../src/bpf/assemble-error.js';
import { Rng, randomPacket, randomProgram } from './random-program.js';

test('garbage programs run to a result or an InterpretError, in both semantics, and verify to a VerifyError', () => {
  const rng = new Rng(404);
  let threw = 0;
  for (let n = 0; n < 20_000; n++) {
    const xs: Instruction[] = Array.from({ length: 1 + rng.int(12) }, () =>
      insn(rng.chance(0.9) ? rng.int(256) : rng.int(0x10000), rng.int(256), rng.int(256), rng.chance(0.5) ? rng.int(64) : rng.next32()));
    const prog = program(xs);
    const packet = randomPacket(rng);
    for (const semantics of ['linux', 'bsd'] as const) {
      try {
        const r = interpret(prog, packet.data, packet.wireLength, { semantics, context: { networkOffset: 14 } });
        assert.ok(Number.isInteger(r) && r >= 0 && r <= 0xffffffff, `result ${r}`);
      } catch (e) {
        assert.ok(e instanceof InterpretError, `program ${n}: ${String(e)}`);
        threw++;
      }
    }
    for (const mode of ['linux', 'bsd'] as const) {
      const problem = verifyProblem(prog, { mode });
      assert.ok(problem === undefined || problem instanceof VerifyError);
    }
  }
  assert.ok(threw > 1000, 'garbage does get refused');
});

/** Breaks a text: deletes, duplicates, or replaces a character, or inserts junk. */
function mangle(rng: Rng, text: string): string {
  const junk = ['#', '[', ']', ',', 'x', '0x', '-', '999999999999', 'ret', ':', '\n', ' ', '(', 'jt', 'M[', '%', '*', '{', '}', 'zz', '/*'];
  let out = text;
  for (let m = 1 + rng.int(3); m > 0; m--) {
    const at = rng.int(out.length + 1);
    const kind = rng.int(3);
    out = kind === 0 ? out.slice(0, at) + out.slice(at + 1 + rng.int(4))
      : kind === 1 ? out.slice(0, at) + rng.pick(junk) + out.slice(at)
        : out.slice(0, at) + String.fromCharCode(32 + rng.int(95)) + out.slice(at + 1);
  }
  return out;
}

test('mangled program texts assemble or throw AssembleError pointing inside the text', () => {
  const rng = new Rng(2718);
  let refused = 0;
  for (let n = 0; n < 3_000; n++) {
    const prog = randomProgram(rng, { maxLength: 10 });
    const format = TEXT_FORMATS[n % TEXT_FORMATS.length];
    const text = mangle(rng, disassemble(prog, format));
    try {
      assemble(text);
    } catch (e) {
      assert.ok(e instanceof AssembleError, `${format}: ${String(e)}\n${text}`);
      const lines = text.split('\n');
      assert.ok(e.line >= 1 && e.line <= Math.max(1, lines.length), `line ${e.line} of ${lines.length}: ${e.message}`);
      assert.ok(e.column >= 1 && e.column <= (lines[e.line - 1]?.length ?? 0) + 1, `column ${e.column}: ${e.message}\n${text}`);
      refused++;
    }
  }
  assert.ok(refused > 1000, `${refused} refused`);
});
