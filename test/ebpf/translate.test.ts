import { test } from 'node:test';
import assert from 'node:assert/strict';
import { program, insn, type Program } from '../../src/bpf/program.js';
import { SKF_AD_OFF, SKF_AD_HATYPE, SKF_AD_PROTOCOL, SKF_AD_IFINDEX } from '../../src/bpf/opcodes.js';
import { translate, TranslateError } from '../../src/ebpf/translate.js';
import { runEbpf } from '../../src/ebpf/interpreter.js';
import { disassembleEbpf } from '../../src/ebpf/text.js';
import { Oracle } from '../oracle/oracle.js';
import { seeded, randomValidProgram, randomPacket, randomContext } from '../bpf/jit-random.js';
import { ethernetFrames } from './packets.js';
import { compiledPrograms, FIXED_EXPRESSIONS, sampleExpressions } from './expressions.js';
import { expected, targetOptions, type Target } from './differential.js';

const LONG = !!process.env.BPFKIT_LONG;
const TARGETS: Target[] = ['socket', 'xdp'];
// Ancillary fields with no eBPF equivalent in each context: the only reason a valid Program may not translate.
const UNTRANSLATABLE = /ancillary load '(hatype|nla|nlan|poff|proto|type|mark|rxhash|vlan_tci|vlanp|vlan_tpid)'/;

for (const target of TARGETS) {
  test(`random Programs: the ${target} translation run by the eBPF interpreter agrees with the classic interpreter`, (t) => {
    const r = seeded(target === 'socket' ? 901 : 902);
    const programs = LONG ? 5000 : 500;
    let runs = 0, untranslatable = 0;
    const disagreements: string[] = [];
    for (let n = 0; n < programs; n++) {
      const prog = randomValidProgram(r, 'linux', 40);
      let insns;
      try {
        insns = translate(prog, targetOptions(target));
      } catch (e) {
        assert.ok(e instanceof TranslateError, String(e));
        assert.match(e.message, UNTRANSLATABLE);
        untranslatable++;
        continue;
      }
      for (let p = 0; p < 12; p++) {
        const { data, wireLength } = randomPacket(r);
        const ctx = randomContext(r, n);
        const want = expected(prog, target, data, wireLength, { ...ctx, random: seeded(n) });
        const got = runEbpf(insns, data, { context: target, wireLength, skb: { ...ctx, random: seeded(n) }, xdp: { ifindex: ctx.ifindex, rxQueue: ctx.queue } });
        runs++;
        if (got !== want && disagreements.length < 3) disagreements.push(`program ${JSON.stringify(prog)} packet ${Buffer.from(data).toString('hex')}: classic ${want}, eBPF ${got}\n${disassembleEbpf(insns)}`);
      }
    }
    t.diagnostic(`${programs} random Programs (${untranslatable} refused for ancillary data the context lacks), ${runs} runs`);
    assert.deepEqual(disagreements, []);
    assert.ok(runs > programs * 12 * 0.8, `only ${runs} runs (${untranslatable} Programs untranslatable)`);
  });
}

test('compiled expressions (bpfkit and libpcap): both translations agree with the classic Program over the frames', async (t) => {
  const oracle = await Oracle.start();
  try {
    const expressions = [...FIXED_EXPRESSIONS, ...sampleExpressions(LONG ? 1000 : 60, 31)];
    const programs = await compiledPrograms(oracle, expressions);
    const frames = ethernetFrames(LONG ? 1000 : 200, 11);
    let runs = 0;
    for (const { label, prog } of programs) {
      for (const target of TARGETS) {
        const insns = translate(prog, targetOptions(target));
        for (const f of frames) {
          const want = expected(prog, target, f.data, f.wireLength);
          const got = runEbpf(insns, f.data, { context: target, wireLength: f.wireLength });
          runs++;
          if (got !== want) assert.fail(`${label} (${target}) on ${Buffer.from(f.data).toString('hex')}: classic ${want}, eBPF ${got}`);
        }
      }
    }
    t.diagnostic(`${expressions.length} expressions → ${programs.length} Programs × 2 targets × ${frames.length} frames = ${runs} runs`);
    assert.equal(runs, programs.length * 2 * frames.length);
    assert.ok(programs.length > expressions.length * 1.8, `only ${programs.length} Programs from ${expressions.length} expressions`);
  } finally {
    oracle.close();
  }
});

test('XDP translations read the packet directly: no LD_ABS or LD_IND (the kernel verifier checks the bounds, see kernel.test)', () => {
  const r = seeded(77);
  for (let n = 0; n < 100; n++) {
    const prog = randomValidProgram(r, 'linux', 30);
    let insns;
    try { insns = translate(prog, targetOptions('xdp')); } catch { continue; }
    for (const x of insns) {
      const cls = x.code & 7, mode = x.code & 0xe0;
      assert.ok(!(cls === 0 && (mode === 0x20 || mode === 0x40)), 'XDP program contains LD_ABS/LD_IND');
    }
  }
});

test('translation refuses what a target cannot express, naming the classic instruction', () => {
  const ld = (field: number) => insn(0x20, 0, 0, (SKF_AD_OFF + field) >>> 0);
  const ret = insn(0x16, 0, 0, 0);
  const cases: Array<[Program, Target, RegExp]> = [
    [program([ld(SKF_AD_HATYPE), ret]), 'socket', /instruction 0: ancillary load 'hatype'/],
    [program([ld(SKF_AD_PROTOCOL), ret]), 'xdp', /instruction 0: ancillary load 'proto' has no equivalent in XDP/],
    [program([insn(0x00, 0, 0, 1), insn(0x61, 0, 0, 16), ret]), 'socket', /instruction 1: scratch memory index 16/],
    [program([insn(0x00, 0, 0, 1)]), 'xdp', /instruction 0: execution falls off the end/],
    [program([insn(0x15, 5, 0, 1), ret]), 'socket', /instruction 0: jump to 6, past the end/],
    [program([insn(0x64, 0, 0, 40), ret]), 'socket', /instruction 0: shift by 40/],
    [program([]), 'socket', /empty/],
  ];
  for (const [prog, target, message] of cases) {
    assert.throws(() => translate(prog, targetOptions(target)), (e: unknown) => e instanceof TranslateError && message.test(e.message));
  }
  // What each context does have translates.
  assert.doesNotThrow(() => translate(program([ld(SKF_AD_IFINDEX), ret]), targetOptions('xdp')));
  assert.doesNotThrow(() => translate(program([ld(SKF_AD_PROTOCOL), ret]), targetOptions('socket')));
});

test('the socket translation keeps the kernel register convention: A in r0, X in r7, context in r6', () => {
  const prog = program([insn(0x28, 0, 0, 12), insn(0x15, 0, 1, 0x800), insn(0x06, 0, 0, 0xffff), insn(0x06, 0, 0, 0)]);
  assert.equal(disassembleEbpf(translate(prog, { target: 'socket' })), [
    '0: (bf) r6 = r1',
    '1: (b4) w0 = 0',
    '2: (b4) w7 = 0',
    '3: (28) r0 = *(u16 *)skb[12]',
    '4: (56) if w0 != 0x800 goto pc+2',
    '5: (b4) w0 = 65535',
    '6: (95) exit',
    '7: (b4) w0 = 0',
    '8: (95) exit',
  ].join('\n'));
});
