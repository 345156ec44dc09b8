/**
 * The code shapes of src/bpf/jit-codegen.ts that exist for speed: branchless
 * selects between two constant returns, length checks raised to cover the
 * loads after them, the branchless batch count and the DataView choice.
 * Each shape is checked by table against the interpreter (both semantics,
 * per packet and both batch shapes), and every switch is checked off against
 * on over random Programs, so a shape can never change an answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSource, type CodegenTuning, type JitShape } from '../../src/bpf/jit-codegen.js';
import { loadAncillary, loadNegative } from '../../src/bpf/jit-runtime.js';
import { interpret } from '../../src/bpf/interpreter.js';
import { batchOf } from '../../src/bpf/batch.js';
import { insn, program, type Program } from '../../src/bpf/program.js';
import type { AncillaryContext, Semantics } from '../../src/bpf/context.js';
import { randomPacket, randomValidProgram, seeded } from './jit-random.js';

const runtime = { anc: loadAncillary, neg: loadNegative };

type Packet = { data: Uint8Array; wireLength: number };

/** Compiles one shape with the given switches, as jit.ts does (without its caches). */
function compile(prog: Program, semantics: Semantics, shape: JitShape, tuning: Partial<CodegenTuning> = {}): { fn: (...args: unknown[]) => number; source: string } {
  const src = generateSource(prog, semantics, shape, undefined, tuning);
  const inner = src.params.filter((p) => p !== 'rt');
  const fn = new Function('rt', `return (function bpfFilter(${inner.join(', ')}) {\n${src.body}\n});`)(runtime);
  return { fn, source: src.body };
}

/** Asserts that every shape under `tuning` returns what the interpreter returns on every packet. */
function agrees(
  prog: Program, packets: Packet[], tuning: Partial<CodegenTuning> = {}, context: AncillaryContext = {}, semanticsList: Semantics[] = ['linux', 'bsd'],
): void {
  for (const semantics of semanticsList) {
    const want = packets.map((p) => interpret(prog, p.data, p.wireLength, { semantics, context }));
    const one = compile(prog, semantics, 'packet', tuning);
    packets.forEach((p, i) => {
      assert.equal(one.fn(p.data, p.wireLength, context), want[i], `${semantics}, packet ${i} (${p.data.length} bytes)\n${one.source}`);
    });
    const batch = batchOf(packets);
    const values = new Uint32Array(packets.length);
    const accepted = compile(prog, semantics, 'batch-values', tuning).fn(batch.data, batch.offsets, batch.caplens, batch.wirelens, batch.count, values, context);
    assert.deepEqual([...values], want, `${semantics}, batch values`);
    assert.equal(accepted, want.filter((v) => v !== 0).length);
    const indices = new Uint32Array(packets.length);
    const n = compile(prog, semantics, 'batch-indices', tuning).fn(batch.data, batch.offsets, batch.caplens, batch.wirelens, batch.count, indices, context);
    assert.deepEqual([...indices.subarray(0, n)], want.flatMap((v, i) => (v !== 0 ? [i] : [])), `${semantics}, batch indices`);
  }
}

/** Packets of every length from 0 to `max`, byte j = fill(j). */
function packetsUpTo(max: number, fill: (j: number, length: number) => number): Packet[] {
  return Array.from({ length: max + 1 }, (_, n) => ({ data: Uint8Array.from({ length: n }, (_, j) => fill(j, n) & 255), wireLength: n + 3 }));
}

