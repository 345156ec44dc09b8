/**
 * Errors of live capture that are not a failed system call (those are
 * SyscallError, from syscalls.ts): bad options, use after close, operations a
 * capture does not support.
 */

/** What went wrong, as a stable code callers can test. */
export type CaptureErrorCode =
  | 'BAD_OPTION'
  | 'CLOSED'
  | 'FILTER_LOCKED'
  | 'NOT_SUPPORTED';

/**
 * A live-capture error with a code and a message naming the capture and the culprit.
 *
 * @example
 * try { await live.setFilter(p); }
 * catch (e) { if (e instanceof CaptureError && e.code === 'FILTER_LOCKED') ... }
 */
export class CaptureError extends Error {
  constructor(readonly code: CaptureErrorCode, message: string) {
    super(message);
    this.name = 'CaptureError';
  }
}
