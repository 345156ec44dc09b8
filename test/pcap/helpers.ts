/**
 * Test helpers for capture files: deterministic packets, hand-built pcapng
 * blocks (for block types our writer never emits), reading everything a file
 * yields before its error, and running the reference tools.
 */
import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { createCaptureWriter } from '../../src/pcap/write-capture.js';
import { readCapture, type ReadOptions } from '../../src/pcap/reader.js';
import type { CaptureBatch, CaptureRecord } from '../../src/pcap/info.js';
import type { WriteOptions } from '../../src/pcap/capture-writer.js';
import type { CaptureSource } from '../../src/pcap/byte-source.js';

/**
 * xorshift32: the same numbers on every run.
 *
 * @example
 * const rand = prng(42); rand() // a number in [0, 1)
 */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

/**
 * `count` Ethernet-looking records with varied lengths (some truncated: len > caplen) and nanosecond timestamps.
 *
 * @example
 * const records = syntheticRecords(100, 7, 2) // two interfaces
 */
export function syntheticRecords(count: number, seed = 1, interfaces = 1): CaptureRecord[] {
  const rand = prng(seed);
  const out: CaptureRecord[] = [];
  for (let i = 0; i < count; i++) {
    const caplen = 14 + Math.floor(rand() * 1500);
    const data = new Uint8Array(caplen);
    for (let j = 0; j < caplen; j++) data[j] = Math.floor(rand() * 256);
    data[12] = 0x08; data[13] = 0x00;
    const len = rand() < 0.2 ? caplen + Math.floor(rand() * 3000) : caplen;
    out.push({
      data, caplen, len, linkType: 1, interface: i % interfaces,
      timestamp: { sec: 1600000000 + i * 3 + Math.floor(rand() * 3), nsec: Math.floor(rand() * 1e9) },
    });
  }
  return out;
}

/**
 * Writes records into memory with our writer.
 *
 * @example
 * const bytes = await writeToBytes(records, { format: 'pcapng' })
 */
export async function writeToBytes(records: CaptureRecord[], options: WriteOptions): Promise<Buffer> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const w = createCaptureWriter(sink, { ...options, flushOnExit: false });
  for (const r of records) await w.write(r);
  await w.close();
  return Buffer.concat(chunks);
}

/** What reading a source produced: the packets (copied) and the error that ended it, if any. */
export interface ReadOutcome {
  records: CaptureRecord[];
  error: unknown;
}

/**
 * Reads every packet a source yields, copying their bytes, and catches the error that ends it.
 *
 * @example
 * const { records, error } = await readAll(bytes.subarray(0, 100))
 */
export async function readAll(source: CaptureSource, options: ReadOptions = {}): Promise<ReadOutcome> {
  const records: CaptureRecord[] = [];
  try {
    for await (const r of readCapture(source, options)) records.push({ ...r, data: r.data.slice() });
    return { records, error: undefined };
  } catch (error) {
    return { records, error };
  }
}

/**
 * A Readable that hands out `bytes` in chunks of `size` (to test records split across chunks).
 *
 * @example
 * await readAll(chunked(bytes, 7))
 */
export function chunked(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  return (async function* () {
    for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, Math.min(bytes.length, at + size));
  })();
}

/**
 * The timestamp as tshark prints frame.time_epoch: seconds, a dot, nine digits.
 *
 * @example
 * epoch({ timestamp: { sec: 1, nsec: 5 } }) // '1.000000005'
 */
export function epoch(r: { timestamp: { sec: number; nsec: number } }, digits = 9): string {
  return `${r.timestamp.sec}.${String(r.timestamp.nsec).padStart(9, '0').slice(0, digits)}`;
}

/**
 * Runs a command; throws with its stderr when it fails.
 *
 * @example
 * run('tcpdump', ['-nr', path])
 */
export function run(command: string, args: string[], input?: Uint8Array): string {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 28, input });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Whether a tool is installed.
 *
 * @example
 * have('tshark') // true when installed
 */
export function have(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

/**
 * tshark's view of a file: one line per packet of epoch time, wire length, captured length, interface id.
 *
 * @example
 * tsharkFields(path)[0] // '1700000000.000000000,60,60,0'
 */
export function tsharkFields(path: string): string[] {
  return run('tshark', ['-r', path, '-T', 'fields', '-E', 'separator=,', '-e', 'frame.time_epoch', '-e', 'frame.len',
    '-e', 'frame.cap_len', '-e', 'frame.interface_id']).trim().split('\n').filter((l) => l.length > 0);
}

/**
 * Our view in tshark's format.
 *
 * @example
 * assert.deepEqual(ourFields(records), tsharkFields(path))
 */
export function ourFields(records: CaptureRecord[]): string[] {
  return records.map((r) => `${epoch(r)},${r.len},${r.caplen},${r.interface}`);
}

/**
 * A little-endian or big-endian pcapng block, for hand-built test files.
 *
 * @example
 * block(0xbad, [...u32s([32473]), 1, 2, 3, 4]) // a custom block
 */
export function block(type: number, body: Uint8Array | number[], le = true): Uint8Array {
  const b = Uint8Array.from(body);
  const padded = (b.length + 3) & ~3;
  const total = 12 + padded;
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, le);
  v.setUint32(4, total, le);
  out.set(b, 8);
  v.setUint32(total - 4, total, le);
  return out;
}

