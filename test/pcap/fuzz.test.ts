/**
 * Mutation fuzzing: valid files, damaged at random (flipped bytes, extreme
 * words, truncation, insertion, deletion, duplication), must end in packets
 * and at most one CaptureFormatError — never a crash, a hang or a wrong
 * packet. Every packet we deliver is checked against a small independent
 * framing walker written here from the format descriptions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CaptureFormatError } from '../../src/pcap/errors.js';
import type { CaptureRecord } from '../../src/pcap/info.js';
import { readCapture } from '../../src/pcap/reader.js';
import type { CaptureSource } from '../../src/pcap/byte-source.js';
import { batchRecords, block, cat, chunked, epb, idb, option, prng, readAll, shb, syntheticRecords, u32s, writeToBytes } from './helpers.js';

const CASES = process.env.BPFKIT_LONG ? 50000 : 400;

interface RefPacket { data: Uint8Array; len: number; sec: bigint; nsec: bigint }

/** Independent reference: frames a whole buffer, stopping quietly at the first thing it cannot frame. */
function reference(b: Uint8Array): RefPacket[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: RefPacket[] = [];
  if (b.length < 4) return out;
  const m = v.getUint32(0, true);
  if (m === 0x0a0d0d0a) return referenceNg(b, v, out);
  const magics = [0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34];
  const le = magics.includes(m);
  const magic = v.getUint32(0, le);
  if (!magics.includes(magic) || b.length < 24) return out;
  const hl = magic === 0xa1b2cd34 ? 24 : 16;
  for (let p = 24; p + hl <= b.length;) {
    const caplen = v.getUint32(p + 8, le);
    if (caplen > 262144 || p + hl + caplen > b.length) break;
    const frac = BigInt(v.getUint32(p + 4, le));
    out.push({ data: b.subarray(p + hl, p + hl + caplen), len: v.getUint32(p + 12, le), sec: BigInt(v.getUint32(p, le)), nsec: magic === 0xa1b23c4d ? frac : frac * 1000n });
    p += hl + caplen;
  }
  return out;
}

function referenceNg(b: Uint8Array, v: DataView, out: RefPacket[]): RefPacket[] {
  let le = true;
  let ifaces: Array<{ units: bigint; offset: bigint; snaplen: number }> = [];
  for (let p = 0; p + 12 <= b.length;) {
    if (v.getUint32(p, true) === 0x0a0d0d0a) {
      const bom = v.getUint32(p + 8, true);
      if (bom === 0x1a2b3c4d) le = true; else if (bom === 0x4d3c2b1a) le = false; else break;
      ifaces = [];
    }
    const type = v.getUint32(p, le);
    const len = v.getUint32(p + 4, le);
    if (len < 12 || len % 4 || p + len > b.length || v.getUint32(p + len - 4, le) !== len) break;
    if (type === 1 && len >= 20) {
      let units = 1000000n, offset = 0n;
      for (let o = p + 16; o + 4 <= p + len - 4;) {
        const code = v.getUint16(o, le), olen = v.getUint16(o + 2, le);
        if (code === 0) break;
        if (code === 9 && olen >= 1) { const r = b[o + 4]; units = r & 0x80 ? 2n ** BigInt(r & 0x7f) : 10n ** BigInt(r); }
        if (code === 14 && olen >= 8) offset = v.getBigInt64(o + 4, le);
        o += 4 + ((olen + 3) & ~3);
      }
      ifaces.push({ units, offset, snaplen: v.getUint32(p + 12, le) });
    } else if (type === 6 || type === 2) {
      const iface = ifaces[type === 6 ? v.getUint32(p + 8, le) : v.getUint16(p + 8, le)];
      const caplen = v.getUint32(p + 20, le);
      if (!iface || caplen > 262144 || 28 + caplen + 4 > len) break;
      const ts = (BigInt(v.getUint32(p + 12, le)) << 32n) | BigInt(v.getUint32(p + 16, le));
      out.push({ data: b.subarray(p + 28, p + 28 + caplen), len: v.getUint32(p + 24, le), sec: ts / iface.units + iface.offset, nsec: ((ts % iface.units) * 1000000000n) / iface.units });
    } else if (type === 3) {
      const iface = ifaces[0];
      if (!iface) break;
      const orig = v.getUint32(p + 8, le);
      let caplen = Math.min(orig, len - 16);
      if (iface.snaplen) caplen = Math.min(caplen, iface.snaplen);
      out.push({ data: b.subarray(p + 12, p + 12 + caplen), len: orig, sec: 0n, nsec: 0n });
    }
    p += len;
  }
  return out;
}

