/**
 * Capture statistics as tcpdump prints them when it exits.
 */
import type { CaptureStats } from './live.js';

/**
 * The three lines tcpdump prints at exit for a live capture: packets
 * captured, received by filter, dropped by kernel (singular for one).
 *
 * @example
 * process.stderr.write(formatCaptureStats(live.stats()));
 * // 10 packets captured
 * // 12 packets received by filter
 * // 0 packets dropped by kernel
 */
export function formatCaptureStats(stats: CaptureStats): string {
  const line = (n: number, what: string) => `${n} packet${n === 1 ? '' : 's'} ${what}\n`;
  return line(stats.captured, 'captured') + line(stats.received, 'received by filter') + line(stats.dropped, 'dropped by kernel');
}