/**
 * Bytes of little- or big-endian integers, for block bodies.
 *
 * @example
 * u32s([1, 2], false) // [0, 0, 0, 1, 0, 0, 0, 2]
 */
export function u32s(values: number[], le = true): number[] {
  const out = new Uint8Array(values.length * 4);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => v.setUint32(i * 4, x >>> 0, le));
  return [...out];
}

/**
 * One pcapng option (code, value), padded.
 *
 * @example
 * option(2, [...Buffer.from('eth0')]) // if_name
 */
export function option(code: number, value: number[] | Uint8Array, le = true): number[] {
  const out = new Uint8Array(4 + ((value.length + 3) & ~3));
  const v = new DataView(out.buffer);
  v.setUint16(0, code, le);
  v.setUint16(2, value.length, le);
  out.set(Uint8Array.from(value), 4);
  return [...out];
}

/**
 * A Section Header Block.
 *
 * @example
 * cat(shb(), idb(1, 65535), epb(0, 0, 1, frame))
 */
export function shb(le = true, options: number[] = []): Uint8Array {
  const body = new Uint8Array(16);
  const v = new DataView(body.buffer);
  v.setUint32(0, 0x1a2b3c4d, le);
  v.setUint16(4, 1, le);
  v.setUint16(6, 0, le);
  v.setInt32(8, -1, le); v.setInt32(12, -1, le);
  return block(0x0a0d0d0a, [...body, ...options, ...(options.length ? [0, 0, 0, 0] : [])], le);
}

/**
 * An Interface Description Block.
 *
 * @example
 * idb(1, 65535, true, option(9, [9])) // nanosecond Ethernet interface
 */
export function idb(linkType: number, snaplen: number, le = true, options: number[] = []): Uint8Array {
  const body = new Uint8Array(8);
  const v = new DataView(body.buffer);
  v.setUint16(0, linkType, le);
  v.setUint32(4, snaplen, le);
  return block(1, [...body, ...options, ...(options.length ? [0, 0, 0, 0] : [])], le);
}

/**
 * An Enhanced Packet Block with a raw 64-bit timestamp.
 *
 * @example
 * epb(0, 0, 1000000, frame) // one second after the epoch, microsecond interface
 */
export function epb(iface: number, tsHigh: number, tsLow: number, data: Uint8Array, len = data.length, le = true, options: number[] = []): Uint8Array {
  const padded = new Uint8Array((data.length + 3) & ~3);
  padded.set(data);
  return block(6, [...u32s([iface, tsHigh, tsLow, data.length, len], le), ...padded, ...options, ...(options.length ? [0, 0, 0, 0] : [])], le);
}

/**
 * Concatenates parts into one buffer.
 *
 * @example
 * cat(shb(), idb(1, 0))
 */
export function cat(...parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts);
}

/**
 * How many packets tcpdump reads from a file (with an optional filter).
 *
 * @example
 * tcpdumpCount(path, 'tcp port 80')
 */
export function tcpdumpCount(path: string, expression?: string): number {
  const out = run('tcpdump', ['-tt', '-nr', path, ...(expression ? [expression] : [])]);
  return out.split('\n').filter((l) => /^\d+\.\d{6,9} /.test(l)).length;
}

/**
 * Copies packets out of a batch as records: the selected ones (default) or all of them.
 *
 * @example
 * for await (const b of reader.batches()) out.push(...batchRecords(b));
 */
export function batchRecords(b: CaptureBatch, which: 'selected' | 'all' = 'selected'): CaptureRecord[] {
  const n = which === 'all' ? b.count : b.selectedCount;
  const out: CaptureRecord[] = [];
  for (let j = 0; j < n; j++) {
    const i = which === 'all' ? j : b.selected[j];
    out.push({
      data: b.data.slice(b.offsets[i], b.offsets[i] + b.caplens[i]), caplen: b.caplens[i], len: b.wirelens[i],
      timestamp: { sec: b.sec[i], nsec: b.nsec[i] }, linkType: b.linkType, interface: b.interfaces[i],
    });
  }
  return out;
}