async function seeds(): Promise<Uint8Array[]> {
  const records = syntheticRecords(25, 99, 2).map((r) => ({ ...r, data: r.data.subarray(0, 20 + (r.data.length % 200)), caplen: 20 + (r.data.length % 200) }));
  records[2].comments = ['fuzz me'];
  const data = Uint8Array.from({ length: 33 }, (_, i) => i * 7);
  return [
    await writeToBytes(records.map((r) => ({ ...r, interface: 0 })), { format: 'pcap' }),
    await writeToBytes(records.map((r) => ({ ...r, interface: 0 })), { format: 'pcap', precision: 'nano', byteOrder: 'big' }),
    await writeToBytes(records, { format: 'pcapng', precision: 'nano', interfaces: [{ linkType: 1, name: 'a' }, { linkType: 1, name: 'b', tsresol: 0x83 }] }),
    cat(shb(), idb(1, 24, true, [...option(9, [3]), ...option(14, [...u32s([5, 0])])]), block(3, [...u32s([33]), ...data, 0, 0, 0]),
      block(4, [...option(1, [10, 0, 0, 1, 0x61, 0]), 0, 0, 0, 0]), epb(0, 0, 123456, data), block(5, [...u32s([0, 0, 1])]),
      shb(false), idb(1, 0, false), epb(0, 1, 2, data, 40, false)),
  ];
}

/** The batch path's view of a source, as records, with the error that ended it. */
async function readAllBatches(source: CaptureSource, capacity: number): Promise<{ records: CaptureRecord[]; error: unknown }> {
  const records: CaptureRecord[] = [];
  try {
    for await (const b of readCapture(source).batches(capacity)) records.push(...batchRecords(b, 'all'));
    return { records, error: undefined };
  } catch (error) {
    return { records, error };
  }
}

function mutate(src: Uint8Array, rand: () => number): Uint8Array {
  const b = Buffer.from(src);
  const at = Math.floor(rand() * b.length);
  switch (Math.floor(rand() * 6)) {
    case 0: {
      const n = 1 + Math.floor(rand() * 8);
      for (let i = 0; i < n; i++) b[Math.floor(rand() * b.length)] ^= 1 << Math.floor(rand() * 8);
      return b;
    }
    case 1: {
      const word = [0, 0xffffffff, 0x7fffffff, 0x40001, 12, 8, 16, 262145, Math.floor(rand() * 0xffffffff)][Math.floor(rand() * 9)];
      const p = Math.min(b.length - 4, at & ~3);
      if (p >= 0) b.writeUInt32LE(word >>> 0, p);
      return b;
    }
    case 2: return b.subarray(0, at);
    case 3: return Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 40) }, () => Math.floor(rand() * 256))), b.subarray(at)]);
    case 4: return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + Math.floor(rand() * 64)))]);
    default: {
      const end = Math.min(b.length, at + 1 + Math.floor(rand() * 200));
      return Buffer.concat([b.subarray(0, end), b.subarray(at, end), b.subarray(end)]);
    }
  }
}

function check(bytes: Uint8Array, got: CaptureRecord[], error: unknown, label: string): void {
  if (error !== undefined) {
    assert.ok(error instanceof CaptureFormatError, `${label}: ${String(error)}`);
    assert.ok(Number.isInteger(error.offset) && error.offset >= 0 && error.offset <= bytes.length, `${label}: offset ${error.offset}`);
  }
  const ref = reference(bytes);
  assert.ok(got.length <= ref.length, `${label}: ${got.length} packets, the framing supports ${ref.length}`);
  if (error === undefined) assert.equal(got.length, ref.length, `${label}: packets lost without an error`);
  got.forEach((r, i) => {
    const e = ref[i];
    assert.ok(Buffer.from(r.data).equals(Buffer.from(e.data)), `${label}: packet ${i} bytes`);
    assert.equal(r.len, e.len, `${label}: packet ${i} len`);
    assert.equal(r.caplen, r.data.length);
    assert.deepEqual([BigInt(r.timestamp.sec), BigInt(r.timestamp.nsec)], [e.sec, e.nsec], `${label}: packet ${i} time ${r.timestamp.sec}.${r.timestamp.nsec} vs ${e.sec}.${e.nsec}`);
  });
}

test(`fuzz: ${CASES} mutated files give only typed errors and correct packets`, { timeout: 600000 }, async () => {
  const valid = await seeds();
  for (const [i, s] of valid.entries()) {
    const { records, error } = await readAll(s);
    assert.equal(error, undefined, `seed ${i}`);
    check(s, records, error, `seed ${i}`);
  }
  const rand = prng(0xf022);
  const kinds = new Map<string, number>();
  for (let c = 0; c < CASES; c++) {
    let bytes = valid[c % valid.length];
    const rounds = 1 + Math.floor(rand() * 3);
    for (let r = 0; r < rounds; r++) bytes = mutate(bytes, rand);
    const chunk = [0, 1 + Math.floor(rand() * 64), 4096][c % 3];
    const { records, error } = await readAll(chunk === 0 ? bytes : chunked(bytes, chunk));
    check(bytes, records, error, `case ${c}`);
    if (c % 4 === 0) {
      // The batch path must see exactly what the record path sees.
      const batched = await readAllBatches(chunk === 0 ? bytes : chunked(bytes, chunk), 1 + (c % 17));
      assert.equal(batched.records.length, records.length, `case ${c}: batch path packet count`);
      assert.equal(String(batched.error), String(error), `case ${c}: batch path error`);
      check(bytes, batched.records, batched.error, `case ${c} (batches)`);
    }
    const kind = error instanceof CaptureFormatError ? error.kind : 'ok';
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  // The mutations must reach many error paths, or the fuzzer tests nothing.
  assert.ok(kinds.size >= 6, `only ${[...kinds.keys()].join(', ')}`);
});
