/**
 * Line-oriented text protocols (HTTP, SMTP): tcpdump prints the request or status
 * line, and with -v every line of the message.
 */
import { Truncated } from './bytes.js';
import type { Dissector } from './dissector.js';

const HTTP_METHODS = new Set([
  'GET', 'PUT', 'COPY', 'HEAD', 'LOCK', 'MOVE', 'POLL', 'POST', 'BCOPY', 'BMOVE', 'MKCOL', 'TRACE', 'LABEL', 'MERGE',
  'DELETE', 'SEARCH', 'UNLOCK', 'REPORT', 'UPDATE', 'NOTIFY', 'BDELETE', 'CONNECT', 'OPTIONS', 'CHECKIN', 'PROPFIND',
  'CHECKOUT', 'CCM_POST', 'SUBSCRIBE', 'PROPPATCH', 'BPROPFIND', 'BPROPPATCH', 'UNCHECKOUT', 'MKACTIVITY',
  'MKWORKSPACE', 'UNSUBSCRIBE', 'RPC_CONNECT', 'VERSION-CONTROL', 'BASELINE-CONTROL',
]);

/**
 * Prints `: HTTP` and, when the payload starts a request or response, its
 * first line (all lines with -v). A line cut short by the capture ends the
 * output with `[|http]`.
 *
 * @example
 * printTextProtocol(d, 'http', bytes('GET / HTTP/1.0\r\n'), 16) // ': HTTP: GET / HTTP/1.0'
 */
export function printTextProtocol(d: Dissector, name: 'http' | 'smtp', buf: Uint8Array, length: number): void {
  d.protocol = name;
  // tcpdump prints every SMTP payload as text; HTTP only a request (a known
  // method first) or a response (a 3-digit status as the second word).
  let isReqResp = name === 'smtp';
  const first = isReqResp ? undefined : fetchToken(buf, 0, length);
  if (first) {
    isReqResp = HTTP_METHODS.has(first.token.toUpperCase());
    if (!isReqResp) {
      const second = fetchToken(buf, first.next, length);
      isReqResp = second !== undefined && /^[0-9]{3}$/.test(second.token);
    }
  }
  d.print(`: ${name.toUpperCase()}`);
  if (!isReqResp) return;
  if (d.opts.verbose > 0) {
    d.print(`, length: ${length}`);
    for (let at = 0; at < length;) {
      const next = printLine(d, '\n\t', buf, at, length);
      if (next === 0) break;
      at = next;
    }
  } else {
    printLine(d, ': ', buf, 0, length);
  }
}

/**
 * One space-separated token from `at`, and where the next one starts; none
 * when the token is cut by the capture or holds a non-ASCII byte.
 */
function fetchToken(buf: Uint8Array, at: number, length: number): { token: string; next: number } | undefined {
  let i = at;
  for (; i < length; i++) {
    if (i >= buf.length) return undefined;
    const c = buf[i];
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) break;
    if (c < 0x21 || c > 0x7e) return undefined;
  }
  if (i === at) return undefined;
  const token = String.fromCharCode(...buf.subarray(at, i));
  for (; i < length && i < buf.length; i++) {
    const c = buf[i];
    if (c === 0x0d || c === 0x0a) break;
    if (c < 0x20 || c > 0x7e) { if (c !== 0x09) return undefined; }
    if (c !== 0x20 && c !== 0x09) break;
  }
  return { token, next: i };
}

/**
 * Prints one line after `prefix`; returns where the next starts, or 0 to
 * stop. A line running past the captured bytes throws Truncated (nothing of
 * it is printed); one running to the end of the data without a line end is
 * printed and marked.
 */
function printLine(d: Dissector, prefix: string, buf: Uint8Array, start: number, length: number): number {
  for (let i = start; i < length; i++) {
    if (i >= buf.length) throw new Truncated();
    const c = buf[i];
    if (c === 0x0a) {
      d.print(prefix + text(buf, start, i));
      return i + 1;
    }
    if (c === 0x0d) {
      if (i + 1 >= length) return 0;
      if (i + 1 >= buf.length) throw new Truncated();
      if (buf[i + 1] === 0x0a) {
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
