import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureFormatError, type CaptureErrorKind } from '../../src/pcap/errors.js';
import { filterCapture } from '../../src/pcap/pipeline.js';
import { readAll, syntheticRecords, writeToBytes } from './helpers.js';

const records = syntheticRecords(40, 5);
const pcap = await writeToBytes(records, { format: 'pcap', precision: 'nano' });
const pcapng = await writeToBytes(records, { format: 'pcapng', precision: 'nano' });

/** File offsets of each record (pcap) or each block (pcapng). */
function pcapRecordOffsets(bytes: Buffer): number[] {
  const out: number[] = [];
  for (let at = 24; at < bytes.length; at += 16 + bytes.readUInt32LE(at + 8)) out.push(at);
  return out;
}
function pcapngBlockOffsets(bytes: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at < bytes.length; at += bytes.readUInt32LE(at + 4)) out.push(at);
  return out;
}
const recs = pcapRecordOffsets(pcap);
const blocks = pcapngBlockOffsets(pcapng); // SHB, IDB, then one EPB per packet
const epbs = blocks.slice(2);

function patched(bytes: Buffer, at: number, write: (b: Buffer) => void): Buffer {
  const copy = Buffer.from(bytes);
  write(copy.subarray(at));
  return copy;
}

interface Case {
  name: string;
  bytes: Uint8Array;
  /** Packets delivered before the error. */
  packets: number;
  kind: CaptureErrorKind;
  offset: number;
  options?: { unknownBlocks: 'error' };
}

const cases: Case[] = [
  { name: 'empty file', bytes: new Uint8Array(0), packets: 0, kind: 'empty', offset: 0 },
  { name: 'three bytes', bytes: pcap.subarray(0, 3), packets: 0, kind: 'truncated-header', offset: 0 },
  { name: 'bad magic', bytes: Buffer.from('GIF89a-not-a-capture-file'), packets: 0, kind: 'bad-magic', offset: 0 },
  { name: 'gzip instead of pcap', bytes: Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), packets: 0, kind: 'bad-magic', offset: 0 },
  { name: 'pcap header cut short', bytes: pcap.subarray(0, 20), packets: 0, kind: 'truncated-header', offset: 0 },
  { name: 'pcap version 3', bytes: patched(pcap, 4, (b) => b.writeUInt16LE(3, 0)), packets: 0, kind: 'bad-version', offset: 4 },
  { name: 'pcap: last record truncated in its data', bytes: pcap.subarray(0, pcap.length - 5), packets: 39, kind: 'truncated-record', offset: recs[39] },
  { name: 'pcap: last record truncated in its header', bytes: pcap.subarray(0, recs[39] + 9), packets: 39, kind: 'truncated-record', offset: recs[39] },
  { name: 'pcap: caplen over 256 KiB', bytes: patched(pcap, recs[10], (b) => b.writeUInt32LE(262145, 8)), packets: 10, kind: 'caplen-too-large', offset: recs[10] },
  { name: 'pcap: garbage mid-file', bytes: patched(pcap, recs[20], (b) => b.fill(0xee, 0, 64)), packets: 20, kind: 'caplen-too-large', offset: recs[20] },
  { name: 'pcapng: last block truncated', bytes: pcapng.subarray(0, pcapng.length - 7), packets: 39, kind: 'truncated-record', offset: epbs[39] },
  { name: 'pcapng: block length mismatch', bytes: patched(pcapng, epbs[5], (b) => b.writeUInt32LE(b.readUInt32LE(4) + 4, 4)), packets: 5, kind: 'block-length-mismatch', offset: epbs[5] },
  { name: 'pcapng: block length not a multiple of 4', bytes: patched(pcapng, epbs[5], (b) => b.writeUInt32LE(b.readUInt32LE(4) + 1, 4)), packets: 5, kind: 'bad-block-length', offset: epbs[5] },
  { name: 'pcapng: block length below 12', bytes: patched(pcapng, epbs[5], (b) => b.writeUInt32LE(8, 4)), packets: 5, kind: 'bad-block-length', offset: epbs[5] },
  { name: 'pcapng: block length of 1 GiB', bytes: patched(pcapng, epbs[5], (b) => b.writeUInt32LE(1 << 30, 4)), packets: 5, kind: 'block-too-large', offset: epbs[5] },
  { name: 'pcapng: garbage mid-file', bytes: patched(pcapng, epbs[8], (b) => b.fill(0x5a, 0, 40)), packets: 8, kind: 'bad-block-length', offset: epbs[8] },
  { name: 'pcapng: caplen over 256 KiB', bytes: patched(pcapng, epbs[3], (b) => b.writeUInt32LE(300000, 20)), packets: 3, kind: 'caplen-too-large', offset: epbs[3] },
  { name: 'pcapng: caplen beyond its block', bytes: patched(pcapng, epbs[3], (b) => b.writeUInt32LE(b.readUInt32LE(4), 20)), packets: 3, kind: 'bad-block-length', offset: epbs[3] },
  { name: 'pcapng: packet on an undescribed interface', bytes: patched(pcapng, epbs[4], (b) => b.writeUInt32LE(3, 8)), packets: 4, kind: 'bad-interface', offset: epbs[4] },
  { name: 'pcapng: unknown block type (strict)', bytes: patched(pcapng, epbs[6], (b) => b.writeUInt32LE(0x2345, 0)), packets: 6, kind: 'unknown-block', offset: epbs[6], options: { unknownBlocks: 'error' } },
  { name: 'pcapng: bad byte-order magic', bytes: patched(pcapng, 8, (b) => b.writeUInt32LE(0x12345678, 0)), packets: 0, kind: 'bad-magic', offset: 8 },
  { name: 'pcapng: section header only half there', bytes: pcapng.subarray(0, 10), packets: 0, kind: 'truncated-header', offset: 0 },
  { name: 'pcapng: option running past its block', bytes: patched(pcapng, blocks[0] + 24, (b) => b.writeUInt16LE(500, 2)), packets: 0, kind: 'bad-option', offset: blocks[0] + 24 },
];

for (const c of cases) {
  test(`bad input: ${c.name} → ${c.kind} at offset ${c.offset}, after ${c.packets} good packets`, async () => {
    const { records: got, error } = await readAll(c.bytes, c.options);
    assert.ok(error instanceof CaptureFormatError, `expected a CaptureFormatError, got ${String(error)}`);
    assert.equal(error.kind, c.kind, error.message);
    assert.equal(error.offset, c.offset, error.message);
    assert.match(error.message, new RegExp(`offset ${c.offset}\\b`));
    assert.equal(got.length, c.packets);
    got.forEach((r, i) => assert.ok(Buffer.from(r.data).equals(Buffer.from(records[i].data)), `packet ${i}`));
  });
}

test('unknown block types are skipped by default, as libpcap and Wireshark do', async () => {
  const bytes = patched(pcapng, epbs[6], (b) => b.writeUInt32LE(0x2345, 0));
  const { records: got, error } = await readAll(bytes);
  assert.equal(error, undefined);
  assert.equal(got.length, 39);
});

test('the pipeline writes every packet before a truncated record, closes its output, then reports the error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-pcap-bad-'));
  try {
    const input = join(dir, 'cut.pcap');
    writeFileSync(input, pcap.subarray(0, pcap.length - 5));
    const out = join(dir, 'out.pcap');
    await assert.rejects(filterCapture(input, out), (e: unknown) => e instanceof CaptureFormatError && e.kind === 'truncated-record' && e.offset === recs[39]);
    const written = await readAll(out);
    assert.equal(written.error, undefined);
    assert.equal(written.records.length, 39);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
