/**
 * The file reader's batches on the WebAssembly engine: a filtered file read
 * by path lands in a PacketArena, so its batches run as wasm, and give the
 * same packets as the JavaScript path (a source in memory, no arena) and as
 * the interpreter, over truncated packets and three link types (the record
 * iterator with a filter takes the same batch path); when the
 * arena has no room (no buffer reuse, records larger than a chunk, a stream)
 * the reader falls back to ordinary buffers and the answers stay the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { readCapture, type ReadOptions } from '../../src/pcap/reader.js';
import { filterCapture } from '../../src/pcap/pipeline.js';
import { createCaptureBatch } from '../../src/pcap/capture-batch.js';
import type { CaptureRecord } from '../../src/pcap/info.js';
import type { CaptureSource } from '../../src/pcap/byte-source.js';
import { PacketArena, arenaOf } from '../../src/bpf/wasm.js';
import { interpret } from '../../src/bpf/interpreter.js';
import { compile } from '../../src/filter/compile.js';
import { prng, writeToBytes } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bpfkit-pcap-wasm-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/**
 * IPv4 packets with TCP or UDP headers over Ethernet (DLT 1), raw IP (DLT 12)
 * and Linux cooked (DLT 113), in runs of one link type; every fifth one cut
 * short (0 to 59 bytes kept), and records of `big` bytes every 97th when asked.
 */
function mixedRecords(count: number, seed: number, big = 0): CaptureRecord[] {
  const rand = prng(seed);
  const out: CaptureRecord[] = [];
  for (let i = 0; i < count; i++) {
    const size = big && i % 97 === 50 ? big : 20 + 20 + Math.floor(rand() * 400);
    const ip = new Uint8Array(size);
    for (let j = 0; j < size; j++) ip[j] = Math.floor(rand() * 256);
    ip[0] = 0x45; ip[6] = 0; ip[7] = 0; // no fragment: ports are where the filter looks
    ip[9] = rand() < 0.6 ? 6 : 17;
    ip[2] = (size >> 8) & 0xff; ip[3] = size & 0xff;
    if (rand() < 0.4) { ip[22] = 0; ip[23] = 80; }
    const linkType = [1, 12, 113][Math.floor(i / 40) % 3];
    let data: Uint8Array;
    if (linkType === 1) {
      data = new Uint8Array(14 + size);
      data.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
      data.set(ip, 14);
    } else if (linkType === 113) {
      data = new Uint8Array(16 + size);
      data.set([0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00]);
      data.set(ip, 16);
    } else {
      data = ip;
    }
    const len = data.length;
    if (i % 5 === 2) data = data.subarray(0, Math.floor(rand() * 60));
    out.push({ data, caplen: data.length, len, linkType, interface: [1, 12, 113].indexOf(linkType), timestamp: { sec: 1700000000 + i, nsec: i } });
  }
  return out;
}

const EXPRESSIONS = ['tcp port 80', 'udp', 'ip[8] > 128 or tcp[13] & 2 != 0', 'ip and len > 200'];

/** What a read selected: link type, timestamp, lengths and bytes of every accepted packet, as text. */
async function selectedBy(source: CaptureSource, options: ReadOptions, capacity = 256): Promise<{ got: string[]; engines: { wasm: number; jit: number; interpreter: number } }> {
  const reader = readCapture(source, options);
  const got: string[] = [];
  for await (const b of reader.batches(capacity)) {
    for (let j = 0; j < b.selectedCount; j++) {
      const i = b.selected[j];
      got.push(`${b.linkType} ${b.sec[i]} ${b.caplens[i]}/${b.wirelens[i]} ${Buffer.from(b.data.subarray(b.offsets[i], b.offsets[i] + b.caplens[i])).toString('hex')}`);
    }
  }
  return { got, engines: reader.filterEngines! };
}

/** The interpreter's choice (libpcap semantics), record by record. */
function interpreted(records: CaptureRecord[], expression: string): string[] {
  const programs = new Map<number, ReturnType<typeof compile>>();
  return records.filter((r) => {
    let prog = programs.get(r.linkType);
    if (!prog) programs.set(r.linkType, prog = compile(expression, { linkType: r.linkType }));
    return interpret(prog, r.data, r.len, { semantics: 'bsd' }) !== 0;
  }).map((r) => `${r.linkType} ${r.timestamp.sec} ${r.caplen}/${r.len} ${Buffer.from(r.data).toString('hex')}`);
}

