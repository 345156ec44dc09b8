/**
 * The WebAssembly batch engine against the reference interpreter: random
 * valid Programs over random and truncated packets in both semantics, every
 * program of the machine's expression list (and libpcap's own answers in
 * BSD semantics), the Programs that must fall back, pathological Programs,
 * and the arena's bounds; the indices-writing form (wasmBatchSelect) against
 * the interpreter and jitBatchSelect on the same inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArenaError, PacketArena, arenaOf, batchArena, wasmBatch, wasmBatchSelect, wasmBytes, wasmEngine } from '../../src/bpf/wasm.js';
import { wasmModuleBytes, wasmUnsupported, type WasmTuning } from '../../src/bpf/wasm-codegen.js';
import { jitBatch, jitBatchSelect } from '../../src/bpf/jit.js';
import { interpret } from '../../src/bpf/interpreter.js';
import { isValid, VerifyError } from '../../src/bpf/verifier.js';
import { batchOf, type PacketBatch } from '../../src/bpf/batch.js';
import { insn, program, type Program } from '../../src/bpf/program.js';
import type { AncillaryContext, Semantics } from '../../src/bpf/context.js';
import { disassemble } from '../../src/bpf/text.js';
import { SKF_AD_OFF, SKF_AD_PROTOCOL, SKF_AD_RANDOM, SKF_LL_OFF, SKF_NET_OFF } from '../../src/bpf/opcodes.js';
import { randomPacket as randomJitPacket, randomValidProgram, seeded } from './jit-random.js';
import { Rng, randomPacket, randomProgram } from './random-program.js';
import { EXPRESSIONS } from './expressions.js';
import { ethernetPackets } from './ethernet-packets.js';
import { Oracle, OracleCompileError } from '../oracle/oracle.js';

// The few pieces of the WebAssembly JS API the tests use (the project's TypeScript libraries do not declare it).
interface WasmJs {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmJs }).WebAssembly;

const LONG = Boolean(process.env.BPFKIT_LONG);
const PROGRAMS = LONG ? 100_000 : 10_000;

type Packet = { data: Uint8Array; wireLength: number };

/** The interpreter's values for `packets`. */
function expected(prog: Program, semantics: Semantics, packets: Packet[], context?: AncillaryContext): number[] {
  return packets.map((p) => interpret(prog, p.data, p.wireLength, { semantics, context }));
}

/** Runs a batch function over an arena copy of `packets`; returns the values and the count it returned. */
function runInArena(arena: PacketArena, run: ReturnType<typeof wasmBatch>, packets: Packet[], context?: AncillaryContext): { values: number[]; accepted: number } {
  arena.reset();
  const b = arena.copyIn(batchOf(packets));
  const accepted = run(b.data, b.offsets, b.caplens, b.wirelens, b.count, b.out, context);
  return { values: [...b.out.subarray(0, b.count)], accepted };
}

function assertSame(prog: Program, semantics: Semantics, got: { values: number[]; accepted: number }, want: number[], what: string): void {
  const ok = got.accepted === want.filter((v) => v !== 0).length && got.values.every((v, i) => v === want[i]);
  if (!ok) assert.fail(`${what} (${semantics}): wasm ${JSON.stringify(got)}, interpreter ${JSON.stringify(want)}\n${disassemble(prog, 'd')}\n${JSON.stringify(prog)}`);
}

/** Indices of the non-zero values, in order: what a select must write. */
const acceptedOf = (values: number[]): number[] => values.flatMap((v, i) => (v !== 0 ? [i] : []));

/**
 * The indices form over an arena copy of `packets` against the interpreter's
 * values, and against jitBatchSelect over the same (plain) batch.
 */
