import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runEbpf, arrayMapModel, EbpfRuntimeError } from '../../src/ebpf/interpreter.js';
import { parseEbpf } from '../../src/ebpf/text.js';
import { translate, COUNTER_MATCH, COUNTER_NO_MATCH } from '../../src/ebpf/translate.js';
import { program, insn } from '../../src/bpf/program.js';
import { XDP_DROP, XDP_PASS } from '../../src/ebpf/opcodes.js';

const run = (text: string, packet = new Uint8Array(64), context: 'socket' | 'xdp' = 'socket') => runEbpf(parseEbpf(text), packet, { context });

test('ALU semantics of the instruction set: wrap, zero-extension, division and modulo by zero, masked shifts', () => {
  const cases: Array<[string, number]> = [
    ['w0 = -1\nw0 += 2\nexit', 1],
    ['r0 = -1\nr0 >>= 32\nexit', 0xffffffff],
    ['r0 = -1\nw0 = w0\nr0 >>= 32\nexit', 0],
    ['w0 = 7\nw1 = 0\nw0 /= w1\nexit', 0],
    ['w0 = 7\nw1 = 0\nw0 %= w1\nexit', 7],
    ['w0 = 1\nw1 = 33\nw0 <<= w1\nexit', 2],
    ['r0 = -8\nr0 s>>= 1\nexit', 0xfffffffc],
    ['w0 = -7\nw1 = 2\nw0 s/= w1\nexit', (-3 >>> 0)],
    ['w0 = 0x1234\nr0 = be16 r0\nexit', 0x3412],
    ['w0 = 0x12345678\nr0 = be32 r0\nexit', 0x78563412],
    ['w0 = 0x12345678\nr0 = le16 r0\nexit', 0x5678],
    ['w0 = 5\nw0 = -w0\nexit', (-5 >>> 0)],
    ['r1 = 0x8000000000000000 ll\nr0 = 1\nif r1 s< 0x0 goto pc+1\nr0 = 2\nexit', 1],
    ['w1 = -1\nr0 = 1\nif w1 > 0xfffffffe goto pc+1\nr0 = 2\nexit', 1],
    ['r1 = -1\nr0 = 1\nif r1 == 0xffffffff goto pc+1\nr0 = 2\nexit', 1],
    ['r1 = 0x100000000 ll\nr0 = 1\nif w1 == 0x0 goto pc+1\nr0 = 2\nexit', 1],
    ['r0 = 77\n*(u32 *)(r10 -4) = r0\nr0 = 0\nr0 = *(u32 *)(r10 -4)\nexit', 77],
  ];
  for (const [text, want] of cases) assert.equal(run(text), want, text);
});

test('socket filters: LD_ABS reads big-endian, and a load past the end returns 0 from the program', () => {
  const pkt = Uint8Array.from([0x08, 0x00, 0x45, 0x11]);
  assert.equal(run('r6 = r1\nr0 = *(u16 *)skb[0]\nexit', pkt), 0x0800);
  assert.equal(run('r6 = r1\nr0 = *(u32 *)skb[0]\nexit', pkt), 0x08004511);
  assert.equal(run('r6 = r1\nw0 = 9\nr0 = *(u32 *)skb[1]\nw0 = 5\nexit', pkt), 0);
  assert.equal(run('r6 = r1\nw7 = 2\nr0 = *(u8 *)skb[r7 + 1]\nexit', pkt), 0x11);
  assert.equal(run('r6 = r1\nr0 = *(u8 *)skb[-2097152]\nexit', pkt), 0x08, 'SKF_LL_OFF addresses the frame');
  assert.equal(runEbpf(parseEbpf('r0 = *(u32 *)(r1 +0)\nexit'), pkt, { context: 'socket', wireLength: 1500 }), 1500, '__sk_buff.len');
});

test('XDP: data and data_end are pointers into the frame, access outside it is an error naming the instruction', () => {
  const pkt = Uint8Array.from([1, 2, 3, 4]);
  assert.equal(run('r2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr0 = r3\nr0 -= r2\nexit', pkt, 'xdp'), 4);
  assert.equal(run('r2 = *(u32 *)(r1 +0)\nr0 = *(u8 *)(r2 +3)\nexit', pkt, 'xdp'), 4);
  assert.throws(() => run('r2 = *(u32 *)(r1 +0)\nr0 = *(u16 *)(r2 +3)\nexit', pkt, 'xdp'),
    (e: unknown) => e instanceof EbpfRuntimeError && e.index === 1 && /packet\+3/.test(e.message));
  assert.throws(() => run('r0 = *(u32 *)(r0 +0)\nexit', pkt, 'xdp'), /not a pointer/);
  assert.throws(() => run('r0 = 1', pkt), /fell off the end/);
  assert.throws(() => run('goto pc-1', pkt), /no exit after/);
  assert.throws(() => run('r0 = *(u8 *)skb[0]\nexit', pkt, 'xdp'), /only for socket filters/);
});

test('XDP counters: the translated program counts matched and unmatched packets in its map', () => {
  const udp7777 = program([insn(0x28, 0, 0, 0), insn(0x15, 0, 1, 7777), insn(0x06, 0, 0, 1), insn(0x06, 0, 0, 0)]);
  const fd = 42;
  const insns = translate(udp7777, { target: 'xdp', onMatch: XDP_DROP, onNoMatch: XDP_PASS, countersFd: fd });
  const map = arrayMapModel(8, 2);
  const maps = new Map([[fd, map]]);
  const hit = Uint8Array.from([0x1e, 0x61, 0, 0]);
  const miss = Uint8Array.from([0x27, 0x0f, 0, 0]);
  for (let i = 0; i < 5; i++) assert.equal(runEbpf(insns, hit, { context: 'xdp', maps }), XDP_DROP);
  for (let i = 0; i < 3; i++) assert.equal(runEbpf(insns, miss, { context: 'xdp', maps }), XDP_PASS);
  assert.equal(runEbpf(insns, new Uint8Array(1), { context: 'xdp', maps }), XDP_PASS, 'too short: no match');
  const u64 = (b: Uint8Array) => new DataView(b.buffer).getBigUint64(0, true);
  assert.equal(u64(map.values[COUNTER_MATCH]), 5n);
  assert.equal(u64(map.values[COUNTER_NO_MATCH]), 4n);
  assert.throws(() => runEbpf(insns, hit, { context: 'xdp' }), /no map with fd 42/);
});
