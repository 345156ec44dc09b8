import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCaptureWriter } from '../../src/pcap/write-capture.js';
import { CaptureWriteError } from '../../src/pcap/capture-writer.js';
import { have, readAll, syntheticRecords, tcpdumpCount } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bpfkit-pcap-writer-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const writeModule = fileURLToPath(new URL('../../src/pcap/write-capture.js', import.meta.url));

/** How the child process ends after accepting its packets, none of them flushed yet. */
const endings = [
  { name: 'SIGINT from outside', code: 'setInterval(() => {}, 1000); process.stdout.write("ready\\n");', signal: 'SIGINT' },
  { name: 'SIGTERM from outside', code: 'setInterval(() => {}, 1000); process.stdout.write("ready\\n");', signal: 'SIGTERM' },
  { name: 'process.exit() without close', code: 'process.exit(0);' },
  { name: 'process.exit() while close() is under way', code: 'void w.close(); process.exit(0);' },
  { name: 'process.exit() with megabytes still in asynchronous writes', code: 'process.exit(0);', packets: 30000 },
  { name: 'the event loop running dry without close (beforeExit)', code: '' },
] as const;

for (const ending of endings) {
  for (const format of ['pcap', 'pcapng'] as const) {
    test(`${format}: nothing accepted is lost on ${ending.name}`, async () => {
      const path = join(dir, `exit-${endings.indexOf(ending)}.${format}`);
      const count = 'packets' in ending ? ending.packets : 100;
      const script = `import { createCaptureWriter } from ${JSON.stringify(writeModule)};
        const w = createCaptureWriter(${JSON.stringify(path)}, { format: '${format}', linkType: 1 });
        for (let i = 0; i < ${count}; i++) w.write({ data: new Uint8Array(100).fill(i & 0xff), caplen: 100, len: 100, timestamp: { sec: 1700000000 + i, nsec: 0 }, linkType: 1, interface: 0 });
        ${ending.code}`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      if ('signal' in ending) {
        await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
        child.kill(ending.signal);
      }
      const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
      if ('signal' in ending) assert.equal(signal, ending.signal, 'the signal still ends the process');
      else assert.equal(code, 0);
      const { records, error } = await readAll(path);
      assert.equal(error, undefined);
      assert.equal(records.length, count);
      assert.deepEqual([...records[count - 1].data.subarray(0, 3)], Array(3).fill((count - 1) & 0xff));
      if (have('tcpdump')) assert.equal(tcpdumpCount(path), count);
    });
  }
}

test('a pcap file holds one link type: another is refused with a clear error', async () => {
  const w = createCaptureWriter(join(dir, 'one-type.pcap'), { linkType: 1, flushOnExit: false });
  const [r] = syntheticRecords(1);
  await w.write(r);
  assert.throws(() => w.write({ ...r, linkType: 12 }), CaptureWriteError);
  await w.close();
  assert.throws(() => w.write(r), /write after close/);
  assert.equal((await readAll(join(dir, 'one-type.pcap'))).records.length, 1);
});

test('pcapng adds an interface per link type met, so mixed captures survive', async () => {
  const path = join(dir, 'mixed.pcapng');
  const [a, b] = syntheticRecords(2);
  const w = createCaptureWriter(path, { flushOnExit: false });
  await w.write(a);
  await w.write({ ...b, linkType: 12, data: Uint8Array.of(0x45, 0, 0, 20, ...new Array(16).fill(0)), interface: 0 });
  await w.close();
  const { records } = await readAll(path);
  assert.deepEqual(records.map((r) => [r.linkType, r.interface]), [[1, 0], [12, 1]]);
});
