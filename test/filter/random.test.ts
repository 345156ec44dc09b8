/**
 * Differential test: random expressions compiled by bpfkit and by libpcap,
 * both run over each link type's corpus (malformed and truncated packets
 * included): the two must accept exactly the same packets, return the same
 * value, and reject the same expressions.
 * BPFKIT_LONG: 20,000+ expressions; default: a few hundred.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpus } from '../../src/craft/index.js';
import { interpret } from '../../src/bpf/interpreter.js';
import { Oracle } from '../oracle/oracle.js';
import { differ } from './differential.js';
import { RANDOM_LINK_TYPES, RandomExpressions } from './random-expression.js';
import { SYNTHETIC_LINK_TYPES, syntheticCorpus } from './synthetic.js';

const LONG = Boolean(process.env.BPFKIT_LONG);
const PER_LINK_TYPE = LONG ? 1000 : 24;
const LINK_TYPES = [...RANDOM_LINK_TYPES, ...SYNTHETIC_LINK_TYPES];
const PACKETS = LONG ? 600 : 300;

test(`random expressions agree with libpcap (${PER_LINK_TYPE * LINK_TYPES.length} expressions, ${LINK_TYPES.length} link types)`, async (t) => {
  const oracle = await Oracle.start();
  const failures: string[] = [];
  let compared = 0, bothRejected = 0;
  try {
    for (const dlt of LINK_TYPES) {
      const packets = RANDOM_LINK_TYPES.includes(dlt)
        ? corpus({ linkType: dlt, count: PACKETS, seed: 1000 + dlt, malformed: 0.15, describe: false })
        : syntheticCorpus(dlt, PACKETS, 1000);
      const gen = new RandomExpressions(dlt * 7919 + 1);
      for (let i = 0; i < PER_LINK_TYPE; i++) {
        const expression = gen.expression(dlt);
        // Unoptimized on both sides: libpcap's optimizer drops loads, so its -O programs
        // accept some truncated packets its unoptimized ones reject (see docs/filter.md).
        const optimize = false;
        const d = await differ(oracle, expression, dlt, packets, { optimize });
        switch (d.kind) {
          case 'agree': compared++; break;
          case 'both-reject': bothRejected++; break;
          case 'we-reject': failures.push(`DLT ${dlt} ${JSON.stringify(expression)}: we reject (${d.ours.split('\n')[0]}), libpcap accepts`); break;
          case 'libpcap-rejects': {
            // libpcap's optimizer refuses filters it proves empty; ours must then reject every packet.
            const empty = d.libpcap === 'expression rejects all packets' && packets.every((p) => interpret(d.program, p.data, p.wireLength, { semantics: 'bsd' }) === 0);
            if (!empty) failures.push(`DLT ${dlt} ${JSON.stringify(expression)}: libpcap rejects (${d.libpcap}), we accept`);
            else compared++;
            break;
          }
          case 'packets': failures.push(`DLT ${dlt} ${JSON.stringify(expression)}${optimize ? ' (-O)' : ''}: ${d.mismatches.length} packets differ, first #${d.mismatches[0].index}: ours ${d.mismatches[0].ours}, libpcap ${d.mismatches[0].libpcap}`); break;
        }
      }
    }
  } finally {
    oracle.close();
  }
  t.diagnostic(`compared over packets: ${compared}; rejected by both: ${bothRejected}; disagreements: ${failures.length}`);
  assert.deepEqual(failures.slice(0, 30), [], `${failures.length} disagreements`);
  assert.ok(compared > bothRejected, `most expressions must compile (compared ${compared}, both rejected ${bothRejected})`);
});
