/**
 * tcpdump's command line, parsed the way its getopt_long does: clustered
 * short flags (`-nnvvXX`), attached or separate arguments (`-c5`, `-c 5`,
 * `-ieth0`), long options with `=` or a separate value, `--` to end options,
 * and the filter expression as the remaining words joined by spaces.
 */

/**
 * A command line that cannot be run: the message, and whether the usage text
 * follows it (as getopt errors do).
 *
 * @example
 * throw new UsageError("invalid option -- 'k'", true);
 */
export class UsageError extends Error {
  constructor(message: string, readonly showUsage = false) {
    super(message);
    this.name = 'UsageError';
  }
}

/** What the command line asked for. Counts are how many times a flag was given. */
export interface CliOptions {
  interface?: string;
  readFile?: string;
  writeFile?: string;
  count?: number;
  snaplen?: number;
  /** -n count (always numeric: bpfdump never resolves names). */
  numeric: number;
  linkHeader: boolean;
  hex: number;
  hexAscii: number;
  ascii: number;
  verbose: number;
  quiet: boolean;
  timestamps: number;
  nano: boolean;
  number: boolean;
  dump: number;
  linkTypeName?: string;
  listDataLinkTypes: boolean;
  listInterfaces: boolean;
  noOptimize: boolean;
  noPromiscuous: boolean;
  direction?: 'in' | 'out' | 'inout';
  filterFile?: string;
  lineBuffered: boolean;
  packetBuffered: boolean;
  countOnly: boolean;
  fileSize?: number;
  rotateSeconds?: number;
  fileCount?: number;
  bufferSize?: number;
  immediate: boolean;
  absoluteSeq: boolean;
  noChecksum: boolean;
  print: boolean;
  help: boolean;
  version: boolean;
  /** --program FILE: a Program in text (any format) instead of an expression. */
  program?: string;
  /** --asm: print Programs in bpf_asm syntax. */
  asm: boolean;
  /** --verify: only check the Program and say so. */
  verifyOnly: boolean;
  /** --bsd: verify and run with libpcap's rules instead of Linux's. */
  bsd: boolean;
  /** --cfg: print the expression's control-flow graph; --dot: as Graphviz DOT. */
  cfg: boolean;
  dot: boolean;
  /** --xdp ACTION: attach the filter at XDP on -i. */
  xdp?: 'drop' | 'pass' | 'count';
  /** --pcapng: write -w files as pcapng. */
  pcapng: boolean;
  /** --progress / --no-progress: force the progress bar on or off. */
  progress?: boolean;
  /** The filter expression: the remaining arguments joined by spaces. */
  expression: string;
}

type Setter = (o: CliOptions, value: string) => void;

interface OptionSpec {
  short?: string;
  long?: string[];
  /** Takes a value. */
  arg: boolean;
  set: Setter;
}

const count = (key: 'numeric' | 'hex' | 'hexAscii' | 'ascii' | 'verbose' | 'timestamps' | 'dump'): Setter => (o) => { o[key]++; };
const flag = (key: 'linkHeader' | 'quiet' | 'number' | 'listDataLinkTypes' | 'listInterfaces' | 'noOptimize' | 'noPromiscuous' | 'lineBuffered' | 'packetBuffered' | 'countOnly' | 'immediate' | 'absoluteSeq' | 'noChecksum' | 'print' | 'help' | 'version' | 'asm' | 'verifyOnly' | 'bsd' | 'cfg' | 'dot' | 'pcapng'): Setter => (o) => { o[key] = true; };

/**
 * Parses a whole number the way tcpdump's checks do, or throws the message tcpdump gives.
 *
 * @example
 * integerArg('5', 1, 100, 'invalid packet count') // 5
 */
