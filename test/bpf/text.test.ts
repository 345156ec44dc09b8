/**
 * Text formats: -d lines against libpcap's own bpf_image() for every opcode,
 * round trips in every format, and the assembler's errors (line, column, the
 * offending token) for bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insn, program, programsEqual, ProgramError, type Instruction } from '../../src/bpf/program.js';
import { assemble, detectTextFormat, disassemble, TEXT_FORMATS } from '../../src/bpf/text.js';
import { AssembleError } from '../../src/bpf/assemble-error.js';
import { canonical } from '../../src/bpf/canonical.js';
import { bpf } from '../../src/bpf/builders.js';
import { Oracle } from '../oracle/oracle.js';
import { Rng, randomProgram } from './random-program.js';

test('-d lines equal libpcap bpf_image() for every 8-bit opcode, odd k values and ancillary offsets', async () => {
  const oracle = await Oracle.start();
  try {
    const rng = new Rng(9);
    const ks = [0, 1, 5, 12, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffff000, 0xfffff004, 0xfffff028, 0xfffff038, 0xfffff03c, 0xfffff040, 0xfffff001, 0xfff00000, 0xffe00000];
    for (let round = 0; round < 6; round++) {
      const xs: Instruction[] = [];
      for (let code = 0; code < 0x100; code++) {
        xs.push(insn(code, rng.int(256), rng.int(256), round < ks.length / 3 ? ks[(code + round) % ks.length] : rng.next32()));
      }
      for (let i = 0; i < 16; i++) xs.push(insn(0x20 + 8 * rng.int(3), 0, 0, 0xfffff000 + 4 * i));
      xs.push(insn(0x105, 1, 2, 3), insn(0x115, 1, 2, 3), insn(0xffff, 0, 0, 0));
      const prog = program(xs);
      const theirs = await oracle.image(prog);
      const ours = disassemble(prog, 'd').split('\n').slice(0, -1);
      assert.equal(ours.length, theirs.length);
      ours.forEach((line, i) => assert.equal(line, theirs[i], `instruction ${i} (code 0x${xs[i].code.toString(16)}, k ${xs[i].k})`));
    }
  } finally {
    oracle.close();
  }
});

test('-dd and -ddd print as tcpdump does', () => {
  const prog = program([bpf.ldh(12), bpf.jeq(0x800, 0, 1), bpf.ret(262144), bpf.ret(0)]);
  assert.equal(disassemble(prog, 'dd'), '{ 0x28, 0, 0, 0x0000000c },\n{ 0x15, 0, 1, 0x00000800 },\n{ 0x6, 0, 0, 0x00040000 },\n{ 0x6, 0, 0, 0x00000000 },\n');
  assert.equal(disassemble(prog, 'ddd'), '4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n');
});

test('print then parse gives back the same program, in every format, for random programs', () => {
  const rng = new Rng(31337);
  for (let n = 0; n < 2000; n++) {
    const prog = randomProgram(rng, { linuxLoads: n % 2 === 0 });
    for (const format of TEXT_FORMATS) {
      const text = disassemble(prog, format);
      assert.equal(detectTextFormat(text), format);
      const back = assemble(text);
      assert.ok(programsEqual(back, prog), `program ${n}, format ${format}:\n${text}`);
      assert.ok(programsEqual(assemble(text, format), prog));
    }
  }
});

test('-d and bpf_asm round-trip to the canonical form when ignored fields hold junk', () => {
  const prog = program([insn(0x07, 3, 4, 5), insn(0x0c, 0, 0, 9), insn(0x16, 1, 1, 7)]);
  for (const format of ['d', 'asm'] as const) assert.ok(programsEqual(assemble(disassemble(prog, format)), canonical(prog)), format);
  for (const format of ['dd', 'ddd'] as const) assert.ok(programsEqual(assemble(disassemble(prog, format)), prog), format);
});

test('bpf_asm: mnemonics, extensions, labels, comments and jump forms', () => {
  const text = `
# a comment line in bpf_asm style
/* and a C comment */
start:  ldh [12]              ; Ethernet type
        jneq #0x800, drop
        ldb [23]
        jeq #6, tcp, drop
