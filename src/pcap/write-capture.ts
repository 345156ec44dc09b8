/**
 * The writing entry points: pick the format, open the destination, and
 * optionally pour a whole stream of records in.
 */
import type { CaptureDestination } from './byte-sink.js';
import type { CaptureWriter, WriteOptions } from './capture-writer.js';
import { PcapWriter } from './pcap-writer.js';
import { PcapngWriter } from './pcapng-writer.js';
import type { PacketRecord } from './record.js';

/**
 * Opens a capture writer: pcap unless `format` says pcapng or the path ends in `.pcapng`.
 *
 * @example
 * const w = createCaptureWriter('-', { format: 'pcap', linkType: 1 }); // to stdout
 */
export function createCaptureWriter(destination: CaptureDestination, options: WriteOptions = {}): CaptureWriter {
  const format = options.format ?? (typeof destination === 'string' && destination.endsWith('.pcapng') ? 'pcapng' : 'pcap');
  return format === 'pcapng' ? new PcapngWriter(destination, options) : new PcapWriter(destination, options);
}

/**
 * Writes every record of an iterable (a CaptureReader, an array…) to a
 * destination and closes it; resolves to the number written.
 *
 * @example
 * const n = await writeCapture('out.pcapng', readCapture('in.pcap', { filter: 'icmp' }));
 */
export async function writeCapture(destination: CaptureDestination,
  records: AsyncIterable<PacketRecord> | Iterable<PacketRecord>, options: WriteOptions = {}): Promise<number> {
  const writer = createCaptureWriter(destination, options);
  try {
    for await (const r of records) {
      const pending = writer.write(r);
      if (pending) await pending;
    }
  } finally {
    await writer.close();
  }
  return writer.written;
}
