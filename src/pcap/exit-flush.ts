/**
 * Flushing open writers when the process is about to end: on SIGINT and
 * SIGTERM (then the signal takes its default course if nobody else listens),
 * on beforeExit (a writer nobody closed) and on exit. Handlers are installed
 * only while a writer is open.
 */

/** What a writer offers the exit path: a synchronous flush-and-close. */
export interface ExitFlushable {
  flushSync(): void;
}

const open = new Set<ExitFlushable>();
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

function flushAll(): void {
  for (const w of [...open]) {
    try { w.flushSync(); } catch { /* the process is ending: one failed writer must not stop the others */ }
  }
  open.clear();
  uninstall();
}

function onSignal(signal: NodeJS.Signals): void {
  const others = process.listenerCount(signal) - 1;
  flushAll();
  // Nobody else handles it: let the signal end the process as it would have.
  if (others === 0) process.kill(process.pid, signal);
}

function install(): void {
  for (const s of SIGNALS) process.on(s, onSignal);
  process.on('beforeExit', flushAll);
  process.on('exit', flushAll);
}

function uninstall(): void {
  for (const s of SIGNALS) process.off(s, onSignal);
  process.off('beforeExit', flushAll);
  process.off('exit', flushAll);
}

/**
 * Flushes `writer` synchronously if the process ends while it is open.
 *
 * @example
 * flushOnExit(writer); … unregisterExitFlush(writer) once closed;
 */
export function flushOnExit(writer: ExitFlushable): void {
  if (open.size === 0) install();
  open.add(writer);
}

/**
 * Stops watching a writer (it was closed normally).
 *
 * @example
 * unregisterExitFlush(writer);
 */
export function unregisterExitFlush(writer: ExitFlushable): void {
  if (open.delete(writer) && open.size === 0) uninstall();
}
