/**
 * Where capture bytes come from: a file path, stdin, any Readable, an async
 * iterable of chunks, or bytes already in memory. A ByteWindow shows the
 * unconsumed bytes as one contiguous view and grows it on demand, so parsers
 * see whole records without per-packet copies.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { PacketArena } from '../bpf/wasm.js';

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
    /** Takes back a buffer the window has moved past, when the source reuses its buffers. */
    private readonly recycle?: (old: Uint8Array) => void,
  ) {}

  /**
   * Opens a source. A string is a path (`'-'` is stdin). With an `arena`, a
   * file's chunks are read into buffers carved from it (up to
   * ARENA_CHUNKS of them; ordinary buffers beyond), so that batches of its
   * packets can run on the WebAssembly engine; other sources ignore it.
   *
   * @example
   * const w = await ByteWindow.open(process.stdin);
   * const f = await ByteWindow.open('in.pcap', DEFAULT_CHUNK_SIZE, true, new PacketArena(arenaBytesFor(DEFAULT_CHUNK_SIZE)));
   */
  static async open(source: CaptureSource, chunkSize = DEFAULT_CHUNK_SIZE,
    reuseBuffers: boolean | (() => Promise<unknown>) = false, arena?: PacketArena): Promise<ByteWindow> {
    if (source instanceof Uint8Array) {
      let given = false;
      return new ByteWindow(async () => (given ? null : ((given = true), source)), async () => {}, chunkSize);
    }
    if (typeof source === 'string' && source !== '-') {
      const file = new FileChunks(await open(source, 'r'), chunkSize, arena);
      return new ByteWindow((tail, tailOffset, atLeast) => file.next(tail, tailOffset, atLeast), () => file.close(), chunkSize,
        reuseBuffers ? (old) => file.release(old, typeof reuseBuffers === 'function' ? reuseBuffers : undefined) : undefined);
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
      this.recycle?.(this.buf);
      // A plain Uint8Array, not a Buffer: views handed out then copy on slice(), as typed arrays do.
      this.buf = got instanceof Buffer ? new Uint8Array(got.buffer, got.byteOffset, got.length) : got;
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

/** Room kept in front of each read-ahead chunk for the unconsumed tail of the previous window (one largest record). */
const HEADROOM = 256 * 1024 + 64;

/** Chunks read ahead of the parser: two let the thread pool copy from the page cache on two cores at once. */
const READ_AHEAD = 2;

/**
 * Chunk buffers a reader carves from its arena at most: the window's, the
 * read-aheads', and as many again kept spare or held by a reuse gate. With
 * buffer reuse the reader's buffers rarely number more than the first three
 * (a read-ahead waits for a held buffer rather than taking a new one); a
 * reader that needs more takes ordinary buffers, whose batches run in
 * JavaScript.
 */
export const ARENA_CHUNKS = 2 * (1 + READ_AHEAD);

/**
 * The arena size (bytes) that holds ARENA_CHUNKS chunk buffers of
 * `chunkSize` bytes each (plus the headroom in front of each).
 *
 * @example
 * new PacketArena(arenaBytesFor(DEFAULT_CHUNK_SIZE) + batchArrayBytes(4096)) // about 7.5 MiB + the batch arrays
 */
export function arenaBytesFor(chunkSize: number): number {
  return ARENA_CHUNKS * (HEADROOM + chunkSize);
}

/**
 * Reads a file in chunks, a few chunks ahead, so that the disk (or page
 * cache) copy overlaps with parsing. The previous window's unconsumed tail is
 * copied into the headroom in front of the next chunk, which makes the new
 * window contiguous without copying the chunk itself.
 */
class FileChunks {
  private readonly ahead: Array<{ at: number; read: Promise<{ buf: Buffer; filled: number }> }> = [];
  /** Read-ahead buffers handed back by a window that reuses them. */
  private readonly spare: Buffer[] = [];
  /** Buffers the window has moved past whose reuse waits on the caller's gate (see ReadOptions.reuseBuffers). */
  private held = 0;
  /** Read-aheads waiting for one of those buffers. */
  private readonly waiting: Array<(buf: Buffer) => void> = [];
  private aheadEnd = 0;
  private ended = false;
  /** Where each buffer carved from the arena starts in it, in carving order. */
  private readonly slots: number[] = [];

  constructor(private readonly fh: FileHandle, private readonly chunkSize: number, private readonly arena?: PacketArena) {}

  async next(tail: Uint8Array, tailOffset: number, atLeast: number): Promise<Uint8Array | null> {
    const at = tailOffset + tail.length;
    const head = this.ahead[0];
    if (head && head.at === at && tail.length <= HEADROOM && atLeast <= tail.length + this.chunkSize) {
      this.ahead.shift();
      const { buf, filled } = await head.read;
      if (filled < this.chunkSize) this.ended = true;
      this.topUp();
      if (filled === 0) return null;
      buf.set(tail, HEADROOM - tail.length);
      return buf.subarray(HEADROOM - tail.length, HEADROOM + filled);
    }
    await this.drain();
    const size = Math.max(atLeast, this.chunkSize);
    // With an arena, a chunk-sized read goes to an arena buffer (at its headroom, so it is whole and reusable).
    const slot = this.arena && size === this.chunkSize ? this.spareOrNew() : undefined;
    const buf = slot ?? Buffer.allocUnsafe(size);
    const from = slot ? HEADROOM : 0;
    const filled = await readFully(this.fh, buf, from, size, tailOffset);
    this.ended = filled < size;
    this.aheadEnd = tailOffset + filled;
    this.topUp();
    return filled === 0 ? null : buf.subarray(from, from + filled);
  }

  private topUp(): void {
    while (!this.ended && this.ahead.length < READ_AHEAD) {
      const at = this.aheadEnd;
      const read = Promise.resolve(this.buffer())
        .then((buf) => readFully(this.fh, buf, HEADROOM, this.chunkSize, at).then((filled) => ({ buf, filled })));
      read.catch(() => undefined); // a failure is reported when the chunk is asked for
      this.ahead.push({ at, read });
      this.aheadEnd = at + this.chunkSize;
    }
  }

  /**
   * A buffer for the next read-ahead: a spare one; else, when buffers the
   * window moved past are still held by the gate (their bytes being written
   * out), the first of them to come back, since faulting in fresh memory
   * costs more than that short wait; else a new one.
   */
  private buffer(): Buffer | Promise<Buffer> {
    if (this.spare.length === 0 && this.held > this.waiting.length) return new Promise((resolve) => this.waiting.push(resolve));
    return this.spareOrNew();
  }

  /** A spare buffer (an arena one first), else a new one: from the arena while it has room, else ordinary memory. */
  private spareOrNew(): Buffer {
    const size = HEADROOM + this.chunkSize;
    const arena = this.arena;
    if (arena) {
      const k = this.spare.findIndex((b) => b.buffer === arena.memory.buffer);
      if (k >= 0) return this.spare.splice(k, 1)[0];
      if (this.spare.length === 0 && this.slots.length < ARENA_CHUNKS && arena.bytes - arena.used >= size + 8) {
        const view = arena.batch(size, 0).data;
        this.slots.push(view.byteOffset);
        return Buffer.from(view.buffer, view.byteOffset, size);
      }
    }
    return this.spare.pop() ?? Buffer.allocUnsafe(size);
  }

  /** The whole read-ahead buffer `old` is a view into (starting in its headroom), or undefined. */
  private wholeOf(old: Uint8Array): Buffer | undefined {
    const size = HEADROOM + this.chunkSize;
    if (this.arena && old.buffer === this.arena.memory.buffer) {
      const start = this.slots.find((s) => s <= old.byteOffset && old.byteOffset <= s + HEADROOM);
      return start === undefined ? undefined : Buffer.from(old.buffer, start, size);
    }
    return old.buffer.byteLength === size && old.byteOffset <= HEADROOM ? Buffer.from(old.buffer, 0, size) : undefined;
  }

  /** Takes back a window buffer the window has moved past, once `gate` (if any) settles. */
  release(old: Uint8Array, gate?: () => Promise<unknown>): void {
    if (!gate) { this.reuse(old); return; }
    this.held++;
    const back = () => { this.held--; this.reuse(old); };
    void gate().then(back, back);
  }

  /** Takes back a window buffer nobody references any more, for a later read-ahead. */
  private reuse(old: Uint8Array): void {
    // Only whole read-ahead buffers (a view starting in their headroom) are reusable;
    // a read-ahead waiting for a buffer gets a new one otherwise, so none waits forever.
    const whole = this.wholeOf(old);
    const waiter = this.waiting.shift();
    if (waiter) { waiter(whole ?? this.spareOrNew()); return; }
    if (!whole) return;
    if (this.spare.length < READ_AHEAD + 1) { this.spare.push(whole); return; }
    // Spares full: an arena buffer still displaces an ordinary one, so that the arena's buffers stay in use.
    const ordinary = this.arena && whole.buffer === this.arena.memory.buffer ? this.spare.findIndex((b) => b.buffer !== whole.buffer) : -1;
    if (ordinary >= 0) this.spare[ordinary] = whole;
  }

  private async drain(): Promise<void> {
    for (const a of this.ahead.splice(0)) await a.read.catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.drain();
    await this.fh.close();
  }
}

async function readFully(fh: FileHandle, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await fh.read(buf, offset + filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
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
