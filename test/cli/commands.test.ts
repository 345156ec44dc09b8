/**
 * bpfdump's commands end to end, each flag with its effect: reading,
 * filtering, writing (the same packets as tcpdump writes), counting,
 * rotation, Program files, compiling, graphs, and the one-line errors.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble, disassemble } from '../../src/bpf/index.js';
import { compile } from '../../src/filter/index.js';
import { corpus } from '../../src/craft/index.js';
import { USAGE } from '../../src/cli/usage.js';
import { BIN, bpfdump, firstDifferences, ROOT, tcpdump, tempDir, writePackets } from './helpers.js';

const dir = tempDir('bpfdump-cmd-');
const sample = join(ROOT, 'samples/sample.pcap');
const mixed = join(dir, 'mixed.pcap');

before(async () => {
  const packets = corpus({ linkType: 'EN10MB', count: 3000, seed: 5, malformed: 0.05 });
  await writePackets(mixed, 1, packets.map((p) => ({ data: p.data, wireLength: p.wireLength })));
});

/** Packets of a capture as tcpdump prints them, with hex, to compare files. */
const dumpOf = (file: string) => tcpdump(['-nr', file, '-tt', '-xx']).stdout;

test('--help and --version print and exit 0', () => {
  const help = bpfdump(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^bpfdump version /);
  assert.ok(help.stdout.includes(USAGE) && help.stdout.includes('--program'));
  const h = bpfdump(['-h']);
  assert.equal(h.stdout, help.stdout);
  const v = bpfdump(['--version']);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^bpfdump version \d+\.\d+\.\d+ \(bpfkit\)/);
});

test('a bad flag or argument: one line, the usage, exit 1', () => {
  for (const argv of [['-k'], ['-c'], ['--foo'], ['-r']]) {
    const r = bpfdump(argv);
    assert.equal(r.status, 1, argv.join(' '));
    assert.equal(r.stdout, '');
    const lines = r.stderr.split('\n');
    assert.match(lines[0], /^bpfdump: (invalid option|option requires|unrecognized option)/);
    assert.equal(lines.slice(1).join('\n'), `${USAGE}\n`);
  }
  for (const [argv, message] of [
    [['-c', 'abc', '-r', sample], 'bpfdump: invalid packet count abc'],
    [['-s', '-1'], 'bpfdump: invalid snaplen -1 (must be >= 0 and <= 262144)'],
    [['-Q', 'sideways'], "bpfdump: unknown capture direction `sideways'"],
    [['-y', 'FOO', '-d', 'ip'], 'bpfdump: invalid data link type FOO'],
    [['-r', join(dir, 'missing.pcap')], `bpfdump: ${join(dir, 'missing.pcap')}: No such file or directory`],
    [['-r', sample, '-i', 'lo'], 'bpfdump: -r and -i cannot be used together'],
    [['-C', '1'], 'bpfdump: -C requires -w'],
    [['--count'], 'bpfdump: --count requires -r'],
    [['--xdp', 'drop', 'udp'], 'bpfdump: --xdp requires -i'],
    [['-F', join(dir, 'nofilter.txt'), '-r', sample], `bpfdump: ${join(dir, 'nofilter.txt')}: No such file or directory`],
  ] as const) {
    const r = bpfdump([...argv]);
    assert.equal(r.status, 1, argv.join(' '));
    assert.equal(r.stderr.split('\n').filter((l) => l && !l.startsWith('Warning') && !l.startsWith('reading from')).join('\n'), message);
  }
});

test('a bad expression: the message, the expression and a caret under the column, exit 1', () => {
  const r = bpfdump(['-r', sample, 'tcp port 80 an udp']);
  assert.equal(r.status, 1);
  const lines = r.stderr.trimEnd().split('\n').filter((l) => !l.startsWith('reading from'));
  assert.match(lines[0], /^bpfdump: .*column 13$/);
  assert.equal(lines[1], '  tcp port 80 an udp');
  assert.equal(lines[2], `  ${' '.repeat(12)}^`);
  const d = bpfdump(['-d', 'host 999.1.2.3']);
  assert.equal(d.status, 1);
  assert.match(d.stderr, /^Warning: assuming Ethernet\nbpfdump: /);
});

test('a capture file that is not one, or is cut short: earlier packets, then one line, exit 1', async () => {
  const junk = join(dir, 'junk.pcap');
  writeFileSync(junk, 'this is not a capture file at all');
  const r = bpfdump(['-r', junk]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^bpfdump: .*junk\.pcap: not a pcap or pcapng file/m);
  assert.ok(!r.stderr.includes('    at '), 'no stack trace');
  const whole = readFileSync(sample);
  const cut = join(dir, 'cut.pcap');
  writeFileSync(cut, whole.subarray(0, whole.length - 7));
  const c = bpfdump(['-nr', cut]);
  assert.equal(c.status, 1);
  assert.equal(c.stdout.split('\n').length - 1, tcpdump(['-nr', sample]).stdout.split('\n').length - 2);
  assert.equal(c.stderr.split('\n').filter((l) => l.startsWith('bpfdump:')).length, 1);
});

