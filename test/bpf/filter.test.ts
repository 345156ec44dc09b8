import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matcher, MatcherError, createMatcher } from '../../src/bpf/filter.js';
import { batchOf, createBatch } from '../../src/bpf/batch.js';
import { insn, program } from '../../src/bpf/program.js';
import { VerifyError } from '../../src/bpf/verifier.js';
import { SKF_AD_OFF, SKF_AD_MARK } from '../../src/bpf/opcodes.js';
import { ethernetPackets } from './ethernet-packets.js';
import { interpret } from '../../src/bpf/interpreter.js';
import { PacketArena } from '../../src/bpf/wasm.js';

// ldh [12]; jeq #0x800 jt 0 jf 1; ret #65535; ret #0  — "ip"
const IP = program([insn(0x28, 0, 0, 12), insn(0x15, 0, 1, 0x800), insn(0x06, 0, 0, 0xffff), insn(0x06, 0, 0, 0)]);

test('a Matcher runs on the JIT by default and on the interpreter on request, with the same answers', () => {
  const packets = ethernetPackets(200, 5);
  const fast = new Matcher(IP);
  const slow = createMatcher(IP, { engine: 'interpreter' });
  assert.equal(fast.engine, 'jit');
  assert.equal(slow.engine, 'interpreter');
  assert.equal(fast.semantics, 'linux');
  for (const p of packets) {
    assert.equal(fast.run(p.data, p.wireLength), slow.run(p.data, p.wireLength));
    assert.equal(fast.matches(p.data), interpret(IP, p.data) !== 0);
  }
});

test('the batch path writes values or accepted indices, on both engines', () => {
  const packets = ethernetPackets(300, 9);
  const batch = batchOf(packets);
  const want = packets.map((p) => interpret(IP, p.data, p.wireLength));
  for (const engine of ['jit', 'interpreter'] as const) {
    const m = new Matcher(IP, { engine });
    const values = new Uint32Array(batch.count);
    assert.equal(m.runBatch(batch, values), want.filter((v) => v).length);
    assert.deepEqual([...values], want);
    const indices = new Uint32Array(batch.count);
    const n = m.selectBatch(batch, indices);
    assert.deepEqual([...indices.subarray(0, n)], want.flatMap((v, i) => (v ? [i] : [])));
  }
});

test('a batch wholly in one arena runs on the wasm engine, any other on the JIT, the interpreter when asked, with the same answers', () => {
  // Truncated packets among them: every third cut to 0..15 bytes.
  const packets = ethernetPackets(300, 21).map((p, i) => (i % 3 === 1 ? { data: p.data.subarray(0, i % 16), wireLength: p.wireLength } : p));
  const plain = batchOf(packets);
  const arena = new PacketArena(1 << 20);
  const inArena = arena.copyIn(plain);
  for (const semantics of ['linux', 'bsd'] as const) {
    const want = packets.map((p) => interpret(IP, p.data, p.wireLength, { semantics }));
    const wantIndices = want.flatMap((v, i) => (v ? [i] : []));
    const m = new Matcher(IP, { semantics });
    assert.equal(m.runBatch(inArena, inArena.out), wantIndices.length);
    assert.deepEqual([...inArena.out.subarray(0, inArena.count)], want);
    assert.equal(m.selectBatch(inArena, inArena.out), wantIndices.length);
    assert.deepEqual([...inArena.out.subarray(0, wantIndices.length)], wantIndices);
    assert.deepEqual(m.batchEngines, { wasm: 2, jit: 0, interpreter: 0 });
    // The output outside the arena: the JIT.
    const indices = new Uint32Array(plain.count);
    assert.equal(m.selectBatch(inArena, indices), wantIndices.length);
    assert.deepEqual([...indices.subarray(0, wantIndices.length)], wantIndices);
    assert.equal(m.selectBatch(plain, indices), wantIndices.length);
    assert.deepEqual(m.batchEngines, { wasm: 2, jit: 2, interpreter: 0 });
    // Forced interpreter: even an arena batch stays on it.
    const slow = new Matcher(IP, { semantics, engine: 'interpreter' });
    assert.equal(slow.selectBatch(inArena, inArena.out), wantIndices.length);
    assert.deepEqual([...inArena.out.subarray(0, wantIndices.length)], wantIndices);
    assert.deepEqual(slow.batchEngines, { wasm: 0, jit: 0, interpreter: 1 });
  }
  // A Program wasm does not run (a Linux ancillary load) goes to the JIT, and is counted there.
  const mark = new Matcher(program([insn(0x20, 0, 0, SKF_AD_OFF + SKF_AD_MARK), insn(0x16, 0, 0, 0)]), { context: { mark: 5 } });
  mark.runBatch(inArena, inArena.out);
  assert.equal(inArena.out[0], 5);
  assert.deepEqual(mark.batchEngines, { wasm: 0, jit: 1, interpreter: 0 });
  // A packet outside the data: the same MatcherError as the JIT's.
  const bad = arena.batch(100, 2);
  bad.offsets[1] = 90; bad.caplens[0] = 60; bad.caplens[1] = 60; bad.count = 2;
  assert.throws(() => new Matcher(IP).selectBatch(bad, bad.out), (e: unknown) => e instanceof MatcherError && /batch packet 1: bytes 90\.\.150/.test(e.message));
});

