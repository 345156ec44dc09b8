/**
 * The pcapng format (draft-ietf-opsawg-pcapng): a sequence of sections, each
 * a Section Header Block with its own byte order, followed by interfaces,
 * packets and metadata blocks. Every block starts and ends with its length.
 */
import { fromFileLinkType } from '../bpf/linktypes.js';
import { hex, i64, pad4, u16, u32 } from './bytes.js';
import { CaptureFormatError, MAX_CAPLEN } from './errors.js';
import type { FormatParser } from './format-parser.js';
import { BatchSink } from './capture-batch.js';
import {
  REFUSE, STOP_AFTER, emptyInfo,
  type CaptureBatch, type CaptureInfo, type InterfaceInfo, type InterfaceStatistics, type PacketExtras, type PacketSink, type PcapngOption,
} from './info.js';
import { resolutionFromByte, splitUnits, type SecNsec, type TimestampResolution } from './timestamp.js';

export const BLOCK_SHB = 0x0a0d0d0a;
export const BLOCK_IDB = 1;
export const BLOCK_PB = 2;
export const BLOCK_SPB = 3;
export const BLOCK_NRB = 4;
export const BLOCK_ISB = 5;
export const BLOCK_EPB = 6;
export const BLOCK_SYSTEMD_JOURNAL = 9;
export const BLOCK_DSB = 0x0000000a;
export const BLOCK_CUSTOM = 0x00000bad;
export const BLOCK_CUSTOM_NOCOPY = 0x40000bad;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export const OPT_ENDOFOPT = 0;
export const OPT_COMMENT = 1;
export const IF_NAME = 2;
export const IF_DESCRIPTION = 3;
export const IF_TSRESOL = 9;
export const IF_FILTER = 11;
export const IF_OS = 12;
export const IF_FCSLEN = 13;
export const IF_TSOFFSET = 14;
export const IF_HARDWARE = 15;
export const SHB_HARDWARE = 2;
export const SHB_OS = 3;
export const SHB_USERAPPL = 4;
export const EPB_FLAGS = 2;

/** No block may be longer than this: what stops a corrupt length from making the reader buffer without bound. */
export const MAX_BLOCK_LENGTH = 16 * 1024 * 1024;
/** At most this many skipped unknown blocks are listed in CaptureInfo (all are still skipped). */
const MAX_SKIPPED_LISTED = 1000;

const ISB_COUNTERS = ['', '', '', '', 'ifrecv', 'ifdrop', 'filteraccept', 'osdrop', 'usrdeliv'] as const;

export interface PcapngParserOptions {
  /** What to do with a block type bpfkit does not know: skip it (as libpcap and Wireshark do) or fail. */
  unknownBlocks?: 'skip' | 'error';
}

interface LiveInterface {
  readonly index: number;
  readonly linkType: number;
  readonly snaplen: number;
  readonly res: TimestampResolution;
  readonly tsoffset: number;
  readonly info: InterfaceInfo;
}

const utf8 = new TextDecoder('utf-8');

function text(b: Uint8Array): string {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  return utf8.decode(b.subarray(0, end));
}

/**
 * True when the first four bytes are a pcapng Section Header Block type.
 *
 * @example
 * isPcapngMagic(new Uint8Array([0x0a, 0x0d, 0x0d, 0x0a])) // true
 */
export function isPcapngMagic(b: Uint8Array): boolean {
  return u32(b, 0, true) === BLOCK_SHB;
}

/**
 * Parses pcapng files, section by section.
 *
 * @example
 * const parser = new PcapngParser({ unknownBlocks: 'error' });
 * const next = parser.parse(bytes, 0, bytes.length, 0, sink);
 */
export class PcapngParser implements FormatParser {
  readonly info: CaptureInfo = emptyInfo('pcapng');
  needed = 12;
  readonly rawLayout = undefined;
  private le = true;
  private inSection = false;
  private ifaces: LiveInterface[] = [];
  private readonly ts: SecNsec = { sec: 0, nsec: 0 };
  private skippedCount = 0;
  private slowPath: BatchSink | undefined;

