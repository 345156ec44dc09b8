/**
 * Commands about Programs rather than packets: `--program FILE` (read any
 * text format, verify, print or just check), `-d/-dd/-ddd/--asm EXPRESSION`
 * (compile and print, as tcpdump -d), and `--cfg [--dot]` (the control-flow
 * graph).
 */
import { disassemble, type TextFormat } from '../bpf/text.js';
import type { Program } from '../bpf/program.js';
import { buildCfg, dumpCfg } from '../filter/index.js';
import { compileExpression, expressionOf, linkTypeName, loadProgram, requestedDlt } from './filter-source.js';
import type { CliOptions } from './options.js';
import { graphDot, graphText } from './program-graph.js';

/**
 * The text format asked for: --asm, or -d, -dd, -ddd by how many d's (-d by default).
 *
 * @example
 * outputFormat({ ...defaultOptions(), dump: 3 }) // 'ddd'
 */
export function outputFormat(o: CliOptions): TextFormat {
  if (o.asm) return 'asm';
  return o.dump >= 3 ? 'ddd' : o.dump === 2 ? 'dd' : 'd';
}

/**
 * Prints a Program as the options ask: its graph (--cfg, --dot) or its text.
 *
 * @example
 * renderProgram(prog, options) // '(000) ret      #262144\n'
 */
export function renderProgram(prog: Program, o: CliOptions): string {
  const text = o.cfg || o.dot ? (o.dot ? graphDot(prog) : graphText(prog)) : disassemble(prog, outputFormat(o));
  return text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * `--program FILE`: verify, then print (or with --verify, report) it.
 *
 * @example
 * programCommand(parseCommandLine(['--program', 'f.asm', '-ddd'])) // 0
 */
export function programCommand(o: CliOptions): number {
  const prog = loadProgram(o.program!, o);
  if (o.verifyOnly) {
    process.stdout.write(`${o.program === '-' ? '<stdin>' : o.program}: valid (${prog.length} instruction${prog.length === 1 ? '' : 's'}, ${o.bsd ? 'libpcap' : 'Linux'} rules)\n`);
    return 0;
  }
  process.stdout.write(renderProgram(prog, o));
  return 0;
}

/**
 * `-d EXPRESSION` and friends: compile for -y's link type (or the given one) and print.
 *
 * @example
 * await compileCommand(parseCommandLine(['-y', 'EN10MB', '-ddd', 'ip'])) // 0
 */
export async function compileCommand(o: CliOptions, dlt = requestedDlt(o)): Promise<number> {
  const expression = expressionOf(o);
  const prog = (await compileExpression(expression, dlt, o, true))!;
  if (o.cfg && !o.dot) {
    // The compiler's own graph first (before any optimization), then the blocks of the Program it became.
    const graph = dumpCfg(buildCfg(expression, { linkType: linkTypeName(dlt), snaplen: o.snaplen ?? 262144 }));
    process.stdout.write(`; control-flow graph of the expression, before optimization\n${graph}\n; basic blocks of the ${o.noOptimize ? 'unoptimized' : 'optimized'} program\n`);
  }
  process.stdout.write(renderProgram(prog, o));
  return 0;
}
