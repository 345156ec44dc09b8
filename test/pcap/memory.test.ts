/**
 * Memory stays flat whatever the file size: a ~200 MB file by default, a
 * 4 GiB one under BPFKIT_LONG, read record by record and through the batch
 * pipeline, with the heap and buffer memory sampled all along.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../../src/pcap/reader.js';
import { filterCapture } from '../../src/pcap/pipeline.js';
import { syntheticRecords, writeToBytes } from './helpers.js';

const TARGET = process.env.BPFKIT_LONG ? 4 * 1024 ** 3 : 200 * 1024 ** 2;
const LIMIT = 96 * 1024 ** 2;

/** Writes a pcap of about `size` bytes by repeating one block of records; returns its packet count. */
async function bigFile(path: string, size: number): Promise<number> {
  const records = syntheticRecords(1400, 5);
  const whole = await writeToBytes(records, { format: 'pcap' });
  const header = whole.subarray(0, 24);
  const body = whole.subarray(24);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, header);
    let n = 0;
    for (let written = 24; written < size; written += body.length) { writeSync(fd, body); n += records.length; }
    return n;
  } finally {
    closeSync(fd);
  }
}

function used(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

test(`reading a ${(TARGET / 1024 ** 2).toFixed(0)} MiB file keeps memory flat (heap + buffers grow < ${LIMIT / 1024 ** 2} MiB)`, { timeout: 1800000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-pcap-memory-'));
  try {
    const path = join(dir, 'big.pcap');
    const packets = await bigFile(path, TARGET);
    const base = used();
    let peak = 0;
    let n = 0;
    let bytes = 0;
    for await (const r of readCapture(path)) {
      bytes += r.caplen;
      if (++n % 20000 === 0) peak = Math.max(peak, used() - base);
    }
    assert.equal(n, packets);
    assert.ok(bytes > TARGET * 0.9);
    assert.ok(peak < LIMIT, `records: memory grew by ${(peak / 1024 ** 2).toFixed(1)} MiB`);
    let batchPeak = 0;
    const counts = await filterCapture(path, '/dev/null', {
      onBatch: () => { batchPeak = Math.max(batchPeak, used() - base); },
    });
    assert.deepEqual(counts, { read: packets, accepted: packets, written: packets });
    assert.ok(batchPeak < LIMIT, `pipeline: memory grew by ${(batchPeak / 1024 ** 2).toFixed(1)} MiB`);
    console.log(`# ${packets} packets; peak growth: records ${(peak / 1024 ** 2).toFixed(1)} MiB, pipeline ${(batchPeak / 1024 ** 2).toFixed(1)} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