  constructor(private readonly options: PcapngParserOptions = {}) {}

  /** How many unknown blocks were skipped (CaptureInfo lists only the first ones). */
  get skippedBlockCount(): number {
    return this.skippedCount;
  }

  parse(buf: Uint8Array, pos: number, end: number, base: number, sink: PacketSink): number {
    for (;;) {
      if (end - pos < 12) { this.needed = 12; return pos; }
      let type = u32(buf, pos, this.le);
      if (type === BLOCK_SHB) this.readByteOrder(buf, pos, base);
      else if (!this.inSection) {
        throw new CaptureFormatError('no-section', base + pos, `pcapng block of type 0x${type.toString(16)} before any section header`);
      }
      const le = this.le;
      type = u32(buf, pos, le);
      const len = u32(buf, pos + 4, le);
      if (len < 12 || (len & 3) !== 0) {
        throw new CaptureFormatError('bad-block-length', base + pos,
          `pcapng block of type 0x${type.toString(16)} has length ${len}, not a multiple of 4 of at least 12`);
      }
      if (len > MAX_BLOCK_LENGTH) {
        throw new CaptureFormatError('block-too-large', base + pos,
          `pcapng block of type 0x${type.toString(16)} claims ${len} bytes, more than the maximum of ${MAX_BLOCK_LENGTH}`);
      }
      if (end - pos < len) { this.needed = len; return pos; }
      const trailer = u32(buf, pos + len - 4, le);
      if (trailer !== len) {
        throw new CaptureFormatError('block-length-mismatch', base + pos,
          `pcapng block of type 0x${type.toString(16)} starts with length ${len} but ends with ${trailer}`);
      }
      if (type === BLOCK_EPB) {
        if (len < 32) this.tooShort(type, len, 32, base + pos);
        const ifid = u32(buf, pos + 8, le);
        const caplen = u32(buf, pos + 20, le);
        if (caplen > MAX_CAPLEN) {
          throw new CaptureFormatError('caplen-too-large', base + pos,
            `enhanced packet block claims ${caplen} captured bytes, more than the maximum of ${MAX_CAPLEN}`);
        }
        const dataEnd = 28 + pad4(caplen);
        if (dataEnd + 4 > len) {
          throw new CaptureFormatError('bad-block-length', base + pos,
            `enhanced packet block of length ${len} cannot hold ${caplen} captured bytes`);
        }
        const iface = this.iface(ifid, base + pos);
        const ts = this.ts;
        if (!splitUnits(u32(buf, pos + 12, le), u32(buf, pos + 16, le), iface.res, ts)) this.badTime(base + pos);
        const extras = dataEnd + 4 < len ? this.packetExtras(buf, pos + dataEnd, pos + len - 4, base) : undefined;
        const sec = ts.sec + iface.tsoffset;
        if (sec > Number.MAX_SAFE_INTEGER || sec < -Number.MAX_SAFE_INTEGER) this.badTime(base + pos);
        const r = sink.packet(buf, pos + 28, caplen, u32(buf, pos + 24, le), sec, ts.nsec,
          iface.index, iface.linkType, extras);
        if (r === REFUSE) { this.needed = len; return pos; }
        pos += len;
        if (r === STOP_AFTER) { this.needed = 12; return pos; }
        continue;
      }
      if (type === BLOCK_SPB || type === BLOCK_PB) {
        const r = this.otherPacket(type, buf, pos, len, base, sink);
        if (r === REFUSE) { this.needed = len; return pos; }
        pos += len;
        if (r === STOP_AFTER) { this.needed = 12; return pos; }
        continue;
      }
      this.metadataBlock(type, buf, pos, len, base);
      pos += len;
    }
  }

