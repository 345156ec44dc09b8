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
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-craft-'));
  const path = join(dir, 'packets.pcap');
  writeFileSync(path, pcapBytes(dlt, packets));
  return path;
}
