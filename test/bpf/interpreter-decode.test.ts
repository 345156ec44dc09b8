/**
 * What the interpreter's predecoding (src/bpf/interpreter-decode.ts) must not
 * change: fused and counted decodings give the results of the plain one,
 * counts match a step-by-step model, decodings are never stale, and the shared
 * M[] is zeroed per run and never shared by two runs at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insn, program, type Instruction, type Program } from '../../src/bpf/program.js';
import { interpret, interpretCounted, InterpretError } from '../../src/bpf/interpreter.js';
import { bpf } from '../../src/bpf/builders.js';
import { SKF_AD_RANDOM } from '../../src/bpf/opcodes.js';
import type { Semantics } from '../../src/bpf/context.js';
import { decode, Op } from '../../src/bpf/interpreter-decode.js';
import { Rng, randomPacket, randomProgram } from './random-program.js';

const RET_A = bpf.retA();
const PACKET = Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 11) & 0xff);

/**
 * A step-by-step model of a run, written for plainness rather than speed:
 * libpcap's semantics over Instruction objects, returning the result and the
 * instructions executed. It knows no ancillary loads and gives up (null) on
 * anything a verified Program cannot do, which the random Programs never do.
 */
function model(prog: Program, p: Uint8Array, wire: number): { result: number; executed: number } | null {
  const mem = new Array<number>(16).fill(0);
  const load = (at: number, size: number): number | null => {
    if (at < 0 || at + size > p.length) return null;
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + p[at + i];
    return v;
  };
  let a = 0, x = 0, pc = 0, executed = 0;
  const u = (v: number) => v >>> 0;
  for (;;) {
    const ins = prog[pc];
    if (!ins) return null;
    executed++;
    const { code, k } = ins;
    const size = [4, 2, 1, 0][(code >> 3) & 3];
    let next = pc + 1;
    switch (code & 7) {
      case 6: return { result: u(code === 0x16 ? a : k), executed };
      case 0: case 1: {
        let v: number | null;
        const mode = code & 0xe0;
        if (mode === 0x00) v = k;
        else if (mode === 0x80) v = wire;
        else if (mode === 0x60) v = mem[k];
        else if (mode === 0x20) v = load(k, size);
        else if (mode === 0x40) v = x + k > 0xffffffff ? null : load(x + k, size);
        else { const b = load(k, 1); v = b === null ? null : (b & 0xf) * 4; }
        if (v === null) return { result: 0, executed };
        if ((code & 7) === 0) a = u(v); else x = u(v);
        break;
      }
      case 2: mem[k] = a; break;
      case 3: mem[k] = x; break;
      case 4: {
        const s = code & 0x08 ? x : k;
        const op = code & 0xf0;
        if ((op === 0x30 || op === 0x90) && s === 0) return { result: 0, executed };
        a = u(op === 0x00 ? a + s : op === 0x10 ? a - s : op === 0x20 ? Number((BigInt(a) * BigInt(s)) & 0xffffffffn)
          : op === 0x30 ? Math.floor(a / s) : op === 0x90 ? a % s : op === 0x40 ? a | s : op === 0x50 ? a & s
            : op === 0xa0 ? a ^ s : op === 0x60 ? (code & 0x08 && s >= 32 ? 0 : a * 2 ** (s & 31))
              : op === 0x70 ? (code & 0x08 && s >= 32 ? 0 : Math.floor(a / 2 ** (s & 31))) : -a);
        break;
      }
      case 5: {
        const s = code & 0x08 ? x : k;
        const op = code & 0xf0;
        if (op === 0x00) { next += k; break; }
        const taken = op === 0x10 ? a === s : op === 0x20 ? a > s : op === 0x30 ? a >= s : (a & s) !== 0;
        next += taken ? ins.jt : ins.jf;
        break;
      }
      case 7: if (code === 0x07) x = a; else a = x; break;
    }
    pc = next;
  }
}

test('random Programs: interpret, interpretCounted and the step model agree on result and count', () => {
  const rng = new Rng(0xdec0de);
  let fusedPairs = 0;
  for (let n = 0; n < 4000; n++) {
    const prog = randomProgram(rng);
    const d = decode(prog, false, false);
    for (let s = 0; s < prog.length; s++) if (d.code[s * 4] >= Op.LdWJeqK) fusedPairs++;
    for (let j = 0; j < 6; j++) {
      const { data, wireLength } = randomPacket(rng);
      const expected = model(prog, data, wireLength);
      assert.ok(expected, `program ${n} leaves the model`);
      const counted = interpretCounted(prog, data, wireLength, { semantics: 'bsd' });
      assert.deepEqual(counted, expected, `program ${n}, packet ${j}`);
      assert.equal(interpret(prog, data, wireLength, { semantics: 'bsd' }), expected.result, `program ${n}, packet ${j}`);
      assert.equal(interpret(prog, data, wireLength, { semantics: 'linux' }), interpretCounted(prog, data, wireLength).result);
    }
  }
  assert.ok(fusedPairs > 50, `fused pairs get exercised (${fusedPairs})`);
});

