/**
 * Reading capture files: format detection from the first bytes, then records
 * one at a time (async iterator, Node stream) or whole batches for the
 * filter's batch path. Memory stays bounded by the read window whatever the
 * file size; packet bytes are views into the read chunks, not copies.
 */
import { Readable } from 'node:stream';
import { ByteWindow, DEFAULT_CHUNK_SIZE, type CaptureSource } from './byte-source.js';
import { hex } from './bytes.js';
import { BatchSink, createCaptureBatch } from './capture-batch.js';
import { CaptureFilter, type FilterSpec } from './capture-filter.js';
import { CaptureFormatError } from './errors.js';
import type { FormatParser } from './format-parser.js';
import {
  CONTINUE, REFUSE,
  type CaptureBatch, type CaptureInfo, type CaptureRecord, type PacketExtras, type PacketSink,
} from './info.js';
import { PcapParser, isPcapMagic } from './pcap-parser.js';
import { PcapngParser, isPcapngMagic } from './pcapng-parser.js';

export interface ReadOptions {
  /** Keep only packets this filter accepts (a Program, or expression text compiled per link type). */
  filter?: FilterSpec;
  /** Bytes per read (default 1 MiB). */
  chunkSize?: number;
  /** pcapng block types bpfkit does not know: skipped by default, as libpcap and Wireshark do. */
  unknownBlocks?: 'skip' | 'error';
  /**
   * Reuse read buffers (file paths only): saves the page faults of fresh
   * memory, but then packet bytes are valid only until the next record or
   * batch is asked for — copy what you keep. Off by default. A function
   * delays each reuse until the promise it returns (asked for when the reader
   * moves past the buffer) settles: a writer's `released()`, so zero-copy
   * writes of the buffer finish first.
   */
  reuseBuffers?: boolean | (() => Promise<unknown>);
}

/** Packets read and packets the filter accepted (all of them without a filter). */
export interface ReadCounts {
  read: number;
  accepted: number;
}

/**
 * Picks the parser for a stream from its first four bytes.
 *
 * @example
 * const parser = detectFormat(firstBytes, firstBytes.length); // PcapParser or PcapngParser
 */
export function detectFormat(first: Uint8Array, available: number, options: ReadOptions = {}): FormatParser {
  if (available === 0) throw new CaptureFormatError('empty', 0, 'the capture file is empty');
  if (available < 4) throw new CaptureFormatError('truncated-header', 0, `the capture file is only ${available} bytes long`);
  if (isPcapMagic(first)) return new PcapParser();
  if (isPcapngMagic(first)) return new PcapngParser({ unknownBlocks: options.unknownBlocks });
  const gz = first[0] === 0x1f && first[1] === 0x8b ? ' (it looks gzip-compressed: decompress it first)' : '';
  throw new CaptureFormatError('bad-magic', 0, `not a pcap or pcapng file: it starts with ${hex(first.subarray(0, 4))}${gz}`);
}

class RecordCollector implements PacketSink {
  readonly records: CaptureRecord[] = [];
  read = 0;
  accepted = 0;
  constructor(private readonly filter: CaptureFilter | undefined) {}

  packet(buf: Uint8Array, offset: number, caplen: number, len: number, sec: number, nsec: number,
    iface: number, linkType: number, extras: PacketExtras | undefined): number {
    this.read++;
    const data = buf.subarray(offset, offset + caplen);
    if (this.filter && this.filter.matcher(linkType)(data, len) === 0) return CONTINUE;
    this.accepted++;
    const record: CaptureRecord = { data, caplen, len, timestamp: { sec, nsec }, linkType, interface: iface };
    if (extras) {
      record.comments = extras.comments;
      record.options = extras.options;
      if (extras.flags !== undefined) record.flags = extras.flags;
    }
    this.records.push(record);
    return CONTINUE;
  }
}

/** Refuses every packet: used to read a file's leading headers and metadata only. */
class HeaderReader implements PacketSink {
  refused = false;
  packet(): number {
    this.refused = true;
    return REFUSE;
  }
}

/**
 * A capture file being read. Iterate it for records, call `batches()` for the
 * batch path or `stream()` for a Node Readable; `info` describes the file as
 * far as it has been read, `counts` what was read and accepted.
 *
 * @example
 * const reader = readCapture('in.pcapng', { filter: 'tcp port 80' });
 * for await (const p of reader) console.log(p.timestamp.sec, p.len);
 * console.log(reader.counts); // { read, accepted }
 */
export class CaptureReader implements AsyncIterable<CaptureRecord> {
  readonly counts: ReadCounts = { read: 0, accepted: 0 };
  private window: ByteWindow | undefined;
  private parser: FormatParser | undefined;
  private opening: Promise<CaptureInfo> | undefined;
  private started = false;
  private readonly filter: CaptureFilter | undefined;

  constructor(private readonly source: CaptureSource, private readonly options: ReadOptions = {}) {
    this.filter = options.filter === undefined ? undefined : new CaptureFilter(options.filter);
  }

