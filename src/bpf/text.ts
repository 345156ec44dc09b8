/**
 * Programs as text, in every format bpfkit reads and writes: tcpdump's -d,
 * -dd and -ddd, and the Linux bpf_asm language. One entry point each way,
 * with the format detected when reading.
 */
import type { Program } from './program.js';
import { AssembleError } from './assemble-error.js';
import { parseC, parseDecimal, parseImage, printC, printDecimal, printImage, sourceLines } from './text-tcpdump.js';
import { parseAsm, printAsm } from './text-asm.js';

/** `'d'`, `'dd'`, `'ddd'`: what `tcpdump -d/-dd/-ddd` prints; `'asm'`: Linux bpf_asm source. */
export type TextFormat = 'd' | 'dd' | 'ddd' | 'asm';

/** The formats, for CLIs and tests that loop over them. */
export const TEXT_FORMATS: readonly TextFormat[] = Object.freeze(['d', 'dd', 'ddd', 'asm']);

/**
 * Prints a Program as text. `'d'`, `'dd'` and `'ddd'` are byte for byte what
 * tcpdump (libpcap 1.10) prints; `'asm'` is bpf_asm source with `L<n>` labels.
 *
 * @example
 * disassemble(prog, 'd')   // '(000) ldh      [12]\n...'
 * disassemble(prog, 'ddd') // '4\n40 0 0 12\n...'
 */
export function disassemble(prog: Program, format: TextFormat = 'd'): string {
  switch (format) {
    case 'd': return printImage(prog);
    case 'dd': return printC(prog);
    case 'ddd': return printDecimal(prog);
    case 'asm': return printAsm(prog);
    default: throw new TypeError(`unknown program text format '${String(format)}' (expected d, dd, ddd or asm)`);
  }
}

/**
 * Guesses which format a text is in from its first non-blank line: `(000) ...`
 * is -d, `{ ...` is -dd, a lone number (or the `N,code jt jf k,...` one-liner)
 * is -ddd, anything else bpf_asm.
 *
 * @example
 * detectTextFormat('(000) ret      #0') // 'd'
 * detectTextFormat('ret #0')           // 'asm'
 */
export function detectTextFormat(text: string): TextFormat {
  const first = sourceLines(text)[0]?.text ?? '';
  if (/^\(\d+\)/.test(first)) return 'd';
  if (first.startsWith('{')) return 'dd';
  if (/^\d+\s*$/.test(first) || /^\d+\s*,\s*\d+\s+\d+/.test(first)) return 'ddd';
  return 'asm';
}

/**
 * Reads a Program from text in any of the formats (detected when `format` is
 * omitted). Throws AssembleError with the line and column of the offending
 * token: unknown mnemonic, bad number, jump out of range, empty input, more
 * than 4096 instructions, ... It does not verify: see `verify`.
 *
 * @example
 * const prog = assemble('ldh [12]\njneq #0x800, drop\nret #65535\ndrop: ret #0');
 * const same = assemble(disassemble(prog, 'dd'));
 */
export function assemble(text: string, format?: TextFormat): Program {
  if (typeof text !== 'string') throw new TypeError('assemble() takes the program text as a string');
  if (sourceLines(text).length === 0) throw new AssembleError(1, 1, 'empty input: no instructions');
  switch (format ?? detectTextFormat(text)) {
    case 'd': return parseImage(text);
    case 'dd': return parseC(text);
    case 'ddd': return parseDecimal(text);
    case 'asm': return parseAsm(text);
    default: throw new TypeError(`unknown program text format '${String(format)}' (expected d, dd, ddd or asm)`);
  }
}
