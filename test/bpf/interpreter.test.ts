/**
 * The interpreter, one table row per opcode (and per edge of it), under both
 * semantics; then what only Linux has: ancillary loads, negative offsets,
 * netlink attributes; then instruction counting and refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insn, program, type Instruction } from '../../src/bpf/program.js';
import { interpret, interpretCounted, InterpretError } from '../../src/bpf/interpreter.js';
import { bpf } from '../../src/bpf/builders.js';
import type { AncillaryContext, Semantics } from '../../src/bpf/context.js';
import {
  SKF_AD_ALU_XOR_X, SKF_AD_CPU, SKF_AD_HATYPE, SKF_AD_IFINDEX, SKF_AD_MARK, SKF_AD_NLATTR, SKF_AD_NLATTR_NEST,
  SKF_AD_PAY_OFFSET, SKF_AD_PKTTYPE, SKF_AD_PROTOCOL, SKF_AD_QUEUE, SKF_AD_RANDOM, SKF_AD_RXHASH,
  SKF_AD_VLAN_TAG, SKF_AD_VLAN_TAG_PRESENT, SKF_AD_VLAN_TPID,
} from '../../src/bpf/opcodes.js';

/** 16 bytes: 0x00 0x11 0x22 ... 0xff; byte 14 is 0xee (so 4*([14]&0xf) = 56). */
const PACKET = Uint8Array.from({ length: 16 }, (_, i) => i * 0x11);

const A = (value: number) => bpf.ldImm(value);
const X = (value: number) => bpf.ldxImm(value);
const RET_A = bpf.retA();

