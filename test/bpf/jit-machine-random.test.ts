/**
 * The JIT against the interpreter on the machine's own random Programs
 * (test/bpf/random-program.ts), Linux loads included: 100,000 Programs under
 * BPFKIT_LONG, a few thousand by default.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, randomPacket, randomProgram } from './random-program.js';
import { jit, jitBatchSelect } from '../../src/bpf/jit.js';
import { interpret } from '../../src/bpf/interpreter.js';
import { isValid } from '../../src/bpf/verifier.js';
import { batchOf } from '../../src/bpf/batch.js';
import { disassemble } from '../../src/bpf/text.js';

const LONG = Boolean(process.env.BPFKIT_LONG);
const PROGRAMS = LONG ? 100_000 : 4_000;

for (const semantics of ['linux', 'bsd'] as const) {
  test(`${PROGRAMS} of the machine's random Programs: JIT = interpreter (${semantics})`, () => {
    const rng = new Rng(semantics === 'linux' ? 0x717 : 0xb5d);
    let checked = 0;
    for (let n = 0; n < PROGRAMS; n++) {
      const prog = randomProgram(rng, { linuxLoads: semantics === 'linux', maxLength: n % 100 === 0 ? 400 : 48 });
      // 10 packets: one turn of the batch loop unrolled by 8, and two after it.
      const packets = Array.from({ length: 10 }, () => randomPacket(rng));
      if (!isValid(prog, { mode: semantics })) continue;
      const context = { networkOffset: 14, protocol: 0x800, mark: 7, random: () => 12345 };
      const f = jit(prog, { semantics });
      const want = packets.map((p) => interpret(prog, p.data, p.wireLength, { semantics, context }));
      packets.forEach((p, i) => {
        const got = f(p.data, p.wireLength, context);
        if (got !== want[i]) assert.fail(`program ${n}, packet ${i} (${Buffer.from(p.data).toString('hex')}, wire ${p.wireLength}): jit ${got}, interpreter ${want[i]}\n${disassemble(prog, 'd')}`);
      });
      const batch = batchOf(packets);
      const idx = new Uint32Array(packets.length);
      const m = jitBatchSelect(prog, { semantics })(batch.data, batch.offsets, batch.caplens, batch.wirelens, batch.count, idx, context);
      assert.deepEqual([...idx.subarray(0, m)], want.flatMap((v, i) => (v ? [i] : [])));
      checked++;
    }
    assert.ok(checked > PROGRAMS * 0.9, `only ${checked} Programs verified`);
  });
}
