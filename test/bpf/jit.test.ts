import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jit, jitBatch, jitBatchSelect, jitSource } from '../../src/bpf/jit.js';
import { generateSource } from '../../src/bpf/jit-codegen.js';
import { JitError } from '../../src/bpf/jit-check.js';
import { interpret } from '../../src/bpf/interpreter.js';
import { VerifyError } from '../../src/bpf/verifier.js';
import { batchOf } from '../../src/bpf/batch.js';
import { insn, program, type Program } from '../../src/bpf/program.js';
import type { Semantics } from '../../src/bpf/context.js';
import { SKF_AD_OFF, SKF_AD_PROTOCOL, SKF_AD_ALU_XOR_X, SKF_LL_OFF, SKF_NET_OFF } from '../../src/bpf/opcodes.js';
import { randomContext, randomPacket, randomValidProgram, seeded } from './jit-random.js';

const LONG = Boolean(process.env.BPFKIT_LONG);

/** Compares the JIT (per packet and both batch shapes) with the interpreter on one Program. */
function checkAgainstInterpreter(prog: Program, semantics: Semantics, packets: Array<{ data: Uint8Array; wireLength: number }>, ctxSeed: number): void {
  const f = jit(prog, { semantics });
  const expected = packets.map((p, i) => {
    const ctx = randomContext(seeded(ctxSeed + i), ctxSeed + i);
    return interpret(prog, p.data, p.wireLength, { semantics, context: ctx });
  });
  packets.forEach((p, i) => {
    const ctx = randomContext(seeded(ctxSeed + i), ctxSeed + i);
    const got = f(p.data, p.wireLength, ctx);
    if (got !== expected[i]) {
      assert.fail(`${semantics} packet ${i} (${Buffer.from(p.data).toString('hex')}, wire ${p.wireLength}): jit ${got}, interpreter ${expected[i]}\n${jitSource(prog, { semantics })}\n${JSON.stringify(prog)}`);
    }
  });
  // Batch shapes share one context per batch, so compare them on Programs that read no per-call state.
  if (!usesRandom(prog)) {
    const ctx = randomContext(seeded(ctxSeed), ctxSeed);
    const want = packets.map((p) => interpret(prog, p.data, p.wireLength, { semantics, context: ctx }));
    const batch = batchOf(packets);
    const out = new Uint32Array(packets.length);
    const n = jitBatch(prog, { semantics })(batch.data, batch.offsets, batch.caplens, batch.wirelens, batch.count, out, ctx);
    assert.deepEqual([...out], want, `batch values, ${semantics}: ${JSON.stringify(prog)}`);
    assert.equal(n, want.filter((v) => v !== 0).length);
    const idx = new Uint32Array(packets.length);
    const m = jitBatchSelect(prog, { semantics })(batch.data, batch.offsets, batch.caplens, batch.wirelens, batch.count, idx, ctx);
    assert.deepEqual([...idx.subarray(0, m)], want.flatMap((v, i) => (v !== 0 ? [i] : [])));
  }
}

function usesRandom(prog: Program): boolean {
  return prog.some((x) => (x.code & 0xe7) === 0x20 && x.k === ((SKF_AD_OFF + 56) >>> 0));
}

for (const semantics of ['linux', 'bsd'] as const) {
  test(`JIT equals the interpreter on random valid Programs (${semantics})`, () => {
    const programs = LONG ? 50_000 : 1_500;
    const r = seeded(semantics === 'linux' ? 1 : 2);
    for (let n = 0; n < programs; n++) {
      const prog = randomValidProgram(r, semantics, n % 50 === 0 ? 200 : 40);
      const packets = Array.from({ length: 8 }, () => randomPacket(r));
      checkAgainstInterpreter(prog, semantics, packets, n * 31);
    }
  });
}

