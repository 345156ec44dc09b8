/**
 * Packet timestamps as tcpdump prints them for -t, -tt, -ttt, -tttt and
 * -ttttt, in microsecond or nanosecond precision. Times of day use the local
 * time zone (TZ), as tcpdump's localtime() does.
 */
import type { Timestamp } from '../pcap/record.js';

/** How many -t flags were given: 0 time of day, 1 none, 2 epoch, 3 delta, 4 date, 5 since first. */
export type TimestampStyle = 0 | 1 | 2 | 3 | 4 | 5;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * Remembers the first and previous timestamps (for -ttt and -ttttt) and
 * formats each packet's stamp, followed by a space, or '' for -t.
 *
 * @example
 * const clock = new TimestampFormatter(2, false);
 * clock.format({ sec: 1, nsec: 5000 }) // '1.000005 '
 */
export class TimestampFormatter {
  private first: Timestamp | undefined;
  private previous: Timestamp | undefined;

  constructor(readonly style: TimestampStyle, readonly nano: boolean) {}

  format(ts: Timestamp): string {
    this.first ??= ts;
    const previous = this.previous ?? ts;
    this.previous = ts;
    switch (this.style) {
      case 1: return '';
      case 2: return `${ts.sec}.${this.fraction(ts.nsec)} `;
      case 3: return `${this.elapsed(previous, ts)} `;
      case 4: {
        const d = new Date(ts.sec * 1000);
        return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${this.timeOfDay(d, ts.nsec)} `;
      }
      case 5: return `${this.elapsed(this.first, ts)} `;
      default: return `${this.timeOfDay(new Date(ts.sec * 1000), ts.nsec)} `;
    }
  }

  private fraction(nsec: number): string {
    return this.nano ? pad(nsec, 9) : pad(Math.floor(nsec / 1000), 6);
  }

  private timeOfDay(d: Date, nsec: number): string {
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${this.fraction(nsec)}`;
  }

  /** Difference as HH:MM:SS.frac after a sign column: ' ' forwards, '-' when the clock went backwards. */
  private elapsed(from: Timestamp, to: Timestamp): string {
    let ns = (BigInt(to.sec) - BigInt(from.sec)) * 1_000_000_000n + BigInt(to.nsec - from.nsec);
    const sign = ns < 0n ? '-' : ' ';
    if (ns < 0n) ns = -ns;
    const sec = Number(ns / 1_000_000_000n);
    const nsec = Number(ns % 1_000_000_000n);
    return `${sign}${pad(Math.floor(sec / 3600))}:${pad(Math.floor(sec / 60) % 60)}:${pad(sec % 60)}.${this.fraction(nsec)}`;
  }
}
