/**
 * Line-oriented text protocols (HTTP, SMTP): tcpdump prints the request or status
 * line, and with -v every line of the message.
 */
import type { Dissector } from './dissector.js';

const HTTP_METHODS = new Set([
  'GET', 'PUT', 'COPY', 'HEAD', 'LOCK', 'MOVE', 'POLL', 'POST', 'BCOPY', 'BMOVE', 'MKCOL', 'TRACE', 'LABEL', 'MERGE',
  'DELETE', 'SEARCH', 'UNLOCK', 'REPORT', 'UPDATE', 'NOTIFY', 'BDELETE', 'CONNECT', 'OPTIONS', 'CHECKIN', 'PROPFIND',
  'CHECKOUT', 'CCM_POST', 'SUBSCRIBE', 'PROPPATCH', 'BPROPFIND', 'BPROPPATCH', 'UNCHECKOUT', 'MKACTIVITY',
  'MKWORKSPACE', 'UNSUBSCRIBE', 'RPC_CONNECT', 'VERSION-CONTROL', 'BASELINE-CONTROL',
]);

/**
 * Prints `: HTTP` and, when the payload starts a request or response, its
 * first line (all lines with -v).
 *
 * @example
 * printTextProtocol(d, 'http', bytes('GET / HTTP/1.0\r\n'), 16) // ': HTTP: GET / HTTP/1.0'
 */
export function printTextProtocol(d: Dissector, name: 'http' | 'smtp', buf: Uint8Array, length: number): void {
  d.protocol = name;
  const captured = Math.min(length, buf.length);
  const tokens = firstTokens(buf, captured);
  // SMTP has no request words in tcpdump's table: only replies (a 3-digit code) count.
  const isRequest = name === 'http' && tokens[0] !== undefined && HTTP_METHODS.has(tokens[0].toUpperCase());
  const isResponse = tokens.some((t) => /^[0-9]{3}$/.test(t));
  d.print(`: ${name.toUpperCase()}`);
  if (!isRequest && !isResponse) return;
  if (d.opts.verbose > 0) {
    d.print(`, length: ${length}`);
    for (let at = 0; at < captured;) {
      const next = printLine(d, '\n\t', buf, at, captured);
      if (next === 0) break;
      at = next;
    }
  } else {
    printLine(d, ': ', buf, 0, captured);
  }
}

/** The first two space-separated tokens of the first line, when made of printable text. */
function firstTokens(buf: Uint8Array, length: number): string[] {
  const tokens: string[] = [];
  let cur = '';
  for (let i = 0; i < length && tokens.length < 2; i++) {
    const c = buf[i];
    if (c === 0x20 || c === 0x0d || c === 0x0a) {
      if (cur) tokens.push(cur);
      cur = '';
      if (c !== 0x20) break;
    } else if (c > 0x20 && c < 0x7f) {
      cur += String.fromCharCode(c);
    } else {
      return tokens;
    }
  }
  if (cur && tokens.length < 2) tokens.push(cur);
  return tokens;
}

/** Prints one line after `prefix`; returns where the next starts, or 0 to stop. */
function printLine(d: Dissector, prefix: string, buf: Uint8Array, start: number, length: number): number {
  for (let i = start; i < length; i++) {
    const c = buf[i];
    if (c === 0x0a) {
      d.print(prefix + text(buf, start, i));
      return i + 1;
    }
    if (c === 0x0d) {
      if (i + 1 < length && buf[i + 1] === 0x0a) {
        d.print(prefix + text(buf, start, i));
        return i + 2;
      }
      return 0;
    }
    if ((c < 0x20 || c > 0x7e) && c !== 0x09) return 0;
  }
  d.print(`${prefix}${text(buf, start, length)} [|${d.protocol}]`);
  return 0;
}

function text(buf: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...buf.subarray(from, to));
}
