/**
 * The optimizer against libpcap's: over ≥2,000 expressions (random per link
 * type, test/bpf's list, pcap-filter(7) examples, issue 3's filters), our
 * optimized instruction count beside libpcap's `-O` count, instructions
 * executed per packet over each link type's corpus (both Programs run by
 * our counting interpreter with libpcap semantics), time to optimize (the
 * first run, with V8 compiling the optimizer, and warm), and the 1,000-host
 * filter. Prints markdown for docs/BENCHMARKS.md.
 *
 * node dist/bench/optimize.bench.js            (BPFKIT_BENCH_PER_LINK_TYPE=120 by default)
 */
import { buildCfg, compile, CompileError, FilterSyntaxError } from '../src/filter/index.js';
import type { Cfg } from '../src/filter/cfg.js';
import { optimizeCfg } from '../src/filter/optimize/index.js';
import { instructionCount } from '../src/filter/optimize/graph.js';
import { interpret, interpretCounted } from '../src/bpf/interpreter.js';
import { jit } from '../src/bpf/jit.js';
import type { Program } from '../src/bpf/program.js';
import { corpus, type CorpusPacket } from '../src/craft/index.js';
import { Oracle, OracleCompileError } from '../test/oracle/oracle.js';
import { BENCHMARK_FILTERS, optimizerCorpus } from '../test/filter/optimize/corpus.js';

const PER_LINK_TYPE = Number(process.env.BPFKIT_BENCH_PER_LINK_TYPE ?? 120);
const PACKETS = Number(process.env.BPFKIT_BENCH_PACKETS ?? 100);

/** Sizes of one optimizer mode against libpcap's. */
interface Sizes { ours: number; fewer: number; more: number; logRatio: number }
interface Row { n: number; theirs: number; exact: Sizes; assumed: Sizes; execOurs: number; execAssumed: number; execTheirs: number; runs: number }
const newSizes = (): Sizes => ({ ours: 0, fewer: 0, more: 0, logRatio: 0 });
const newRow = (): Row => ({ n: 0, theirs: 0, exact: newSizes(), assumed: newSizes(), execOurs: 0, execAssumed: 0, execTheirs: 0, runs: 0 });

function addSizes(s: Sizes, ours: number, theirs: number): void {
  s.ours += ours;
  if (ours < theirs) s.fewer++;
  if (ours > theirs) s.more++;
  s.logRatio += Math.log(ours / theirs);
}

function add(row: Row, exact: number, assumed: number, theirs: number, exec: readonly [number, number, number], runs: number): void {
  const [execOurs, execAssumed, execTheirs] = exec;
  row.n++; row.theirs += theirs;
  addSizes(row.exact, exact, theirs);
  addSizes(row.assumed, assumed, theirs);
  row.execOurs += execOurs; row.execAssumed += execAssumed; row.execTheirs += execTheirs; row.runs += runs;
}

function line(name: string, r: Row): string {
  const pct = (x: number) => `${((100 * x) / r.n).toFixed(1)}%`;
  const sizes = (s: Sizes) => `${s.ours} | ${s.fewer} (${pct(s.fewer)}) | ${s.more} | ${Math.exp(s.logRatio / r.n).toFixed(3)}`;
  return `| ${name} | ${r.n} | ${r.theirs} | ${sizes(r.exact)} | ${sizes(r.assumed)} | ${(r.execOurs / r.runs).toFixed(2)} | ${(r.execAssumed / r.runs).toFixed(2)} | ${(r.execTheirs / r.runs).toFixed(2)} |`;
}

function executed(prog: Program, packets: readonly CorpusPacket[]): number {
  let total = 0;
  for (const p of packets) total += interpretCounted(prog, p.data, p.wireLength, { semantics: 'bsd' }).executed;
  return total;
}

const oracle = await Oracle.start();
const rows = new Map<number, Row>();
const overall = newRow();
const worse: string[] = [];
const worseAssumed: string[] = [];
const times: number[] = [];
const graphs: Array<{ cfg: Cfg; name: string }> = [];
let forced = 0;

/**
 * Answers on the packets where they can differ (loads past the capture):
 * libpcap's -O program against its own unoptimized one, and each of our modes
 * against both. Counted only where our unoptimized program answers as
 * libpcap's does (elsewhere the compiler, not the optimizer, differs).
 */