test('a filtered file read by path runs its batches as wasm, with the JS path\'s and the interpreter\'s packets (three link types, truncated packets)', async () => {
  const records = mixedRecords(3000, 0x3a);
  const bytes = await writeToBytes(records, { format: 'pcapng' });
  const path = join(dir, 'mixed.pcapng');
  writeFileSync(path, bytes);
  for (const expression of EXPRESSIONS) {
    const want = interpreted(records, expression);
    assert.ok(want.length > 50 && want.length < records.length - 50, `${expression} splits the packets (${want.length})`);
    // Small chunks: many buffer turns through the arena, the reuse gate returning them.
    const wasm = await selectedBy(path, { filter: expression, reuseBuffers: () => new Promise((r) => setTimeout(r, 1)), chunkSize: 16 * 1024 });
    assert.ok(wasm.engines.wasm > 20, `${expression}: ${JSON.stringify(wasm.engines)}`);
    assert.equal(wasm.engines.jit + wasm.engines.interpreter, 0, `${expression}: ${JSON.stringify(wasm.engines)}`);
    // The record iterator with a filter takes the batch path as well.
    const reader = readCapture(path, { filter: expression, chunkSize: 16 * 1024 });
    const fromRecords: string[] = [];
    for await (const r of reader) fromRecords.push(`${r.linkType} ${r.timestamp.sec} ${r.caplen}/${r.len} ${Buffer.from(r.data).toString('hex')}`);
    assert.deepEqual(fromRecords, want, `${expression}: records against the interpreter`);
    assert.ok(reader.filterEngines!.wasm > 0, `${expression}: records ${JSON.stringify(reader.filterEngines)}`);
    assert.deepEqual(reader.counts, { read: records.length, accepted: want.length });
    const js = await selectedBy(bytes, { filter: expression });
    assert.equal(js.engines.wasm, 0);
    assert.ok(js.engines.jit > 0);
    assert.deepEqual(wasm.got, want, `${expression}: wasm path against the interpreter`);
    assert.deepEqual(js.got, want, `${expression}: JS path against the interpreter`);
  }
});

test('filterCapture\'s batches lie in one arena, and its output equals the JS path\'s byte for byte', async () => {
  const records = mixedRecords(2000, 0x3b);
  const input = join(dir, 'pipeline.pcapng');
  writeFileSync(input, await writeToBytes(records, { format: 'pcapng' }));
  for (const expression of EXPRESSIONS) {
    let inArena = 0, batches = 0;
    const viaPath = join(dir, 'via-path.pcapng'), viaBytes = join(dir, 'via-bytes.pcapng');
    const counts = await filterCapture(input, viaPath, {
      filter: expression, write: { format: 'pcapng' }, read: { chunkSize: 32 * 1024 },
      onBatch: (b) => {
        batches++;
        const arena = arenaOf(b.data);
        if (arena && [b.offsets, b.caplens, b.wirelens, b.selected].every((a) => arenaOf(a) === arena)) inArena++;
      },
    });
    assert.equal(inArena, batches, `${expression}: every batch in the arena`);
    const plain = await filterCapture(readFileSync(input), viaBytes, { filter: expression, write: { format: 'pcapng' } });
    assert.deepEqual(counts, plain, expression);
    assert.equal(counts.accepted, interpreted(records, expression).length, expression);
    assert.ok(readFileSync(viaPath).equals(readFileSync(viaBytes)), `${expression}: outputs differ`);
  }
});

test('when the arena has no room the reader takes ordinary buffers: the JS path runs, with the same packets', async () => {
  // pcap holds one link type: the Ethernet records only.
  const ether = mixedRecords(3000, 0x3c, 20_000).filter((r) => r.linkType === 1);
  const etherBytes = await writeToBytes(ether, { format: 'pcap', linkType: 1 });
  const path = join(dir, 'ether.pcap');
  writeFileSync(path, etherBytes);
  const expression = 'tcp port 80';
  const want = interpreted(ether, expression);
  // No buffer reuse: every chunk keeps its buffer, the arena's few run out, later chunks are ordinary memory.
  const noReuse = await selectedBy(path, { filter: expression, chunkSize: 16 * 1024 });
  assert.ok(noReuse.engines.wasm > 0 && noReuse.engines.jit > 0, JSON.stringify(noReuse.engines));
  assert.deepEqual(noReuse.got, want);
  // Records (20,000 bytes) larger than a chunk (4 KiB): read into ordinary buffers of their own.
  const big = await selectedBy(path, { filter: expression, chunkSize: 4096, reuseBuffers: true });
  assert.ok(big.engines.jit > 0, JSON.stringify(big.engines));
  assert.deepEqual(big.got, want);
  // More packets per batch than the arena's arrays were planned for: ordinary arrays.
  const wide = await selectedBy(path, { filter: expression, reuseBuffers: true }, 8192);
  assert.equal(wide.engines.wasm, 0, JSON.stringify(wide.engines));
  assert.deepEqual(wide.got, want);
  // A stream: no arena at all.
  const stream = await selectedBy(Readable.from([etherBytes.subarray(0, 1000), etherBytes.subarray(1000)]), { filter: expression });
  assert.equal(stream.engines.wasm, 0);
  assert.deepEqual(stream.got, want);
  // Arrays set aside for fewer packets than asked: ordinary arrays.
  const arena = new PacketArena(65536);
  const arrays = arena.batch(0, 8);
  assert.equal(arenaOf(createCaptureBatch(16, arrays).offsets), undefined);
  const fits = createCaptureBatch(8, arrays);
  assert.ok([fits.offsets, fits.caplens, fits.wirelens, fits.selected].every((a) => arenaOf(a) === arena && a.length === 8));
});

test('a read without a filter makes no arena', async () => {
  const path = join(dir, 'plain.pcap');
  writeFileSync(path, await writeToBytes(mixedRecords(100, 0x3d).filter((r) => r.linkType === 1), { format: 'pcap', linkType: 1 }));
  const reader = readCapture(path);
  for await (const b of reader.batches()) {
    assert.equal(arenaOf(b.data), undefined);
    assert.equal(arenaOf(b.offsets), undefined);
  }
  assert.equal(reader.filterEngines, undefined);
});
