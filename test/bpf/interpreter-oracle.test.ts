/**
 * The interpreter against libpcap's bpf_filter(), through the oracle: random
 * verified Programs over random and truncated packets must return exactly
 * what libpcap returns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Oracle } from '../oracle/oracle.js';
import { interpret } from '../../src/bpf/interpreter.js';
import { verify } from '../../src/bpf/verifier.js';
import { disassemble } from '../../src/bpf/text.js';
import { Rng, randomPacket, randomProgram, NON_ANCILLARY_OPCODES } from './random-program.js';

const LONG = Boolean(process.env.BPFKIT_LONG);
const PROGRAMS = LONG ? 100_000 : 10_000;
const PACKETS_PER_PROGRAM = 8;

test(`${PROGRAMS} random programs run exactly as libpcap's bpf_filter()`, async () => {
  const oracle = await Oracle.start();
  try {
    const rng = new Rng(0x5eed);
    const seen = new Set<number>();
    let accepted = 0;
    for (let n = 0; n < PROGRAMS; n++) {
      const prog = randomProgram(rng);
      verify(prog);
      for (const x of prog) seen.add(x.code);
      const packets = Array.from({ length: PACKETS_PER_PROGRAM }, () => randomPacket(rng));
      const expected = await oracle.run(prog, packets);
      accepted += expected.filter((r) => r !== 0).length;
      packets.forEach((p, i) => {
        const got = interpret(prog, p.data, p.wireLength, { semantics: 'bsd' });
        if (got !== expected[i]) {
          assert.fail(`program ${n}, packet ${i} (${Buffer.from(p.data).toString('hex')}, wire ${p.wireLength}): ours ${got}, libpcap ${expected[i]}\n${disassemble(prog, 'd')}`);
        }
      });
    }
    const runs = PROGRAMS * PACKETS_PER_PROGRAM;
    assert.ok(accepted > runs / 5 && accepted < runs * 0.8, `a useful mix of results (${accepted} of ${runs} non-zero)`);
    for (const code of NON_ANCILLARY_OPCODES) assert.ok(seen.has(code), `opcode 0x${code.toString(16)} never generated`);
  } finally {
    oracle.close();
  }
});