test('a default context serves Linux ancillary loads; a per-call context overrides it', () => {
  const mark = program([insn(0x20, 0, 0, SKF_AD_OFF + SKF_AD_MARK), insn(0x16, 0, 0, 0)]);
  const m = new Matcher(mark, { context: { mark: 42 } });
  assert.equal(m.run(new Uint8Array(60)), 42);
  assert.equal(m.run(new Uint8Array(60), 60, { mark: 7 }), 7);
  const batch = batchOf([{ data: new Uint8Array(60) }, { data: new Uint8Array(10) }]);
  const out = new Uint32Array(2);
  m.runBatch(batch, out);
  assert.deepEqual([...out], [42, 42]);
});

test('bad batches and outputs are refused with a message naming the problem', () => {
  const m = new Matcher(IP);
  const batch = batchOf([{ data: new Uint8Array(60) }, { data: new Uint8Array(60) }]);
  assert.throws(() => m.runBatch(batch, new Uint32Array(1)), (e: unknown) => e instanceof MatcherError && /room for 1 packets/.test(e.message));
  const broken = createBatch(new Uint8Array(100), 2);
  broken.offsets[1] = 90; broken.caplens[0] = 60; broken.caplens[1] = 60; broken.count = 2;
  for (const engine of ['jit', 'interpreter'] as const) {
    assert.throws(() => new Matcher(IP, { engine }).runBatch(broken, new Uint32Array(2)), (e: unknown) => e instanceof MatcherError && /batch packet 1: bytes 90\.\.150/.test(e.message));
  }
  broken.count = 5;
  assert.throws(() => m.selectBatch(broken, new Uint32Array(5)), /batch count 5/);
  assert.throws(() => new Matcher(IP, { engine: 'turbo' as never }), MatcherError);
});

test('a Matcher refuses a Program the verifier refuses', () => {
  assert.throws(() => new Matcher(program([insn(0x28, 0, 0, 12)])), VerifyError);
  assert.throws(() => new Matcher(program([insn(0x28, 0, 0, 12)]), { engine: 'interpreter' }), VerifyError);
});

test('libpcap backward jumps (BSD semantics) run on the interpreter', () => {
  // ldb [0]; jeq #0 jt 2 jf 0; sub #1; ja -3 (back to jeq); ret a
  const loop = program([insn(0x30, 0, 0, 0), insn(0x15, 2, 0, 0), insn(0x14, 0, 0, 1), insn(0x05, 0, 0, -3), insn(0x16, 0, 0, 0)]);
  const m = new Matcher(loop, { semantics: 'bsd' });
  assert.equal(m.engine, 'interpreter');
  assert.equal(m.run(Uint8Array.of(5)), interpret(loop, Uint8Array.of(5), 1, { semantics: 'bsd' }));
});