test('a decision between two constant returns becomes a select, for every jump and every pair of constants', () => {
  // ldb [0]; ldx #7; j?? → ret a / ret b. Byte 0 runs through values on both sides of k and X.
  const packets = Array.from({ length: 256 }, (_, b) => ({ data: Uint8Array.of(b, 1, 2), wireLength: 3 }));
  const jumps = [0x15, 0x25, 0x35, 0x45, 0x1d, 0x2d, 0x3d, 0x4d]; // jeq, jgt, jge, jset; k then x
  const pairs: Array<[number, number]> = [
    [262144, 0], [0, 262144], [96, 65535], [5, 5], [0xffffffff, 0], [0, 0x80000000], [0xffffffff, 0x7fffffff], [0x80000000, 0x80000001],
  ];
  for (const code of jumps) {
    for (const [a, b] of pairs) {
      const prog = program([insn(0x30, 0, 0, 0), insn(0x01, 0, 0, 7), insn(code, 0, 1, 0x41), insn(0x06, 0, 0, a), insn(0x06, 0, 0, b)]);
      const { source } = compile(prog, 'bsd', 'packet');
      if (a !== b) assert.match(source, /\(0 - \(|\) - 1\) &/, `expected a select for ${code.toString(16)} ${a} ${b}:\n${source}`);
      else assert.doesNotMatch(source, /if \(\(?A/, `both sides return ${a}: no decision left\n${source}`);
      agrees(prog, packets);
      agrees(prog, packets, { selects: false });
    }
  }
});

test('a select is reached through unconditional jumps, and not used when a side returns A', () => {
  const packets = Array.from({ length: 256 }, (_, b) => ({ data: Uint8Array.of(b), wireLength: 1 }));
  // jeq → ja → ret 9 / ret 0
  const viaJa = program([insn(0x30, 0, 0, 0), insn(0x15, 0, 1, 3), insn(0x05, 0, 0, 1), insn(0x06, 0, 0, 0), insn(0x06, 0, 0, 9)]);
  assert.match(compile(viaJa, 'bsd', 'packet').source, /\(0 - \(A === 3\)\) & 9/);
  agrees(viaJa, packets);
  // One side returns A: a branch stays.
  const retA = program([insn(0x30, 0, 0, 0), insn(0x25, 0, 1, 100), insn(0x16, 0, 0, 0), insn(0x06, 0, 0, 1)]);
  assert.doesNotMatch(compile(retA, 'bsd', 'packet').source, /0 - \(/);
  agrees(retA, packets);
});

test('a length check covers the loads after it only where a short packet returns 0 anyway', () => {
  // ldh [12]; jeq 0x800 → ldb [23]; jeq 6 → ret 1 / ret 0;  else ret 0.  One check of 24 at the first load.
  const tcp = program([insn(0x28, 0, 0, 12), insn(0x15, 0, 3, 0x800), insn(0x30, 0, 0, 23), insn(0x15, 0, 1, 6), insn(0x06, 0, 0, 1), insn(0x06, 0, 0, 0)]);
  const merged = compile(tcp, 'bsd', 'packet').source;
  assert.match(merged, /if \(c < 24\) return 0;/);
  assert.equal(merged.match(/if \(c </g)?.length, 1, merged);
  assert.match(compile(tcp, 'bsd', 'packet', { mergeChecks: false }).source, /if \(c < 14\)/);
  const ipv4 = (j: number, n: number) => (j === 12 ? 8 : j === 13 ? 0 : j === 23 ? 6 : n + j);
  agrees(tcp, packetsUpTo(30, ipv4));
  agrees(tcp, packetsUpTo(30, (j, n) => (j === 12 ? n & 8 : 0)));

  // A path that accepts before the far load: the check must not grow past it.
  // ldb [0]; jeq 1 → ret 7;  else ldb [40]; ret a.
  const early = program([insn(0x30, 0, 0, 0), insn(0x15, 0, 1, 1), insn(0x06, 0, 0, 7), insn(0x30, 0, 0, 40), insn(0x16, 0, 0, 0)]);
  assert.match(compile(early, 'bsd', 'packet').source, /if \(c < 1\) return 0;/);
  agrees(early, packetsUpTo(45, (j) => (j === 0 ? 1 : j)));
  agrees(early, packetsUpTo(45, (j) => (j === 0 ? 2 : j + 1)));

  // Every path after the first load ends in ret #0 or needs byte 40: the first check covers 41.
  const far = program([insn(0x30, 0, 0, 0), insn(0x15, 0, 2, 1), insn(0x30, 0, 0, 40), insn(0x06, 0, 0, 5), insn(0x06, 0, 0, 0)]);
  assert.match(compile(far, 'bsd', 'packet').source, /if \(c < 41\) return 0;/);
  agrees(far, packetsUpTo(45, (j) => (j === 0 ? 1 : j)));

  // ldx msh, an indirect load, ret a and a Linux negative offset in the way: answers unchanged.
  const mixed = program([
    insn(0xb1, 0, 0, 14), insn(0x30, 0, 0, 12), insn(0x15, 0, 4, 8), insn(0x50, 0, 0, 14), insn(0x15, 0, 1, 0x45), insn(0x28, 0, 0, 30),
    insn(0x16, 0, 0, 0), insn(0x30, 0, 0, (0xfff00000 + 9) >>> 0), insn(0x16, 0, 0, 0),
  ]);
  agrees(mixed, packetsUpTo(48, (j, n) => (j === 12 ? 8 : j === 14 ? 0x45 : n * 7 + j)), {}, { networkOffset: 14 });
});

test('the batch count and the DataView choice give the same answers in every mode', () => {
  const r = seeded(0x5e1);
  // Programs with word, half-word and byte loads, absolute and indirect.
  const progs = [
    program([insn(0x20, 0, 0, 26), insn(0x15, 0, 1, 0x0a000001), insn(0x06, 0, 0, 65535), insn(0x28, 0, 0, 12), insn(0x16, 0, 0, 0)]),
    program([insn(0xb1, 0, 0, 14), insn(0x48, 0, 0, 16), insn(0x35, 0, 1, 1000), insn(0x50, 0, 0, 2), insn(0x16, 0, 0, 0)]),
  ];
  const packets = Array.from({ length: 64 }, () => randomPacket(r));
  for (const prog of progs) {
    for (const dataView of ['auto', 'all', 'none'] as const) {
      for (const branchlessCount of [true, false]) agrees(prog, packets, { dataView, branchlessCount });
    }
  }
  assert.match(compile(progs[0], 'bsd', 'batch-values').source, /dv\.getUint16\(o \+ 12\)/);
  assert.doesNotMatch(compile(progs[1], 'bsd', 'batch-values', { dataView: 'auto' }).source, /DataView/);
  assert.match(compile(progs[1], 'bsd', 'batch-values').source, /dv\.getUint16\(o \+ t\)/);
});

test('the unrolled batch loop covers every count and reports the first record outside the buffer', () => {
  const prog = program([insn(0x28, 0, 0, 12), insn(0x15, 0, 1, 0x800), insn(0x06, 0, 0, 96), insn(0x06, 0, 0, 0)]);
  for (const unroll of [1, 4, 8]) {
    const values = compile(prog, 'bsd', 'batch-values', { unroll });
    const indices = compile(prog, 'bsd', 'batch-indices', { unroll });
    if (unroll > 1) assert.match(values.source, new RegExp(`i \\+ ${unroll} <= n`));
    for (let count = 0; count <= 20; count++) {
      const packets = Array.from({ length: count }, (_, i) => ({ data: Uint8Array.from({ length: 14 + i }, (_, j) => (j === 12 && i % 3 ? 8 : 0)), wireLength: 60 }));
      const batch = batchOf(packets);
      const want = packets.map((p) => interpret(prog, p.data, p.wireLength, { semantics: 'bsd' }));
      const out = new Uint32Array(count);
      assert.equal(values.fn(batch.data, batch.offsets, batch.caplens, batch.wirelens, count, out), want.filter((v) => v).length);
      assert.deepEqual([...out], want, `unroll ${unroll}, ${count} packets`);
      const idx = new Uint32Array(count);
      const n = indices.fn(batch.data, batch.offsets, batch.caplens, batch.wirelens, count, idx);
      assert.deepEqual([...idx.subarray(0, n)], want.flatMap((v, i) => (v ? [i] : [])));
    }
    // Record 5 (inside an unrolled turn) and record 17 (in the loop after it) lie past the buffer.
    const batch = batchOf(Array.from({ length: 19 }, () => ({ data: new Uint8Array(20) })));
    batch.offsets[17] = batch.data.length;
    assert.equal(values.fn(batch.data, batch.offsets, batch.caplens, batch.wirelens, 19, new Uint32Array(19)), -18);
    batch.offsets[5] = batch.data.length - 10;
    assert.equal(indices.fn(batch.data, batch.offsets, batch.caplens, batch.wirelens, 19, new Uint32Array(19)), -6);
  }
});

test('every switch off and on gives the interpreter\'s answers on random Programs', () => {
  const r = seeded(0xc0de);
  const variants: Array<Partial<CodegenTuning>> = [
    { mergeChecks: false, selects: false, branchlessCount: false, dataView: 'all', unroll: 1 },
    { mergeChecks: true, selects: false, branchlessCount: false, dataView: 'none', unroll: 2 },
    { mergeChecks: false, selects: true, branchlessCount: true, dataView: 'auto', unroll: 4 },
    {},
  ];
  for (let n = 0; n < 300; n++) {
    const semantics: Semantics = n % 2 ? 'linux' : 'bsd';
    const prog = randomValidProgram(r, semantics, n % 25 === 0 ? 150 : 30);
    // No SKF_AD_RANDOM: the batch shapes share one context, and a random value would differ per call.
    if (prog.some((x) => (x.code & 0xe7) === 0x20 && x.k === (0xfffff000 + 56) >>> 0)) continue;
    // 19 packets: two turns of the unrolled batch loop and three in the loop after it.
    const packets = Array.from({ length: 19 }, () => randomPacket(r));
    for (const tuning of variants) agrees(prog, packets, tuning, { networkOffset: 14, protocol: 0x800, mark: 3 }, [semantics]);
  }
});

test('the generated source of every shape holds only numbers from the Program', () => {
  const r = seeded(0x7e57);
  for (let n = 0; n < 100; n++) {
    const prog = randomValidProgram(r, 'linux', 40);
    for (const shape of ['packet', 'batch-values', 'batch-indices'] as const) {
      const src = generateSource(prog, 'linux', shape).body;
      for (const w of new Set(src.match(/[A-Za-z_][A-Za-z_0-9]*/g))) {
        assert.match(w, /^(p|w|ctx|rt|anc|neg|use|strict|const|let|if|else|new|return|break|undefined|c|A|X|t|r|k|i|q|n|o|dl|dv|offs|caps|wires|out|m\d+|L\d+|P|D|Math|imul|pc|for|switch|case|continue|default|length|DataView|buffer|byteOffset|byteLength|getUint16|getInt32)$/, w);
      }
    }
  }
});