const answers = { results: 0, libpcapSelf: 0, exactVsO: 0, assumedVsO: 0, exactVsPlain: 0, assumedVsPlain: 0, assumedNeither: 0, exactNeither: 0, exprExact: 0, exprAssumed: 0, exprNeither: 0 };
async function compareAnswers(expression: string, dlt: number, exact: Program, assumed: Program, theirsO: Program, packets: readonly CorpusPacket[]): Promise<void> {
  const plain = compile(expression, { linkType: dlt, optimize: false });
  const theirsPlain = await oracle.compile(expression, { linkType: dlt, optimize: false });
  const [o, u] = [await oracle.run(theirsO, packets), await oracle.run(theirsPlain, packets)];
  let e = false, a = false, n = false;
  packets.forEach((p, i) => {
    const mine = interpret(plain, p.data, p.wireLength, { semantics: 'bsd' });
    if (mine !== u[i]) return;
    const ex = interpret(exact, p.data, p.wireLength, { semantics: 'bsd' });
    const as = interpret(assumed, p.data, p.wireLength, { semantics: 'bsd' });
    answers.results++;
    if (o[i] !== u[i]) answers.libpcapSelf++;
    if (ex !== o[i]) { answers.exactVsO++; e = true; }
    if (as !== o[i]) { answers.assumedVsO++; a = true; }
    if (ex !== mine) answers.exactVsPlain++;
    if (as !== mine) answers.assumedVsPlain++;
    if (o[i] === u[i] && as !== u[i]) { answers.assumedNeither++; n = true; }
    if (o[i] === u[i] && ex !== u[i]) answers.exactNeither++;
  });
  if (e) answers.exprExact++;
  if (a) answers.exprAssumed++;
  if (n) answers.exprNeither++;
}
let libpcapEmpty = 0, skipped = 0;
const packetsByDlt = new Map<number, CorpusPacket[]>();
try {
  for (const { expression, dlt } of optimizerCorpus(PER_LINK_TYPE)) {
    let ours: Program, assumed: Program;
    try {
      const cfg = buildCfg(expression, { linkType: dlt });
      const t0 = performance.now();
      optimizeCfg(cfg);
      times.push(performance.now() - t0);
      graphs.push({ cfg, name: `DLT ${dlt} ${expression.length > 70 ? `${expression.slice(0, 70)}…` : expression}` });
      ours = compile(expression, { linkType: dlt });
      assumed = compile(expression, { linkType: dlt, exactLoads: false });
    } catch (e) {
      if (e instanceof CompileError || e instanceof FilterSyntaxError) { skipped++; continue; }
      throw e;
    }
    let theirs: Program;
    try {
      theirs = await oracle.compile(expression, { linkType: dlt, optimize: true });
    } catch (e) {
      if (!(e instanceof OracleCompileError)) throw e;
      if (e.libpcapMessage === 'expression rejects all packets') libpcapEmpty++; else skipped++;
      continue;
    }
    let packets = packetsByDlt.get(dlt);
    if (!packets) packetsByDlt.set(dlt, packets = corpus({ linkType: dlt, count: PACKETS, seed: 4242 + dlt, malformed: 0.1, describe: false }));
    const row = rows.get(dlt) ?? newRow();
    rows.set(dlt, row);
    const exec = [executed(ours, packets), executed(assumed, packets), executed(theirs, packets)] as const;
    await compareAnswers(expression, dlt, ours, assumed, theirs, packets);
    add(row, ours.length, assumed.length, theirs.length, exec, packets.length);
    add(overall, ours.length, assumed.length, theirs.length, exec, packets.length);
    if (assumed.length > theirs.length) worseAssumed.push(`DLT ${dlt} ${assumed.length} vs ${theirs.length}: ${expression.length > 90 ? `${expression.slice(0, 90)}…` : expression}`);
    // A "more" the same optimizer avoids once loads are assumed to succeed is forced by exactness.
    if (ours.length > theirs.length && assumed.length <= theirs.length) forced++;
    if (ours.length > theirs.length) worse.push(`(assumed ${assumed.length}) ` + `DLT ${dlt} ${ours.length} vs ${theirs.length}: ${expression.length > 90 ? `${expression.slice(0, 90)}…` : expression}`);
  }
} finally {
  oracle.close();
}

