/**
 * Writes pcapng files: one section, interfaces declared up front or as
 * packets name them, Enhanced Packet Blocks with comments and flags.
 */
import type { CaptureDestination } from './byte-sink.js';
import { copyBytes, pad4, putU16, putU32 } from './bytes.js';
import { CaptureWriter, DEFAULT_SNAPLEN, type InterfaceDescription, type WriteOptions } from './capture-writer.js';
import type { PacketExtras } from './info.js';
import { fileLinkTypeOf } from './pcap-writer.js';
import {
  BLOCK_EPB, BLOCK_IDB, BLOCK_SHB, BYTE_ORDER_MAGIC, EPB_FLAGS, IF_DESCRIPTION, IF_FILTER, IF_NAME, IF_OS, IF_TSRESOL,
  OPT_COMMENT, SHB_USERAPPL,
} from './pcapng-parser.js';
import { joinUnits, resolutionFromByte, type TimestampResolution } from './timestamp.js';

const utf8 = new TextEncoder();

interface Option {
  code: number;
  value: Uint8Array;
}

interface WrittenInterface {
  id: number;
  linkType: number;
  res: TimestampResolution;
}

/** One pcapng interface per (record interface, link type) pair met. */
function interfaceKey(recordInterface: number, linkType: number): number {
  return recordInterface * 0x10000 + (linkType & 0xffff);
}

/**
 * A pcapng file writer.
 *
 * @example
 * const w = new PcapngWriter('out.pcapng', { interfaces: [{ linkType: 1, name: 'eth0' }], comment: 'test run' });
 * await w.write({ ...record, comments: ['interesting'] });
 * await w.close();
 */
export class PcapngWriter extends CaptureWriter {
  private readonly byRecordInterface = new Map<number, WrittenInterface>();
  private count = 0;

  constructor(destination: CaptureDestination, options: WriteOptions = {}) {
    super(destination, options);
  }

  protected header(): void {
    const o = this.options;
    const options: Option[] = [];
    if (o.comment) options.push({ code: OPT_COMMENT, value: utf8.encode(o.comment) });
    options.push({ code: SHB_USERAPPL, value: utf8.encode(o.userApplication ?? 'bpfkit') });
    const body = new Uint8Array(16);
    putU32(body, 0, BYTE_ORDER_MAGIC, this.le);
    putU16(body, 4, 1, this.le);
    putU16(body, 6, 0, this.le);
    body.fill(0xff, 8, 16); // section length: not given
    this.block(BLOCK_SHB, body, options);
    (o.interfaces ?? []).forEach((d, i) => this.defineInterface(i, d));
  }

  private defineInterface(recordInterface: number, d: InterfaceDescription): WrittenInterface {
    const tsresol = d.tsresol ?? (this.options.precision === 'nano' ? 9 : 6);
    const options: Option[] = [];
    for (const c of d.comments ?? []) options.push({ code: OPT_COMMENT, value: utf8.encode(c) });
    if (d.name) options.push({ code: IF_NAME, value: utf8.encode(d.name) });
    if (d.description) options.push({ code: IF_DESCRIPTION, value: utf8.encode(d.description) });
    if (tsresol !== 6) options.push({ code: IF_TSRESOL, value: Uint8Array.of(tsresol) });
    if (d.filter !== undefined) options.push({ code: IF_FILTER, value: Uint8Array.from([0, ...utf8.encode(d.filter)]) });
    if (d.os) options.push({ code: IF_OS, value: utf8.encode(d.os) });
    const body = new Uint8Array(8);
    putU16(body, 0, fileLinkTypeOf(d.linkType), this.le);
    putU32(body, 4, d.snaplen ?? DEFAULT_SNAPLEN, this.le);
    this.block(BLOCK_IDB, body, options);
    const written = { id: this.count++, linkType: d.linkType, res: resolutionFromByte(tsresol) };
    this.byRecordInterface.set(interfaceKey(recordInterface, d.linkType), written);
    return written;
  }

  /** Appends a whole non-packet block (rare: header, interfaces), growing the buffer if needed. */
  private block(type: number, body: Uint8Array, options: Option[]): void {
    const optLength = options.length ? options.reduce((n, o) => n + 4 + pad4(o.value.length), 4) : 0;
    const total = 8 + pad4(body.length) + optLength + 4;
    if (this.used + total > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + total));
      bigger.set(this.buf.subarray(0, this.used));
      this.buf = bigger;
    }
    const b = this.buf;
    let p = this.used;
    putU32(b, p, type, this.le);
    putU32(b, p + 4, total, this.le);
    b.set(body, p + 8);
    b.fill(0, p + 8 + body.length, p + 8 + pad4(body.length));
    p += 8 + pad4(body.length);
    p = this.putOptions(b, p, options);
    putU32(b, p, total, this.le);
    this.used = p + 4;
  }

  private putOptions(b: Uint8Array, p: number, options: Option[]): number {
    if (options.length === 0) return p;
    for (const o of options) {
      putU16(b, p, o.code, this.le);
      putU16(b, p + 2, o.value.length, this.le);
      b.set(o.value, p + 4);
      b.fill(0, p + 4 + o.value.length, p + 4 + pad4(o.value.length));
      p += 4 + pad4(o.value.length);
    }
    putU32(b, p, 0, this.le); // opt_endofopt
    return p + 4;
  }

  protected packet(data: Uint8Array, offset: number, caplen: number, len: number, sec: number, nsec: number,
    iface: number, linkType: number, extras: PacketExtras | undefined): Promise<void> | undefined {
    let target = this.byRecordInterface.get(interfaceKey(iface, linkType));
    if (!target) {
      const declared = this.options.interfaces?.[iface];
      target = this.defineInterface(iface, declared && declared.linkType === linkType ? declared : { linkType });
    }
    let options: Option[] = [];
    if (extras) {
      options = extras.comments.map((c) => ({ code: OPT_COMMENT, value: utf8.encode(c) }));
      if (extras.flags !== undefined) {
        const v = new Uint8Array(4);
        putU32(v, 0, extras.flags, this.le);
        options.push({ code: EPB_FLAGS, value: v });
      }
    }
    const optLength = options.length ? options.reduce((n, o) => n + 4 + pad4(o.value.length), 4) : 0;
    const total = 28 + pad4(caplen) + optLength + 4;
    const pending = this.reserve(total);
    const b = this.buf;
    const p = this.used;
    const le = this.le;
    const [high, low] = joinUnits(sec, nsec, target.res);
    putU32(b, p, BLOCK_EPB, le);
    putU32(b, p + 4, total, le);
    putU32(b, p + 8, target.id, le);
    putU32(b, p + 12, high, le);
    putU32(b, p + 16, low, le);
    putU32(b, p + 20, caplen, le);
    putU32(b, p + 24, len, le);
    copyBytes(data, offset, b, p + 28, caplen);
    const padded = p + 28 + pad4(caplen);
    b.fill(0, p + 28 + caplen, padded);
    const end = this.putOptions(b, padded, options);
    putU32(b, end, total, le);
    this.used = end + 4;
    this.written++;
    return pending;
  }
}