  /**
   * The batch fast path: plain Enhanced Packet Blocks (valid, no options, of
   * the batch's link type) go straight into the batch; anything else — other
   * blocks, options, a link-type change, an incomplete or malformed block —
   * goes through `parse`, at most one packet at a time, which also raises
   * every error exactly as the record path does.
   */
  fillBatch(buf: Uint8Array, pos: number, end: number, base: number, batch: CaptureBatch): number {
    if (this.slowPath?.batch !== batch) this.slowPath = new BatchSink(batch, true);
    const slow = this.slowPath;
    const { offsets, caplens, wirelens, sec, nsec, interfaces } = batch;
    const capacity = offsets.length;
    const ts = this.ts;
    while (batch.count < capacity) {
      if (end - pos < 12) { this.needed = 12; return pos; }
      const le = this.le;
      if (this.inSection && u32(buf, pos, le) === BLOCK_EPB) {
        const len = u32(buf, pos + 4, le);
        const caplen = u32(buf, pos + 20, le);
        const iface = this.ifaces[u32(buf, pos + 8, le)];
        const i = batch.count;
        if (len >= 32 && len <= end - pos && caplen <= MAX_CAPLEN && 28 + pad4(caplen) + 4 === len
          && u32(buf, pos + len - 4, le) === len && iface !== undefined
          && (i === 0 || (iface.linkType === batch.linkType && buf === batch.data))
          && splitUnits(u32(buf, pos + 12, le), u32(buf, pos + 16, le), iface.res, ts)) {
          const s = ts.sec + iface.tsoffset;
          if (s <= Number.MAX_SAFE_INTEGER && s >= -Number.MAX_SAFE_INTEGER) {
            if (i === 0) { batch.linkType = iface.linkType; (batch as { data: Uint8Array }).data = buf; }
            offsets[i] = pos + 28;
            caplens[i] = caplen;
            wirelens[i] = u32(buf, pos + 24, le);
            sec[i] = s;
            nsec[i] = ts.nsec;
            interfaces[i] = iface.index;
            batch.count = i + 1;
            pos += len;
            continue;
          }
        }
      }
      const before = pos;
      const count = batch.count;
      pos = this.parse(buf, pos, end, base, slow);
      if (pos === before && batch.count === count) return pos;
    }
    this.needed = 12;
    return pos;
  }

  finish(buf: Uint8Array, pos: number, end: number, base: number): void {
    const left = end - pos;
    if (left < 12) {
      throw new CaptureFormatError(this.inSection ? 'truncated-record' : 'truncated-header', base + pos,
        `truncated pcapng block header: ${left} bytes where at least 12 are needed`);
    }
    throw new CaptureFormatError(this.inSection ? 'truncated-record' : 'truncated-header', base + pos,
      `truncated pcapng block of type 0x${u32(buf, pos, this.le).toString(16)}: length ${u32(buf, pos + 4, this.le)}, ${left} bytes present`);
  }

  private readByteOrder(buf: Uint8Array, pos: number, base: number): void {
    const bom = u32(buf, pos + 8, true);
    if (bom === BYTE_ORDER_MAGIC) this.le = true;
    else if (bom === 0x4d3c2b1a) this.le = false;
    else throw new CaptureFormatError('bad-magic', base + pos + 8, `pcapng section header has byte-order magic ${hex(buf.subarray(pos + 8, pos + 12))}, not 1a2b3c4d in either order`);
  }

  private tooShort(type: number, len: number, min: number, offset: number): never {
    throw new CaptureFormatError('bad-block-length', offset, `pcapng block of type 0x${type.toString(16)} has length ${len}, less than its minimum of ${min}`);
  }

  private badTime(offset: number): never {
    throw new CaptureFormatError('bad-timestamp', offset, 'timestamp is more than 2^53 seconds after the epoch');
  }

  private iface(id: number, offset: number): LiveInterface {
    const iface = this.ifaces[id];
    if (iface === undefined) {
      throw new CaptureFormatError('bad-interface', offset, `packet names interface ${id}, but this section describes ${this.ifaces.length}`);
    }
    return iface;
  }

