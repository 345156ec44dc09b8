/**
 * bpfkit generates code the way libpcap does, in the same order with the
 * same scratch registers, so its unoptimized Programs are instruction for
 * instruction libpcap's unoptimized Programs (what `tcpdump -d -O` prints).
 * Stricter than the packet comparisons, and what makes `bpfdump -d -O`
 * print exactly what tcpdump prints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { programsEqual } from '../../src/bpf/program.js';
import { compile } from '../../src/filter/index.js';
import { Oracle, OracleCompileError } from '../oracle/oracle.js';
import { RANDOM_LINK_TYPES, RandomExpressions } from './random-expression.js';
import { SYNTHETIC_LINK_TYPES } from './synthetic.js';

const PER_LINK_TYPE = process.env.BPFKIT_LONG ? 400 : 40;

test('unoptimized programs are identical to libpcap\'s, instruction for instruction', async (t) => {
  const oracle = await Oracle.start();
  const differ: string[] = [];
  let identical = 0;
  try {
    for (const dlt of [...RANDOM_LINK_TYPES, ...SYNTHETIC_LINK_TYPES]) {
      const gen = new RandomExpressions(dlt * 104729 + 3);
      for (let i = 0; i < PER_LINK_TYPE; i++) {
        const e = gen.expression(dlt);
        let theirs;
        try {
          theirs = await oracle.compile(e, { linkType: dlt, optimize: false });
        } catch (x) {
          if (x instanceof OracleCompileError) continue;
          throw x;
        }
        const ours = compile(e, { linkType: dlt, optimize: false });
        if (programsEqual(ours, theirs)) identical++;
        else differ.push(`DLT ${dlt} ${JSON.stringify(e)}: ${ours.length} vs ${theirs.length} instructions`);
      }
    }
  } finally {
    oracle.close();
  }
  t.diagnostic(`identical: ${identical}; different: ${differ.length}`);
  assert.deepEqual(differ.slice(0, 20), []);
});
