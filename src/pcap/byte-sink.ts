/**
 * Where written capture bytes go: a file path, stdout, or any Writable. Files
 * are written with explicit positions so that a final synchronous flush (on
 * SIGINT, SIGTERM or exit) can land safely beside writes still in flight.
 */
import { openSync, writeSync, closeSync, write as fsWrite, close as fsClose } from 'node:fs';
import type { Writable } from 'node:stream';

/** How many bytes of file writes may be in flight before `write` makes the caller wait. */
const WRITE_BEHIND = 8 << 20;
/** Enough spare writer buffers to cover every write that may be in flight. */
const SPARE_BUFFERS = 12;

/** Anything bpfkit can write a capture to. `'-'` means stdout. */
export type CaptureDestination = string | Writable;

/**
 * An output of whole chunks. `write` takes ownership of the chunk;
 * `writeSync` is for exit paths, where nothing asynchronous will run again.
 *
 * @example
 * const sink = ByteSink.open('out.pcap');
 * await sink.write(bytes);
 * await sink.close();
 */
export class ByteSink {
  private position = 0;
  /** Bytes handed to asynchronous file writes and not yet written. */
  private queued = 0;
  private inFlight: Promise<void> = Promise.resolve();
  /** For a stream: settles when the stream has taken the last chunk written (a Writable keeps chunks, not copies). */
  private streamFlushed: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  /** 'closing' while close() waits for writes in flight: the exit path may still write synchronously. */
  private state: 'open' | 'closing' | 'closed' = 'open';
  /** Writer buffers whose file writes completed, ready for reuse (fresh buffers cost page faults). */
  private readonly spare: Uint8Array[] = [];
  /** File chunks handed to asynchronous writes and not yet confirmed, by position. */
  private readonly unconfirmed = new Map<Uint8Array, number>();

  private constructor(private readonly fd: number | undefined, private readonly stream: Writable | undefined,
    private readonly endStream: boolean) {
    stream?.on('error', (e: Error) => { this.failure ??= e; });
  }

  /**
   * Opens a destination: a path is created or truncated; `'-'` is stdout; a
   * Writable is used as is and ended on close unless `end` is false.
   *
   * @example
   * const sink = ByteSink.open(process.stdout, { end: false });
   */
  static open(dest: CaptureDestination, options: { end?: boolean } = {}): ByteSink {
    if (typeof dest === 'string' && dest !== '-') return new ByteSink(openSync(dest, 'w'), undefined, false);
    const stream = dest === '-' ? process.stdout : dest as Writable;
    return new ByteSink(undefined, stream, options.end ?? stream !== process.stdout);
  }

  /** The first write error, if any. */
  get error(): Error | undefined {
    return this.failure;
  }

  /**
   * A buffer of `size` bytes whose earlier file write has completed, if any
   * (see `write`'s `reusable`).
   */
  takeSpare(size: number): Uint8Array | undefined {
    const b = this.spare.pop();
    return b && b.length === size ? b : undefined;
  }

  /**
   * Writes a chunk; resolves when it may be followed (file write done, or
   * stream drained). `reusable`, the buffer the chunk lies in, is offered back
   * through `takeSpare` once a file write of it completes.
   */
  write(chunk: Uint8Array, reusable?: Uint8Array): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.fd !== undefined) {
      const fd = this.fd;
      const at = this.position;
      this.position += chunk.length;
      this.unconfirmed.set(chunk, at);
      this.queued += chunk.length;
      const done = this.inFlight.then(() => writeAll(fd, chunk, at)).then(() => {
        this.unconfirmed.delete(chunk);
        this.queued -= chunk.length;
        if (reusable && this.spare.length < SPARE_BUFFERS) this.spare.push(reusable);
      });
      this.inFlight = done.catch((e: Error) => { this.failure ??= e; });
      // Writing behind the caller overlaps output with reading and parsing; the cap keeps memory bounded.
      return this.queued <= WRITE_BEHIND ? Promise.resolve() : done;
    }
    const stream = this.stream!;
    let flushed!: () => void;
    this.streamFlushed = new Promise((resolve) => { flushed = resolve; });
    // Errors are reported by the 'error' listener; the chunk is released either way.
    if (stream.write(chunk, () => flushed())) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onDrain = () => { stream.off('error', onError); resolve(); };
      const onError = (e: Error) => { stream.off('drain', onDrain); reject(e); };
      stream.once('drain', onDrain);
      stream.once('error', onError);
    });
  }

  /**
   * Resolves once every chunk handed to `write` so far has left the caller's
   * memory (written to the file, or consumed by the stream), so that buffers
   * those chunks were views of may be overwritten.
   *
   * @example
   * await sink.write(view); await sink.settled(); // view's buffer is free again
   */
  settled(): Promise<void> {
    return this.fd !== undefined ? this.inFlight : this.streamFlushed;
  }

  /** Writes a chunk before returning, for exit paths (a Writable gets it queued, which stdout on Linux writes at once). */
  writeSync(chunk: Uint8Array): void {
    if (this.state === 'closed') return;
    if (this.fd !== undefined) {
      // Writes still in the thread pool may never finish once the process exits;
      // positioned writes are idempotent, so those chunks are written again here.
      for (const [pending, at] of this.unconfirmed) writeAllSync(this.fd, pending, at);
      this.unconfirmed.clear();
      writeAllSync(this.fd, chunk, this.position);
      this.position += chunk.length;
      return;
    }
    this.stream!.write(chunk);
  }

  /** Waits for writes in flight, then closes the file or ends the stream. */
  async close(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'closing';
    if (this.fd !== undefined) {
      await this.inFlight;
      if (this.state !== 'closing') return; // closed meanwhile by the exit path
      this.state = 'closed';
      const fd = this.fd;
      await new Promise<void>((resolve, reject) => fsClose(fd, (e) => (e ? reject(e) : resolve())));
    } else {
      this.state = 'closed';
      if (this.endStream) {
        const stream = this.stream!;
        await new Promise<void>((resolve) => stream.end(resolve));
      }
    }
    if (this.failure) throw this.failure;
  }

  /** Closes at once, for exit paths. */
  closeSync(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.fd !== undefined) closeSync(this.fd);
    else if (this.endStream) this.stream!.end();
  }
}

function writeAll(fd: number, chunk: Uint8Array, at: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (done: number) => {
      if (done >= chunk.length) { resolve(); return; }
      fsWrite(fd, chunk, done, chunk.length - done, at + done, (e, n) => (e ? reject(e) : step(done + n)));
    };
    step(0);
  });
}

function writeAllSync(fd: number, chunk: Uint8Array, at: number): void {
  let done = 0;
  while (done < chunk.length) done += writeSync(fd, chunk, done, chunk.length - done, at + done);
}
