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
import { assemble, detectFormat, disassemble } from '../../src/bpf/text.js';
import { verify } from '../../src/bpf/verifier.js';
import { canonical } from '../../src/bpf/canonical.js';
import { interpret } from '../../src/bpf/interpreter.js';
import { EXPRESSIONS } from './expressions.js';
import { craftCorpus, ethernetPackets } from './ethernet-packets.js';

const run = promisify(execFile);

async function tcpdump(flag: string, expression: string): Promise<string> {
  const { stdout } = await run('tcpdump', ['-y', 'EN10MB', flag, expression], { encoding: 'latin1' });
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
  const packets = [...ethernetPackets(400, 2024), ...(await craftCorpus(1, 300, 2024))];
  const printed = new Map<string, Record<string, string>>();
  await eachLimited(EXPRESSIONS, 4, async (expression) => {
    const [d, dd, ddd] = await Promise.all(['-d', '-dd', '-ddd'].map((f) => tcpdump(f, expression)));
    printed.set(expression, { d, dd, ddd });
  });
  const oracle = await Oracle.start();
  try {
    for (const expression of EXPRESSIONS) {
      const texts = printed.get(expression)!;
      const programs: Program[] = [];
      for (const format of ['d', 'dd', 'ddd'] as const) {
        const text = texts[format];
        assert.equal(detectFormat(text), format, `${expression}: -${format} detected`);
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
      assert.ok(programsEqual(assemble(disassemble(prog, 'asm'), 'asm'), canonical(prog)), `${expression}: bpf_asm round trip`);
      const expected = await oracle.run(prog, packets);
      packets.forEach((p, i) => {
        assert.equal(interpret(prog, p.data, p.wireLength, { semantics: 'bsd' }), expected[i], `${expression}: packet ${i}`);
        if (!loops) assert.equal(interpret(prog, p.data, p.wireLength), expected[i], `${expression}: packet ${i} (linux semantics)`);
      });
    }
  } finally {
    oracle.close();
  }
});