console.log('| DLT | expressions | libpcap -O insns | exact: ours insns | fewer | more | geo-mean ours/libpcap | loads assumed: ours insns | fewer | more | geo-mean | executed/packet: exact | assumed | libpcap |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const [dlt, row] of [...rows].sort((a, b) => a[0] - b[0])) console.log(line(String(dlt), row));
console.log(line('**all**', overall));
// Warm: every expression again, now that V8 has compiled the optimizer (best of 3 runs each).
globalThis.gc?.();
const warm = graphs.map(() => Infinity);
for (let rep = 0; rep < 3; rep++) {
  graphs.forEach((g, i) => {
    const t = performance.now();
    optimizeCfg(g.cfg);
    warm[i] = Math.min(warm[i], performance.now() - t);
  });
}
const stats = (xs: number[]): string => {
  const sorted = [...xs].sort((a, b) => a - b);
  return `mean ${(sorted.reduce((a, b) => a + b, 0) / sorted.length).toFixed(3)} ms, p99 ${sorted[Math.floor(sorted.length * 0.99)].toFixed(2)} ms, max ${sorted[sorted.length - 1].toFixed(2)} ms`;
};
console.log(`\noptimization time per expression (optimizeCfg, exact), first run (V8 compiling the optimizer, GC included): ${stats(times)}`);
console.log(`optimization time per expression, warm (best of 3 later runs): ${stats(warm)}; over 5 ms: ${warm.filter((t) => t >= 5).length}`);
for (const i of warm.map((_, i) => i).sort((a, b) => warm[b] - warm[a]).slice(0, 3)) console.log(`  ${warm[i].toFixed(2)} ms: ${graphs[i].name}`);
console.log(`exact, more than libpcap: ${worse.length}, of which ${forced} are not more with loads assumed (forced by exactness), ${worse.length - forced} others`);
console.log(`\nanswers over the corpus packets (${answers.results} results, 10 % malformed/truncated; where our unoptimized program answers as libpcap's):`);
console.log('| program | differs from libpcap -O | differs from libpcap unoptimized | answer neither libpcap program gives |');
console.log('|---|---:|---:|---:|');
console.log(`| libpcap -O | — | ${answers.libpcapSelf} | — |`);
console.log(`| ours, exact (default) | ${answers.exactVsO} (${answers.exprExact} expressions) | ${answers.exactVsPlain} | ${answers.exactNeither} |`);
console.log(`| ours, loads assumed | ${answers.assumedVsO} (${answers.exprAssumed} expressions) | ${answers.assumedVsPlain} | ${answers.assumedNeither} (${answers.exprNeither} expressions) |`);
console.log(`skipped ${skipped} expressions one side rejects; libpcap proved ${libpcapEmpty} empty ("expression rejects all packets")`);
console.log(`\nloads assumed, more instructions than libpcap (${worseAssumed.length}):`);
for (const w of worseAssumed) console.log(`- ${w}`);
console.log(`\nexact, more instructions than libpcap (${worse.length}), first 25:`);
for (const w of worse.slice(0, 25)) console.log(`- ${w}`);

const hosts = Array.from({ length: 1000 }, (_, i) => `host 10.${(i >> 8) & 255}.${i & 255}.1`).join(' or ');
globalThis.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
let peak = 0;
const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
const t0 = performance.now();
const big = buildCfg(hosts);
const t1 = performance.now();
const optimized = optimizeCfg(big);
const t2 = performance.now();
// Heap grown by building and optimizing (garbage not yet collected included: an upper bound).
const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
const loose = optimizeCfg(big, { exactLoads: false });
const t3 = performance.now();
// Again: the first run comes right after a full GC, which throws away much of what V8 had compiled.
optimizeCfg(big);
const t4 = performance.now();
let verdict: string;
try { verdict = `${compile(hosts).length} instructions`; } catch (e) { verdict = `refused: ${(e as Error).message}`; }
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage().rss);
console.log(`\n1,000 hosts: graph built in ${(t1 - t0).toFixed(0)} ms, optimized in ${(t2 - t1).toFixed(0)} ms (${instructionCount(big)} → ${instructionCount(optimized)} instructions), heap +${(heapGrowth / 1e6).toFixed(0)} MB, peak RSS ${(peak / 1e6).toFixed(0)} MB; compile(): ${verdict}; loads assumed: ${(t3 - t2).toFixed(0)} ms, ${instructionCount(loose)} instructions; exact again: ${(t4 - t3).toFixed(0)} ms`);

// The JIT's speed before and after optimization, on issue 3's filters (best of 5 runs each).
const jitPackets = corpus({ linkType: 1, count: 2000, seed: 99, describe: false });
function nsPerPacket(prog: Program): number {
  const run = jit(prog, { semantics: 'linux' });
  let best = Infinity;
  for (let rep = 0; rep < 5; rep++) {
    const t = process.hrtime.bigint();
    for (let loop = 0; loop < 50; loop++) for (const p of jitPackets) run(p.data, p.wireLength);
    best = Math.min(best, Number(process.hrtime.bigint() - t) / (50 * jitPackets.length));
  }
  return best;
}
console.log('\n| filter | insns unoptimized → optimized | JIT ns/packet unoptimized | optimized |');
console.log('|---|---:|---:|---:|');
for (const filter of BENCHMARK_FILTERS) {
  const plain = compile(filter, { optimize: false }), optimized = compile(filter);
  const name = (filter.length > 40 ? `${filter.slice(0, 40)}…` : filter).replace(/\|/g, '\\|');
  console.log(`| \`${name}\` | ${plain.length} → ${optimized.length} | ${nsPerPacket(plain).toFixed(1)} | ${nsPerPacket(optimized).toFixed(1)} |`);
}
