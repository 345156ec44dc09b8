import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Oracle, OracleCompileError } from './oracle.js';
import { program } from '../../src/bpf/program.js';

test('the oracle compiles with libpcap and runs bpf_filter()', async () => {
  const oracle = await Oracle.start();
  try {
    const prog = await oracle.compile('ip', { linkType: 1 });
    assert.equal(prog.length, 4);
    const ipv4 = new Uint8Array(34); ipv4[12] = 0x08;
    const arp = new Uint8Array(42); arp[12] = 0x08; arp[13] = 0x06;
    assert.deepEqual(await oracle.run(prog, [{ data: ipv4 }, { data: arp }, { data: new Uint8Array(0), wireLength: 60 }]), [262144, 0, 0]);
    await assert.rejects(oracle.compile('tcp port 80 an udp'), OracleCompileError);
    assert.equal(await oracle.validate(program([{ code: 0x06, jt: 0, jf: 0, k: 1 }])), true);
    assert.equal(await oracle.validate(program([{ code: 0x05, jt: 0, jf: 0, k: 5 }])), false);
  } finally {
    oracle.close();
  }
});
