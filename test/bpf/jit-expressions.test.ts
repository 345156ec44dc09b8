/**
 * The JIT on real filters: every expression of the machine's list, compiled by
 * libpcap (through the oracle), must give the interpreter's answers in both
 * semantics on crafted Ethernet frames, and libpcap's own in BSD semantics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Oracle, OracleCompileError } from '../oracle/oracle.js';
import { EXPRESSIONS } from './expressions.js';
import { ethernetPackets } from './ethernet-packets.js';
import { jit, jitBatch } from '../../src/bpf/jit.js';
import { JitError } from '../../src/bpf/jit-check.js';
import { interpret } from '../../src/bpf/interpreter.js';
import { isValid } from '../../src/bpf/verifier.js';
import { batchOf } from '../../src/bpf/batch.js';
import { Matcher } from '../../src/bpf/filter.js';
import type { Program } from '../../src/bpf/program.js';

test(`every program of the expression list (${EXPRESSIONS.length}) runs on the JIT as on the interpreter and libpcap`, async () => {
  const oracle = await Oracle.start();
  const packets = ethernetPackets(300, 0x1157);
  const batch = batchOf(packets);
  const out = new Uint32Array(batch.count);
  let compiled = 0, backward = 0;
  try {
    for (const expression of EXPRESSIONS) {
      let prog: Program;
      try {
        prog = await oracle.compile(expression, { linkType: 1 });
      } catch (e) {
        if (e instanceof OracleCompileError) continue;
        throw e;
      }
      if (prog.some((x) => x.code === 0x05 && (x.k | 0) < 0)) {
        // libpcap's backward jumps (protochain): the JIT refuses, the Matcher falls back.
        assert.throws(() => jit(prog, { semantics: 'bsd' }), JitError);
        assert.equal(new Matcher(prog, { semantics: 'bsd' }).engine, 'interpreter');
        backward++;
        continue;
      }
      const libpcap = await oracle.run(prog, packets);
      for (const semantics of ['bsd', 'linux'] as const) {
        if (!isValid(prog, { mode: semantics })) continue;
        const f = jit(prog, { semantics });
        packets.forEach((p, i) => {
          const want = interpret(prog, p.data, p.wireLength, { semantics });
          const got = f(p.data, p.wireLength);
          if (got !== want) assert.fail(`${expression} (${semantics}), packet ${i} ${Buffer.from(p.data).toString('hex')}: jit ${got}, interpreter ${want}`);
          if (semantics === 'bsd' && got !== libpcap[i]) assert.fail(`${expression}, packet ${i}: jit ${got}, libpcap ${libpcap[i]}`);
        });
        jitBatch(prog, { semantics })(batch.data, batch.offsets, batch.caplens, batch.wirelens, batch.count, out);
        assert.deepEqual([...out], packets.map((p) => interpret(prog, p.data, p.wireLength, { semantics })), `${expression} batch (${semantics})`);
      }
      compiled++;
    }
  } finally {
    oracle.close();
  }
  assert.ok(compiled >= 200, `only ${compiled} expressions compiled`);
  assert.ok(backward >= 1 || !EXPRESSIONS.some((e) => e.includes('protochain')));
});