function assertSelect(arena: PacketArena, prog: Program, semantics: Semantics, packets: Packet[], want: number[], what: string, context?: AncillaryContext): void {
  arena.reset();
  const b = arena.copyIn(batchOf(packets));
  b.out.fill(0xdeadbeef);
  const n = wasmBatchSelect(prog, { semantics })(b.data, b.offsets, b.caplens, b.wirelens, b.count, b.out, context);
  const got = n < 0 ? [n] : [...b.out.subarray(0, n)];
  // The JIT takes no backward jump (libpcap's): those have the interpreter alone to agree with.
  const plain = batchOf(packets);
  const jitOut = Uint32Array.from(got);
  const m = wasmEngine(prog, { semantics }, 'indices').engine === 'interpreter' ? n
    : jitBatchSelect(prog, { semantics })(plain.data, plain.offsets, plain.caplens, plain.wirelens, plain.count, jitOut, context);
  const fromWant = acceptedOf(want);
  if (n !== fromWant.length || got.some((v, j) => v !== fromWant[j]) || m !== n || jitOut.subarray(0, m).some((v, j) => v !== got[j])) {
    assert.fail(`${what} (${semantics}, indices): wasm ${JSON.stringify(got)}, jitBatchSelect ${JSON.stringify([...jitOut.subarray(0, Math.max(m, 0))])}, interpreter ${JSON.stringify(fromWant)}\n${disassemble(prog, 'd')}\n${JSON.stringify(prog)}`);
  }
}

function readsRandom(prog: Program): boolean {
  return prog.some((x) => (x.code & 0x07) === 0 && (x.code & 0xe0) === 0x20 && x.k === ((SKF_AD_OFF + SKF_AD_RANDOM) >>> 0));
}

// Contexts a Linux batch may carry: the negative-offset rule depends on two of their fields.
const CONTEXTS: Array<AncillaryContext | undefined> = [
  undefined,
  { networkOffset: 14, protocol: 0x800, mark: 7, random: () => 12345 },
  { noLinkHeader: true, random: () => 1 },
  { networkOffset: 0, noLinkHeader: true, random: () => 2 },
  { networkOffset: 2 ** 40, random: () => 3 }, // beyond what wasm adds: the JIT applies the rule
];

for (const semantics of ['linux', 'bsd'] as const) {
  test(`${PROGRAMS} random valid Programs over random and truncated packets: wasm = interpreter (${semantics})`, () => {
    const arena = new PacketArena(1 << 20);
    const r = seeded(semantics === 'linux' ? 0x3a5 : 0x3b5);
    const rng = new Rng(semantics === 'linux' ? 0x3a6 : 0x3b6);
    let checked = 0, inWasm = 0;
    for (let n = 0; n < PROGRAMS; n++) {
      // Half from the JIT's generator (every opcode, ancillary and negative loads included), half from the machine's.
      const prog = n % 2 === 0
        ? randomValidProgram(r, semantics, n % 100 === 0 ? 300 : 40)
        : randomProgram(rng, { negativeOffsets: semantics === 'linux', maxLength: n % 100 === 1 ? 300 : 48 });
      if (!isValid(prog, { mode: semantics })) continue;
      // 24 packets: two turns of the loop (4 packets each, while 16 more lie ahead), then 16 one at a time.
      const packets = Array.from({ length: 24 }, () => (n % 2 === 0 ? randomJitPacket(r) : randomPacket(rng)));
      // SKF_AD_RANDOM (which only the JIT fallback runs) must draw from a seeded source on both sides.
      const context = semantics === 'linux' ? (readsRandom(prog) ? CONTEXTS[1] : CONTEXTS[n % CONTEXTS.length]) : undefined;
      const got = runInArena(arena, wasmBatch(prog, { semantics }), packets, context);
      const want = expected(prog, semantics, packets, context);
      assertSame(prog, semantics, got, want, `program ${n}`);
      // The indices form on half of them (both generators), compiling a second module costs as much again.
      if (n % 4 < 2) assertSelect(arena, prog, semantics, packets, want, `program ${n}`, context);
      checked++;
      if (wasmEngine(prog, { semantics }).engine === 'wasm') inWasm++;
    }
    assert.ok(checked > PROGRAMS * 0.9, `only ${checked} Programs verified`);
    assert.ok(inWasm > checked * 0.6, `only ${inWasm} of ${checked} Programs ran as wasm`);
  });
}

