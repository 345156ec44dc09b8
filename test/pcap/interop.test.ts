/**
 * Interoperability with the reference tools (Debian's tcpdump 4.99, tshark
 * and capinfos 4.0): what we write they read the same, and what they write
 * (captured here, in namespaces we create) we read as they do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureRecord } from '../../src/pcap/info.js';
import type { WriteOptions } from '../../src/pcap/capture-writer.js';
import { readAll, have, ourFields, run, syntheticRecords, tsharkFields, writeToBytes } from './helpers.js';
import { VethPair, canUseNamespaces, captureWith } from './netns.js';

const tools = have('tcpdump') && have('tshark') && have('capinfos') && have('editcap') && have('dumpcap');
const dir = mkdtempSync(join(tmpdir(), 'bpfkit-pcap-interop-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** What tcpdump sees: the file rewritten by `tcpdump -r F -w -` at nanosecond precision, read back. */
async function throughTcpdump(path: string): Promise<CaptureRecord[]> {
  const out = join(dir, `tcpdump-${Math.random().toString(36).slice(2)}.pcap`);
  run('tcpdump', ['-r', path, '-w', out, '--time-stamp-precision=nano']);
  const { records, error } = await readAll(out);
  assert.equal(error, undefined);
  return records;
}

function capinfosCount(path: string): number {
  const line = run('capinfos', ['-M', '-c', path]).split('\n').find((l) => /Number of packets/.test(l))!;
  return Number(line.split(':').pop()!.trim());
}

function sameAsTcpdump(ours: CaptureRecord[], theirs: CaptureRecord[], what: string): void {
  assert.equal(theirs.length, ours.length, `${what}: packet count`);
  ours.forEach((r, i) => {
    const t = theirs[i];
    assert.deepEqual([t.timestamp, t.caplen, t.len], [r.timestamp, r.caplen, r.len], `${what}: packet ${i}`);
    assert.ok(Buffer.from(t.data).equals(Buffer.from(r.data)), `${what}: packet ${i} bytes`);
  });
}

function withoutInterface(lines: string[]): string[] {
  return lines.map((l) => l.replace(/,[^,]*$/, ','));
}

const written: Array<{ name: string; options: WriteOptions; interfaces: number }> = [
  { name: 'pcap, microseconds', options: { format: 'pcap' }, interfaces: 1 },
  { name: 'pcap, nanoseconds', options: { format: 'pcap', precision: 'nano' }, interfaces: 1 },
  { name: 'pcap, big-endian', options: { format: 'pcap', byteOrder: 'big', precision: 'nano' }, interfaces: 1 },
  { name: 'pcapng, microseconds', options: { format: 'pcapng' }, interfaces: 1 },
  {
    name: 'pcapng, nanoseconds, two named interfaces, comments', interfaces: 2,
    options: { format: 'pcapng', precision: 'nano', comment: 'made by bpfkit', interfaces: [{ linkType: 1, name: 'eth0' }, { linkType: 1, name: 'eth1', tsresol: 9 }] },
  },
  { name: 'pcapng, big-endian', options: { format: 'pcapng', byteOrder: 'big', precision: 'nano' }, interfaces: 1 },
  {
    name: 'pcapng, 2^-20 s and millisecond interface resolutions', interfaces: 2,
    options: { format: 'pcapng', interfaces: [{ linkType: 1, tsresol: 0x80 | 20 }, { linkType: 1, tsresol: 3 }] },
  },
];

for (const w of written) {
  test(`tcpdump, tshark and capinfos read our ${w.name} as we wrote it`, { skip: !tools && 'needs tcpdump, tshark, capinfos' }, async () => {
    const records = syntheticRecords(120, 21, w.interfaces);
    records[3].comments = ['a comment on packet 3'];
    const path = join(dir, `ours-${w.name.replace(/\W+/g, '-')}.${w.options.format}`);
    writeFileSync(path, await writeToBytes(records, w.options));
    const { records: back, error } = await readAll(path);
    assert.equal(error, undefined);
    assert.equal(back.length, records.length);
    const isPcap = w.options.format === 'pcap';
    const ours = ourFields(back);
    assert.deepEqual(tsharkFields(path), isPcap ? withoutInterface(ours) : ours);
    sameAsTcpdump(back, await throughTcpdump(path), 'tcpdump');
    assert.equal(capinfosCount(path), records.length);
    if (!isPcap) {
      assert.deepEqual(back[3].comments, ['a comment on packet 3']);
      const comment = run('tshark', ['-r', path, '-Y', 'frame.comment', '-T', 'fields', '-e', 'frame.number', '-e', 'frame.comment']).trim();
      assert.equal(comment, '4\ta comment on packet 3');
    }
  });
}