/** [name, instructions (ret a appended), expected result, wire length?] — the same under both semantics. */
const COMMON: Array<[string, Instruction[], number, number?]> = [
  ['ld #k', [A(0xdeadbeef)], 0xdeadbeef],
  ['ldx #k, txa', [X(7), bpf.txa()], 7],
  ['ld [k] word', [bpf.ld(1)], 0x11223344],
  ['ldh [k]', [bpf.ldh(14)], 0xeeff],
  ['ldb [k]', [bpf.ldb(15)], 0xff],
  ['ld [k] last whole word', [bpf.ld(12)], 0xccddeeff],
  ['ld [k] past the end returns 0', [A(9), bpf.ld(13)], 0],
  ['ldh [k] past the end returns 0', [A(9), bpf.ldh(15)], 0],
  ['ldb [k] at the end returns 0', [A(9), bpf.ldb(16)], 0],
  ['ld [k] huge offset returns 0', [A(9), bpf.ld(0x7fffffff)], 0],
  ['ld [x + k]', [X(2), bpf.ldInd(1)], 0x33445566],
  ['ldh [x + k]', [X(10), bpf.ldhInd(4)], 0xeeff],
  ['ldb [x + k]', [X(15), bpf.ldbInd(0)], 0xff],
  ['ldb [x + k] past the end', [A(1), X(16), bpf.ldbInd(0)], 0],
  ['ld #len is the wire length', [bpf.ldLen()], 1514, 1514],
  ['ldx #len', [bpf.ldxLen(), bpf.txa()], 60, 60],
  ['ldxb 4*([k]&0xf)', [bpf.ldxMsh(14), bpf.txa()], 56],
  ['ldxb past the end', [A(3), bpf.ldxMsh(16), bpf.txa()], 0],
  ['st / ld M[]', [A(42), bpf.st(3), A(0), bpf.ldMem(3)], 42],
  ['stx / ldx M[]', [X(43), bpf.stx(15), X(0), bpf.ldxMem(15), bpf.txa()], 43],
  ['M[] starts zeroed', [A(5), bpf.ldMem(9)], 0],
  ['add #k wraps', [A(0xffffffff), bpf.add(2)], 1],
  ['add x', [A(1), X(2), bpf.addX()], 3],
  ['sub #k wraps', [A(1), bpf.sub(2)], 0xffffffff],
  ['sub x', [A(10), X(3), bpf.subX()], 7],
  ['mul #k wraps at 32 bits', [A(0x10001), bpf.mul(0x10001)], 0x00020001],
  ['mul x large', [A(0xffffffff), X(0xffffffff), bpf.mulX()], 1],
  ['div #k unsigned', [A(0xffffffff), bpf.div(2)], 0x7fffffff],
  ['div x', [A(100), X(7), bpf.divX()], 14],
  ['div x by zero returns 0', [A(100), X(0), bpf.divX(), bpf.ret(1)], 0],
  ['mod #k', [A(100), bpf.mod(7)], 2],
  ['mod x', [A(0xffffffff), X(10), bpf.modX()], 5],
  ['mod x by zero returns 0', [A(100), X(0), bpf.modX(), bpf.ret(1)], 0],
  ['and #k', [A(0xf0f0), bpf.and(0xff00)], 0xf000],
  ['and x', [A(6), X(3), bpf.andX()], 2],
  ['or #k', [A(0xf0), bpf.or(0x0f)], 0xff],
  ['or x', [A(0x80000000), X(1), bpf.orX()], 0x80000001],
  ['xor #k', [A(0xff), bpf.xor(0x0f)], 0xf0],
  ['xor x', [A(5), X(3), bpf.xorX()], 6],
  ['lsh #k', [A(1), bpf.lsh(31)], 0x80000000],
  ['lsh x', [A(3), X(4), bpf.lshX()], 48],
  ['rsh #k is logical', [A(0x80000000), bpf.rsh(31)], 1],
  ['rsh x', [A(0x80000000), X(4), bpf.rshX()], 0x08000000],
  ['neg', [A(1), bpf.neg()], 0xffffffff],
  ['neg 0', [A(0), bpf.neg()], 0],
  ['tax', [A(9), bpf.tax(), A(0), bpf.txa()], 9],
  ['ja skips', [A(1), bpf.ja(1), A(2)], 1],
  ['ja 0 is a no-op', [A(1), bpf.ja(0), bpf.add(1)], 2],
  ['jeq #k taken', [A(5), bpf.jeq(5, 0, 1), bpf.ret(1), bpf.ret(2)], 1],
  ['jeq #k not taken', [A(6), bpf.jeq(5, 0, 1), bpf.ret(1), bpf.ret(2)], 2],
  ['jeq x', [A(5), X(5), bpf.jeqX(1, 0), bpf.ret(1), bpf.ret(2)], 2],
  ['jgt #k is unsigned', [A(0x80000000), bpf.jgt(1, 0, 1), bpf.ret(1), bpf.ret(2)], 1],
  ['jgt #k equal is false', [A(5), bpf.jgt(5, 0, 1), bpf.ret(1), bpf.ret(2)], 2],
  ['jgt x', [A(6), X(5), bpf.jgtX(0, 1), bpf.ret(1), bpf.ret(2)], 1],
  ['jge #k equal is true', [A(5), bpf.jge(5, 0, 1), bpf.ret(1), bpf.ret(2)], 1],
  ['jge x', [A(4), X(5), bpf.jgeX(0, 1), bpf.ret(1), bpf.ret(2)], 2],
  ['jset #k', [A(0x12), bpf.jset(0x02, 0, 1), bpf.ret(1), bpf.ret(2)], 1],
  ['jset #k none', [A(0x10), bpf.jset(0x01, 0, 1), bpf.ret(1), bpf.ret(2)], 2],
  ['jset x high bit', [A(0x80000000), X(0x80000000), bpf.jsetX(0, 1), bpf.ret(1), bpf.ret(2)], 1],
  ['ret #k', [bpf.ret(0xffffffff)], 0xffffffff],
  ['ret a is unsigned', [A(0xfffffffe)], 0xfffffffe],
];

for (const semantics of ['linux', 'bsd'] as Semantics[]) {
  for (const [name, xs, expected, wire] of COMMON) {
    test(`${semantics}: ${name}`, () => {
      const prog = program([...xs, RET_A]);
      assert.equal(interpret(prog, PACKET, wire ?? PACKET.length, { semantics }), expected);
    });
  }
}