test('every code shape (selects, merged checks, raw compares, unrolling, lookahead, each off or on) gives the interpreter\'s answers', () => {
  const arena = new PacketArena(1 << 20);
  const shapes: Array<Partial<WasmTuning>> = [
    { selects: 'branch', mergeChecks: false, rawCompares: false, unroll: 1, lookahead: 0 },
    { selects: 'mask', mergeChecks: true, rawCompares: true, unroll: 4, lookahead: 0 },
    { selects: 'select', mergeChecks: false, rawCompares: true, unroll: 8, lookahead: 3, lookaheadFrom: 0 },
    { selects: 'branch', mergeChecks: true, rawCompares: false, unroll: 2, lookahead: 1, lookaheadFrom: 1 },
    { selects: 'select', mergeChecks: true, rawCompares: true, unroll: 1, lookahead: 5, lookaheadFrom: 0 },
  ];
  const rng = new Rng(0x5a9e);
  for (let n = 0; n < (LONG ? 20_000 : 1_500); n++) {
    const semantics: Semantics = n % 2 === 0 ? 'bsd' : 'linux';
    const prog = randomProgram(rng, { maxLength: 48 });
    if (!isValid(prog, { mode: semantics }) || wasmUnsupported(prog, semantics) !== undefined) continue;
    const packets = Array.from({ length: 19 }, () => randomPacket(rng));
    const want = expected(prog, semantics, packets);
    arena.reset();
    const b = arena.copyIn(batchOf(packets));
    for (const shape of shapes) {
      const module = new WebAssembly.Module(wasmModuleBytes(prog, semantics, shape));
      const f = new WebAssembly.Instance(module, { m: { mem: arena.memory } }).exports.f as (...a: number[]) => number;
      b.out.fill(0xdeadbeef);
      const accepted = f(b.count, b.offsets.byteOffset, b.caplens.byteOffset, b.wirelens.byteOffset, b.out.byteOffset, b.data.byteOffset, b.data.length, -1, 1);
      assertSame(prog, semantics, { values: [...b.out.subarray(0, b.count)], accepted }, want, `shape ${JSON.stringify(shape)}`);
      if (n % 3 !== 0) continue;
      const select = new WebAssembly.Instance(new WebAssembly.Module(wasmModuleBytes(prog, semantics, shape, 'indices')), { m: { mem: arena.memory } }).exports.f as (...a: number[]) => number;
      b.out.fill(0xdeadbeef);
      const count = select(b.count, b.offsets.byteOffset, b.caplens.byteOffset, b.wirelens.byteOffset, b.out.byteOffset, b.data.byteOffset, b.data.length, -1, 1);
      assert.deepEqual([...b.out.subarray(0, Math.max(count, 0))], acceptedOf(want), `shape ${JSON.stringify(shape)}, indices\n${disassemble(prog, 'd')}`);
    }
  }
});

test(`every program of the expression list (${EXPRESSIONS.length}) runs on wasm as on the interpreter and libpcap`, async () => {
  const oracle = await Oracle.start();
  const packets = ethernetPackets(300, 0x3a57);
  const arena = new PacketArena(1 << 20);
  let compiled = 0, backward = 0;
  try {
    for (const expression of EXPRESSIONS) {
      let prog: Program;
      try {
        prog = await oracle.compile(expression, { linkType: 1 });
      } catch (e) {
        if (e instanceof OracleCompileError) continue;
        throw e;
      }
      const libpcap = await oracle.run(prog, packets);
      for (const semantics of ['bsd', 'linux'] as const) {
        if (!isValid(prog, { mode: semantics })) continue;
        const engine = wasmEngine(prog, { semantics }).engine;
        const hasBackward = semantics === 'bsd' && prog.some((x) => x.code === 0x05 && (x.k | 0) < 0);
        // libpcap's backward jumps (protochain) run on the interpreter; everything else libpcap makes runs as wasm.
        assert.equal(engine, hasBackward ? 'interpreter' : 'wasm', `${expression} (${semantics})`);
        if (hasBackward) backward++;
        const got = runInArena(arena, wasmBatch(prog, { semantics }), packets);
        assertSame(prog, semantics, got, expected(prog, semantics, packets), expression);
        if (semantics === 'bsd') assert.deepEqual(got.values, libpcap, `${expression}: wasm against libpcap`);
        assertSelect(arena, prog, semantics, packets, semantics === 'bsd' ? libpcap : got.values, expression);
      }
      compiled++;
    }
  } finally {
    oracle.close();
  }
  assert.ok(compiled >= 200, `only ${compiled} expressions compiled`);
  assert.ok(backward >= 1 || !EXPRESSIONS.some((e) => e.includes('protochain')));
});