test('both layouts (labelled blocks and the dispatch loop) give the same answers', () => {
  const r = seeded(7);
  for (let n = 0; n < 300; n++) {
    const prog = randomValidProgram(r, 'linux', 60);
    const packets = Array.from({ length: 6 }, () => randomPacket(r));
    for (const layout of ['blocks', 'dispatch'] as const) {
      const src = generateSource(prog, 'linux', 'packet', layout);
      const fn = new Function('rt', `return function (p, w, ctx) {\n${src.body}\n};`)({ anc: () => 0, neg: () => -1 }) as (p: Uint8Array, w: number, c: unknown) => number;
      for (const p of packets) {
        const want = interpret(prog, p.data, p.wireLength, { semantics: 'linux', context: { random: () => 0 } });
        // Programs that read ancillary data or negative offsets differ from these stub helpers; skip them.
        if (prog.some((x) => ((x.code & 7) <= 1) && (x.k | 0) < 0)) continue;
        assert.equal(fn(p.data, p.wireLength, undefined), want, `${layout}: ${JSON.stringify(prog)}`);
      }
    }
  }
});

test('Linux ancillary loads and negative offsets read the context', () => {
  const frame = new Uint8Array(40);
  frame[14 + 9] = 17;
  const proto = program([insn(0x28, 0, 0, SKF_AD_OFF + SKF_AD_PROTOCOL), insn(0x16, 0, 0, 0)]);
  assert.equal(jit(proto, { semantics: 'linux' })(frame, 40, { protocol: 0x86dd }), 0x86dd);
  const net = program([insn(0x30, 0, 0, SKF_NET_OFF + 9), insn(0x16, 0, 0, 0)]);
  assert.equal(jit(net, { semantics: 'linux' })(frame, 40, { networkOffset: 14 }), 17);
  assert.equal(jit(net, { semantics: 'linux' })(frame, 40, {}), 0);
  assert.equal(jit(net, { semantics: 'bsd' })(frame, 40), 0);
  const ll = program([insn(0x30, 0, 0, SKF_LL_OFF + 23), insn(0x16, 0, 0, 0)]);
  assert.equal(jit(ll, { semantics: 'linux' })(frame), 17);
  // A UNIX or UDP socket's skb has no link-layer header: SKF_LL_OFF loads fail there, as in the interpreter.
  for (const context of [{ noLinkHeader: true }, { noLinkHeader: true, networkOffset: 0 }]) {
    assert.equal(jit(ll, { semantics: 'linux' })(frame, 40, context), 0);
    assert.equal(interpret(ll, frame, 40, { context }), 0);
    const out = new Uint32Array(1);
    const run = jitBatch(ll, { semantics: 'linux' });
    assert.equal(run(frame, Uint32Array.of(0), Uint32Array.of(40), Uint32Array.of(40), 1, out, context), 0);
    assert.equal(out[0], 0);
  }
  const xor = program([insn(0x00, 0, 0, 0xf0), insn(0x01, 0, 0, 0x0f), insn(0x20, 0, 0, SKF_AD_OFF + SKF_AD_ALU_XOR_X), insn(0x16, 0, 0, 0)]);
  assert.equal(jit(xor, { semantics: 'linux' })(frame), 0xff);
});

test('the JIT refuses Programs the verifier refuses, naming the instruction', () => {
  assert.throws(() => jit(program([insn(0x15, 5, 0, 1), insn(0x06, 0, 0, 0)])), VerifyError);
  assert.throws(() => jit(program([])), VerifyError);
  // bpf_validate() lets `ret x` through; the JIT stops it at compile time.
  assert.throws(() => jit(program([insn(0x0e, 0, 0, 0)]), { semantics: 'bsd' }), (e: unknown) => e instanceof JitError && e.index === 0);
});

test('compiled functions are cached by Program and by content', () => {
  const a = program([insn(0x06, 0, 0, 1)]);
  const b = program([insn(0x06, 0, 0, 1)]);
  assert.equal(jit(a), jit(a));
  assert.equal(jit(a), jit(b));
  assert.notEqual(jit(a, { semantics: 'linux' }), jit(a, { semantics: 'bsd' }));
});