export function integerArg(text: string, min: number, max: number, what: string): number {
  if (!/^\s*[+-]?(0x[0-9a-f]+|[0-9]+)\s*$/i.test(text)) throw new UsageError(`${what} ${text}`);
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${what} ${text}`);
  return n;
}

const OPTIONS: OptionSpec[] = [
  { short: 'A', arg: false, set: count('ascii') },
  { short: 'B', long: ['buffer-size'], arg: true, set: (o, v) => { o.bufferSize = integerArg(v, 1, 2 ** 31 - 1, 'invalid buffer size'); } },
  { short: 'c', arg: true, set: (o, v) => { o.count = integerArg(v, 1, 2 ** 53 - 1, 'invalid packet count'); } },
  { long: ['count'], arg: false, set: flag('countOnly') },
  { short: 'C', arg: true, set: (o, v) => { o.fileSize = integerArg(v, 1, 2 ** 31 - 1, 'invalid file size'); } },
  { short: 'd', arg: false, set: count('dump') },
  { short: 'D', long: ['list-interfaces'], arg: false, set: flag('listInterfaces') },
  { short: 'e', arg: false, set: flag('linkHeader') },
  { short: 'F', arg: true, set: (o, v) => { o.filterFile = v; } },
  { short: 'G', arg: true, set: (o, v) => { o.rotateSeconds = integerArg(v, 1, 2 ** 31 - 1, 'invalid rotate seconds'); } },
  { short: 'h', long: ['help'], arg: false, set: flag('help') },
  { short: 'i', long: ['interface'], arg: true, set: (o, v) => { o.interface = v; } },
  { long: ['immediate-mode'], arg: false, set: flag('immediate') },
  { short: 'K', long: ['dont-verify-checksums'], arg: false, set: flag('noChecksum') },
  { short: 'l', arg: false, set: flag('lineBuffered') },
  { short: 'L', long: ['list-data-link-types'], arg: false, set: flag('listDataLinkTypes') },
  { short: 'n', arg: false, set: count('numeric') },
  { short: 'O', long: ['no-optimize'], arg: false, set: flag('noOptimize') },
  { short: 'p', long: ['no-promiscuous-mode'], arg: false, set: flag('noPromiscuous') },
  { long: ['print'], arg: false, set: flag('print') },
  { short: 'q', arg: false, set: flag('quiet') },
  {
    short: 'Q', long: ['direction'], arg: true, set: (o, v) => {
      if (v !== 'in' && v !== 'out' && v !== 'inout') throw new UsageError(`unknown capture direction \`${v}'`);
      o.direction = v;
    },
  },
  { short: 'r', arg: true, set: (o, v) => { o.readFile = v; } },
  { short: 's', long: ['snapshot-length'], arg: true, set: (o, v) => { o.snaplen = snaplenArg(v); } },
  { short: 'S', long: ['absolute-tcp-sequence-numbers'], arg: false, set: flag('absoluteSeq') },
  { short: 't', arg: false, set: count('timestamps') },
  {
    long: ['time-stamp-precision'], arg: true, set: (o, v) => {
      if (v !== 'micro' && v !== 'nano') throw new UsageError(`unsupported time stamp precision ${v}`);
      o.nano = v === 'nano';
    },
  },
  { long: ['micro'], arg: false, set: (o) => { o.nano = false; } },
  { long: ['nano'], arg: false, set: (o) => { o.nano = true; } },
  { short: 'U', long: ['packet-buffered'], arg: false, set: flag('packetBuffered') },
  { short: 'v', arg: false, set: count('verbose') },
  { long: ['version'], arg: false, set: flag('version') },
  { short: 'w', arg: true, set: (o, v) => { o.writeFile = v; } },
  { short: 'W', arg: true, set: (o, v) => { o.fileCount = integerArg(v, 1, 2 ** 31 - 1, 'invalid number of output files'); } },
  { short: 'x', arg: false, set: count('hex') },
  { short: 'X', arg: false, set: count('hexAscii') },
  { short: 'y', long: ['linktype'], arg: true, set: (o, v) => { o.linkTypeName = v; } },
  { short: '#', long: ['number'], arg: false, set: flag('number') },
  // bpfdump's own.
  { long: ['program', 'run'], arg: true, set: (o, v) => { o.program = v; } },
  { long: ['asm'], arg: false, set: flag('asm') },
  { long: ['verify'], arg: false, set: flag('verifyOnly') },
  { long: ['bsd'], arg: false, set: flag('bsd') },
  { long: ['cfg'], arg: false, set: flag('cfg') },
  { long: ['dot'], arg: false, set: flag('dot') },
  { long: ['pcapng'], arg: false, set: flag('pcapng') },
  { long: ['progress'], arg: false, set: (o) => { o.progress = true; } },
  { long: ['no-progress'], arg: false, set: (o) => { o.progress = false; } },
  {
    long: ['xdp'], arg: true, set: (o, v) => {
      if (v !== 'drop' && v !== 'pass' && v !== 'count') throw new UsageError(`invalid XDP action \`${v}' (expected drop, pass or count)`);
      o.xdp = v;
    },
  },
];