  /** What the file has said about itself so far; undefined before `open()`. */
  get info(): CaptureInfo | undefined {
    return this.parser?.info;
  }

  /**
   * Opens the source and reads the file header (pcap) or the leading blocks up
   * to the first packet (pcapng).
   *
   * @example
   * const info = await readCapture('in.pcap').open(); // info.interfaces[0].linkType
   */
  open(): Promise<CaptureInfo> {
    this.opening ??= this.doOpen();
    return this.opening;
  }

  private async doOpen(): Promise<CaptureInfo> {
    await this.filter?.load();
    const w = await ByteWindow.open(this.source, this.options.chunkSize ?? DEFAULT_CHUNK_SIZE, this.options.reuseBuffers ?? false);
    this.window = w;
    try {
      await w.fill(4);
      const parser = detectFormat(w.buf.subarray(w.pos, w.end), w.available, this.options);
      this.parser = parser;
      const headers = new HeaderReader();
      for (;;) {
        const more = await w.fill(parser.needed);
        w.pos = parser.parse(w.buf, w.pos, w.end, w.base, headers);
        if (headers.refused || (parser.info.format === 'pcap' && parser.info.interfaces.length > 0)) break;
        if (!more) break;
      }
      return parser.info;
    } catch (e) {
      await w.close();
      throw e;
    }
  }

  /** Closes the source (also done when iteration ends or is abandoned). */
  async close(): Promise<void> {
    await this.window?.close();
  }

  private begin(): void {
    if (this.started) throw new Error('a CaptureReader can be iterated only once');
    this.started = true;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<CaptureRecord> {
    this.begin();
    await this.open();
    const w = this.window!;
    const parser = this.parser!;
    const sink = new RecordCollector(this.filter);
    try {
      for (;;) {
        sink.records.length = 0;
        let failure: unknown;
        try {
          w.pos = parser.parse(w.buf, w.pos, w.end, w.base, sink);
          if (!(await w.fill(parser.needed)) && w.available > 0) parser.finish(w.buf, w.pos, w.end, w.base);
        } catch (e) {
          failure = e;
        }
        this.counts.read = sink.read;
        this.counts.accepted = sink.accepted;
        for (const r of sink.records) yield r;
        if (failure !== undefined) throw failure;
        if (w.available === 0 && w.eof) return;
      }
    } finally {
      await w.close();
    }
  }

  /**
   * The batch path: yields CaptureBatch chunks of up to `capacity` packets of
   * one link type, each lying in one buffer, with `selected` set by the filter
   * in one call of the JIT's batch function.
   *
   * @example
   * for await (const b of readCapture('in.pcap', { filter: prog }).batches()) total += b.selectedCount;
   */
  async *batches(capacity = 4096): AsyncGenerator<CaptureBatch> {
    this.begin();
    await this.open();
    const w = this.window!;
    const parser = this.parser!;
    const b = createCaptureBatch(capacity);
    const filler = new BatchSink(b);
    b.rawLayout = parser.rawLayout;
    b.recordHeader = parser.info.modified ? 24 : 16;
    try {
      for (;;) {
        b.count = 0;
        b.extras.clear();
        let failure: unknown;
        try {
          w.pos = parser.fillBatch
            ? parser.fillBatch(w.buf, w.pos, w.end, w.base, b)
            : parser.parse(w.buf, w.pos, w.end, w.base, filler);
        } catch (e) {
          failure = e;
        }
        if (b.count > 0) {
          this.select(b);
          yield b;
        }
        if (failure !== undefined) throw failure;
        if (w.available < parser.needed && !(await w.fill(parser.needed))) {
          if (w.available > 0) parser.finish(w.buf, w.pos, w.end, w.base);
          return;
        }
      }
    } finally {
      await w.close();
    }
  }

  private select(b: CaptureBatch): void {
    this.counts.read += b.count;
    if (this.filter) {
      b.selectedCount = this.filter.select(b.linkType, b, b.selected);
    } else {
      for (let i = 0; i < b.count; i++) b.selected[i] = i;
      b.selectedCount = b.count;
    }
    this.counts.accepted += b.selectedCount;
  }

  /**
   * The records as a Node object-mode Readable (backpressure included).
   *
   * @example
   * readCapture('-').stream().on('data', (p) => console.log(p.len));
   */
  stream(): Readable {
    return Readable.from(this, { objectMode: true, highWaterMark: 256 });
  }
}

/**
 * Opens a capture file (pcap or pcapng, detected) from a path, `'-'` for
 * stdin, a Readable, an async iterable of chunks, or bytes.
 *
 * @example
 * for await (const pkt of readCapture('in.pcapng', { filter: 'tcp port 80' })) {
 *   console.log(pkt.timestamp.sec, pkt.caplen, pkt.len);
 * }
 */
export function readCapture(source: CaptureSource, options: ReadOptions = {}): CaptureReader {
  return new CaptureReader(source, options);
}
