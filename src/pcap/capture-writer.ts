/**
 * What pcap and pcapng writers share: an output buffer handed to the byte
 * sink in large chunks, counts, and the exit-time flush. Accepted packets are
 * in the buffer or the sink, so a flush at close or at exit loses none.
 */
import { ByteSink, type CaptureDestination } from './byte-sink.js';
import { copyBytes } from './bytes.js';
import { flushOnExit, unregisterExitFlush, type ExitFlushable } from './exit-flush.js';
import type { CaptureBatch, PacketExtras } from './info.js';
import type { PacketRecord } from './record.js';

/**
 * Thrown when a packet cannot be written in the chosen format.
 *
 * @example
 * w.write({ ...pkt, linkType: 12 }) // throws CaptureWriteError on a DLT_EN10MB pcap file
 */
export class CaptureWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptureWriteError';
  }
}

/** An interface to declare in a pcapng file (or, for pcap, the header's link type and snaplen). */
export interface InterfaceDescription {
  /** DLT_ number. */
  linkType: number;
  snaplen?: number;
  name?: string;
  description?: string;
  /** if_tsresol byte (6 = µs, 9 = ns); defaults to the writer's precision. */
  tsresol?: number;
  filter?: string;
  os?: string;
  comments?: string[];
}

export interface WriteOptions {
  /** Default: pcapng when a path ends in .pcapng, else pcap. */
  format?: 'pcap' | 'pcapng';
  /** pcap: the magic; pcapng: the resolution of interfaces not declared. Default micro, as tcpdump -w. */
  precision?: 'micro' | 'nano';
  /** pcap: the header's link type (DLT); default the first packet's, else EN10MB. */
  linkType?: number;
  /** Default 262144. */
  snaplen?: number;
  /** Default little (this machine's). */
  byteOrder?: 'little' | 'big';
  /** pcapng: interfaces declared up front; a packet's `interface` indexes them. */
  interfaces?: InterfaceDescription[];
  /** pcapng: a section comment. */
  comment?: string;
  /** pcapng: shb_userappl; default 'bpfkit'. */
  userApplication?: string;
  /** End a given Writable on close (default true; never stdout). */
  end?: boolean;
  /** Flush synchronously on SIGINT, SIGTERM, beforeExit and exit (default true). */
  flushOnExit?: boolean;
  /** Output buffer size (default 1 MiB). */
  bufferSize?: number;
  /**
   * writeBatch may hand long runs of records to the output as views of the
   * input instead of copying them (default true); the input must then stay
   * unchanged until written. The pipeline turns it off when it reuses its read buffers.
   */
  zeroCopy?: boolean;
}

const DEFAULT_BUFFER = 1 << 20;
/** Runs of verbatim records at least this long go to the output as views of the input rather than copies. */
const HAND_OVER_MIN = 64 * 1024;
export const DEFAULT_SNAPLEN = 262144;

/**
 * A capture file being written. `write` returns a promise only when it had to
 * hand a full buffer to the output: await it (awaiting undefined is harmless)
 * to keep memory bounded.
 *
 * @example
 * const w = createCaptureWriter('out.pcap', { linkType: 1 });
 * await w.write({ data, caplen: data.length, len: data.length, timestamp: { sec, nsec: 0 }, linkType: 1, interface: 0 });
 * await w.close();
 */
export abstract class CaptureWriter implements ExitFlushable {
  /** Packets accepted so far. */
  written = 0;
  protected buf: Uint8Array;
  protected used = 0;
  protected readonly le: boolean;
  private readonly sink: ByteSink;
  private closed = false;
  private started = false;
  private readonly watchExit: boolean;

  constructor(destination: CaptureDestination, protected readonly options: WriteOptions) {
    this.sink = ByteSink.open(destination, { end: options.end });
    this.buf = Buffer.allocUnsafe(options.bufferSize ?? DEFAULT_BUFFER);
    this.le = (options.byteOrder ?? 'little') === 'little';
    this.watchExit = options.flushOnExit ?? true;
    if (this.watchExit) flushOnExit(this);
  }

  /** Writes the file header; called before the first packet or at close. */
  protected abstract header(firstLinkType: number | undefined): void;

  /** Appends one packet (its bytes `data[offset, offset+caplen)`) to the buffer. */
  protected abstract packet(data: Uint8Array, offset: number, caplen: number, len: number, sec: number, nsec: number,
    iface: number, linkType: number, extras: PacketExtras | undefined): Promise<void> | undefined;

