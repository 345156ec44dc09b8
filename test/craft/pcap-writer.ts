/**
 * A tiny classic-pcap writer for tests that hand crafted packets to tcpdump
 * and tshark (the project's own writer lives in src/pcap/; this one keeps the
 * craft tests independent of it).
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linkType } from '../../src/bpf/linktypes.js';

/** A packet for the writer: captured bytes and the length on the wire. */
export interface WritablePacket {
  data: Uint8Array;
  wireLength?: number;
}

/**
 * The bytes of a pcap file (microsecond timestamps, one second apart) holding `packets`.
 *
 * @example
 * writeFileSync('x.pcap', pcapBytes(1, [{ data: frame }]));
 */
export function pcapBytes(dlt: number, packets: readonly WritablePacket[], snaplen = 262144): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(snaplen, 16);
  header.writeUInt32LE(linkType(dlt).linktype, 20);
  const parts: Buffer[] = [header];
  packets.forEach((p, i) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1700000000 + i, 0);
    rec.writeUInt32LE(0, 4);
    rec.writeUInt32LE(p.data.length, 8);
    rec.writeUInt32LE(p.wireLength ?? p.data.length, 12);
    parts.push(rec, Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength));
  });
  return Buffer.concat(parts);
}

/**
 * Writes a pcap file into a fresh temporary directory and returns its path.
 *
 * @example
 * const path = writeTempPcap(1, [{ data: frame }]);
 */
export function writeTempPcap(dlt: number, packets: readonly WritablePacket[]): string {
  return writeTemp('packets.pcap', pcapBytes(dlt, packets));
}

/**
 * The bytes of a pcapng file with one interface per distinct link type, so
 * packets of many link types go to tshark in one file.
 *
 * @example
 * writeFileSync('x.pcapng', pcapngBytes([{ dlt: 1, data: frame }, { dlt: 113, data: cooked }]));
 */
export function pcapngBytes(packets: ReadonlyArray<WritablePacket & { dlt: number }>): Buffer {
  const block = (type: number, body: Buffer): Buffer => {
    const padded = Buffer.alloc((body.length + 3) & ~3);
    body.copy(padded);
    const out = Buffer.alloc(12 + padded.length);
    out.writeUInt32LE(type, 0);
    out.writeUInt32LE(out.length, 4);
    padded.copy(out, 8);
    out.writeUInt32LE(out.length, out.length - 4);
    return out;
  };
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeBigInt64LE(-1n, 8);
  const parts = [block(0x0a0d0d0a, shb)];
  const interfaces = new Map<number, number>();
  for (const p of packets) {
    if (interfaces.has(p.dlt)) continue;
    const idb = Buffer.alloc(8);
    idb.writeUInt16LE(linkType(p.dlt).linktype, 0);
    idb.writeUInt32LE(262144, 4);
    interfaces.set(p.dlt, interfaces.size);
    parts.push(block(1, idb));
  }
  packets.forEach((p, i) => {
    const head = Buffer.alloc(20);
    head.writeUInt32LE(interfaces.get(p.dlt)!, 0);
    const micros = BigInt(1700000000 + i) * 1000000n;
    head.writeUInt32LE(Number(micros >> 32n), 4);
    head.writeUInt32LE(Number(micros & 0xffffffffn), 8);
    head.writeUInt32LE(p.data.length, 12);
    head.writeUInt32LE(p.wireLength ?? p.data.length, 16);
    parts.push(block(6, Buffer.concat([head, Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength)])));
  });
  return Buffer.concat(parts);
}

/**
 * Writes a pcapng file (see pcapngBytes) into a fresh temporary directory and returns its path.
 *
 * @example
 * const path = writeTempPcapng([{ dlt: 1, data: frame }]);
 */
export function writeTempPcapng(packets: ReadonlyArray<WritablePacket & { dlt: number }>): string {
  return writeTemp('packets.pcapng', pcapngBytes(packets));
}

function writeTemp(name: string, bytes: Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'bpfkit-craft-')), name);
  writeFileSync(path, bytes);
  return path;
}
