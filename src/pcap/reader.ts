/**
 * Reading capture files: format detection from the first bytes, then records
 * one at a time (async iterator, Node stream) or whole batches for the
 * filter's batch path. Memory stays bounded by the read window whatever the
 * file size; packet bytes are views into the read chunks, not copies.
 */
import { Readable } from 'node:stream';
import type { BatchEngineCounts } from '../bpf/filter.js';
import type { ArenaBatch, PacketArena } from '../bpf/wasm.js';
import { ByteWindow, DEFAULT_CHUNK_SIZE, arenaBytesFor, type CaptureSource } from './byte-source.js';
import { hex } from './bytes.js';
import { BatchSink, batchArrayBytes, createCaptureBatch } from './capture-batch.js';
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

/** Packets per batch of `batches()` unless asked otherwise; the reader's arena has room for one batch of this many. */
const DEFAULT_BATCH_CAPACITY = 4096;

/** Largest arena a reader makes (huge chunk sizes would ask for more): beyond it, its batches run in JavaScript. */
const MAX_READER_ARENA = 256 << 20;

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

/** Makes a record of every packet: the record path of a reader without a filter (a filter takes the batch path). */
class RecordCollector implements PacketSink {
  readonly records: CaptureRecord[] = [];
  read = 0;
  accepted = 0;

  packet(buf: Uint8Array, offset: number, caplen: number, len: number, sec: number, nsec: number,
    iface: number, linkType: number, extras: PacketExtras | undefined): number {
    this.read++;
    const data = buf.subarray(offset, offset + caplen);
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
  /** Where a filtered file's chunks and batch arrays live, so its batches run on the wasm engine. */
  private arena: PacketArena | undefined;
  /** The batch arrays set aside in the arena first, so that the chunks cannot take their room. */
  private arenaArrays: ArenaBatch | undefined;

  constructor(private readonly source: CaptureSource, private readonly options: ReadOptions = {}) {
    this.filter = options.filter === undefined ? undefined : new CaptureFilter(options.filter);
  }

  /**
   * How many of the filter's batches each engine ran (`wasm`, `jit`,
   * `interpreter`); undefined without a filter. A filtered file read by path
   * puts its chunks in a PacketArena, so its batches normally run as wasm.
   *
   * @example
   * for await (const b of reader.batches()) use(b);
   * reader.filterEngines // { wasm: 12, jit: 0, interpreter: 0 }
   */
  get filterEngines(): BatchEngineCounts | undefined {
    return this.filter?.batchEngines();
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
    const chunkSize = this.options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    // Only a filtered file gets an arena: it is what lets the batches run as wasm, and the wasm modules load with the filter.
    if (this.filter && typeof this.source === 'string' && this.source !== '-') {
      const bytes = arenaBytesFor(chunkSize) + batchArrayBytes(DEFAULT_BATCH_CAPACITY);
      if (bytes <= MAX_READER_ARENA) this.arena = this.filter.arena(bytes);
      this.arenaArrays = this.arena?.batch(0, DEFAULT_BATCH_CAPACITY);
    }
    const w = await ByteWindow.open(this.source, chunkSize, this.options.reuseBuffers ?? false, this.arena);
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

  [Symbol.asyncIterator](): AsyncGenerator<CaptureRecord> {
    // Returned, not delegated with yield*: each level of async generator costs an await per record.
    return this.filter ? this.filteredRecords() : this.allRecords();
  }

  /** Records of every packet, for a reader without a filter. */
  private async *allRecords(): AsyncGenerator<CaptureRecord> {
    this.begin();
    await this.open();
    const w = this.window!;
    const parser = this.parser!;
    const sink = new RecordCollector();
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
   * Records through the batch path, for a reader with a filter: the filter
   * runs once per batch (as WebAssembly when the batch lies in the reader's
   * arena) rather than once per packet, and only accepted packets become
   * record objects. Same records, same counts, same errors as the record
   * path; a batch's bytes stay put until its last record has been taken.
   */
  private async *filteredRecords(): AsyncGenerator<CaptureRecord> {
    for await (const b of this.batches()) {
      const { data, offsets, caplens, wirelens, sec, nsec, interfaces, extras, linkType, selected } = b;
      for (let j = 0; j < b.selectedCount; j++) {
        const i = selected[j];
        const caplen = caplens[i];
        const record: CaptureRecord = {
          data: data.subarray(offsets[i], offsets[i] + caplen), caplen, len: wirelens[i],
          timestamp: { sec: sec[i], nsec: nsec[i] }, linkType, interface: interfaces[i],
        };
        const more = extras.size === 0 ? undefined : extras.get(i);
        if (more) {
          record.comments = more.comments;
          record.options = more.options;
          if (more.flags !== undefined) record.flags = more.flags;
        }
        yield record;
      }
    }
  }

  /**
   * The batch path: yields CaptureBatch chunks of up to `capacity` packets of
   * one link type, each lying in one buffer, with `selected` set by the filter
   * in one call of the batch engine (WebAssembly when the batch lies in the
   * reader's arena, else the JIT's batch function).
   *
   * @example
   * for await (const b of readCapture('in.pcap', { filter: prog }).batches()) total += b.selectedCount;
   */
  async *batches(capacity = DEFAULT_BATCH_CAPACITY): AsyncGenerator<CaptureBatch> {
    this.begin();
    await this.open();
    const w = this.window!;
    const parser = this.parser!;
    const b = createCaptureBatch(capacity, this.arenaArrays);
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