  private packetExtras(buf: Uint8Array, start: number, end: number, base: number): PacketExtras | undefined {
    const options = parseOptions(buf, start, end, this.le, base);
    if (options.length === 0) return undefined;
    const extras: PacketExtras = { comments: comments(options), options };
    const flags = options.find((o) => o.code === EPB_FLAGS && o.value.length === 4);
    if (flags) extras.flags = u32(flags.value, 0, this.le);
    return extras;
  }

  /** Simple Packet Blocks and the obsolete Packet Block, rare enough to live off the hot path. */
  private otherPacket(type: number, buf: Uint8Array, pos: number, len: number, base: number, sink: PacketSink): number {
    const le = this.le;
    if (type === BLOCK_SPB) {
      if (len < 16) this.tooShort(type, len, 16, base + pos);
      const iface = this.iface(0, base + pos);
      const origlen = u32(buf, pos + 8, le);
      let caplen = Math.min(origlen, len - 16);
      if (iface.snaplen !== 0) caplen = Math.min(caplen, iface.snaplen);
      if (caplen > MAX_CAPLEN) {
        throw new CaptureFormatError('caplen-too-large', base + pos, `simple packet block holds ${caplen} bytes, more than the maximum of ${MAX_CAPLEN}`);
      }
      return sink.packet(buf, pos + 12, caplen, origlen, 0, 0, iface.index, iface.linkType, undefined);
    }
    if (len < 32) this.tooShort(type, len, 32, base + pos);
    const iface = this.iface(u16(buf, pos + 8, le), base + pos);
    const caplen = u32(buf, pos + 20, le);
    if (caplen > MAX_CAPLEN) {
      throw new CaptureFormatError('caplen-too-large', base + pos, `packet block claims ${caplen} captured bytes, more than the maximum of ${MAX_CAPLEN}`);
    }
    const dataEnd = 28 + pad4(caplen);
    if (dataEnd + 4 > len) {
      throw new CaptureFormatError('bad-block-length', base + pos, `packet block of length ${len} cannot hold ${caplen} captured bytes`);
    }
    const ts = this.ts;
    if (!splitUnits(u32(buf, pos + 12, le), u32(buf, pos + 16, le), iface.res, ts)) this.badTime(base + pos);
    const extras = dataEnd + 4 < len ? this.packetExtras(buf, pos + dataEnd, pos + len - 4, base) : undefined;
    return sink.packet(buf, pos + 28, caplen, u32(buf, pos + 24, le), ts.sec + iface.tsoffset, ts.nsec,
      iface.index, iface.linkType, extras);
  }

