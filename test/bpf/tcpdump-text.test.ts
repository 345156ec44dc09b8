/**
 * Every program tcpdump prints for the expression list, in -d, -dd and -ddd:
 * parses, verifies (Linux and libpcap), prints back byte for byte, survives
 * the bpf_asm round trip, and runs as libpcap's bpf_filter() does over a
 * packet corpus.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Oracle } from '../oracle/oracle.js';
import { programsEqual, type Program } from '../../src/bpf/program.js';
import { assemble, detectTextFormat, disassemble } from '../../src/bpf/text.js';
import { verify } from '../../src/bpf/verifier.js';
import { canonical } from '../../src/bpf/canonical.js';
import { interpret } from '../../src/bpf/interpreter.js';
import { EXPRESSIONS } from './expressions.js';
import { craftCorpus, ethernetPackets } from './ethernet-packets.js';

const run = promisify(execFile);

async function tcpdump(flag: string, expression: string, linkType = 'EN10MB'): Promise<string> {
  const { stdout } = await run('tcpdump', ['-y', linkType, flag, expression], { encoding: 'latin1' });
  return stdout;
}

/** Runs `work` over items with at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

test('the expression list is long and varied enough', () => {
  assert.ok(EXPRESSIONS.length >= 200, `${EXPRESSIONS.length} expressions`);
  assert.equal(new Set(EXPRESSIONS).size, EXPRESSIONS.length, 'no duplicates');
});

test('tcpdump -d, -dd, -ddd programs parse, verify, print back identically and run as libpcap', async () => {
  const packets = [...ethernetPackets(400, 2024), ...craftCorpus(1, 600, 2024)];
  const printed = new Map<string, Record<string, string>>();
  await eachLimited(EXPRESSIONS, 4, async (expression) => {
    const [d, dd, ddd] = await Promise.all(['-d', '-dd', '-ddd'].map((f) => tcpdump(f, expression)));
    printed.set(expression, { d, dd, ddd });
  });
  const oracle = await Oracle.start();
  let discriminating = 0;
  try {
    for (const expression of EXPRESSIONS) {
      const texts = printed.get(expression)!;
      const programs: Program[] = [];
      for (const format of ['d', 'dd', 'ddd'] as const) {
        const text = texts[format];
        assert.equal(detectTextFormat(text), format, `${expression}: -${format} detected`);
        const prog = assemble(text);
        assert.equal(disassemble(prog, format), text, `${expression}: -${format} prints back byte for byte`);
        programs.push(prog);
      }
      const prog = programs[2];
      assert.ok(programsEqual(programs[1], prog), `${expression}: -dd and -ddd give one program`);
      assert.ok(programsEqual(programs[0], canonical(prog)), `${expression}: -d gives the program up to ignored fields`);
      verify(prog, { mode: 'bsd' });
      // libpcap compiles protochain to a loop; Linux refuses backward jumps.
      const loops = prog.some((x) => x.code === 0x05 && (x.k | 0) < 0);
      if (loops) assert.throws(() => verify(prog), /leaves the program/, `${expression}: Linux refuses the backward jump`);
      else verify(prog);
      if (process.platform === 'linux') assert.equal((await oracle.attach(prog)).accepted, !loops, `${expression}: the kernel agrees`);
      assert.ok(programsEqual(assemble(disassemble(prog, 'asm'), 'asm'), canonical(prog)), `${expression}: bpf_asm round trip`);
      const expected = await oracle.run(prog, packets);
      if (expected.some((r) => r === 0) && expected.some((r) => r !== 0)) discriminating++;
      packets.forEach((p, i) => {
        assert.equal(interpret(prog, p.data, p.wireLength, { semantics: 'bsd' }), expected[i], `${expression}: packet ${i}`);
        if (!loops) assert.equal(interpret(prog, p.data, p.wireLength), expected[i], `${expression}: packet ${i} (linux semantics)`);
      });
    }
  } finally {
    oracle.close();
  }
  // The corpus must exercise the programs: most accept some packets and reject others.
  assert.ok(discriminating >= 200, `${discriminating} expressions both accept and reject packets of the corpus`);
});

/** Link types the craft corpus builds, beyond Ethernet, and expressions to try on each. */
const OTHER_LINK_TYPES: Array<[string, number]> = [
  ['NULL', 0], ['IEEE802', 6], ['PPP', 9], ['FDDI', 10], ['RAW', 12], ['C_HDLC', 104], ['IEEE802_11', 105],
  ['LOOP', 108], ['LINUX_SLL', 113], ['PFLOG', 117], ['IEEE802_11_RADIO', 127], ['IPV4', 228], ['IPV6', 229], ['LINUX_SLL2', 276],
];
const LINK_EXPRESSIONS = [
  'ip', 'ip6', 'arp', 'tcp port 80', 'udp and dst port 53', 'host 10.0.0.1', 'net 192.168.0.0/16 and not port 22',
  'icmp or icmp6', 'tcp[tcpflags] & tcp-syn != 0', 'ip6 protochain 6', 'wlan type data', 'wlan addr1 00:11:22:33:44:55',
  'ether host 00:11:22:33:44:55', 'len > 100', 'ifindex 1', 'inbound',
];

test('tcpdump programs for other link types print back identically and run as libpcap', async () => {
  const oracle = await Oracle.start();
  let checked = 0;
  try {
    for (const [name, dlt] of OTHER_LINK_TYPES) {
      const packets = craftCorpus(dlt, 150, dlt + 1);
      for (const expression of LINK_EXPRESSIONS) {
        let ddd: string;
        try {
          ddd = await tcpdump('-ddd', expression, name);
        } catch {
          continue; // libpcap refuses this expression for this link type
        }
        const d = await tcpdump('-d', expression, name);
        const prog = assemble(ddd);
        assert.equal(disassemble(prog, 'ddd'), ddd, `${name} ${expression}: -ddd`);
        assert.equal(disassemble(prog, 'd'), d, `${name} ${expression}: -d`);
        assert.ok(programsEqual(assemble(d), canonical(prog)), `${name} ${expression}: -d parses back`);
        verify(prog, { mode: 'bsd' });
        const expected = await oracle.run(prog, packets);
        packets.forEach((p, i) => assert.equal(interpret(prog, p.data, p.wireLength, { semantics: 'bsd' }), expected[i], `${name} ${expression}: packet ${i}`));
        checked++;
      }
    }
  } finally {
    oracle.close();
  }
  assert.ok(checked >= 120, `${checked} link type and expression pairs checked`);
});
