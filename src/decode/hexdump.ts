/**
 * The packet dumps of tcpdump's -x/-xx (hex), -X/-XX (hex and ASCII) and -A
 * (ASCII), each line starting with a newline so that it follows the summary.
 */
import { hex2 } from './bytes.js';

const printable = (c: number): boolean => c >= 0x21 && c <= 0x7e;

/**
 * Hex lines: `\n\t0x0000:  4500 0054 ...`, 16 bytes a line.
 *
 * @example
 * hexLines(new Uint8Array([0x45, 0])) // '\n\t0x0000:  4500'
 */
export function hexLines(bytes: Uint8Array): string {
  let out = '';
  for (let at = 0; at < bytes.length; at += 16) {
    out += `\n\t0x${at.toString(16).padStart(4, '0')}: ${hexGroups(bytes, at, Math.min(at + 16, bytes.length))}`;
  }
  return out;
}

/**
 * Hex and ASCII lines, as -X: the hex column padded to its full width, then
 * two spaces and the bytes as text (anything but a graphic character, even a
 * space, as '.').
 *
 * @example
 * hexAsciiLines(new Uint8Array([0x41])) // '\n\t0x0000:  41' + 38 spaces + '  A'
 */
export function hexAsciiLines(bytes: Uint8Array): string {
  let out = '';
  for (let at = 0; at < bytes.length; at += 16) {
    const end = Math.min(at + 16, bytes.length);
    let text = '';
    for (let i = at; i < end; i++) text += printable(bytes[i]) ? String.fromCharCode(bytes[i]) : '.';
    out += `\n\t0x${at.toString(16).padStart(4, '0')}: ${hexGroups(bytes, at, end).padEnd(40)}  ${text}`;
  }
  return out;
}

/**
 * The bytes as text, as -A: printable characters, tabs, spaces and newlines as
 * they are, a carriage return dropped before a newline or near the end, anything else '.'.
 *
 * @example
 * asciiText(new TextEncoder().encode('GET /\r\n')) // '\nGET /\n'
 */
export function asciiText(bytes: Uint8Array): string {
  let out = '\n';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === 0x0d) {
      // tcpdump prints a carriage return as '.' only with two or more bytes after it, the next not a newline.
      if (i + 2 < bytes.length && bytes[i + 1] !== 0x0a) out += '.';
    } else if (printable(c) || c === 0x09 || c === 0x20 || c === 0x0a) {
      out += String.fromCharCode(c);
    } else {
      out += '.';
    }
  }
  return out;
}

function hexGroups(bytes: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i += 2) s += i + 1 < to ? ` ${hex2(bytes[i])}${hex2(bytes[i + 1])}` : ` ${hex2(bytes[i])}`;
  return s;
}
