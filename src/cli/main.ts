/**
 * bpfdump's entry point: parse tcpdump's command line and run the command it
 * asks for. Every failure becomes one line on stderr (plus the usage for a
 * bad flag) and exit status 1, never a stack trace.
 */
import { AssembleError } from '../bpf/assemble-error.js';
import { VerifyError } from '../bpf/verifier.js';
import { CaptureFormatError } from '../pcap/index.js';
import { CommandError } from './filter-source.js';
import { parseCommandLine, UsageError, type CliOptions } from './options.js';
import { fileLinkType, readCommand } from './read-command.js';
import { helpText, USAGE, versionText } from './usage.js';

/** Errors whose message is already meant for a person; anything else is a bug and says so. */
const EXPECTED = [UsageError, CommandError, AssembleError, VerifyError, CaptureFormatError];

/**
 * Runs bpfdump with the given arguments (without node and the script);
 * resolves to the exit status.
 *
 * @example
 * process.exitCode = await main(['-r', 'samples/sample.pcap', 'tcp port 80']);
 */
export async function main(argv: string[]): Promise<number> {
  try {
    const o = parseCommandLine(argv);
    return await run(o);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bpfdump: ${e.message}\n${e.showUsage ? `${USAGE}\n` : ''}`);
      return 1;
    }
    const message = e instanceof Error ? e.message : String(e);
    if (EXPECTED.some((k) => e instanceof k) || (e instanceof Error && /Error$/.test(e.name) && e.name !== 'Error' && e.name !== 'TypeError' && e.name !== 'RangeError')) {
      process.stderr.write(`bpfdump: ${message}\n`);
    } else {
      process.stderr.write(`bpfdump: internal error: ${message}\n`);
    }
    return 1;
  }
}

// Live capture and XDP load the kernel bindings (koffi), and printing Programs loads the compiler and its
// graph printers: only commands that need them import them, so `bpfdump -r IN -w OUT` starts quickly.
const live = () => import('./live-command.js');
const programs = () => import('./program-command.js');

async function run(o: CliOptions): Promise<number> {
  if (o.help) { process.stdout.write(`${helpText()}\n`); return 0; }
  if (o.version) { process.stdout.write(`${versionText()}\n`); return 0; }
  checkCombinations(o);
  if (o.listInterfaces) return (await live()).listInterfacesCommand();
  if (o.listDataLinkTypes) return (await live()).listLinkTypesCommand(o);
  const showsProgram = o.dump > 0 || o.asm || o.cfg || o.dot || o.verifyOnly;
  if (o.program !== undefined && (showsProgram || (o.readFile === undefined && o.interface === undefined))) return (await programs()).programCommand(o);
  if (showsProgram) return compileForSource(o);
  if (o.readFile !== undefined) return readCommand(o);
  if (o.xdp !== undefined) return (await import('./xdp-command.js')).xdpCommand(o);
  return (await live()).liveCommand(o);
}

/** -d and friends compile for the link type of -y, of the -r file, or of the -i interface, as tcpdump does. */
async function compileForSource(o: CliOptions): Promise<number> {
  const { compileCommand } = await programs();
  if (o.linkTypeName !== undefined) return compileCommand(o);
  if (o.readFile !== undefined) return compileCommand(o, await fileLinkType(o.readFile));
  if (o.interface !== undefined) {
    const { listInterfaces } = await import('../capture/index.js');
    const info = listInterfaces().find((i) => i.name === o.interface);
    if (!info) throw new CommandError(`${o.interface}: No such device exists`);
    return compileCommand(o, info.linkType);
  }
  process.stderr.write('Warning: assuming Ethernet\n');
  return compileCommand(o);
}

/** Flags that make no sense together, refused before anything is opened. */
function checkCombinations(o: CliOptions): void {
  if (o.readFile !== undefined && o.interface !== undefined) throw new UsageError('-r and -i cannot be used together');
  if (o.program !== undefined && o.expression.trim() !== '') throw new UsageError('--program and a filter expression cannot be used together');
  if (o.program !== undefined && o.filterFile !== undefined) throw new UsageError('--program and -F cannot be used together');
  if ((o.fileSize !== undefined || o.rotateSeconds !== undefined || o.fileCount !== undefined) && o.writeFile === undefined) {
    throw new UsageError(`-${o.fileSize !== undefined ? 'C' : o.rotateSeconds !== undefined ? 'G' : 'W'} requires -w`);
  }
  if ((o.fileSize !== undefined || o.rotateSeconds !== undefined) && o.writeFile === '-') throw new UsageError('file rotation cannot write to stdout');
  if (o.countOnly && o.readFile === undefined) throw new UsageError('--count requires -r');
  if (o.xdp !== undefined && o.interface === undefined) throw new UsageError('--xdp requires -i');
  if (o.xdp !== undefined && (o.readFile !== undefined || o.writeFile !== undefined)) throw new UsageError('--xdp cannot be used with -r or -w');
}
