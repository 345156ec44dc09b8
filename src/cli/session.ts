/**
 * What every packet-handling command shares: the printer and text output,
 * the optional -w writer (with rotation), the -c limit, and the stop flag
 * that SIGINT/SIGTERM set so that the loop ends cleanly, the output file is
 * flushed and closed, and the statistics are printed.
 */
import type { PacketPrinter } from '../decode/index.js';
import type { TimestampStyle } from '../decode/timestamp.js';
import { createCaptureWriter, type CaptureWriter, type WriteOptions } from '../pcap/index.js';
import type { CaptureBatch } from '../pcap/index.js';
import type { PacketRecord } from '../pcap/record.js';
import type { CliOptions } from './options.js';
import { LineOutput } from './output.js';
import { RotatingWriter } from './rotation.js';

/**
 * One run's outputs and counters.
 *
 * @example
 * const s = await PacketSession.open(options, { linkType: 1, snaplen: 262144 });
 * await s.handle(record); ... await s.finish();
 */
export class PacketSession {
  readonly printing: boolean;
  private readonly printer: PacketPrinter | undefined;
  private readonly out: LineOutput;
  private writer: CaptureWriter | undefined;
  private rotating: RotatingWriter | undefined;
  /** Packets accepted and handled (printed, written or counted). */
  handled = 0;
  /** Set by a signal, or when -c or -G/-W say the run is over. */
  stopped = false;
  /** Set when a signal (not a limit) stopped the run. */
  interrupted = false;

  /**
   * Opens a run's outputs. The decoders are loaded only when packets are
   * printed: `-w` alone starts without them (a quicker start for big files).
   *
   * @example
   * const s = await PacketSession.open(options, { linkType: 1 });
   */
  static async open(o: CliOptions, writeDefaults: WriteOptions): Promise<PacketSession> {
    const printing = !o.countOnly && (o.writeFile === undefined || o.print);
    const printer = printing ? new (await import('../decode/index.js')).PacketPrinter({
      linkHeader: o.linkHeader, verbose: o.verbose, quiet: o.quiet, absoluteSeq: o.absoluteSeq,
      timestamps: Math.min(o.timestamps, 5) as TimestampStyle, nano: o.nano,
      hex: o.hex, hexAscii: o.hexAscii, ascii: o.ascii, number: o.number, noChecksum: o.noChecksum,
    }) : undefined;
    return new PacketSession(o, writeDefaults, printer);
  }

  private constructor(private readonly o: CliOptions, writeDefaults: WriteOptions, printer: PacketPrinter | undefined) {
    this.printer = printer;
    this.printing = printer !== undefined;
    // A -w file on stdout needs stdout for itself: packet lines then go nowhere, as in tcpdump.
    this.out = new LineOutput(process.stdout, o.lineBuffered || o.packetBuffered);
    if (o.writeFile !== undefined) {
      const options: WriteOptions = {
        ...writeDefaults,
        format: o.pcapng ? 'pcapng' : 'pcap',
        precision: o.nano ? 'nano' : 'micro',
        flushOnExit: false,
      };
      if (o.fileSize !== undefined || o.rotateSeconds !== undefined) {
        this.rotating = new RotatingWriter(o.writeFile, options, { fileSize: o.fileSize, seconds: o.rotateSeconds, fileCount: o.fileCount });
      } else {
        this.writer = createCaptureWriter(o.writeFile, options);
      }
    }
  }

  /** How many more packets -c allows (Infinity without -c). */
  get remaining(): number {
    return this.o.count === undefined ? Infinity : this.o.count - this.handled;
  }

  /** Handles one accepted packet. */
  async handle(record: PacketRecord): Promise<void> {
    if (this.stopped) return;
    if (this.rotating && !(await this.rotating.write(record))) { this.stopped = true; return; }
    if (this.writer) {
      const pending = this.writer.write(record);
      if (pending) await pending;
    }
    if (this.printer) {
      const pending = this.out.line(this.printer.format(record));
      if (pending) await pending;
      // Whoever read the lines has gone (`| head`): nothing more to do unless a file is being written.
      if (this.out.closed && !this.writer && !this.rotating) this.stopped = true;
    }
    if (this.o.packetBuffered) { await this.writer?.flush(); await this.rotating?.flush(); }
    this.handled++;
    if (this.handled >= (this.o.count ?? Infinity)) this.stopped = true;
  }

  /** Handles a batch's selected packets (up to the -c limit), writing without per-packet records when it can. */
  async handleBatch(b: CaptureBatch): Promise<void> {
    const n = Math.min(b.selectedCount, this.remaining);
    if (n <= 0 || this.stopped) return;
    if (this.writer && !this.printing && !this.rotating && !this.o.packetBuffered) {
      await this.writer.writeBatch(b, b.selected, n);
      this.handled += n;
      if (this.handled >= (this.o.count ?? Infinity)) this.stopped = true;
      return;
    }
    for (let j = 0; j < n && !this.stopped; j++) {
      const i = b.selected[j];
      const data = b.data.subarray(b.offsets[i], b.offsets[i] + b.caplens[i]);
      await this.handle({ data, caplen: b.caplens[i], len: b.wirelens[i], timestamp: { sec: b.sec[i], nsec: b.nsec[i] }, linkType: b.linkType, interface: b.interfaces[i] });
    }
  }

  /**
   * Resolves once the -w file has written every input view handed to it, so
   * the reader may refill the buffers they lie in (the rotating writer copies).
   *
   * @example
   * readCapture(file, { reuseBuffers: () => session.released() });
   */
  released(): Promise<void> {
    return this.writer?.released() ?? Promise.resolve();
  }

  /** Flushes the printed lines and closes the capture file. */
  async finish(): Promise<void> {
    await this.out.flush();
    await this.writer?.close();
    await this.rotating?.close();
  }

  /** The last resort on a second signal: push everything out synchronously. */
  flushNow(): void {
    this.writer?.flushSync();
  }
}

/**
 * Runs `body` with SIGINT and SIGTERM turned into a clean stop: the first
 * signal calls `onStop` (which ends the loop); a second one flushes what is
 * buffered and exits at once.
 *
 * @example
 * await withStopSignals(session, () => capture.close(), async () => { for await (...) ... });
 */
export async function withStopSignals<T>(session: PacketSession, onStop: () => void, body: () => Promise<T>): Promise<T> {
  let signals = 0;
  const handler = () => {
    signals++;
    session.stopped = true;
    session.interrupted = true;
    if (signals === 1) { onStop(); return; }
    session.flushNow();
    process.exit(130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  try {
    return await body();
  } finally {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  }
}