  /**
   * Writes one record (pcapng also keeps its `comments` and `flags`).
   *
   * @example
   * for await (const p of readCapture('in.pcap')) await writer.write(p);
   */
  write(record: PacketRecord & { comments?: string[]; flags?: number }): Promise<void> | undefined {
    this.ensureOpen(record.linkType);
    const extras = record.comments?.length || record.flags !== undefined
      ? { comments: record.comments ?? [], options: [], ...(record.flags === undefined ? {} : { flags: record.flags }) }
      : undefined;
    return this.packet(record.data, 0, record.data.length, record.len, record.timestamp.sec, record.timestamp.nsec,
      record.interface, record.linkType, extras);
  }

  /**
   * Writes the selected packets of a batch (`indices[0, count)`, default the
   * batch's `selected`), without making a record object per packet.
   *
   * @example
   * for await (const b of reader.batches()) await writer.writeBatch(b);
   */
  async writeBatch(batch: CaptureBatch, indices: Uint32Array = batch.selected, count = batch.selectedCount): Promise<void> {
    if (count === 0) return;
    this.ensureOpen(batch.linkType);
    const { data, offsets, caplens, wirelens, sec, nsec, interfaces, extras, linkType } = batch;
    for (let j = 0; j < count; j++) {
      const i = indices[j];
      const pending = this.packet(data, offsets[i], caplens[i], wirelens[i], sec[i], nsec[i], interfaces[i], linkType,
        extras.size === 0 ? undefined : extras.get(i));
      if (pending) await pending;
    }
  }

  protected ensureOpen(linkType: number | undefined): void {
    if (this.closed) throw new CaptureWriteError('write after close');
    if (!this.started) {
      this.started = true;
      this.header(linkType);
    }
  }

  /**
   * Appends `data[start, end)`, bytes already in this file's record layout
   * holding `packets` packets: long runs go to the output as they are (the
   * caller must not change them afterwards), short ones are copied.
   */
  protected raw(data: Uint8Array, start: number, end: number, packets: number): Promise<void> | undefined {
    this.written += packets;
    const n = end - start;
    if (n >= HAND_OVER_MIN && this.options.zeroCopy !== false) {
      const before = this.used > 0 ? this.handOff() : undefined;
      const after = this.sink.write(data.subarray(start, end));
      return before ? before.then(() => after) : after;
    }
    const pending = this.reserve(n);
    copyBytes(data, start, this.buf, this.used, n);
    this.used += n;
    return pending;
  }

  /** Hands the buffered bytes to the output and starts a new buffer (a reused one when the output has one spare). */
  private handOff(): Promise<void> {
    const old = this.buf;
    const full = old.subarray(0, this.used);
    this.buf = this.sink.takeSpare(old.length) ?? Buffer.allocUnsafe(old.length);
    this.used = 0;
    return this.sink.write(full, old);
  }

  /** Makes room for `n` more bytes, handing the full buffer to the output when needed. */
  protected reserve(n: number): Promise<void> | undefined {
    if (this.used + n <= this.buf.length) return undefined;
    const pending = this.handOff();
    if (this.buf.length < n) this.buf = Buffer.allocUnsafe(n);
    return pending;
  }

  /**
   * Resolves once every input view this writer handed to the output so far
   * (zero-copy runs of `writeBatch`) has been written, so the buffers they lie
   * in may be reused: give it to a reader as `reuseBuffers`.
   *
   * @example
   * const reader = readCapture('in.pcap', { reuseBuffers: () => writer.released() });
   */
  released(): Promise<void> {
    return this.sink.settled();
  }

  /**
   * Hands everything buffered to the output and waits for it.
   *
   * @example
   * await writer.flush();
   */
  async flush(): Promise<void> {
    if (this.used === 0) return;
    await this.handOff();
  }

  /**
   * Writes the header if no packet did, flushes, and closes the output.
   *
   * @example
   * await writer.close();
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.ensureOpen(undefined);
    this.closed = true;
    try {
      await this.flush();
      await this.sink.close();
    } finally {
      // Watched until the bytes are out: an exit during close still flushes them.
      if (this.watchExit) unregisterExitFlush(this);
    }
  }

  /** The exit path: everything buffered goes out before this returns (also midway through close()). */
  flushSync(): void {
    if (!this.closed) this.ensureOpen(undefined);
    this.closed = true;
    const full = this.buf.subarray(0, this.used);
    this.used = 0;
    this.sink.writeSync(full);
    this.sink.closeSync();
  }
}
