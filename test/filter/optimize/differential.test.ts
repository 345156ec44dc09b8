/**
 * The optimizer changes no result: for every expression of the corpus, our
 * optimized Program and our unoptimized one return the same value for every
 * packet of the link type's corpus (truncated and malformed packets
 * included), and both agree with libpcap's unoptimized Program, and with
 * libpcap's `-O` Program on every packet where that agrees with libpcap's
 * own unoptimized one (libpcap's optimizer drops loads, so its `-O` programs
 * accept some truncated packets; ours keeps exact semantics). Expressions
 * where our unoptimized program already differs from libpcap's are the
 * compiler's business (random.test.ts); they are listed, and only checked
 * optimized against unoptimized.
 * Default: a few hundred expressions; BPFKIT_LONG: over 2,000.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, CompileError, FilterSyntaxError } from '../../../src/filter/index.js';
import { interpret } from '../../../src/bpf/interpreter.js';
import type { Program } from '../../../src/bpf/program.js';
import { corpus, type CorpusPacket } from '../../../src/craft/index.js';
import { Oracle, OracleCompileError } from '../../oracle/oracle.js';
import { optimizerCorpus } from './corpus.js';

const LONG = Boolean(process.env.BPFKIT_LONG);

function ours(expression: string, dlt: number, optimize: boolean): Program | undefined {
  try {
    return compile(expression, { linkType: dlt, optimize });
  } catch (e) {
    if (e instanceof CompileError || e instanceof FilterSyntaxError) return undefined;
    throw e;
  }
}

async function theirs(oracle: Oracle, expression: string, dlt: number, optimize: boolean): Promise<Program | 'empty' | undefined> {
  try {
    return await oracle.compile(expression, { linkType: dlt, optimize });
  } catch (e) {
    if (!(e instanceof OracleCompileError)) throw e;
    return e.libpcapMessage === 'expression rejects all packets' ? 'empty' : undefined;
  }
}

test(`optimized, unoptimized and libpcap programs agree (${LONG ? 'long' : 'default'} corpus)`, async () => {
  const oracle = await Oracle.start();
  const packetsByDlt = new Map<number, CorpusPacket[]>();
  const failures: string[] = [];
  const compilerIssues: string[] = [];
  let compared = 0, libpcapLenient = 0;
  try {
    const all = optimizerCorpus(LONG ? 125 : 12);
    const chosen = all;
    for (const { expression, dlt } of chosen) {
      let packets = packetsByDlt.get(dlt);
      if (!packets) packetsByDlt.set(dlt, packets = corpus({ linkType: dlt, count: LONG ? 400 : 200, seed: 900 + dlt, malformed: 0.15, describe: false }));
      const plain = ours(expression, dlt, false);
      const optimized = ours(expression, dlt, true);
      if (!plain || !optimized) continue;
      const libPlain = await theirs(oracle, expression, dlt, false);
      if (libPlain === undefined || libPlain === 'empty') continue;
      const libOpt = await theirs(oracle, expression, dlt, true);
      const expected = await oracle.run(libPlain, packets);
      const expectedOpt = libOpt === undefined ? undefined : libOpt === 'empty' ? packets.map(() => 0) : await oracle.run(libOpt, packets);
      compared++;
      const plainResults = packets.map((p) => interpret(plain, p.data, p.wireLength, { semantics: 'bsd' }));
      // Our unoptimized program against libpcap's is the compiler's test (random.test.ts); count, don't blame the optimizer.
      const compilerDiffers = plainResults.some((u, i) => u !== expected[i]);
      if (compilerDiffers) compilerIssues.push(`DLT ${dlt} ${JSON.stringify(expression)}`);
      packets.forEach((p, i) => {
        const o = interpret(optimized, p.data, p.wireLength, { semantics: 'bsd' });
        const u = plainResults[i];
        if (o !== u) failures.push(`DLT ${dlt} ${JSON.stringify(expression)} packet #${i}: optimized ${o}, unoptimized ${u}`);
        else if (compilerDiffers) return;
        else if (expectedOpt && expectedOpt[i] !== expected[i]) libpcapLenient++;
        else if (expectedOpt && o !== expectedOpt[i]) failures.push(`DLT ${dlt} ${JSON.stringify(expression)} packet #${i}: ours ${o}, libpcap -O ${expectedOpt[i]}`);
      });
    }
  } finally {
    oracle.close();
  }
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} disagreements`);
  assert.ok(compared >= (LONG ? 1500 : 200), `compared ${compared} expressions`);
  console.log(`# ${compared} expressions compared; ${libpcapLenient} packet results where libpcap -O differs from libpcap unoptimized`);
  if (compilerIssues.length > 0) console.log(`# ${compilerIssues.length} expressions where our unoptimized program differs from libpcap's (a compiler matter, see random.test.ts): ${compilerIssues.slice(0, 5).join('; ')}`);
});