tcp:    ldxb 4*([14]&0xf)
        ldh [x + 16]
        jlt #1024, drop
        jle #2048, keep
        ld #len
        jgt #100, keep, drop
keep:   ld #proto
        ldh vlan_tci
        ldb #rand
        ld M[0]
drop:   ret #0
`;
  const asText = assemble(text.replace('ld M[0]', 'st M[0]'));
  assert.deepEqual(asText.map((x) => [x.code, x.jt, x.jf, x.k]), [
    [0x28, 0, 0, 12], [0x15, 0, 12, 0x800], [0x30, 0, 0, 23], [0x15, 0, 10, 6], [0xb1, 0, 0, 14], [0x48, 0, 0, 16],
    [0x35, 0, 7, 1024], [0x25, 0, 2, 2048], [0x80, 0, 0, 0], [0x25, 0, 4, 100], [0x20, 0, 0, 0xfffff000],
    [0x28, 0, 0, 0xfffff02c], [0x30, 0, 0, 0xfffff038], [0x02, 0, 0, 0], [0x06, 0, 0, 0],
  ]);
  const forms = assemble('ldi #1\nldxi 2\nldx #len\nldx M[3]\nldx 4*([9]&0xf)\nld [%x + 3]\nadd %x\nsub #0b101\nmul #010\ndiv x\nmod #3\nand #0xff\nor x\nxor #1\nlsh #2\nrsh x\nneg\ntax\ntxa\nstx M[2]\njmp end\nja end\njset x, end\nend: ret a\nret %x\nret #-1');
  assert.deepEqual(forms.map((x) => [x.code, x.k]), [
    [0x00, 1], [0x01, 2], [0x81, 0], [0x61, 3], [0xb1, 9], [0x40, 3], [0x0c, 0], [0x14, 5], [0x24, 8], [0x3c, 0], [0x94, 3],
    [0x54, 0xff], [0x4c, 0], [0xa4, 1], [0x64, 2], [0x7c, 0], [0x84, 0], [0x07, 0], [0x87, 0], [0x03, 2], [0x05, 2], [0x05, 1],
    [0x4d, 0], [0x16, 0], [0x0e, 0], [0x06, 0xffffffff],
  ]);
  assert.equal(forms[22].jt, 0);
  assert.ok(programsEqual(assemble('LDH [12]\nRET #1'), assemble('ldh [12]\nret #1')), 'case-insensitive mnemonics');
  assert.ok(programsEqual(assemble('ldh [12] ret #1'), assemble('ldh [12]\nret #1')), 'newlines are whitespace, as in bpf_asm');
});

test('the comma one-liner of bpf_asm and xt_bpf reads as -ddd', () => {
  const prog = assemble('4,40 0 0 12,21 0 1 2048,6 0 0 65535,6 0 0 0,');
  assert.equal(disassemble(prog, 'ddd'), '4\n40 0 0 12\n21 0 1 2048\n6 0 0 65535\n6 0 0 0\n');
});

/** [what, text, line, column, message pattern] */
const BAD_TEXT: Array<[string, string, number, number, RegExp]> = [
  ['empty input', '', 1, 1, /empty input/],
  ['only comments', '; nothing here\n/* none */\n', 1, 1, /empty input/],
  ['blank lines', '\n  \n', 1, 1, /empty input/],
  ['bad mnemonic', 'ldh [12]\n  lda #1\nret #0', 2, 3, /unknown mnemonic 'lda'/],
  ['garbage number', 'ld #12zz\nret a', 1, 5, /bad number '12zz'/],
  ['number too big', 'ret #4294967296', 1, 6, /bad number '4294967296'/],
  ['undefined label', 'jeq #1, nowhere\nret #0', 1, 9, /no such label 'nowhere'/],
  ['label twice', 'a1: ret #0\na1: ret #1', 2, 1, /label 'a1' is defined twice/],
  ['jump out of range', `jeq #1, far\n${'ld #0\n'.repeat(300)}far: ret #0`, 1, 9, /out of range/],
  ['missing operand', 'add\nret a', 2, 1, /expected '#number' or 'x' after 'add' but found 'ret'/],
  ['unclosed bracket', 'ldh [12\nret a', 2, 1, /expected '\]'/],
  ['bad character', 'ld #1 @\nret a', 1, 7, /unexpected character '@'/],
  ['msh other than 4*', 'ldxb 3*([14]&0xf)\nret a', 1, 6, /only '4\*\(\[k\]&0xf\)'/],
  ['label with nothing', 'ret #0\nend:', 2, 1, /labels no instruction/],
  ['unterminated comment', 'ret #0 /* oops', 1, 8, /unterminated comment/],
  ['-d: bad mnemonic', '(000) ldq      [12]\n', 1, 7, /unknown mnemonic 'ldq'/],
  ['-d: bad operand', '(000) ldh      [1x2]\n', 1, 16, /bad operand '\[1x2\]'/],
  ['-d: numbering', '(000) ret      #0\n(002) ret      #0\n', 2, 1, /should be \(001\)/],
  ['-d: jump out of range', '(000) jeq      #0x1             jt 1\tjf 400\n', 1, 41, /false branch target '400' is out of range/],
  ['-d: jump missing targets', '(000) jeq      #0x1\n', 1, 16, /needs 'jt N jf M'/],
  ['-dd: garbage', '{ 0x28, 0, 0, 0x0000000c },\n{ 0x15, zero, 1, 0x800 },\n', 2, 9, /bad jt 'zero'/],
  ['-dd: opcode too big', '{ 0x10000, 0, 0, 0 },\n', 1, 3, /bad opcode '0x10000'/],
  ['-dd: shape', '{ 0x28, 0, 0 },\n', 1, 1, /expected '\{ code, jt, jf, k \},'/],
  ['-ddd: count mismatch', '3\n6 0 0 1\n6 0 0 2\n', 3, 1, /says 3 instructions but 2 follow/],
  ['-ddd: jt too big', '1\n21 256 0 1\n', 2, 4, /bad jt '256'/],
  ['-ddd: shape', '1\n6 0 0\n', 2, 1, /expected 'code jt jf k'/],
];

