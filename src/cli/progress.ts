/**
 * A one-line progress bar on a terminal (stderr), redrawn at most ten times a
 * second while a large capture file is read, and erased when done.
 */
import type { WriteStream } from 'node:tty';

/** Files smaller than this finish too fast for a bar to help. */
export const PROGRESS_MIN_BYTES = 4 * 1024 * 1024;

const WIDTH = 30;

const megabytes = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/**
 * Draws `[=====>     ]  45%  12.3 MB / 27.0 MB  120000 packets`.
 *
 * @example
 * const bar = new ProgressBar(process.stderr as WriteStream, size);
 * bar.update(bytesRead, packets); ... bar.done();
 */
export class ProgressBar {
  private lastDraw = 0;
  private shown = false;

  constructor(private readonly tty: WriteStream, readonly total: number) {}

  /** Redraws if 100 ms have passed since the last drawing. */
  update(done: number, packets: number): void {
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.draw(done, packets);
  }

  /** The bar as text (for tests and the drawing). */
  text(done: number, packets: number): string {
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const filled = Math.round(fraction * WIDTH);
    const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? (filled === WIDTH ? '=' : '>') : '') + ' '.repeat(WIDTH - filled);
    return `[${bar}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${megabytes(done)} / ${megabytes(this.total)}  ${packets} packets`;
  }

  private draw(done: number, packets: number): void {
    this.shown = true;
    this.tty.write(`\r${this.text(done, packets)}\x1b[K`);
  }

  /** Erases the bar. */
  done(): void {
    if (this.shown) this.tty.write('\r\x1b[K');
    this.shown = false;
  }
}
