/**
 * Where capture bytes come from: a file path, stdin, any Readable, an async
 * iterable of chunks, or bytes already in memory. A ByteWindow shows the
 * unconsumed bytes as one contiguous view and grows it on demand, so parsers
 * see whole records without per-packet copies.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/** Anything bpfkit can read a capture from. `'-'` means stdin. */
export type CaptureSource = string | Readable | AsyncIterable<Uint8Array> | Uint8Array;

/** Default read size: large enough that per-read overhead vanishes, small enough to keep the heap flat. */
export const DEFAULT_CHUNK_SIZE = 1 << 20;

/**
 * The unconsumed bytes of a source, `buf[pos, end)`, with `base` the source
 * offset of `buf[0]`. Buffers are never reused once handed out: views into
 * them stay valid (and keep the chunk alive) for as long as they are held.
 *
 * @example
 * const w = await ByteWindow.open('in.pcap');
 * while (await w.fill(16)) { … w.pos += consumed; }
 * await w.close();
 */
export class ByteWindow {
  buf: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;
  base = 0;
  eof = false;

  private constructor(
    private readonly next: (tail: Uint8Array, tailOffset: number, atLeast: number) => Promise<Uint8Array | null>,
    private readonly release: () => Promise<void>,
    private readonly chunkSize: number,
  ) {}

  /**
   * Opens a source. A string is a path (`'-'` is stdin).
   *
   * @example
   * const w = await ByteWindow.open(process.stdin);
   */
  static async open(source: CaptureSource, chunkSize = DEFAULT_CHUNK_SIZE): Promise<ByteWindow> {
    if (source instanceof Uint8Array) {
      let given = false;
      return new ByteWindow(async () => (given ? null : ((given = true), source)), async () => {}, chunkSize);
    }
    if (typeof source === 'string' && source !== '-') {
      const fh = await open(source, 'r');
      return new ByteWindow((_tail, tailOffset, atLeast) => readFile(fh, tailOffset, Math.max(atLeast, chunkSize)),
        () => fh.close(), chunkSize);
    }
    const stream: AsyncIterable<Uint8Array> = source === '-' ? process.stdin : source as AsyncIterable<Uint8Array>;
    const it = stream[Symbol.asyncIterator]();
    return new ByteWindow(async (tail, _off, atLeast) => joinStream(it, tail, atLeast),
      async () => { await it.return?.(); }, chunkSize);
  }

  /** Bytes available from `pos`. */
  get available(): number {
    return this.end - this.pos;
  }

  /** Source offset of `pos`. */
  get offset(): number {
    return this.base + this.pos;
  }

  /**
   * Makes at least `needed` bytes available from `pos`, reading more when
   * fewer are; false when the source ended first (the remainder stays visible).
   *
   * @example
   * if (!(await w.fill(24))) parser.finish(w.buf, w.pos, w.end, w.base);
   */
  async fill(needed: number): Promise<boolean> {
    while (this.end - this.pos < needed) {
      if (this.eof) return false;
      const tail = this.buf.subarray(this.pos, this.end);
      const tailOffset = this.base + this.pos;
      const got = await this.next(tail, tailOffset, needed);
      if (got === null || got.length <= tail.length) { this.eof = true; continue; }
      this.buf = got;
      this.base = tailOffset;
      this.pos = 0;
      this.end = got.length;
    }
    return true;
  }

  /** Releases the file or stream. */
  async close(): Promise<void> {
    await this.release();
  }
}

/** Reads the next window from a file: the tail is read again from its offset rather than copied. */
async function readFile(fh: FileHandle, tailOffset: number, size: number): Promise<Uint8Array | null> {
  const buf = Buffer.allocUnsafe(size);
  let filled = 0;
  while (filled < size) {
    const { bytesRead } = await fh.read(buf, filled, size - filled, tailOffset + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === 0 ? null : buf.subarray(0, filled);
}

/** Appends stream chunks to the tail until `atLeast` bytes are there or the stream ends; null at the end. */
async function joinStream(it: AsyncIterator<Uint8Array>, tail: Uint8Array, atLeast: number): Promise<Uint8Array | null> {
  const parts: Uint8Array[] = tail.length ? [tail] : [];
  let total = tail.length;
  do {
    const r = await it.next();
    if (r.done) break;
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    if (chunk.length === 0) continue;
    parts.push(chunk);
    total += chunk.length;
  } while (total < atLeast);
  if (total === tail.length) return null;
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
}
