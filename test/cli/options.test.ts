/**
 * The tcpdump-compatible command-line parser: clustered flags, attached and
 * separate arguments, long options, counts, the expression, and the exact
 * messages for bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultOptions, parseCommandLine, UsageError, type CliOptions } from '../../src/cli/options.js';

const CASES: Array<[string[], Partial<CliOptions>]> = [
  [['-A'], { ascii: 1 }],
  [['-AA'], { ascii: 2 }],
  [['-B', '4096'], { bufferSize: 4096 }],
  [['--buffer-size=64'], { bufferSize: 64 }],
  [['-c5'], { count: 5 }],
  [['-c', '5'], { count: 5 }],
  [['--count'], { countOnly: true }],
  [['-C', '10'], { fileSize: 10 }],
  [['-d'], { dump: 1 }],
  [['-dd'], { dump: 2 }],
  [['-ddd'], { dump: 3 }],
  [['-D'], { listInterfaces: true }],
  [['--list-interfaces'], { listInterfaces: true }],
  [['-e'], { linkHeader: true }],
  [['-F', 'f.txt'], { filterFile: 'f.txt' }],
  [['-G', '60'], { rotateSeconds: 60 }],
  [['-h'], { help: true }],
  [['--help'], { help: true }],
  [['-ieth0'], { interface: 'eth0' }],
  [['-i', 'any'], { interface: 'any' }],
  [['--interface=lo'], { interface: 'lo' }],
  [['--immediate-mode'], { immediate: true }],
  [['-K'], { noChecksum: true }],
  [['-l'], { lineBuffered: true }],
  [['-L'], { listDataLinkTypes: true }],
  [['-n'], { numeric: 1 }],
  [['-nn'], { numeric: 2 }],
  [['-O'], { noOptimize: true }],
  [['-p'], { noPromiscuous: true }],
  [['--print'], { print: true }],
  [['-q'], { quiet: true }],
  [['-Q', 'in'], { direction: 'in' }],
  [['-Qout'], { direction: 'out' }],
  [['--direction=inout'], { direction: 'inout' }],
  [['-r', 'x.pcap'], { readFile: 'x.pcap' }],
  [['-r-'], { readFile: '-' }],
  [['-s', '96'], { snaplen: 96 }],
  [['-s0'], { snaplen: 262144 }],
  [['-S'], { absoluteSeq: true }],
  [['-t'], { timestamps: 1 }],
  [['-tttt'], { timestamps: 4 }],
  [['-ttttt'], { timestamps: 5 }],
  [['--time-stamp-precision', 'nano'], { nano: true }],
  [['--time-stamp-precision=micro'], { nano: false }],
  [['--nano'], { nano: true }],
  [['--nano', '--micro'], { nano: false }],
  [['-U'], { packetBuffered: true }],
  [['-v'], { verbose: 1 }],
  [['-vvv'], { verbose: 3 }],
  [['--version'], { version: true }],
  [['-w', 'out.pcap'], { writeFile: 'out.pcap' }],
  [['-w-'], { writeFile: '-' }],
  [['-W', '3'], { fileCount: 3 }],
  [['-x'], { hex: 1 }],
  [['-xx'], { hex: 2 }],
  [['-X'], { hexAscii: 1 }],
  [['-XX'], { hexAscii: 2 }],
  [['-y', 'EN10MB'], { linkTypeName: 'EN10MB' }],
  [['-#'], { number: true }],
  [['--number'], { number: true }],
  [['--program', 'f.asm'], { program: 'f.asm' }],
  [['--run=f.asm'], { program: 'f.asm' }],
  [['--asm'], { asm: true }],
  [['--verify'], { verifyOnly: true }],
  [['--bsd'], { bsd: true }],
  [['--cfg'], { cfg: true }],
  [['--dot'], { dot: true }],
  [['--pcapng'], { pcapng: true }],
  [['--progress'], { progress: true }],
  [['--no-progress'], { progress: false }],
  [['--xdp', 'drop'], { xdp: 'drop' }],
  [['--imm'], { immediate: true }],
  [['-nnvvXXc5', '-ieth0', 'tcp', 'port', '80'], { numeric: 2, verbose: 2, hexAscii: 2, count: 5, interface: 'eth0', expression: 'tcp port 80' }],
  [['tcp', '-c', '3', 'and', 'port', '80'], { count: 3, expression: 'tcp and port 80' }],
  [['-n', '--', '-r', 'x'], { numeric: 1, expression: '-r x' }],
  [['ip[2:2]', '-', '20', '>', '0'], { expression: 'ip[2:2] - 20 > 0' }],
];

test('every flag parses as tcpdump parses it', () => {
  for (const [argv, want] of CASES) {
    const got = parseCommandLine(argv);
    assert.deepEqual({ ...got }, { ...defaultOptions(), ...want }, argv.join(' '));
  }
});

const BAD: Array<[string[], string, boolean]> = [
  [['-k'], "invalid option -- 'k'", true],
  [['-c'], "option requires an argument -- 'c'", true],
  [['-r'], "option requires an argument -- 'r'", true],
  [['--foo'], "unrecognized option '--foo'", true],
  [['--interface'], "option '--interface' requires an argument", true],
  [['--help=x'], "option '--help' doesn't allow an argument", true],
  [['-c', 'abc'], 'invalid packet count abc', false],
  [['-c', '0'], 'invalid packet count 0', false],
  [['-c', '-3'], 'invalid packet count -3', false],
  [['-s', 'abc'], 'invalid snaplen abc (must be >= 0 and <= 262144)', false],
  [['-s', '300000'], 'invalid snaplen 300000 (must be >= 0 and <= 262144)', false],
  [['-Q', 'foo'], "unknown capture direction `foo'", false],
  [['-B', 'x'], 'invalid buffer size x', false],
  [['-C', '0'], 'invalid file size 0', false],
  [['-G', 'x'], 'invalid rotate seconds x', false],
  [['-W', '0'], 'invalid number of output files 0', false],
  [['--time-stamp-precision', 'pico'], 'unsupported time stamp precision pico', false],
  [['--xdp', 'bounce'], "invalid XDP action `bounce' (expected drop, pass or count)", false],
  [['-I'], 'option -I (monitor mode) is not supported by bpfdump', false],
  [['-z', 'gzip'], 'option -z (post-rotate commands) is not supported by bpfdump', false],
];

test('every bad flag or argument gets tcpdump\'s message', () => {
  for (const [argv, message, usage] of BAD) {
    assert.throws(() => parseCommandLine(argv), (e: unknown) => {
      assert.ok(e instanceof UsageError, argv.join(' '));
      assert.equal(e.message, message);
      assert.equal(e.showUsage, usage, `${argv.join(' ')}: usage shown`);
      return true;
    });
  }
});
