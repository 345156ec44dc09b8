/**
 * Writes classic pcap files, as tcpdump -w does: one link type per file,
 * microsecond or nanosecond timestamps.
 */
import { linkType as linkTypeInfo } from '../bpf/linktypes.js';
import type { CaptureDestination } from './byte-sink.js';
import { copyBytes, putU16, putU32 } from './bytes.js';
import { CaptureWriteError, CaptureWriter, DEFAULT_SNAPLEN, type WriteOptions } from './capture-writer.js';
import { PCAP_HEADER_LENGTH, PCAP_MAGIC_NS, PCAP_MAGIC_US, pcapRecordLayout } from './pcap-parser.js';
import type { CaptureBatch } from './info.js';


/**
 * The LINKTYPE_ number a file carries for a DLT_ number (the same number when bpfkit does not know it).
 *
 * @example
 * fileLinkTypeOf(12) // 101 (RAW)
 */
export function fileLinkTypeOf(dlt: number): number {
  try { return linkTypeInfo(dlt).linktype; } catch { return dlt; }
}

/**
 * A pcap file writer.
 *
 * @example
 * const w = new PcapWriter('out.pcap', { precision: 'nano', linkType: 1 });
 * await w.write(record);
 * await w.close();
 */
export class PcapWriter extends CaptureWriter {
  private linkType = -1;
  private readonly nano: boolean;

  constructor(destination: CaptureDestination, options: WriteOptions = {}) {
    super(destination, options);
    this.nano = options.precision === 'nano';
  }

  protected header(firstLinkType: number | undefined): void {
    this.linkType = this.options.linkType ?? firstLinkType ?? 1;
    const b = this.buf;
    const le = this.le;
    putU32(b, 0, this.nano ? PCAP_MAGIC_NS : PCAP_MAGIC_US, le);
    putU16(b, 4, 2, le);
    putU16(b, 6, 4, le);
    putU32(b, 8, 0, le);
    putU32(b, 12, 0, le);
    putU32(b, 16, this.options.snaplen ?? DEFAULT_SNAPLEN, le);
    putU32(b, 20, fileLinkTypeOf(this.linkType), le);
    this.used = PCAP_HEADER_LENGTH;
  }

  /**
   * Writes the selected packets of a batch; records already in this file's
   * layout are copied in runs, and long runs handed to the output as they are.
   *
   * @example
   * for await (const b of reader.batches()) await writer.writeBatch(b);
   */
  override async writeBatch(batch: CaptureBatch, indices: Uint32Array = batch.selected, count = batch.selectedCount): Promise<void> {
    if (count === 0) return;
    this.ensureOpen(batch.linkType);
    if (batch.rawLayout !== pcapRecordLayout(this.le, this.nano, 16) || batch.linkType !== this.linkType) {
      return super.writeBatch(batch, indices, count);
    }
    const { data, offsets, caplens } = batch;
    let j = 0;
    while (j < count) {
      const first = indices[j];
      let last = first;
      while (j + 1 < count && indices[j + 1] === last + 1) { j++; last++; }
      j++;
      const start = offsets[first] - 16;
      const end = offsets[last] + caplens[last];
      const pending = this.raw(data, start, end, last - first + 1);
      if (pending) await pending;
    }
  }

  protected packet(data: Uint8Array, offset: number, caplen: number, len: number, sec: number, nsec: number,
    _iface: number, linkType: number): Promise<void> | undefined {
    if (linkType !== this.linkType) {
      throw new CaptureWriteError(`a pcap file holds one link type: this one is DLT ${this.linkType}, the packet is DLT ${linkType} (write pcapng instead)`);
    }
    const pending = this.reserve(16 + caplen);
    const b = this.buf;
    const p = this.used;
    const le = this.le;
    putU32(b, p, sec, le);
    putU32(b, p + 4, this.nano ? nsec : Math.floor(nsec / 1000), le);
    putU32(b, p + 8, caplen, le);
    putU32(b, p + 12, len, le);
    copyBytes(data, offset, b, p + 16, caplen);
    this.used = p + 16 + caplen;
    this.written++;
    return pending;
  }
}