/** [name, instructions] where a load is fused with the jump after it; the constants match PACKET, not a zeroed packet. */
const FUSED_SHAPES: Array<[string, Instruction[], Op]> = [
  ['ld + jeq', [bpf.ld(4), bpf.jeq(0x9fc4e90e, 0, 1), bpf.ret(1), bpf.ret(2)], Op.LdWJeqK],
  ['ldh + jeq', [bpf.ldh(12), bpf.jeq(0xc7ec, 0, 1), bpf.ret(1), bpf.ret(2)], Op.LdHJeqK],
  ['ldb + jeq', [bpf.ldb(23), bpf.jeq(0x5e, 0, 1), bpf.ret(1), bpf.ret(2)], Op.LdBJeqK],
  ['ldh + jset', [bpf.ldh(20), bpf.jset(0x1fff, 0, 1), RET_A, bpf.ret(2)], Op.LdHJsetK],
  ['ldh [x + k] + jeq', [bpf.ldxMsh(14), bpf.ldhInd(14), bpf.jeq(0xa5ca, 0, 1), RET_A, bpf.ret(2)], Op.LdHIndBsdJeqK],
  ['ldh [x + k] + jeq, X wrapping (Linux) or too big (libpcap)', [bpf.ldxImm(0xfffffffe), bpf.ldhInd(14), bpf.jeq(0xc7ec, 0, 1), RET_A, bpf.ret(2)], Op.LdHIndBsdJeqK],
];

test('each fused pair gives what its two instructions give one by one, in and out of bounds, both semantics', () => {
  for (const [name, xs, op] of FUSED_SHAPES) {
    const prog = program(xs);
    assert.ok(decode(prog, false, false).code.includes(op), `${name} is fused`);
    assert.ok(decode(prog, true, false).code.includes(op === Op.LdHIndBsdJeqK ? Op.LdHIndJeqK : op), `${name} is fused for Linux`);
    const results = new Set<number>();
    for (const semantics of ['linux', 'bsd'] as Semantics[]) {
      for (const whole of [PACKET, new Uint8Array(PACKET.length)]) {
        for (let len = 0; len <= whole.length; len++) {
          const packet = whole.subarray(0, len);
          const options = { semantics, context: { networkOffset: 2 } };
          const plain = interpretCounted(prog, packet, len, options).result;
          assert.equal(interpret(prog, packet, len, options), plain, `${name}, ${semantics}, ${len} bytes`);
          results.add(plain);
        }
      }
    }
    assert.ok(results.size >= 3, `${name}: both branches and the failed load are seen (${[...results]})`);
  }
});

test('a jump may land on the second instruction of a fused pair', () => {
  // 1 jumps over the load straight onto the jeq of the pair (2, 3).
  const prog = program([bpf.ldImm(0x800), bpf.jeq(0x800, 1, 0), bpf.ldh(12), bpf.jeq(0x800, 0, 1), bpf.ret(1), bpf.ret(2)]);
  assert.equal(interpret(prog, PACKET, undefined, { semantics: 'bsd' }), 1);
  assert.deepEqual(interpretCounted(prog, PACKET, undefined, { semantics: 'bsd' }), { result: 1, executed: 4 });
});

test('a frozen Program is decoded once; anything not frozen is decoded afresh on every run', () => {
  const mutable: Instruction[] = [insn(0x06, 0, 0, 1)];
  assert.equal(interpret(mutable, PACKET), 1);
  mutable[0] = insn(0x06, 0, 0, 2);
  assert.equal(interpret(mutable, PACKET), 2, 'a plain array');
  const ins = { code: 0x06, jt: 0, jf: 0, k: 3 };
  const frozenArray = Object.freeze([ins]);
  assert.equal(interpret(frozenArray, PACKET), 3);
  ins.k = 4;
  assert.equal(interpret(frozenArray, PACKET), 4, 'a frozen array of instructions that are not');
  assert.equal(decode(program([insn(0x06, 0, 0, 1)]), true, false).cacheable, true);
  assert.equal(decode(frozenArray, true, false).cacheable, false);
});

test('the shared M[] starts zeroed on every run', () => {
  // Reads M[5] before any store (the verifier would refuse it; the interpreter runs it), then stores into it.
  const prog = program([bpf.ldMem(5), bpf.add(1), bpf.st(5), RET_A]);
  for (let i = 0; i < 3; i++) assert.equal(interpret(prog, PACKET, undefined, { semantics: 'bsd' }), 1);
  const writer = program([bpf.ldImm(77), bpf.st(9), bpf.ret(1)]);
  const reader = program([bpf.ldMem(9), RET_A]);
  interpret(writer, PACKET);
  assert.equal(interpret(reader, PACKET), 0);
});

test('a run started from inside another (a context callback) gets its own M[]', () => {
  const inner = program([bpf.ldImm(99), bpf.st(0), bpf.ldMem(0), RET_A]);
  const outer = program([bpf.ldImm(7), bpf.st(0), bpf.ldAncillary(SKF_AD_RANDOM), bpf.tax(), bpf.ldMem(0), bpf.addX(), RET_A]);
  const random = () => interpret(inner, PACKET); // 99
  assert.equal(interpret(outer, PACKET, undefined, { context: { random } }), 7 + 99);
  assert.deepEqual(interpretCounted(outer, PACKET, undefined, { context: { random: () => interpretCounted(inner, PACKET).executed } }), { result: 7 + 4, executed: 7 });
  // An exception thrown out of a run frees M[] for the next one.
  assert.throws(() => interpret(outer, PACKET, undefined, { context: { random: () => { throw new Error('boom'); } } }), /boom/);
  assert.equal(interpret(program([bpf.ldMem(0), RET_A]), PACKET), 0);
});

test('exits: every out-of-range target throws with its own index, in counted runs too', () => {
  const prog = program([bpf.ldb(0), bpf.jeq(0x0b, 3, 6), RET_A]);
  for (const run of [interpret, interpretCounted]) {
    assert.throws(() => run(prog, PACKET), (e: unknown) => e instanceof InterpretError && e.index === 5);
    assert.throws(() => run(prog, Uint8Array.of(0)), (e: unknown) => e instanceof InterpretError && e.index === 8);
    assert.throws(() => run(program([bpf.ja(0xfffffff0), RET_A]), PACKET), (e: unknown) => e instanceof InterpretError && e.index === 0xfffffff1);
  }
});