  private metadataBlock(type: number, buf: Uint8Array, pos: number, len: number, base: number): void {
    const le = this.le;
    const at = base + pos;
    const bodyEnd = pos + len - 4;
    const info = this.info;
    switch (type) {
      case BLOCK_SHB: {
        if (len < 28) this.tooShort(type, len, 28, at);
        const major = u16(buf, pos + 12, le);
        const minor = u16(buf, pos + 14, le);
        if (major !== 1) throw new CaptureFormatError('bad-version', at + 12, `unsupported pcapng version ${major}.${minor} (only 1.x is defined)`);
        const options = parseOptions(buf, pos + 24, bodyEnd, le, base);
        if (info.sections.length === 0) {
          info.byteOrder = le ? 'little' : 'big';
          info.version = { major, minor };
        }
        info.sections.push({
          index: info.sections.length, offset: at, byteOrder: le ? 'little' : 'big', version: { major, minor },
          sectionLength: i64(buf, pos + 16, le),
          ...stringOption(options, SHB_HARDWARE, 'hardware'),
          ...stringOption(options, SHB_OS, 'os'),
          ...stringOption(options, SHB_USERAPPL, 'userApplication'),
          comments: comments(options), options,
        });
        this.inSection = true;
        this.ifaces = [];
        return;
      }
      case BLOCK_IDB: {
        if (len < 20) this.tooShort(type, len, 20, at);
        const fileLinkType = u16(buf, pos + 8, le);
        const snaplen = u32(buf, pos + 12, le);
        const options = parseOptions(buf, pos + 16, bodyEnd, le, base);
        let tsresol = 6;
        let tsoffset = 0;
        let fcsLength: number | undefined;
        for (const o of options) {
          if (o.code === IF_TSRESOL) {
            if (o.value.length < 1) throw new CaptureFormatError('bad-option', at, 'if_tsresol option is empty');
            tsresol = o.value[0];
            const n = tsresol & 0x7f;
            if (tsresol & 0x80 ? n > 63 : n > 19) {
              throw new CaptureFormatError('bad-option', at, `if_tsresol ${tsresol} is beyond 64-bit timestamps`);
            }
          } else if (o.code === IF_TSOFFSET) {
            if (o.value.length < 8) throw new CaptureFormatError('bad-option', at, `if_tsoffset option has ${o.value.length} bytes, needs 8`);
            tsoffset = i64(o.value, 0, le);
            if (!Number.isSafeInteger(tsoffset)) throw new CaptureFormatError('bad-option', at, `if_tsoffset ${tsoffset} is beyond 2^53 seconds`);
          } else if (o.code === IF_FCSLEN && o.value.length >= 1) {
            fcsLength = o.value[0];
          }
        }
        const linkType = fromFileLinkType(fileLinkType)?.dlt ?? fileLinkType;
        const iface: InterfaceInfo = {
          index: info.interfaces.length, section: info.sections.length - 1, localId: this.ifaces.length,
          linkType, fileLinkType, snaplen, tsresol, tsoffset,
          ...(fcsLength === undefined ? {} : { fcsLength }),
          ...stringOption(options, IF_NAME, 'name'),
          ...stringOption(options, IF_DESCRIPTION, 'description'),
          ...filterOption(options),
          ...stringOption(options, IF_OS, 'os'),
          ...stringOption(options, IF_HARDWARE, 'hardware'),
          comments: comments(options), options, statistics: [],
        };
        info.interfaces.push(iface);
        this.ifaces.push({ index: iface.index, linkType, snaplen, res: resolutionFromByte(tsresol), tsoffset, info: iface });
        return;
      }
      case BLOCK_ISB: {
        if (len < 24) this.tooShort(type, len, 24, at);
        const iface = this.iface(u32(buf, pos + 8, le), at);
        const ts = { sec: 0, nsec: 0 };
        if (!splitUnits(u32(buf, pos + 12, le), u32(buf, pos + 16, le), iface.res, ts)) this.badTime(at);
        ts.sec += iface.tsoffset;
        const options = parseOptions(buf, pos + 20, bodyEnd, le, base);
        const counters: InterfaceStatistics['counters'] = {};
        for (const o of options) {
          const name = ISB_COUNTERS[o.code];
          if (name && o.value.length === 8) {
            const view = new DataView(o.value.buffer, o.value.byteOffset, 8);
            counters[name] = view.getBigUint64(0, le);
          }
        }
        iface.info.statistics.push({ offset: at, timestamp: ts, counters, comments: comments(options), options });
        return;
      }
      case BLOCK_NRB:
        this.nameResolution(buf, pos + 8, bodyEnd, at, base);
        return;
      case BLOCK_DSB: {
        if (len < 20) this.tooShort(type, len, 20, at);
        const secretsLength = u32(buf, pos + 12, le);
        if (16 + pad4(secretsLength) + 4 > len) {
          throw new CaptureFormatError('bad-block-length', at, `decryption secrets block of length ${len} cannot hold ${secretsLength} bytes of secrets`);
        }
        parseOptions(buf, pos + 16 + pad4(secretsLength), bodyEnd, le, base);
        info.decryptionSecrets.push({ type, offset: at, length: len, tag: u32(buf, pos + 8, le), data: buf.slice(pos + 16, pos + 16 + secretsLength) });
        return;
      }
      case BLOCK_CUSTOM:
      case BLOCK_CUSTOM_NOCOPY:
        if (len < 16) this.tooShort(type, len, 16, at);
        info.customBlocks.push({ type, offset: at, length: len, tag: u32(buf, pos + 8, le), data: buf.slice(pos + 12, bodyEnd) });
        return;
      case BLOCK_SYSTEMD_JOURNAL:
        return;
      default:
        if (this.options.unknownBlocks === 'error') {
          throw new CaptureFormatError('unknown-block', at, `unknown pcapng block type 0x${type.toString(16)} of length ${len}`);
        }
        if (this.skippedCount++ < MAX_SKIPPED_LISTED) info.skippedBlocks.push({ type, offset: at, length: len });
    }
  }

