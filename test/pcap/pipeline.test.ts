import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { filterCapture } from '../../src/pcap/pipeline.js';
import { SAMPLES_DIR } from './make-sample.js';
import { have, readAll, run, syntheticRecords, writeToBytes } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bpfkit-pcap-pipeline-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// `ip6 protochain` compiles to libpcap's backward jump, which the JIT leaves to the interpreter.
const expressions = ['tcp port 80', 'icmp or arp', 'ip6', 'udp port 53 and src host 192.168.1.1', 'tcp[tcpflags] & tcp-syn != 0', 'ip6 protochain 58'];

for (const file of ['sample.pcap', 'sample.pcapng']) {
  test(`read → filter → write on ${file} produces tcpdump -r -w's file byte for byte`, { skip: !have('tcpdump') && 'needs tcpdump' }, async () => {
    const input = join(SAMPLES_DIR, file);
    const total = run('tcpdump', ['-nr', input]).trim().split('\n').length;
    for (const expression of expressions) {
      const theirs = join(dir, `tcpdump-${file}.pcap`);
      run('tcpdump', ['-r', input, '-w', theirs, expression]);
      const ours = join(dir, `ours-${file}.pcap`);
      const counts = await filterCapture(input, ours, { filter: expression });
      const expected = run('tcpdump', ['-nr', theirs]).split('\n').filter((l) => l).length;
      assert.deepEqual(counts, { read: total, accepted: expected, written: expected }, expression);
      assert.ok(readFileSync(ours).equals(readFileSync(theirs)), `${expression}: output differs from tcpdump's`);
    }
  });
}

test('the pipeline writes pcapng and to any Writable, and counts without an output', async () => {
  const input = join(SAMPLES_DIR, 'sample.pcapng');
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const counts = await filterCapture(input, sink, { write: { format: 'pcapng', precision: 'nano' } });
  const { records, error } = await readAll(Buffer.concat(chunks));
  assert.equal(error, undefined);
  assert.equal(records.length, counts.read);
  assert.deepEqual(counts, { read: records.length, accepted: records.length, written: records.length });
  assert.ok(records.some((r) => r.comments?.includes('first HTTP request of the capture')), 'comments carried through');
  const limited = await filterCapture(input, undefined, { limit: 10 });
  assert.deepEqual([limited.accepted, limited.written], [10, 0]);
});

test('stdin to stdout: `-` on both sides', { skip: !have('tcpdump') && 'needs tcpdump' }, () => {
  const pipeline = fileURLToPath(new URL('../../src/pcap/pipeline.js', import.meta.url));
  const script = `import { filterCapture } from ${JSON.stringify(pipeline)};
    const c = await filterCapture('-', '-'); process.stderr.write(JSON.stringify(c));`;
  const input = readFileSync(join(SAMPLES_DIR, 'sample.pcapng'));
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { input, maxBuffer: 1 << 24 });
  assert.equal(r.status, 0, r.stderr.toString());
  const counts = JSON.parse(r.stderr.toString()) as { read: number; written: number };
  const viaTcpdump = spawnSync('tcpdump', ['-nr', '-'], { input: r.stdout, encoding: 'utf8' });
  assert.equal(viaTcpdump.stdout.trim().split('\n').length, counts.written);
  assert.equal(counts.read, counts.written);
});

test('zero-copy writes of reused read buffers: a slow output still gets every byte as read', async () => {
  // 12 MB of records in a file, so the reader cycles its 1 MB read buffers many times; the output
  // looks at each chunk only some milliseconds after taking it, as a slow pipe would. Were a buffer
  // refilled before its zero-copy write finished, the late copy would show the newer bytes.
  const records = syntheticRecords(8000, 7).map((r, i) => {
    const data = new Uint8Array(1500).map((_, j) => (i * 31 + j) & 0xff);
    return { ...r, data, caplen: data.length, len: data.length };
  });
  const input = join(dir, 'large.pcap');
  writeFileSync(input, await writeToBytes(records, { format: 'pcap', linkType: 1 }));
  const copies: Buffer[] = [];
  const slow = new Writable({
    highWaterMark: 1 << 26, // never asks the writer to wait: only the reuse gate protects the buffers
    write(chunk: Buffer, _encoding, done) {
      setTimeout(() => { copies.push(Buffer.from(chunk)); done(); }, 2);
    },
  });
  const counts = await filterCapture(input, slow);
  assert.deepEqual(counts, { read: 8000, accepted: 8000, written: 8000 });
  assert.ok(Buffer.concat(copies).equals(readFileSync(input)), 'the output is the input, byte for byte');
  // Stopping midway (-c) with buffers still held by unfinished writes ends cleanly, nothing lost.
  const early: Buffer[] = [];
  const slowToo = new Writable({
    highWaterMark: 1 << 26,
    write(chunk: Buffer, _encoding, done) { setTimeout(() => { early.push(Buffer.from(chunk)); done(); }, 2); },
  });
  const limited = await filterCapture(input, slowToo, { limit: 5000 });
  assert.equal(limited.written, 5000);
  const { records: back } = await readAll(Buffer.concat(early));
  assert.equal(back.length, 5000);
  assert.ok(back.every((r, i) => Buffer.from(r.data).equals(Buffer.from(records[i].data))), 'the first 5,000 packets, intact');
});
