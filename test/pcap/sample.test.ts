import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLES_DIR, sampleBytes, samplePackets } from './make-sample.js';
import { readAll, have, run } from './helpers.js';

test('the shipped samples are exactly what the generator makes (regenerate: node dist/test/pcap/make-sample.js --write)', async () => {
  for (const format of ['pcap', 'pcapng'] as const) {
    const shipped = readFileSync(join(SAMPLES_DIR, `sample.${format}`));
    assert.ok(shipped.equals(await sampleBytes(format)), `samples/sample.${format} differs from the generator's output`);
  }
});

test('the sample is a small realistic capture: HTTP on port 80, DNS, ICMP, ARP, IPv6', async () => {
  const packets = samplePackets();
  assert.ok(packets.length >= 150 && packets.length <= 250, `${packets.length} packets`);
  const { records, error } = await readAll(join(SAMPLES_DIR, 'sample.pcapng'));
  assert.equal(error, undefined);
  assert.equal(records.length, packets.length);
  assert.ok(records.some((r) => r.comments?.length));
});

test('tcpdump reads the samples, and `tcp port 80` finds the web conversations', { skip: !have('tcpdump') && 'needs tcpdump' }, () => {
  const count = samplePackets().length;
  for (const file of ['sample.pcap', 'sample.pcapng']) {
    const path = join(SAMPLES_DIR, file);
    const all = run('tcpdump', ['-nr', path]).trim().split('\n');
    assert.equal(all.length, count);
    const web = run('tcpdump', ['-nr', path, 'tcp port 80']).trim().split('\n');
    assert.ok(web.length > 80 && web.length < count, `${web.length} of ${count} on port 80`);
    assert.ok(web.some((l) => l.includes('HTTP: GET /')));
    for (const proto of ['ARP, Request', 'A? example.com', 'ICMP echo request', 'IP6 ', 'ICMP6, neighbor solicitation']) {
      assert.ok(all.some((l) => l.includes(proto)), `no "${proto}" in the sample`);
    }
  }
});