/** [name, instructions (ret a appended), linux result, bsd result, context?] — where the machines differ. */
const DIFFERENT: Array<[string, Instruction[], number, number, AncillaryContext?]> = [
  ['lsh x by 32 or more: Linux takes it mod 32, libpcap gives 0', [A(3), X(33), bpf.lshX()], 6, 0],
  ['rsh x by 32: Linux shifts by 0, libpcap gives 0', [A(8), X(32), bpf.rshX()], 8, 0],
  ['ancillary load: Linux reads the skb, libpcap is out of bounds', [bpf.ldAncillary(SKF_AD_PROTOCOL)], 0x86dd, 0, { protocol: 0x86dd }],
  ['SKF_LL_OFF addresses the link header', [bpf.ldh(-0x200000 + 12)], 0xccdd, 0],
  ['SKF_NET_OFF addresses the network header', [bpf.ldb(-0x100000 + 2)], 0x66, 0, { networkOffset: 4 }],
  ['SKF_NET_OFF without a known network header fails', [A(1), bpf.ldb(-0x100000)], 0, 0],
  ['ldxb with SKF_LL_OFF', [bpf.ldxMsh(-0x200000 + 14), bpf.txa()], 56, 0],
  ['[x + k] wraps at 32 bits in Linux only', [X(0xffffffff), bpf.ldbInd(2)], 0x11, 0],
  ['[x + k] negative reaches SKF_NET_OFF in Linux', [X(0xfff00000), bpf.ldbInd(1)], 0x11, 0, { networkOffset: 0 }],
];
for (const [name, xs, linux, bsd, context] of DIFFERENT) {
  test(`differ: ${name}`, () => {
    const prog = program([...xs, RET_A]);
    assert.equal(interpret(prog, PACKET, PACKET.length, { semantics: 'linux', context }), linux, 'linux');
    assert.equal(interpret(prog, PACKET, PACKET.length, { semantics: 'bsd', context }), bsd, 'bsd');
  });
}

test('the default semantics is Linux', () => {
  const prog = program([bpf.ldAncillary(SKF_AD_MARK), RET_A]);
  assert.equal(interpret(prog, PACKET, undefined, { context: { mark: 77 } }), 77);
});

test('every ancillary field reads its context value, in every load size', () => {
  const context: AncillaryContext = {
    protocol: 0x0800, pktType: 3, ifindex: 42, mark: 0xdeadbeef, queue: 5, hatype: 1, rxhash: 0x12345678,
    cpu: 1, vlanTag: 0x0064, vlanTagPresent: true, vlanTpid: 0x88a8, payOffset: 54, random: () => 0xcafef00d,
  };
  const rows: Array<[number, number]> = [
    [SKF_AD_PROTOCOL, 0x0800], [SKF_AD_PKTTYPE, 3], [SKF_AD_IFINDEX, 42], [SKF_AD_MARK, 0xdeadbeef], [SKF_AD_QUEUE, 5],
    [SKF_AD_HATYPE, 1], [SKF_AD_RXHASH, 0x12345678], [SKF_AD_CPU, 1], [SKF_AD_VLAN_TAG, 0x64], [SKF_AD_VLAN_TAG_PRESENT, 1],
    [SKF_AD_VLAN_TPID, 0x88a8], [SKF_AD_PAY_OFFSET, 54], [SKF_AD_RANDOM, 0xcafef00d],
  ];
  for (const [field, expected] of rows) {
    for (const size of ['w', 'h', 'b'] as const) {
      const prog = program([bpf.ldAncillary(field, size), RET_A]);
      assert.equal(interpret(prog, PACKET, PACKET.length, { context }), expected, `field ${field} size ${size}`);
    }
  }
  assert.equal(interpret(program([bpf.ldAncillary(SKF_AD_VLAN_TAG_PRESENT), RET_A]), PACKET), 0, 'missing context reads 0');
});