test('-r FILE -w OUT EXPRESSION writes the packets tcpdump writes', () => {
  for (const expr of ['tcp port 80', 'udp or arp', 'icmp6', '']) {
    const ours = join(dir, 'ours.pcap'), theirs = join(dir, 'theirs.pcap');
    const r = bpfdump(['-r', mixed, '-w', ours, ...(expr ? [expr] : [])]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '', '-w prints no packet lines');
    assert.equal(tcpdump(['-r', mixed, '-w', theirs, ...(expr ? [expr] : [])]).status, 0);
    assert.ok(statSync(theirs).size > 24, `tcpdump wrote nothing for ${expr}`);
    assert.deepEqual(readFileSync(ours), readFileSync(theirs), `files differ for '${expr}':\n${firstDifferences(dumpOf(ours), dumpOf(theirs))}`);
  }
});

test('-w - writes the capture to stdout, -r - reads it from stdin', () => {
  const r = spawnSync(process.execPath, [BIN, '-r', sample, '-w', '-', 'tcp'], { maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr.toString());
  const written = join(dir, 'stdout.pcap');
  writeFileSync(written, r.stdout);
  assert.equal(dumpOf(written), tcpdump(['-nr', sample, '-tt', '-xx', 'tcp']).stdout);
  const back = bpfdump(['-nr', '-', '-c', '4'], readFileSync(sample));
  assert.equal(back.status, 0, back.stderr);
  assert.equal(back.stdout, tcpdump(['-nr', sample, '-c', '4']).stdout);
});

test('-c N stops after N packets; --count prints only the count; -F reads the expression from a file', () => {
  const c = bpfdump(['-nr', sample, '-c', '7', 'tcp']);
  assert.equal(c.stdout, tcpdump(['-nr', sample, '-c', '7', 'tcp']).stdout);
  assert.equal(c.stdout.split('\n').length - 1, 7);
  const n = bpfdump(['-r', mixed, '--count', 'udp']);
  assert.equal(n.status, 0);
  assert.equal(n.stdout, tcpdump(['-r', mixed, '--count', 'udp']).stdout);
  const f = join(dir, 'filter.txt');
  writeFileSync(f, '# web traffic\ntcp port 80 # and nothing else\n');
  assert.equal(bpfdump(['-nr', sample, '-F', f]).stdout, tcpdump(['-nr', sample, '-F', f]).stdout);
});

test('-C/-W rotate the -w file by size, as tcpdump names them', async () => {
  // 2,500 full-size frames: a little over 3.8 MB, so three 1-MB files and a fourth partly filled.
  const big = join(dir, 'big.pcap');
  const frame = new Uint8Array(1514).fill(0x42);
  frame.set([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x88, 0xb5]);
  await writePackets(big, 1, Array.from({ length: 2500 }, () => ({ data: frame })));
  const sub = tempDir('bpfdump-rotate-');
  const r = bpfdump(['-r', big, '-w', join(sub, 'part'), '-C', '1']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(sub).sort(), ['part', 'part1', 'part2', 'part3']);
  let total = 0;
  for (const f of readdirSync(sub)) total += Number(tcpdump(['-r', join(sub, f), '--count']).stdout.split(' ')[0]);
  assert.equal(total, 2500);
  for (const f of ['part', 'part1', 'part2']) {
    const size = statSync(join(sub, f)).size;
    assert.ok(size > 1_000_000 && size < 1_000_000 + 1530, `${f}: ${size} bytes`);
  }
  const ring = tempDir('bpfdump-rotate-');
  assert.equal(bpfdump(['-r', big, '-w', join(ring, 'ring'), '-C', '1', '-W', '2']).status, 0);
  assert.deepEqual(readdirSync(ring).sort(), ['ring0', 'ring1']);
});

test('--pcapng and --nano choose the output format and precision', () => {
  const ng = join(dir, 'out.pcapng');
  assert.equal(bpfdump(['-r', sample, '-w', ng, '--pcapng', 'icmp']).status, 0);
  assert.equal(readFileSync(ng).readUInt32LE(0), 0x0a0d0d0a);
  assert.equal(tcpdump(['-nr', ng]).stdout, tcpdump(['-nr', sample, 'icmp']).stdout);
  const nano = join(dir, 'nano.pcap');
  assert.equal(bpfdump(['-r', sample, '-w', nano, '--nano']).status, 0);
  assert.equal(readFileSync(nano).readUInt32LE(0), 0xa1b23c4d);
  assert.equal(tcpdump(['-nr', nano, '--nano', '-tt']).stdout, tcpdump(['-nr', sample, '--nano', '-tt']).stdout);
});

test('-l and -U still deliver everything; -s, -n, -K and -O are accepted when reading', () => {
  const want = tcpdump(['-nr', sample]).stdout;
  for (const flags of [['-l'], ['-U'], ['-nn'], ['-s', '96'], ['-O']]) {
    assert.equal(bpfdump(['-nr', sample, ...flags]).stdout, want, flags.join(' '));
  }
  const u = join(dir, 'u.pcap');
  assert.equal(bpfdump(['-r', sample, '-U', '-w', u]).status, 0);
  assert.deepEqual(readFileSync(u), readFileSync(sample));
});

test('-d, -dd, -ddd, --asm print the compiled Program; -y and -O choose the link type and optimizer', () => {
  for (const expr of ['ip', 'tcp port 80', 'udp and host 10.0.0.1', 'arp']) {
    const prog = compile(expr, { linkType: 'EN10MB' });
    assert.equal(bpfdump(['-d', expr]).stdout, disassemble(prog, 'd') + (disassemble(prog, 'd').endsWith('\n') ? '' : '\n'));
    assert.equal(bpfdump(['-ddd', expr]).stdout.trim(), disassemble(prog, 'ddd').trim());
    assert.equal(bpfdump(['-dd', expr]).stdout.trim(), disassemble(prog, 'dd').trim());
    assert.deepEqual(assemble(bpfdump(['--asm', expr]).stdout), prog);
  }
  assert.equal(bpfdump(['-d', 'ip']).stdout, tcpdump(['-d', 'ip']).stdout);
  assert.equal(bpfdump(['-y', 'RAW', '-ddd', 'ip']).stdout.trim(), disassemble(compile('ip', { linkType: 'RAW' }), 'ddd').trim());
  assert.equal(bpfdump(['-O', '-d', 'tcp port 80']).stdout.trim(), disassemble(compile('tcp port 80', { optimize: false }), 'd').trim());
  assert.equal(bpfdump(['-d', '-r', sample, 'ip']).stdout, tcpdump(['-d', '-r', sample, 'ip']).stdout);
});

test('--cfg and --dot show the control-flow graph', () => {
  const text = bpfdump(['--cfg', 'tcp port 80']);
  assert.equal(text.status, 0);
  assert.match(text.stdout, /^; control-flow graph of the expression, before optimization\nB0: ldh \[12\]/);
  assert.match(text.stdout, /block 0 \[0-\d+\]\n {2}\(000\) ldh {6}\[12\]/);
  const dot = bpfdump(['--dot', 'tcp port 80']).stdout;
  assert.match(dot, /^digraph bpf \{/);
  assert.ok((dot.match(/label="T"/g) ?? []).length >= 4);
});

test('--program reads any text format, verifies, prints, or filters a capture', () => {
  const asm = join(dir, 'web.asm');
  const prog = compile('tcp port 80');
  writeFileSync(asm, disassemble(prog, 'asm'));
  for (const [fmt, flag] of [['d', '-d'], ['dd', '-dd'], ['ddd', '-ddd'], ['asm', '--asm']] as const) {
    const r = bpfdump(['--program', asm, flag]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), disassemble(prog, fmt).trim());
    // Each printed form reads back as the same Program.
    const again = join(dir, `web.${fmt}`);
    writeFileSync(again, r.stdout);
    assert.equal(bpfdump(['--program', again, '-ddd']).stdout.trim(), disassemble(prog, 'ddd').trim());
  }
  assert.equal(bpfdump(['--program', '-', '-d'], disassemble(prog, 'ddd')).stdout.trim(), disassemble(prog, 'd').trim());
  const ok = bpfdump(['--program', asm, '--verify']);
  assert.equal(ok.stdout, `${asm}: valid (${prog.length} instructions, Linux rules)\n`);
  assert.match(bpfdump(['--program', asm, '--verify', '--bsd']).stdout, /libpcap rules/);
  assert.equal(bpfdump(['--program', asm, '-nr', sample]).stdout, tcpdump(['-nr', sample, 'tcp port 80']).stdout);
  const bad = join(dir, 'bad.asm');
  writeFileSync(bad, 'ldh [12]\nfrobnicate #1\nret #0\n');
  const b = bpfdump(['--program', bad]);
  assert.equal(b.status, 1);
  assert.match(b.stderr, /^bpfdump: .*bad\.asm: line 2, column 1: .*frobnicate.*\n$/);
  const unverifiable = join(dir, 'loop.asm');
  writeFileSync(unverifiable, 'ld M[3]\nret a\n');
  const u = bpfdump(['--program', unverifiable]);
  assert.equal(u.status, 1);
  assert.match(u.stderr, /^bpfdump: .*loop\.asm: invalid program: instruction 0/);
  assert.equal(bpfdump(['--program', asm, 'tcp']).status, 1);
});

test('-D lists interfaces and -L their link types, as tcpdump does', () => {
  const d = bpfdump(['-D']);
  assert.equal(d.status, 0);
  assert.match(d.stdout, /^\d+\.lo .*Loopback/m);
  const l = bpfdump(['-L', '-i', 'lo']);
  assert.equal(l.stderr, tcpdump(['-L', '-i', 'lo']).stderr);
  assert.match(l.stderr, /EN10MB \(Ethernet\)/);
  assert.equal(bpfdump(['-L', '-i', 'no-such-if0']).status, 1);
});
