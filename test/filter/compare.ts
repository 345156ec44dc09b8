/**
 * A debugging aid, not a test: compares bpfkit and libpcap on expressions for
 * one link type over its corpus and prints both programs where they differ.
 *   node dist/test/filter/compare.js DLT EXPRESSION...
 */
import { corpus } from '../../src/craft/index.js';
import { Oracle } from '../oracle/oracle.js';
import { differ } from './differential.js';
import { disassemble } from '../../src/bpf/index.js';

const [dltText, ...exprs] = process.argv.slice(2);
const dlt = Number(dltText);
const packets = corpus({ linkType: dlt, count: 3000, seed: 7, malformed: 0.1 });
const oracle = await Oracle.start();
for (const e of exprs) {
  const d = await differ(oracle, e, dlt, packets);
  if (d.kind === 'packets') {
    console.log(`DIFF ${e}: ${d.mismatches.length} mismatches, first ${JSON.stringify(d.mismatches[0])}`);
    console.log(' ours:\n' + disassemble(d.ours, 'd'));
    console.log(' libpcap:\n' + disassemble(d.theirs, 'd'));
  } else console.log(`${d.kind} ${e} ${'accepted' in d ? d.accepted : ''} ${'ours' in d && typeof d.ours === 'string' ? 'ours=' + d.ours.split('\n')[0] : ''} ${'libpcap' in d ? 'libpcap=' + d.libpcap : ''}`);
}
oracle.close();
