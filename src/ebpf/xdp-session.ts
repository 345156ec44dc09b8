/**
 * One XDP run for a command line: attach, report the counters while it runs,
 * stop on an abort signal, after a number of matched packets or after a
 * duration, detach, and summarize. `bpfdump -i IFACE --xdp drop|pass|count
 * EXPRESSION` is this function with a compiled expression.
 */
import type { Program } from '../bpf/program.js';
import { attachXdp, type XdpAction, type XdpCounters, type XdpMode } from './xdp.js';

/** Options for runXdp. */
export interface XdpSessionOptions {
  interface: string;
  action: XdpAction;
  mode?: XdpMode;
  /** Stop after this many matched packets (tcpdump's -c). */
  count?: number;
  /** Stop after this many milliseconds. */
  durationMs?: number;
  /** How often to read the counters and call onCounters (default 1000 ms; 100 ms when `count` is set). */
  intervalMs?: number;
  /** Stops the run (e.g. wired to SIGINT by the CLI). */
  signal?: AbortSignal;
  /** Called with the counters at every interval. */
  onCounters?: (counters: XdpCounters, elapsedMs: number) => void;
  /** Keep the program attached after the run, pinned at this bpffs path (the run then does not detach it). */
  pin?: string;
}

/** What a run did. */
export interface XdpSummary {
  readonly interface: string;
  readonly action: XdpAction;
  readonly mode: XdpMode;
  readonly matched: bigint;
  readonly unmatched: bigint;
  /** Matched packets that were dropped (action drop), or unmatched ones (action pass); 0 for count. */
  readonly dropped: bigint;
  readonly elapsedMs: number;
  /** Why it stopped. */
  readonly reason: 'signal' | 'count' | 'duration';
  /** Whether the program was left attached (pinned). */
  readonly pinned: boolean;
}

/**
 * Attaches `prog` at XDP on an interface and runs until stopped; resolves
 * with a summary after detaching (unless pinned). Rejects without attaching
 * when translation, verification or attaching fails.
 *
 * @example
 * const ac = new AbortController();
 * process.once('SIGINT', () => ac.abort());
 * const s = await runXdp(compile('udp port 7777'), { interface: 'eth0', action: 'drop', signal: ac.signal,
 *   onCounters: (c) => process.stderr.write(`\r${c.matched} matched`) });
 * console.log(formatXdpSummary(s));
 */
export async function runXdp(prog: Program, options: XdpSessionOptions): Promise<XdpSummary> {
  if (options.count !== undefined && (!Number.isInteger(options.count) || options.count <= 0)) throw new RangeError(`count ${options.count} must be a positive integer`);
  if (options.durationMs !== undefined && !(options.durationMs >= 0)) throw new RangeError(`duration ${options.durationMs} ms must be non-negative`);
  const filter = attachXdp(prog, { interface: options.interface, action: options.action, mode: options.mode, pin: options.pin });
  const started = Date.now();
  const interval = options.intervalMs ?? (options.count !== undefined ? 100 : 1000);
  let reason: XdpSummary['reason'] = 'signal';
  let last: XdpCounters = { matched: 0n, unmatched: 0n };
  try {
    await new Promise<void>((resolve) => {
      const finish = (why: XdpSummary['reason']): void => {
        reason = why;
        clearInterval(timer);
        if (deadline) clearTimeout(deadline);
        options.signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => finish('signal');
      const timer = setInterval(() => {
        last = filter.counters();
        options.onCounters?.(last, Date.now() - started);
        if (options.count !== undefined && last.matched >= BigInt(options.count)) finish('count');
      }, interval);
      const deadline = options.durationMs !== undefined ? setTimeout(() => finish('duration'), options.durationMs) : undefined;
      if (options.signal?.aborted) finish('signal');
      else options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    last = filter.counters();
  } finally {
    if (!options.pin) filter.detach();
  }
  const dropped = options.action === 'drop' ? last.matched : options.action === 'pass' ? last.unmatched : 0n;
  return {
    interface: options.interface, action: options.action, mode: options.mode ?? 'auto',
    matched: last.matched, unmatched: last.unmatched, dropped, elapsedMs: Date.now() - started, reason, pinned: !!options.pin,
  };
}

/**
 * The summary as bpfdump prints it at the end.
 *
 * @example
 * formatXdpSummary(s) // '120 packets matched (dropped), 37 not matched, on veth1 (XDP native) in 5.0 s'
 */
export function formatXdpSummary(s: XdpSummary): string {
  const done = s.action === 'drop' ? 'dropped' : s.action === 'pass' ? 'passed' : 'counted';
  const others = s.action === 'pass' ? 'not matched (dropped)' : 'not matched (passed)';
  return `${s.matched} packets matched (${done}), ${s.unmatched} ${others}, on ${s.interface} (XDP ${s.mode}) in ${(s.elapsedMs / 1000).toFixed(1)} s` +
    (s.pinned ? '; still attached (pinned)' : '');
}