test('Programs wasm cannot run exactly fall back, with the interpreter\'s answers', () => {
  const arena = new PacketArena(1 << 16);
  const frame = new Uint8Array(60);
  frame[12] = 0x08; frame[14] = 0x45; frame[23] = 17;
  const packets = [{ data: frame, wireLength: 60 }, { data: frame.subarray(0, 20), wireLength: 60 }, { data: new Uint8Array(0), wireLength: 0 }];
  const cases: Array<[string, Program, Semantics, AncillaryContext | undefined, string]> = [
    ['ancillary load', program([insn(0x28, 0, 0, (SKF_AD_OFF + SKF_AD_PROTOCOL) >>> 0), insn(0x16, 0, 0, 0)]), 'linux', { protocol: 0x86dd }, 'jit'],
    ['SKF_NET_OFF load', program([insn(0x30, 0, 0, (SKF_NET_OFF + 9) >>> 0), insn(0x16, 0, 0, 0)]), 'linux', { networkOffset: 14 }, 'jit'],
    ['SKF_LL_OFF load', program([insn(0x30, 0, 0, (SKF_LL_OFF + 23) >>> 0), insn(0x16, 0, 0, 0)]), 'linux', undefined, 'jit'],
    ['ldx msh at SKF_NET_OFF', program([insn(0xb1, 0, 0, (SKF_NET_OFF) >>> 0), insn(0x87, 0, 0, 0), insn(0x16, 0, 0, 0)]), 'linux', { networkOffset: 14 }, 'jit'],
    ['libpcap backward jump', program([insn(0x00, 0, 0, 3), insn(0x14, 0, 0, 1), insn(0x15, 1, 0, 0), insn(0x05, 0, 0, -3 >>> 0), insn(0x16, 0, 0, 0)]), 'bsd', undefined, 'interpreter'],
  ];
  for (const [what, prog, semantics, context, engine] of cases) {
    assert.equal(wasmEngine(prog, { semantics }).engine, engine, what);
    assert.ok(wasmEngine(prog, { semantics }).reason, what);
    const got = runInArena(arena, wasmBatch(prog, { semantics }), packets, context);
    assertSame(prog, semantics, got, expected(prog, semantics, packets, context), what);
    assertSelect(arena, prog, semantics, packets, expected(prog, semantics, packets, context), what, context);
  }
  // Indirect loads with a negative sum stay in wasm and follow the context, as the kernel does.
  const ind = program([insn(0x01, 0, 0, (SKF_NET_OFF + 9) >>> 0), insn(0x50, 0, 0, 0), insn(0x16, 0, 0, 0)]);
  assert.equal(wasmEngine(ind, { semantics: 'linux' }).engine, 'wasm');
  for (const context of [undefined, { networkOffset: 14 }, { networkOffset: 3 }, { noLinkHeader: true }, { networkOffset: 1.5 }]) {
    const got = runInArena(arena, wasmBatch(ind, { semantics: 'linux' }), packets, context);
    assertSame(ind, 'linux', got, expected(ind, 'linux', packets, context), `ldb [x + k] with ${JSON.stringify(context)}`);
    assertSelect(arena, ind, 'linux', packets, expected(ind, 'linux', packets, context), `ldb [x + k] with ${JSON.stringify(context)}`, context);
  }
  assert.equal(runInArena(arena, wasmBatch(ind, { semantics: 'linux' }), packets, { networkOffset: 14 }).values[0], 17);
});

test('a batch not wholly in one arena runs on the JIT, with the same answers', () => {
  const prog = program([insn(0x28, 0, 0, 12), insn(0x15, 0, 1, 0x800), insn(0x06, 0, 0, 0xffff), insn(0x06, 0, 0, 0)]);
  const packets = ethernetPackets(50, 7);
  const want = expected(prog, 'bsd', packets);
  const run = wasmBatch(prog, { semantics: 'bsd' });
  const plain = batchOf(packets);
  const out = new Uint32Array(plain.count);
  assert.equal(run(plain.data, plain.offsets, plain.caplens, plain.wirelens, plain.count, out), want.filter((v) => v).length);
  assert.deepEqual([...out], want);
  // Everything in the arena but the results: still correct, through the JIT.
  const arena = new PacketArena(1 << 20);
  const b = arena.copyIn(plain);
  out.fill(0);
  run(b.data, b.offsets, b.caplens, b.wirelens, b.count, out);
  assert.deepEqual([...out], want);
  // Two arenas: not one memory.
  const other = new PacketArena(1 << 16).batch(0, plain.count);
  run(b.data, b.offsets, b.caplens, b.wirelens, b.count, other.out);
  assert.deepEqual([...other.out], want);
  // A count beyond the arrays: the JIT's answer, not a read past them.
  const jitOut = new Uint32Array(plain.count + 1), wasmOut = arena.batch(0, plain.count + 1).out;
  assert.equal(run(b.data, b.offsets, b.caplens, b.wirelens, b.count + 1, wasmOut),
    jitBatch(prog, { semantics: 'bsd' })(b.data, b.offsets, b.caplens, b.wirelens, b.count + 1, jitOut));
});

