/**
 * The classic pcap format (pcap-savefile(5)): a 24-byte header, then records
 * of a 16-byte header and the captured bytes, in the writer's byte order.
 */
import { fromFileLinkType } from '../bpf/linktypes.js';
import { hex, u16, u32 } from './bytes.js';
import { CaptureFormatError, MAX_CAPLEN } from './errors.js';
import type { FormatParser } from './format-parser.js';
import { REFUSE, STOP_AFTER, emptyInfo, type CaptureBatch, type CaptureInfo, type PacketSink } from './info.js';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;
export const PCAP_HEADER_LENGTH = 24;

/** libpcap's LT_FCS_LENGTH_PRESENT bit and the FCS length in 16-bit units above it. */
const FCS_PRESENT = 0x04000000;

/**
 * True when the first four bytes are a pcap magic in either byte order.
 *
 * @example
 * isPcapMagic(new Uint8Array([0xd4, 0xc3, 0xb2, 0xa1])) // true
 */
export function isPcapMagic(b: Uint8Array): boolean {
  for (const le of [true, false]) {
    const m = u32(b, 0, le);
    if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS || m === PCAP_MAGIC_MODIFIED) return true;
  }
  return false;
}

/**
 * The name of a pcap record layout, shared by reader and writer so that a
 * writer can recognise records it may copy byte for byte.
 *
 * @example
 * pcapRecordLayout(true, false, 16) // 'pcap/le/us/16'
 */
export function pcapRecordLayout(le: boolean, nano: boolean, recordHeader: number): string {
  return `pcap/${le ? 'le' : 'be'}/${nano ? 'ns' : 'us'}/${recordHeader}`;
}

/**
 * Parses pcap files. Create it on a stream whose first bytes `isPcapMagic`
 * accepted, then feed it bytes.
 *
 * @example
 * const parser = new PcapParser();
 * const next = parser.parse(bytes, 0, bytes.length, 0, sink);
 */
export class PcapParser implements FormatParser {
  readonly info: CaptureInfo = emptyInfo('pcap');
  needed = PCAP_HEADER_LENGTH;
  rawLayout: string | undefined;
  private headerDone = false;
  private le = true;
  private nano = false;
  private recordHeader = 16;
  private linkType = 1;

  parse(buf: Uint8Array, pos: number, end: number, base: number, sink: PacketSink): number {
    if (!this.headerDone) {
      if (end - pos < PCAP_HEADER_LENGTH) { this.needed = PCAP_HEADER_LENGTH; return pos; }
      this.readHeader(buf, pos, base);
      pos += PCAP_HEADER_LENGTH;
    }
    const le = this.le;
    const hl = this.recordHeader;
    const nano = this.nano;
    const linkType = this.linkType;
    for (;;) {
      if (end - pos < hl) { this.needed = hl; return pos; }
      const caplen = u32(buf, pos + 8, le);
      if (caplen > MAX_CAPLEN) {
        throw new CaptureFormatError('caplen-too-large', base + pos,
          `pcap record claims ${caplen} captured bytes, more than the maximum of ${MAX_CAPLEN}`);
      }
      const total = hl + caplen;
      if (end - pos < total) { this.needed = total; return pos; }
      const frac = u32(buf, pos + 4, le);
      const r = sink.packet(buf, pos + hl, caplen, u32(buf, pos + 12, le), u32(buf, pos, le),
        nano ? frac : frac * 1000, 0, linkType, undefined);
      if (r === REFUSE) { this.needed = total; return pos; }
      pos += total;
      if (r === STOP_AFTER) { this.needed = hl; return pos; }
    }
  }