for (const [what, text, line, column, pattern] of BAD_TEXT) {
  test(`assemble refuses ${what} with line and column`, () => {
    assert.throws(() => assemble(text), (e: unknown) => {
      assert.ok(e instanceof AssembleError, `AssembleError, got ${String(e)}`);
      assert.match(e.message, pattern);
      assert.deepEqual([e.line, e.column], [line, column], e.message);
      return true;
    });
  });
}

test('more than 4096 instructions is refused in every format, at the 4097th', () => {
  const prog = Array.from({ length: 5000 }, () => bpf.ret(1));
  const texts: Array<[string, number]> = [
    ['ret #1\n'.repeat(5000), 4097],
    [prog.map((x) => `{ 0x${x.code.toString(16)}, 0, 0, 0x00000001 },\n`).join(''), 4097],
    ['5000\n' + '6 0 0 1\n'.repeat(5000), 4098],
    [prog.map((_, i) => `(${String(i).padStart(3, '0')}) ret      #1\n`).join(''), 4097],
  ];
  for (const [text, line] of texts) {
    assert.throws(() => assemble(text), (e: unknown) => e instanceof AssembleError && e.line === line && /more than 4096/.test(e.message));
  }
});

test('what bpf_asm cannot say is a ProgramError naming the instruction', () => {
  assert.throws(() => disassemble(program([insn(0x08, 0, 0, 0)]), 'asm'), (e: unknown) => e instanceof ProgramError && e.index === 0 && /no bpf_asm mnemonic/.test(e.message));
  assert.throws(() => disassemble(program([bpf.jeq(1, 5, 0), bpf.ret(0)]), 'asm'), (e: unknown) => e instanceof ProgramError && /outside the program/.test(e.message));
});
