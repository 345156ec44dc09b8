/**
 * -G/-W file naming and time rotation, with a clock the test controls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RotatingWriter, rotatedName, strftime } from '../../src/cli/rotation.js';
import { tcpdump, tempDir } from './helpers.js';

test('file names follow tcpdump: strftime for -G, a number for -C, padded to -W', () => {
  const when = new Date(2026, 0, 2, 3, 4, 5);
  assert.equal(strftime('cap-%Y%m%d-%H%M%S.pcap', when), 'cap-20260102-030405.pcap');
  assert.equal(strftime('%F %T %%', when), '2026-01-02 03:04:05 %');
  assert.equal(rotatedName('out', 0, { fileSize: 1 }, when), 'out');
  assert.equal(rotatedName('out', 3, { fileSize: 1 }, when), 'out3');
  assert.equal(rotatedName('out', 3, { fileSize: 1, fileCount: 12 }, when), 'out03');
  assert.equal(rotatedName('d-%H', 0, { seconds: 60 }, when), 'd-03');
});

test('-G starts a new file every N seconds; with -W the run stops after N files', async () => {
  const dir = tempDir('bpfdump-g-');
  let now = Date.UTC(2026, 0, 1, 0, 0, 0);
  const w = new RotatingWriter(join(dir, 'g-%s.pcap'), { linkType: 1, flushOnExit: false }, { seconds: 10, fileCount: 3, now: () => now });
  const record = (i: number) => ({ data: new Uint8Array(60).fill(i), caplen: 60, len: 60, timestamp: { sec: i, nsec: 0 }, linkType: 1, interface: 0 });
  const accepted: boolean[] = [];
  for (let i = 0; i < 10; i++) {
    accepted.push(await w.write(record(i)));
    now += 4000;
  }
  await w.close();
  // Files at 0 s, 12 s and 24 s; the packet at 36 s would open a fourth: refused.
  assert.deepEqual(accepted, [true, true, true, true, true, true, true, true, true, false]);
  assert.equal(readdirSync(dir).length, 3);
  const counts = w.files.map((f) => Number(tcpdump(['-r', f, '--count']).stdout.split(' ')[0]));
  assert.deepEqual(counts, [3, 3, 3]);
});