test('the generated source holds only numbers from the Program', () => {
  const r = seeded(11);
  for (let n = 0; n < 200; n++) {
    const prog = randomValidProgram(r, 'linux', 40);
    const src = jitSource(prog);
    // Identifiers are the JIT's own; everything else is punctuation, operators and digits.
    const words = new Set(src.match(/[A-Za-z_][A-Za-z_0-9]*/g));
    for (const w of words) assert.match(w, /^(function|bpfFilter|p|w|ctx|rt|anc|neg|use|strict|const|let|if|return|break|else|undefined|c|A|X|t|m\d+|L\d+|Math|imul|pc|D|for|switch|case|continue|default|length|subarray|o|n)$/, w);
  }
});

test('a 4096-instruction Program compiles quickly and runs correctly', () => {
  const r = seeded(13);
  for (const semantics of ['linux', 'bsd'] as const) {
    const prog = randomValidProgram(r, semantics, 4096);
    const big = prog.length >= 1000 ? prog : padTo(prog, 4096);
    const t0 = performance.now();
    const f = jit(big, { semantics });
    const ms = performance.now() - t0;
    assert.ok(ms < 250, `compiling ${big.length} instructions took ${ms.toFixed(1)} ms`);
    for (let i = 0; i < 50; i++) {
      const p = randomPacket(r);
      assert.equal(f(p.data, p.wireLength, { random: () => 5 }), interpret(big, p.data, p.wireLength, { semantics, context: { random: () => 5 } }));
    }
  }
});

/** Prefixes a Program with arithmetic so it reaches `length` instructions. */
function padTo(prog: Program, length: number): Program {
  const pad = Array.from({ length: length - prog.length }, (_, i) => insn(0x04, 0, 0, i));
  return program([...pad, ...prog]);
}

test('pathological Programs: long jump chains, deep nesting, every scratch slot', () => {
  // A chain of 2047 jumps, each skipping one dead instruction to land on the next.
  const chain: ReturnType<typeof insn>[] = [];
  for (let i = 0; i < 2047; i++) chain.push(insn(0x05, 0, 0, 1), insn(0x06, 0, 0, i));
  chain.push(insn(0x06, 0, 0, 4242));
  assert.equal(jit(program(chain))(new Uint8Array(4)), 4242);
  // 4093 comparisons of the first packet byte, branching over one another.
  const shared = program([insn(0x30, 0, 0, 0), ...Array.from({ length: 4092 }, (_, i) => insn(0x25, i % 3, (i * 7) % 5, i % 256)), insn(0x05, 0, 0, 1), insn(0x06, 0, 0, 7), insn(0x06, 0, 0, 9)]);
  for (let b = 0; b < 256; b += 15) assert.equal(jit(shared)(Uint8Array.of(b)), interpret(shared, Uint8Array.of(b)));
  // Crossing jumps: every instruction jumps 255 ahead, so blocks widen and nest deeply.
  const crossing = program([...Array.from({ length: 4000 }, (_, i) => insn(0x15, Math.min(255, 4000 - i), 0, 0xdead)), insn(0x06, 0, 0, 1), insn(0x06, 0, 0, 2)]);
  assert.equal(jit(crossing)(new Uint8Array(4)), 1);
  // Every scratch slot written and read back.
  const mem: ReturnType<typeof insn>[] = [];
  for (let m = 0; m < 16; m++) mem.push(insn(0x00, 0, 0, m * 3 + 1), insn(0x02, 0, 0, m));
  mem.push(insn(0x00, 0, 0, 0));
  for (let m = 0; m < 16; m++) mem.push(insn(0x61, 0, 0, m), insn(0x0c, 0, 0, 0));
  mem.push(insn(0x16, 0, 0, 0));
  const slots = program(mem);
  const want = Array.from({ length: 16 }, (_, m) => m * 3 + 1).reduce((a, b) => a + b, 0);
  assert.equal(jit(slots)(new Uint8Array(0)), want);
  assert.equal(interpret(slots, new Uint8Array(0)), want);
});

test('a Program array changed after compiling is compiled again, not served from the cache', () => {
  const mutable = [insn(0x06, 0, 0, 1)];
  assert.equal(jit(mutable as Program)(new Uint8Array(1)), 1);
  mutable[0] = insn(0x06, 0, 0, 2);
  assert.equal(jit(mutable as Program)(new Uint8Array(1)), 2);
});
