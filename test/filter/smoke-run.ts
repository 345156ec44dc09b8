// Ad-hoc runner: node dist/test/filter/smoke-run.js DLT 'expr' ['expr' ...]
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
