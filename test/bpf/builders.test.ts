/**
 * The builders make the instructions their names say: each one printed as
 * `tcpdump -d` would, and parsed back from its bpf_asm spelling.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bpf } from '../../src/bpf/builders.js';
import { instructionImage } from '../../src/bpf/image.js';
import { assemble } from '../../src/bpf/text.js';
import { SKF_AD_PROTOCOL, SKF_AD_VLAN_TAG } from '../../src/bpf/opcodes.js';
import type { Instruction } from '../../src/bpf/program.js';

/** [instruction, its -d operand text, its bpf_asm spelling (jumps excluded)] */
const ROWS: Array<[Instruction, string, string?]> = [
  [bpf.ld(12), 'ld       [12]', 'ld [12]'], [bpf.ldh(12), 'ldh      [12]', 'ldh [12]'], [bpf.ldb(23), 'ldb      [23]', 'ldb [23]'],
  [bpf.ldInd(2), 'ld       [x + 2]', 'ld [x + 2]'], [bpf.ldhInd(2), 'ldh      [x + 2]', 'ldh [x+2]'], [bpf.ldbInd(2), 'ldb      [x + 2]', 'ldb [%x + 2]'],
  [bpf.ldImm(255), 'ld       #0xff', 'ld #255'], [bpf.ldxImm(1), 'ldx      #0x1', 'ldx #1'],
  [bpf.ldLen(), 'ld       #pktlen', 'ld #len'], [bpf.ldxLen(), 'unimp    0x81', 'ldx len'],
  [bpf.ldMem(3), 'ld       M[3]', 'ld M[3]'], [bpf.ldxMem(4), 'ldx      M[4]', 'ldx M[4]'],
  [bpf.ldxMsh(14), 'ldxb     4*([14]&0xf)', 'ldxb 4*([14]&0xf)'],
  [bpf.ldAncillary(SKF_AD_PROTOCOL), 'ld       [proto]', 'ld #proto'], [bpf.ldAncillary(SKF_AD_VLAN_TAG, 'h'), 'ldh      [vlan_tci]', 'ldh vlan_tci'],
  [bpf.st(1), 'st       M[1]', 'st M[1]'], [bpf.stx(2), 'stx      M[2]', 'stx M[2]'],
  [bpf.add(1), 'add      #1', 'add #1'], [bpf.addX(), 'add      x', 'add x'], [bpf.sub(1), 'sub      #1', 'sub #1'], [bpf.subX(), 'sub      x', 'sub x'],
  [bpf.mul(3), 'mul      #3', 'mul #3'], [bpf.mulX(), 'mul      x', 'mul x'], [bpf.div(3), 'div      #3', 'div #3'], [bpf.divX(), 'div      x', 'div x'],
  [bpf.mod(3), 'mod      #3', 'mod #3'], [bpf.modX(), 'mod      x', 'mod x'], [bpf.and(0xf), 'and      #0xf', 'and #0xf'], [bpf.andX(), 'and      x', 'and x'],
  [bpf.or(0xf), 'or       #0xf', 'or #15'], [bpf.orX(), 'or       x', 'or x'], [bpf.xor(1), 'xor      #0x1', 'xor #1'], [bpf.xorX(), 'xor      x', 'xor x'],
  [bpf.lsh(2), 'lsh      #2', 'lsh #2'], [bpf.lshX(), 'lsh      x', 'lsh x'], [bpf.rsh(2), 'rsh      #2', 'rsh #2'], [bpf.rshX(), 'rsh      x', 'rsh x'],
  [bpf.neg(), 'neg      ', 'neg'], [bpf.tax(), 'tax      ', 'tax'], [bpf.txa(), 'txa      ', 'txa'],
  [bpf.ret(0xffff), 'ret      #65535', 'ret #65535'], [bpf.retA(), 'ret      ', 'ret a'],
  [bpf.ja(0), 'ja       1'],
  [bpf.jeq(0x800, 0, 1), 'jeq      #0x800           jt 1\tjf 2'], [bpf.jeqX(1, 0), 'jeq      x                jt 2\tjf 1'],
  [bpf.jgt(5, 0, 0), 'jgt      #0x5             jt 1\tjf 1'], [bpf.jgtX(0, 0), 'jgt      x                jt 1\tjf 1'],
  [bpf.jge(5, 0, 0), 'jge      #0x5             jt 1\tjf 1'], [bpf.jgeX(0, 0), 'jge      x                jt 1\tjf 1'],
  [bpf.jset(5, 0, 0), 'jset     #0x5             jt 1\tjf 1'], [bpf.jsetX(0, 0), 'jset     x                jt 1\tjf 1'],
];

for (const [x, image, asm] of ROWS) {
  test(`builder for ${image.split(/\s+/)[0]} ${image.split(/\s+/)[1] ?? ''}`, () => {
    assert.equal(instructionImage(x, 0), `(000) ${image}`);
    assert.ok(Object.isFrozen(x));
    if (asm) assert.deepEqual({ ...assemble(asm, 'asm')[0] }, { ...x });
  });
}