  private nameResolution(buf: Uint8Array, p: number, end: number, at: number, base: number): void {
    const le = this.le;
    for (;;) {
      if (end - p < 4) throw new CaptureFormatError('bad-option', at, 'name resolution block ends without an end-of-records record');
      const rtype = u16(buf, p, le);
      const rlen = u16(buf, p + 2, le);
      if (rtype === 0) { p += 4; break; }
      if (p + 4 + rlen > end) {
        throw new CaptureFormatError('bad-option', base + p, `name resolution record of ${rlen} bytes runs past its block`);
      }
      const value = buf.subarray(p + 4, p + 4 + rlen);
      const addrLen = rtype === 1 ? 4 : rtype === 2 ? 16 : 0;
      if (addrLen && rlen >= addrLen) {
        const names = text(value.subarray(addrLen)).split('\0').filter((n) => n.length > 0);
        this.info.nameResolution.push({ address: formatAddress(value.subarray(0, addrLen)), names });
      }
      p += 4 + pad4(rlen);
    }
    parseOptions(buf, p, end, le, base);
  }
}

/**
 * Reads a pcapng option list from `buf[start, end)`, stopping at opt_endofopt;
 * option values are copied so they outlive the read buffer.
 *
 * @example
 * const opts = parseOptions(block, 16, block.length - 4, true, 0);
 */
export function parseOptions(buf: Uint8Array, start: number, end: number, le: boolean, base: number): PcapngOption[] {
  const out: PcapngOption[] = [];
  let p = start;
  while (end - p >= 4) {
    const code = u16(buf, p, le);
    const len = u16(buf, p + 2, le);
    if (code === OPT_ENDOFOPT) break;
    if (p + 4 + len > end) {
      throw new CaptureFormatError('bad-option', base + p, `pcapng option ${code} of ${len} bytes runs past the end of its block`);
    }
    out.push({ code, value: buf.slice(p + 4, p + 4 + len) });
    p += 4 + pad4(len);
  }
  return out;
}

function comments(options: PcapngOption[]): string[] {
  return options.filter((o) => o.code === OPT_COMMENT).map((o) => text(o.value));
}

function stringOption<K extends string>(options: PcapngOption[], code: number, key: K): Partial<Record<K, string>> {
  const o = options.find((x) => x.code === code);
  return o ? ({ [key]: text(o.value) } as Record<K, string>) : {};
}

/** if_filter: a type byte (0 = libpcap filter string) then the filter. */
function filterOption(options: PcapngOption[]): { filter?: string } {
  const o = options.find((x) => x.code === IF_FILTER);
  return o && o.value.length > 0 && o.value[0] === 0 ? { filter: text(o.value.subarray(1)) } : {};
}

function formatAddress(a: Uint8Array): string {
  if (a.length === 4) return a.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((a[i] << 8) | a[i + 1]).toString(16));
  // The WHATWG URL parser prints IPv6 hosts in RFC 5952's compressed form.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}