test('SKF_AD_ALU_XOR_X computes A ^ X', () => {
  const prog = program([A(0xff00), X(0x0ff0), bpf.ldAncillary(SKF_AD_ALU_XOR_X), RET_A]);
  assert.equal(interpret(prog, PACKET), 0xf0f0);
});

test('SKF_AD_NLATTR and SKF_AD_NLATTR_NEST find netlink attributes as nla_find() does', () => {
  // Attributes from byte 4: {len 8, type 1}, {len 6, type 2 (padded to 8)}, {len 12, type 3 nested: {len 8, type 7}}.
  const bytes = Uint8Array.from([
    0, 0, 0, 0,
    8, 0, 1, 0, 0xaa, 0xbb, 0xcc, 0xdd,
    6, 0, 2, 0, 0x11, 0x22, 0, 0,
    12, 0, 3, 0x80, 8, 0, 7, 0, 1, 2, 3, 4,
  ]);
  const find = (a: number, x: number, nested = false) =>
    interpret(program([A(a), X(x), bpf.ldAncillary(nested ? SKF_AD_NLATTR_NEST : SKF_AD_NLATTR), RET_A]), bytes);
  assert.equal(find(4, 1), 4);
  assert.equal(find(4, 2), 12);
  assert.equal(find(4, 3), 20, 'NLA_F_NESTED is masked off the type');
  assert.equal(find(4, 9), 0, 'absent');
  assert.equal(find(30, 1), 0, 'no room for a header');
  assert.equal(find(20, 7, true), 24, 'inside the nested attribute');
  assert.equal(find(20, 1, true), 0);
});

test('interpretCounted counts executed instructions, the return included', () => {
  const prog = program([bpf.ldh(12), bpf.jeq(0x800, 0, 1), bpf.ret(1), bpf.ret(0)]);
  const ipv4 = new Uint8Array(14); ipv4[12] = 8;
  assert.deepEqual(interpretCounted(prog, ipv4), { result: 1, executed: 3 });
  assert.deepEqual(interpretCounted(prog, new Uint8Array(14)), { result: 0, executed: 3 });
  assert.deepEqual(interpretCounted(prog, new Uint8Array(4)), { result: 0, executed: 1 }, 'an out-of-bounds load ends the run');
  assert.deepEqual(interpretCounted(program([A(1), bpf.ja(1), A(2), RET_A]), PACKET), { result: 1, executed: 3 });
});

test('a program that cannot run throws InterpretError naming the instruction', () => {
  const cases: Array<[Instruction[], number, RegExp]> = [
    [[insn(0x08, 0, 0, 0), RET_A], 0, /opcode 0x08 is not a classic BPF instruction/],
    [[A(1)], 1, /runs past the end/],
    [[bpf.jeq(1, 5, 5), RET_A], 6, /runs past the end/],
    [[bpf.ldMem(16), RET_A], 0, /scratch index 16/],
  ];
  for (const semantics of ['linux', 'bsd'] as Semantics[]) {
    for (const [xs, index, pattern] of cases) {
      assert.throws(() => interpret(program(xs), PACKET, undefined, { semantics }), (e: unknown) => e instanceof InterpretError && e.index === index && pattern.test(e.message));
    }
  }
});

test('BSD semantics: backward jumps run (protochain loops) and an endless loop is stopped', () => {
  const loop = program([A(0), bpf.add(1), bpf.jge(3, 1, 0), bpf.ja(0xfffffffd), RET_A]);
  assert.equal(interpret(loop, PACKET, undefined, { semantics: 'bsd' }), 3);
  assert.throws(() => interpret(loop, PACKET), InterpretError, 'Linux has no backward jumps');
  const endless = program([bpf.ja(0xffffffff), RET_A]);
  assert.throws(() => interpret(endless, PACKET, undefined, { semantics: 'bsd' }), /does not terminate/);
});

test('an empty packet and a zero wire length are fine', () => {
  assert.equal(interpret(program([bpf.ldLen(), RET_A]), new Uint8Array(0), 0), 0);
  assert.equal(interpret(program([bpf.ldb(0), bpf.ret(1)]), new Uint8Array(0)), 0);
});