const live = tools && canUseNamespaces();

test('we read what tcpdump, dumpcap and editcap write from real traffic (pcap, pcapng, two interfaces, nanoseconds)',
  { skip: !live && 'needs root (network namespaces) and tcpdump, dumpcap, editcap, tshark' }, async () => {
    const pair = new VethPair('live');
    try {
      const files: Array<{ path: string; pcapng: boolean; interfaces: number }> = [];
      const tcpdumpUs = join(dir, 'tcpdump-us.pcap');
      await captureWith(pair, 'tcpdump', ['-i', pair.ifA, '-w', tcpdumpUs, '-U'], 24);
      files.push({ path: tcpdumpUs, pcapng: false, interfaces: 1 });
      const tcpdumpNs = join(dir, 'tcpdump-ns.pcap');
      await captureWith(pair, 'tcpdump', ['-i', 'lo', '--time-stamp-precision=nano', '-w', tcpdumpNs, '-U'], 24);
      files.push({ path: tcpdumpNs, pcapng: false, interfaces: 1 });
      const dumpcapNg = join(dir, 'dumpcap-two.pcapng');
      await captureWith(pair, 'dumpcap', ['-i', 'lo', '-i', pair.ifA, '-w', dumpcapNg], 30);
      files.push({ path: dumpcapNg, pcapng: true, interfaces: 2 });
      const tsharkNg = join(dir, 'tshark.pcapng');
      run('tshark', ['-r', dumpcapNg, '-F', 'pcapng', '-w', tsharkNg]);
      files.push({ path: tsharkNg, pcapng: true, interfaces: 2 });
      for (const [format, ext] of [['pcap', 'pcap'], ['nsecpcap', 'pcap'], ['modpcap', 'pcap'], ['pcapng', 'pcapng']] as const) {
        const converted = join(dir, `editcap-${format}.${ext}`);
        run('editcap', ['-F', format, tcpdumpNs, converted]);
        files.push({ path: converted, pcapng: ext === 'pcapng', interfaces: 1 });
      }
      for (const f of files) {
        const { records, error } = await readAll(f.path);
        assert.equal(error, undefined, `${f.path}: ${String(error)}`);
        assert.ok(records.length >= 10, `${f.path}: only ${records.length} packets captured`);
        const ours = ourFields(records);
        assert.deepEqual(f.pcapng ? ours : withoutInterface(ours), tsharkFields(f.path), `tshark on ${f.path}`);
        if (!f.path.includes('modpcap')) sameAsTcpdump(records, await throughTcpdump(f.path), `tcpdump on ${f.path}`);
        assert.equal(capinfosCount(f.path), records.length);
        if (f.interfaces === 2) {
          assert.deepEqual(new Set(records.map((r) => r.interface)), new Set([0, 1]), 'packets from both interfaces');
        }
      }
      // The dumpcap file names its interfaces and ends with statistics, all exposed.
      const reader = (await import('../../src/pcap/reader.js')).readCapture(dumpcapNg);
      for await (const _ of reader) { /* read to the end for the statistics blocks */ }
      assert.deepEqual(reader.info!.interfaces.map((i) => i.name), ['lo', pair.ifA]);
      assert.ok(reader.info!.interfaces.some((i) => i.statistics.length > 0), 'interface statistics blocks');
      assert.ok(readFileSync(dumpcapNg).length > 0);
    } finally {
      pair.remove();
    }
  });

test('a file of several sections (each with its own byte order) reads as tshark reads it', { skip: !tools && 'needs tshark' }, async () => {
  const first = await writeToBytes(syntheticRecords(20, 3, 2), { format: 'pcapng', precision: 'nano' });
  const second = await writeToBytes(syntheticRecords(20, 4, 3), { format: 'pcapng', byteOrder: 'big' });
  const path = join(dir, 'sections.pcapng');
  writeFileSync(path, Buffer.concat([first, second]));
  const reader = (await import('../../src/pcap/reader.js')).readCapture(path);
  const records: CaptureRecord[] = [];
  for await (const r of reader) records.push(r);
  const interfaces = reader.info!.interfaces;
  assert.deepEqual(interfaces.map((i) => [i.section, i.localId]), [[0, 0], [0, 1], [1, 0], [1, 1], [1, 2]]);
  // tshark 4.0 numbers interfaces within their section: compare through localId.
  const local = records.map((r) => ({ ...r, interface: interfaces[r.interface].localId }));
  assert.deepEqual(ourFields(local), tsharkFields(path));
  assert.equal(capinfosCount(path), 40);
});
