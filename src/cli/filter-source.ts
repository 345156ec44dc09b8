/**
 * Where the command's filter comes from: the expression (arguments or -F
 * file) compiled by the filter layer for a link type, or a Program file given
 * with --program. Errors come back as one message, the caret line included.
 */
import { readFileSync } from 'node:fs';
import { assemble } from '../bpf/text.js';
import { verify } from '../bpf/verifier.js';
import { linkType as linkTypeInfo, fromFileLinkType, LINK_TYPES } from '../bpf/linktypes.js';
import type { Program } from '../bpf/program.js';
import type { CliOptions } from './options.js';

/**
 * A failure the command reports as `bpfdump: message` and exit status 1.
 *
 * @example
 * throw new CommandError('in.pcap: No such file or directory');
 */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

/**
 * The filter expression: the -F file's text (comments after '#' removed, as
 * tcpdump does) or the command-line words.
 *
 * @example
 * expressionOf({ ...defaultOptions(), expression: 'tcp port 80' }) // 'tcp port 80'
 */
export function expressionOf(o: CliOptions): string {
  if (o.filterFile === undefined) return o.expression;
  let text: string;
  try {
    text = readFileSync(o.filterFile, 'utf8');
  } catch (e) {
    throw new CommandError(`${o.filterFile}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`);
  }
  return text.split('\n').map((line) => line.replace(/#.*$/, '')).join(' ').trim();
}

/**
 * The link-type name to compile for, from a DLT number (files and interfaces).
 *
 * @example
 * linkTypeName(1) // 'EN10MB'
 */
export function linkTypeName(dlt: number): string {
  return LINK_TYPES.find((t) => t.dlt === dlt)?.name ?? fromFileLinkType(dlt)?.name ?? String(dlt);
}

/**
 * The DLT asked for with -y (a name such as EN10MB or a number), or EN10MB by default.
 *
 * @example
 * requestedDlt({ ...defaultOptions(), linkTypeName: 'RAW' }) // 12
 */
export function requestedDlt(o: CliOptions): number {
  if (o.linkTypeName === undefined) return 1;
  const text = o.linkTypeName;
  try {
    return linkTypeInfo(/^[0-9]+$/.test(text) ? Number(text) : text).dlt;
  } catch {
    throw new CommandError(`invalid data link type ${text}`);
  }
}

/**
 * Compiles the expression for a link type; an empty expression gives
 * undefined (no filter) unless `always` asks for the accept-all Program.
 *
 * @example
 * await compileExpression('tcp', 1, options) // Program
 */
export async function compileExpression(expression: string, dlt: number, o: CliOptions, always = false): Promise<Program | undefined> {
  if (expression.trim() === '' && !always) return undefined;
  // The compiler is loaded only when there is something to compile: `-r IN -w OUT` alone starts quicker.
  const { compile } = await import('../filter/compile.js');
  try {
    return compile(expression, { linkType: linkTypeName(dlt), optimize: !o.noOptimize, snaplen: o.snaplen ?? 262144 });
  } catch (e) {
    throw new CommandError(e instanceof Error ? e.message : String(e));
  }
}

/**
 * Reads and verifies the --program file ('-' is stdin): any text format,
 * detected. Errors name the file, line and column, or the instruction.
 *
 * @example
 * loadProgram('filter.asm', options) // Program
 */
export function loadProgram(file: string, o: CliOptions): Program {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new CommandError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`);
  }
  let prog: Program;
  try {
    prog = assemble(text);
  } catch (e) {
    throw new CommandError(`${file === '-' ? '<stdin>' : file}: ${(e as Error).message}`);
  }
  try {
    verify(prog, { mode: o.bsd ? 'bsd' : 'linux' });
  } catch (e) {
    throw new CommandError(`${file === '-' ? '<stdin>' : file}: invalid program: ${(e as Error).message}`);
  }
  return prog;
}
