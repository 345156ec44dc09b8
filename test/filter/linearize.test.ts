/**
 * Layout: long programs need `ja` trampolines for jumps over 255
 * instructions; every compiled program must pass libpcap's bpf_validate and
 * our verifier, and still agree with libpcap packet for packet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BPF_JA, BPF_JMP } from '../../src/bpf/opcodes.js';
import { verify } from '../../src/bpf/verifier.js';
import { corpus } from '../../src/craft/index.js';
import { buildCfg, compile, dumpCfg } from '../../src/filter/index.js';
import { Oracle } from '../oracle/oracle.js';
import { differ } from './differential.js';

const LONG_EXPRESSION = Array.from({ length: 24 }, (_, i) => `port ${20 + i}`).join(' or ') + ' or ' +
  Array.from({ length: 12 }, (_, i) => `host 10.0.0.${i + 1}`).join(' or ');

test('jumps farther than 255 instructions go through ja, and the program still agrees with libpcap', async () => {
  const prog = compile(LONG_EXPRESSION, { optimize: false });
  assert.ok(prog.length > 600, `expected a long program, got ${prog.length}`);
  assert.ok(prog.some((x) => x.code === (BPF_JMP | BPF_JA)), 'expected at least one ja');
  verify(prog);
  const oracle = await Oracle.start();
  try {
    assert.equal(await oracle.validate(prog), true);
    const packets = corpus({ linkType: 1, count: 800, seed: 99, malformed: 0.1, describe: false });
    const d = await differ(oracle, LONG_EXPRESSION, 1, packets);
    assert.equal(d.kind, 'agree', JSON.stringify(d).slice(0, 300));
  } finally {
    oracle.close();
  }
});

test('every jump in a compiled program goes forward and lands inside it', () => {
  for (const e of ['tcp port 80', 'vlan 10 and ip6 and udp', 'not (arp or rarp) and len > 60', 'ether host 02:00:00:00:00:01 or ip6 net fe80::/10']) {
    const prog = compile(e, { optimize: false });
    verify(prog);
    prog.forEach((x, i) => {
      if ((x.code & 0x07) === BPF_JMP && (x.code & 0xf0) !== BPF_JA) {
        assert.ok(i + 1 + x.jt < prog.length && i + 1 + x.jf < prog.length, `${e}: instruction ${i} jumps out`);
      }
    });
    assert.equal(prog[prog.length - 1].code & 0x07, 0x06, `${e}: must end with a return`);
  }
});

test('the CFG dump names blocks and their successors', () => {
  const text = dumpCfg(buildCfg('ip or arp'));
  assert.match(text, /^B0: ldh \[12\]\n {4}jeq #0x800 -> B\d+ : B\d+/);
  assert.match(text, /ret #262144/);
  assert.match(text, /ret #0/);
});