test('a packet outside the batch\'s data gives -1-i, as jitBatch does', () => {
  const prog = program([insn(0x30, 0, 0, 0), insn(0x16, 0, 0, 0)]);
  const arena = new PacketArena(1 << 16);
  const b = arena.batch(100, 8);
  for (let i = 0; i < 8; i++) { b.offsets[i] = i * 10; b.caplens[i] = 10; b.wirelens[i] = 10; b.data[i * 10] = i + 1; }
  b.count = 8;
  b.offsets[5] = 95; // 95 + 10 > 100
  const wasmValue = wasmBatch(prog, { semantics: 'bsd' })(b.data, b.offsets, b.caplens, b.wirelens, b.count, b.out);
  const jitOut = new Uint32Array(8);
  assert.equal(wasmValue, -6);
  assert.equal(jitBatch(prog, { semantics: 'bsd' })(b.data, b.offsets, b.caplens, b.wirelens, b.count, jitOut), -6);
  assert.deepEqual([...b.out.subarray(0, 5)], [...jitOut.subarray(0, 5)]);
  // An offset + caplen that would wrap 32 bits is outside too.
  b.offsets[5] = 50; b.offsets[2] = 0xfffffff0; b.caplens[2] = 0x20;
  assert.equal(wasmBatch(prog, { semantics: 'linux' })(b.data, b.offsets, b.caplens, b.wirelens, b.count, b.out), -3);
  // In the unrolled loop, with a garbage offset among the packets read ahead (a Program with enough branches for the lookahead).
  const branchy = program([insn(0x30, 0, 0, 0), ...[100, 101, 102, 103, 104].map((k, j) => insn(0x15, 5 - j, 0, k)), insn(0x16, 0, 0, 0), insn(0x06, 0, 0, 7)]);
  const big = arena.batch(4000, 60);
  for (let i = 0; i < 60; i++) { big.offsets[i] = i * 60; big.caplens[i] = 60; big.wirelens[i] = 60; big.data[i * 60] = i; }
  big.count = 60;
  big.offsets[33] = 0xffffff00;
  const jitBig = new Uint32Array(60);
  assert.equal(wasmBatch(branchy, { semantics: 'bsd' })(big.data, big.offsets, big.caplens, big.wirelens, big.count, big.out), -34);
  assert.equal(jitBatch(branchy, { semantics: 'bsd' })(big.data, big.offsets, big.caplens, big.wirelens, big.count, jitBig), -34);
  assert.deepEqual([...big.out.subarray(0, 33)], [...jitBig.subarray(0, 33)]);
  assert.deepEqual([...big.out.subarray(0, 33)], Array.from({ length: 33 }, (_, i) => i));
  // The indices form answers -1-i the same way.
  assert.equal(wasmBatchSelect(branchy, { semantics: 'bsd' })(big.data, big.offsets, big.caplens, big.wirelens, big.count, big.out), -34);
  assert.equal(jitBatchSelect(branchy, { semantics: 'bsd' })(big.data, big.offsets, big.caplens, big.wirelens, big.count, jitBig), -34);
  assert.equal(wasmBatchSelect(prog, { semantics: 'linux' })(b.data, b.offsets, b.caplens, b.wirelens, b.count, b.out), -3);
});

