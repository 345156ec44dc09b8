import { test } from 'node:test';
import assert from 'node:assert/strict';
import { disassembleEbpf, formatEbpfInstruction, parseEbpf, parseEbpfInstruction, EbpfParseError } from '../../src/ebpf/text.js';
import { ebpfFromBytes, ebpfInsn, ebpfToBytes, ldImm64, ldMapFd, type EbpfInstruction } from '../../src/ebpf/insn.js';
import { translate } from '../../src/ebpf/translate.js';
import { seeded, randomValidProgram } from '../bpf/jit-random.js';
import { targetOptions } from './differential.js';

// Each line as the kernel's verifier log prints it (kernel/bpf/disasm.c), with its encoding.
const LINES: Array<[string, number, number, number, number, number]> = [
  ['r0 = *(u16 *)(r1 +12)', 0x69, 0, 1, 12, 0],
  ['r2 = *(u32 *)(r10 -4)', 0x61, 2, 10, -4, 0],
  ['r3 = *(u8 *)(r8 +0)', 0x71, 3, 8, 0, 0],
  ['r1 = *(u64 *)(r0 +0)', 0x79, 1, 0, 0, 0],
  ['r1 = *(s16 *)(r2 +6)', 0x89, 1, 2, 6, 0],
  ['*(u32 *)(r10 -4) = r0', 0x63, 10, 0, -4, 0],
  ['*(u64 *)(r0 +0) = r1', 0x7b, 0, 1, 0, 0],
  ['*(u32 *)(r10 -68) = 1', 0x62, 10, 0, -68, 1],
  ['r0 = *(u8 *)skb[23]', 0x30, 0, 0, 0, 23],
  ['r0 = *(u32 *)skb[-2097152]', 0x20, 0, 0, 0, -2097152],
  ['r0 = *(u16 *)skb[r7 + 14]', 0x48, 0, 7, 0, 14],
  ['if r0 != 0x800 goto pc+3', 0x55, 0, 0, 3, 0x800],
  ['if w0 > 0xffffffff goto pc-2', 0x26, 0, 0, -2, -1],
  ['if w0 & w7 goto pc+1', 0x4e, 0, 7, 1, 0],
  ['if r1 > r9 goto pc+12', 0x2d, 1, 9, 12, 0],
  ['if r2 s>= 0x5 goto pc+0', 0x75, 2, 0, 0, 5],
  ['if w3 s< w4 goto pc+7', 0xce, 3, 4, 7, 0],
  ['if w0 <= 0x7f goto pc+1', 0xb6, 0, 0, 1, 0x7f],
  ['goto pc+4', 0x05, 0, 0, 4, 0],
  ['goto pc-1', 0x05, 0, 0, -1, 0],
  ['exit', 0x95, 0, 0, 0, 0],
  ['call bpf_map_lookup_elem#1', 0x85, 0, 0, 0, 1],
  ['call bpf_get_smp_processor_id#8', 0x85, 0, 0, 0, 8],
  ['r6 = r1', 0xbf, 6, 1, 0, 0],
  ['w0 = 65535', 0xb4, 0, 0, 0, 65535],
  ['r0 = -1', 0xb7, 0, 0, 0, -1],
  ['w0 += w7', 0x0c, 0, 7, 0, 0],
  ['r2 += -68', 0x07, 2, 0, 0, -68],
  ['w0 &= 15', 0x54, 0, 0, 0, 15],
  ['w0 <<= 2', 0x64, 0, 0, 0, 2],
  ['w0 >>= w7', 0x7c, 0, 7, 0, 0],
  ['r1 s>>= 3', 0xc7, 1, 0, 0, 3],
  ['w0 /= w7', 0x3c, 0, 7, 0, 0],
  ['w0 %= 10', 0x94, 0, 0, 0, 10],
  ['r0 s/= r1', 0x3f, 0, 1, 1, 0],
  ['w0 ^= w7', 0xac, 0, 7, 0, 0],
  ['w0 = -w0', 0x84, 0, 0, 0, 0],
  ['r0 = be16 r0', 0xdc, 0, 0, 0, 16],
  ['r5 = le32 r5', 0xd4, 5, 0, 0, 32],
  ['r0 = bswap64 r0', 0xd7, 0, 0, 0, 64],
  ['r0 = (s8)r1', 0xbf, 0, 1, 8, 0],
];

test('every verifier-log instruction form parses to its encoding and prints back the same', () => {
  for (const [text, code, dst, src, off, imm] of LINES) {
    const [x] = parseEbpfInstruction(text);
    assert.deepEqual({ ...x }, { code, dst, src, off, imm }, text);
    assert.equal(formatEbpfInstruction([x], 0), text);
  }
});

test('ld_imm64 takes two slots and one line, plain and map forms', () => {
  const prog = [...ldImm64(1, 0x1122334455667788n), ...ldMapFd(2, 7), ebpfInsn(0x95, 0, 0, 0, 0)];
  const text = disassembleEbpf(prog);
  assert.equal(text, '0: (18) r1 = 0x1122334455667788\n2: (18) r2 = map[fd:7]\n4: (95) exit');
  assert.deepEqual(parseEbpf(text), prog);
  assert.deepEqual(parseEbpfInstruction('r3 = 5 ll'), ldImm64(3, 5n));
});

test('translated programs survive disassemble → parse and bytes → program unchanged', () => {
  const r = seeded(5);
  let checked = 0;
  for (let n = 0; n < 200; n++) {
    const prog = randomValidProgram(r, 'linux', 40);
    for (const target of ['socket', 'xdp'] as const) {
      let insns: readonly EbpfInstruction[];
      try { insns = translate(prog, { ...targetOptions(target), ...(target === 'xdp' ? { countersFd: 9 } : {}) } as never); } catch { continue; }
      assert.deepEqual(parseEbpf(disassembleEbpf(insns)), insns);
      assert.deepEqual(ebpfFromBytes(ebpfToBytes(insns)), insns);
      checked++;
    }
  }
  assert.ok(checked > 300, `only ${checked} programs checked`);
});

test('a verifier log reads back leniently: state after ";" and non-instruction lines are skipped', () => {
  const log = [
    'func#0 @0',
    '0: R1=ctx() R10=fp0',
    '0: (bf) r6 = r1                       ; R1=ctx() R6_w=ctx()',
    '1: (b4) w0 = 0                        ; R0_w=0',
    '2: (95) exit',
    'processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  ].join('\n');
  assert.equal(disassembleEbpf(parseEbpf(log, { lenient: true }), { index: false }), 'r6 = r1\nw0 = 0\nexit');
});

test('text that is not an instruction is refused with its line number', () => {
  assert.throws(() => parseEbpf('r0 = 1\nr0 = frobnicate r1\nexit'), (e: unknown) => e instanceof EbpfParseError && e.line === 2 && /frobnicate/.test(e.message));
  assert.throws(() => parseEbpf('if r0 ?? 3 goto pc+1'), EbpfParseError);
  assert.throws(() => parseEbpf('r16 = r1'), /register 16/);
});

test('binary layout is struct bpf_insn: dst in the low nibble, little-endian off and imm', () => {
  const bytes = ebpfToBytes([ebpfInsn(0x61, 2, 10, -4, 0x01020304)]);
  assert.deepEqual([...bytes], [0x61, 0xa2, 0xfc, 0xff, 0x04, 0x03, 0x02, 0x01]);
  assert.throws(() => ebpfFromBytes(new Uint8Array(7)), /not a multiple of 8/);
});
