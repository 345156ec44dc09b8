/**
 * Text output for packet lines: buffered in large writes (or line by line
 * with -l), honouring backpressure, and quiet when the reader goes away
 * (`bpfdump ... | head` ends without an EPIPE trace). Also the statistics
 * lines tcpdump prints at exit.
 */
import type { Writable } from 'node:stream';

const CHUNK = 64 * 1024;

/**
 * Lines to a stream, batched.
 *
 * @example
 * const out = new LineOutput(process.stdout, false);
 * out.line('hello'); await out.flush();
 */
export class LineOutput {
  private pending: string[] = [];
  private size = 0;
  /** True once the reader has gone away (EPIPE): further lines are dropped. */
  closed = false;

  constructor(private readonly stream: Writable, private readonly lineBuffered: boolean) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') this.closed = true;
      else throw e;
    });
  }

  /** Queues one line; returns a promise when the caller should wait for the stream to drain. */
  line(text: string): Promise<void> | undefined {
    if (this.closed) return undefined;
    this.pending.push(text);
    this.size += text.length + 1;
    if (this.lineBuffered || this.size >= CHUNK) return this.flush();
    return undefined;
  }

  /** Writes everything queued; resolves when the stream can take more. */
  flush(): Promise<void> {
    if (this.pending.length === 0 || this.closed) return Promise.resolve();
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    this.size = 0;
    if (this.stream.write(text)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { this.stream.off('drain', done); this.stream.off('close', done); resolve(); };
      this.stream.once('drain', done);
      this.stream.once('close', done);
    });
  }
}

/** What tcpdump reports at the end of a capture. */
export interface CaptureCounts {
  captured: number;
  received: number;
  dropped: number;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The three statistics lines, as tcpdump prints them on stderr at exit.
 *
 * @example
 * statisticsText({ captured: 3, received: 5, dropped: 0 })
 * // '3 packets captured\n5 packets received by filter\n0 packets dropped by kernel'
 */
export function statisticsText(c: CaptureCounts): string {
  return `${plural(c.captured, 'packet')} captured\n${plural(c.received, 'packet')} received by filter\n${plural(c.dropped, 'packet')} dropped by kernel`;
}