test('the indices form runs in an arena as wasm and elsewhere as jitBatchSelect, with the same indices', () => {
  const prog = program([insn(0x28, 0, 0, 12), insn(0x15, 0, 1, 0x800), insn(0x06, 0, 0, 0xffff), insn(0x06, 0, 0, 0)]);
  // Truncated ones among them: cut to 0..20 bytes, some below the 14 the load needs.
  const packets = ethernetPackets(200, 11).map((p, i) => (i % 7 === 3 ? { data: p.data.subarray(0, i % 21), wireLength: p.wireLength } : p));
  const want = acceptedOf(expected(prog, 'bsd', packets));
  assert.ok(want.length > 10 && want.length < packets.length - 10, `a filter that splits the packets (${want.length})`);
  const run = wasmBatchSelect(prog, { semantics: 'bsd' });
  assert.equal(wasmEngine(prog, { semantics: 'bsd' }, 'indices').engine, 'wasm');
  const arena = new PacketArena(1 << 20);
  const b = arena.copyIn(batchOf(packets));
  assert.equal(batchArena(b.data, b.offsets, b.caplens, b.wirelens, b.out, b.count), arena);
  assert.equal(run(b.data, b.offsets, b.caplens, b.wirelens, b.count, b.out), want.length);
  assert.deepEqual([...b.out.subarray(0, want.length)], want);
  // An output outside the arena: jitBatchSelect, same indices.
  const out = new Uint32Array(b.count);
  assert.equal(batchArena(b.data, b.offsets, b.caplens, b.wirelens, out, b.count), undefined);
  assert.equal(run(b.data, b.offsets, b.caplens, b.wirelens, b.count, out), want.length);
  assert.deepEqual([...out.subarray(0, want.length)], want);
  // Every prefix of the batch (the unrolled loop's remainders), and an empty one.
  for (const count of [0, 1, 2, 3, 4, 5, 17, 20, 21, 199]) {
    const n = run(b.data, b.offsets, b.caplens, b.wirelens, count, b.out);
    assert.deepEqual([...b.out.subarray(0, n)], want.filter((i) => i < count), `first ${count}`);
  }
  // The caches keep the two forms apart.
  assert.notEqual(wasmBatchSelect(prog, { semantics: 'bsd' }), wasmBatch(prog, { semantics: 'bsd' }));
  assert.equal(wasmBatchSelect(prog, { semantics: 'bsd' }), run);
});

test('pathological Programs compile to wasm and run correctly: 4096 instructions, long jump chains, every scratch slot', () => {
  const arena = new PacketArena(1 << 16);
  const bytes = (...v: number[]) => ({ data: Uint8Array.from(v), wireLength: v.length });
  const packets = [bytes(), bytes(0), bytes(7), bytes(100, 1, 2, 3), bytes(255, 255), ...Array.from({ length: 20 }, (_, i) => bytes(i * 13, i))];
  const check = (prog: Program, semantics: Semantics, what: string) => {
    const t0 = performance.now();
    assert.equal(wasmEngine(prog, { semantics }).engine, 'wasm', `${what}: ${wasmEngine(prog, { semantics }).reason}`);
    const ms = performance.now() - t0;
    assert.ok(ms < 2000, `${what}: compiling took ${ms.toFixed(0)} ms`);
    assertSame(prog, semantics, runInArena(arena, wasmBatch(prog, { semantics }), packets), expected(prog, semantics, packets), what);
  };
  // A chain of 2047 jumps, each skipping one dead instruction to land on the next: 4095 instructions.
  const chain: ReturnType<typeof insn>[] = [];
  for (let i = 0; i < 2047; i++) chain.push(insn(0x05, 0, 0, 1), insn(0x06, 0, 0, i));
  chain.push(insn(0x06, 0, 0, 4242));
  check(program(chain), 'linux', 'jump chain');
  // 4096 instructions: comparisons of the first byte, branching over one another (4092 distinct targets).
  const shared = program([insn(0x30, 0, 0, 0), ...Array.from({ length: 4092 }, (_, i) => insn(0x25, i % 3, (i * 7) % 5, i % 256)), insn(0x05, 0, 0, 1), insn(0x06, 0, 0, 7), insn(0x06, 0, 0, 9)]);
  assert.equal(shared.length, 4096);
  check(shared, 'bsd', 'shared comparisons');
  // Crossing jumps: every instruction jumps up to 255 ahead, 4000 blocks open at once.
  const crossing = program([...Array.from({ length: 4000 }, (_, i) => insn(0x15, Math.min(255, 4000 - i), 0, i % 7)), insn(0x06, 0, 0, 1), insn(0x06, 0, 0, 2)]);
  check(crossing, 'linux', 'crossing jumps');
  // Every scratch slot written and read back, 4096 instructions of it.
  const mem: ReturnType<typeof insn>[] = [insn(0x30, 0, 0, 0)];
  while (mem.length < 4096 - 36) {
    const m = mem.length % 16;
    mem.push(mem.length % 3 === 0 ? insn(0x02, 0, 0, m) : mem.length % 3 === 1 ? insn(0x03, 0, 0, m) : insn(0x04, 0, 0, mem.length));
  }
  while (mem.length < 4096 - 34) mem.push(insn(0x07, 0, 0, 0));
  for (let m = 0; m < 16; m++) mem.push(insn(0x61, 0, 0, m), insn(0x0c, 0, 0, 0));
  mem.push(insn(0x16, 0, 0, 0));
  while (mem.length < 4096) mem.unshift(insn(0x00, 0, 0, 0)); // keep the first load meaningful: ld #0 before it
  const slots = program(mem);
  assert.equal(slots.length, 4096);
  check(slots, 'bsd', 'every scratch slot');
  // Random Programs of 4096 instructions (the machine's generator: no ancillary loads), both semantics.
  const rng = new Rng(0x4096);
  for (const semantics of ['linux', 'bsd'] as const) {
    for (let made = 0, tries = 0; made < 2; tries++) {
      assert.ok(tries < 200, 'no long random Program verified');
      // Linux reads its few absurd offsets (2^31 and up) as negative ones, which wasm does not run: bring them into range.
      const prog = randomProgram(rng, { maxLength: 4096 }).map((x) => ((x.code & 0x07) <= 1 && ((x.code & 0xe0) === 0x20 || (x.code & 0xe0) === 0xa0) && (x.k | 0) < 0 ? insn(x.code, x.jt, x.jf, x.k & 0xffff) : x));
      if (prog.length < 1000 || !isValid(prog, { mode: semantics }) || wasmUnsupported(prog, semantics) !== undefined) continue;
      // Arithmetic in front brings it to exactly 4096 without changing what follows.
      const padded = program([...Array.from({ length: 4096 - prog.length }, (_, i) => insn(0x04, 0, 0, i)), ...prog]);
      check(padded, semantics, `random 4096-instruction Program (${semantics})`);
      made++;
    }
  }
});