  fillBatch(buf: Uint8Array, pos: number, end: number, base: number, batch: CaptureBatch): number {
    if (!this.headerDone) return this.parse(buf, pos, end, base, { packet: () => REFUSE });
    const le = this.le;
    const hl = this.recordHeader;
    const scale = this.nano ? 1 : 1000;
    const { offsets, caplens, wirelens, sec, nsec, interfaces } = batch;
    const capacity = offsets.length;
    let i = batch.count;
    if (i === 0) {
      (batch as { data: Uint8Array }).data = buf;
      batch.linkType = this.linkType;
    }
    this.needed = hl;
    while (i < capacity) {
      if (end - pos < hl) break;
      const caplen = u32(buf, pos + 8, le);
      if (caplen > MAX_CAPLEN) {
        batch.count = i;
        throw new CaptureFormatError('caplen-too-large', base + pos,
          `pcap record claims ${caplen} captured bytes, more than the maximum of ${MAX_CAPLEN}`);
      }
      if (end - pos < hl + caplen) { this.needed = hl + caplen; break; }
      offsets[i] = pos + hl;
      caplens[i] = caplen;
      wirelens[i] = u32(buf, pos + 12, le);
      sec[i] = u32(buf, pos, le);
      nsec[i] = u32(buf, pos + 4, le) * scale;
      interfaces[i] = 0;
      i++;
      pos += hl + caplen;
    }
    batch.count = i;
    return pos;
  }

  finish(buf: Uint8Array, pos: number, end: number, base: number): void {
    if (!this.headerDone) {
      throw new CaptureFormatError('truncated-header', base + pos,
        `pcap file header is ${end - pos} bytes long, needs ${PCAP_HEADER_LENGTH}`);
    }
    if (end - pos < this.recordHeader) {
      throw new CaptureFormatError('truncated-record', base + pos,
        `truncated pcap record header: ${end - pos} of ${this.recordHeader} bytes`);
    }
    throw new CaptureFormatError('truncated-record', base + pos,
      `truncated pcap record: ${u32(buf, pos + 8, this.le)} captured bytes claimed, ${end - pos - this.recordHeader} present`);
  }

  private readHeader(buf: Uint8Array, pos: number, base: number): void {
    let magic = u32(buf, pos, true);
    let le = true;
    if (magic !== PCAP_MAGIC_US && magic !== PCAP_MAGIC_NS && magic !== PCAP_MAGIC_MODIFIED) {
      le = false;
      magic = u32(buf, pos, false);
    }
    if (magic !== PCAP_MAGIC_US && magic !== PCAP_MAGIC_NS && magic !== PCAP_MAGIC_MODIFIED) {
      throw new CaptureFormatError('bad-magic', base + pos, `not a pcap file: magic ${hex(buf.subarray(pos, pos + 4))}`);
    }
    const major = u16(buf, pos + 4, le);
    const minor = u16(buf, pos + 6, le);
    if (major !== 2) {
      throw new CaptureFormatError('bad-version', base + pos + 4, `unsupported pcap version ${major}.${minor} (only 2.x is defined)`);
    }
    const snaplen = u32(buf, pos + 16, le);
    const field = u32(buf, pos + 20, le);
    const fileLinkType = field & 0xffff;
    this.le = le;
    this.nano = magic === PCAP_MAGIC_NS;
    this.recordHeader = magic === PCAP_MAGIC_MODIFIED ? 24 : 16;
    this.linkType = fromFileLinkType(fileLinkType)?.dlt ?? fileLinkType;
    this.headerDone = true;
    this.rawLayout = pcapRecordLayout(le, this.nano, this.recordHeader);
    const info = this.info;
    info.byteOrder = le ? 'little' : 'big';
    info.version = { major, minor };
    info.nanosecond = this.nano;
    info.modified = magic === PCAP_MAGIC_MODIFIED;
    info.interfaces.push({
      index: 0, section: 0, localId: 0, linkType: this.linkType, fileLinkType, snaplen,
      tsresol: this.nano ? 9 : 6, tsoffset: 0,
      ...(field & FCS_PRESENT ? { fcsLength: ((field >>> 28) & 0xf) * 2 } : {}),
      comments: [], options: [], statistics: [],
    });
  }
}