/** tcpdump flags bpfdump knows but cannot honour, and why. */
const UNSUPPORTED = new Map<string, string>([
  ['a', 'name resolution'], ['b', 'ASDOT notation'], ['E', 'ESP decryption'], ['f', 'foreign-address resolution'],
  ['H', '802.11s detection'], ['I', 'monitor mode'], ['j', 'time stamp types'], ['J', 'time stamp types'],
  ['M', 'TCP-MD5 secrets'], ['N', 'domain stripping'], ['T', 'packet type forcing'], ['u', 'NFS handles'],
  ['V', 'file lists'], ['Y', 'parser debugging'], ['z', 'post-rotate commands'], ['Z', 'privilege dropping'],
  ['monitor-mode', 'monitor mode'], ['list-time-stamp-types', 'time stamp types'], ['time-stamp-type', 'time stamp types'],
  ['relinquish-privileges', 'privilege dropping'], ['mpls', 'MPLS'],
]);

const BY_SHORT = new Map(OPTIONS.filter((s) => s.short).map((s) => [s.short!, s]));
const BY_LONG = new Map(OPTIONS.flatMap((s) => (s.long ?? []).map((l) => [l, s] as const)));

function snaplenArg(v: string): number {
  const n = /^\s*[0-9]+\s*$/.test(v) ? Number(v) : NaN;
  if (!(n >= 0 && n <= 262144)) throw new UsageError(`invalid snaplen ${v} (must be >= 0 and <= 262144)`);
  return n === 0 ? 262144 : n;
}

/**
 * A fresh set of options with nothing asked for.
 *
 * @example
 * defaultOptions().verbose // 0
 */
export function defaultOptions(): CliOptions {
  return {
    numeric: 0, linkHeader: false, hex: 0, hexAscii: 0, ascii: 0, verbose: 0, quiet: false, timestamps: 0, nano: false,
    number: false, dump: 0, listDataLinkTypes: false, listInterfaces: false, noOptimize: false, noPromiscuous: false,
    lineBuffered: false, packetBuffered: false, countOnly: false, immediate: false, absoluteSeq: false, noChecksum: false,
    print: false, help: false, version: false, asm: false, verifyOnly: false, bsd: false, cfg: false, dot: false,
    pcapng: false, expression: '',
  };
}

/**
 * Parses bpfdump's arguments (without the node and script paths).
 *
 * @example
 * parseCommandLine(['-nnvvc5', '-ieth0', 'tcp', 'port', '80'])
 * // { numeric: 2, verbose: 2, count: 5, interface: 'eth0', expression: 'tcp port 80', ... }
 */
export function parseCommandLine(argv: readonly string[]): CliOptions {
  const o = defaultOptions();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') { rest.push(...argv.slice(i + 1)); break; }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = BY_LONG.get(name) ?? uniquePrefix(name);
      if (!spec) {
        if (UNSUPPORTED.has(name)) throw new UsageError(`option --${name} (${UNSUPPORTED.get(name)}) is not supported by bpfdump`);
        throw new UsageError(`unrecognized option '--${name}'`, true);
      }
      if (spec.arg) {
        let value: string;
        if (eq >= 0) value = arg.slice(eq + 1);
        else if (i + 1 < argv.length) value = argv[++i];
        else throw new UsageError(`option '--${name}' requires an argument`, true);
        spec.set(o, value);
      } else {
        if (eq >= 0) throw new UsageError(`option '--${name}' doesn't allow an argument`, true);
        spec.set(o, '');
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const c = arg[j];
        const spec = BY_SHORT.get(c);
        if (!spec) {
          if (UNSUPPORTED.has(c)) throw new UsageError(`option -${c} (${UNSUPPORTED.get(c)}) is not supported by bpfdump`);
          throw new UsageError(`invalid option -- '${c}'`, true);
        }
        if (!spec.arg) { spec.set(o, ''); continue; }
        let value: string;
        if (j + 1 < arg.length) value = arg.slice(j + 1);
        else if (i + 1 < argv.length) value = argv[++i];
        else throw new UsageError(`option requires an argument -- '${c}'`, true);
        spec.set(o, value);
        break;
      }
      continue;
    }
    // GNU getopt permutes: options may follow the expression's words.
    rest.push(arg);
  }
  o.expression = rest.join(' ');
  return o;
}

/** getopt_long accepts any unambiguous prefix of a long option. */
function uniquePrefix(name: string): OptionSpec | undefined {
  if (!name) return undefined;
  const matches = new Set([...BY_LONG.entries()].filter(([l]) => l.startsWith(name)).map(([, s]) => s));
  return matches.size === 1 ? [...matches][0] : undefined;
}