test('the arena hands out views of one fixed memory and says when a batch does not fit', () => {
  const arena = new PacketArena(100_000);
  assert.equal(arena.bytes, 2 * 65536);
  const a = arena.batch(1000, 16);
  for (const v of [a.data, a.offsets, a.caplens, a.wirelens, a.out]) assert.equal(v.buffer, arena.memory.buffer);
  assert.equal(arenaOf(a.offsets), arena);
  assert.equal(arenaOf(new Uint8Array(4)), undefined);
  assert.equal(arena.used, 1000 + 16 * 16);
  assert.throws(() => arena.batch(200_000, 1), (e: unknown) => e instanceof ArenaError && /needs 200016 bytes, but only \d+ of the arena's 131072 are free/.test(e.message));
  assert.throws(() => arena.batch(1, 10_000), ArenaError);
  assert.throws(() => arena.batch(-1, 1), ArenaError);
  assert.throws(() => new PacketArena(0), ArenaError);
  assert.throws(() => new PacketArena(2 ** 31), ArenaError);
  const many = Array.from({ length: 2000 }, () => ({ data: new Uint8Array(100), wireLength: 100 }));
  assert.throws(() => arena.copyIn(batchOf(many)), ArenaError);
  arena.reset();
  assert.equal(arena.used, 0);
  const copy = arena.copyIn(batchOf(many.slice(0, 1000)));
  assert.equal(copy.count, 1000);
  assert.equal(copy.arena, arena);
  const broken: PacketBatch = { data: new Uint8Array(10), offsets: Uint32Array.of(5), caplens: Uint32Array.of(10), wirelens: Uint32Array.of(10), count: 1 };
  assert.throws(() => arena.copyIn(broken), /packet 0 .* lies outside/);
});

test('wasmBatch refuses what the JIT refuses and caches by Program and by content', () => {
  assert.throws(() => wasmBatch(program([insn(0x15, 5, 0, 1), insn(0x06, 0, 0, 0)])), VerifyError);
  const a = program([insn(0x28, 0, 0, 12), insn(0x16, 0, 0, 0)]);
  const b = program([insn(0x28, 0, 0, 12), insn(0x16, 0, 0, 0)]);
  assert.equal(wasmBatch(a), wasmBatch(a));
  assert.equal(wasmBatch(a), wasmBatch(b));
  assert.notEqual(wasmBatch(a, { semantics: 'bsd' }), wasmBatch(a, { semantics: 'linux' }));
  const bytes = wasmBytes(a, { semantics: 'bsd' });
  assert.deepEqual([...bytes.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d]);
  assert.ok(WebAssembly.validate(bytes));
});
