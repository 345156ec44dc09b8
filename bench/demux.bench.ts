/**
 * Many filters at once: ns/packet of a FilterSet of N filters beside N
 * separate JIT filters run one after the other, for N = 1 … 10,000 and four
 * kinds of filter sets. Also the time to add or remove one filter in a set of
 * 10,000, and an SVG plot of cost against N (docs/demux-scaling.svg).
 *
 * Each (kind, N) is measured in processes of its own, started afresh from
 * this file: every N gets the same method (read the packets, build one set,
 * collect the garbage, warm up, time), and no N inherits the heap, the caches
 * or the compiled code that building and timing the others left behind. On a
 * shared machine the memory a process gets from the caches changes for
 * seconds at a time (docs/BENCHMARKS.md), so each (kind, N) is measured by
 * REPS processes spread over the whole run (every kind and N once, then
 * again), and the median of theirs is reported.
 * The packets are read back through readCapture from a pcap file of the
 * corpus, so they are what a capture pipeline hands a FilterSet: views into
 * the reader's chunk buffers, packed one after another, not 20,000 separately
 * allocated arrays scattered over the heap (whose cost depends on where the
 * garbage collector happened to leave them: see docs/BENCHMARKS.md).
 *
 * Run: npm run bench -- demux   (or node --expose-gc dist/bench/demux.bench.js)
 *
 * Environment, to shrink a run on a busy machine (the defaults are the official run):
 *   BPFKIT_DEMUX_KINDS=host,port   only these kinds          BPFKIT_DEMUX_SIZES=1,1000   only these N
 *   BPFKIT_DEMUX_PACKETS=20000     packets per FilterSet run  BPFKIT_DEMUX_REPS=3        processes per (kind, N) (median)
 *   BPFKIT_DEMUX_MS=150            least CPU ms per timing    BPFKIT_DEMUX_SEPARATE=0    skip the separate filters
 *   BPFKIT_DEMUX_UPDATES=0         skip timing add and remove
 *   BPFKIT_DEMUX_STAT=min          the fastest process instead of the median: on a busy machine
 *                                  (other processes slow some measurements, never speed one up)
 *   BPFKIT_DEMUX_PLOT=0            leave docs/demux-scaling.svg alone (also skipped when kinds or sizes are shrunk)
 *   BPFKIT_DEMUX_ISOLATE=0         measure every (kind, N) in this one process, one after another (for comparison)
 *
 * Within a process the set is timed 3 times (the median is the process's figure), the separate filters once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FilterSet } from '../src/demux/index.js';
import { compile } from '../src/filter/index.js';
import { jit } from '../src/bpf/jit.js';
import type { Program } from '../src/bpf/program.js';
import { corpus, POOLS } from '../src/craft/index.js';
import { readCapture, writeCapture } from '../src/pcap/index.js';

const env = process.env;
const numbers = (v: string | undefined, d: number[]) => (v ? v.split(',').map(Number) : d);
const SIZES = numbers(env.BPFKIT_DEMUX_SIZES, [1, 10, 100, 1000, 10_000]);
const SET_PACKETS = Number(env.BPFKIT_DEMUX_PACKETS ?? 20_000);
const REPS = Number(env.BPFKIT_DEMUX_REPS ?? 3);
const MIN_MS = Number(env.BPFKIT_DEMUX_MS ?? 150);
const SEPARATE = env.BPFKIT_DEMUX_SEPARATE !== '0';
const ISOLATE = env.BPFKIT_DEMUX_ISOLATE !== '0';
const PLOT = env.BPFKIT_DEMUX_PLOT !== '0' && !env.BPFKIT_DEMUX_KINDS && !env.BPFKIT_DEMUX_SIZES;
/** Set in the child processes: the pcap file to read and the one (kind, N) to measure. */
const CHILD_PCAP = env.BPFKIT_DEMUX_CHILD_PCAP;
const CHILD_JOB = env.BPFKIT_DEMUX_CHILD_JOB;

/** The i-th distinct IPv4 host: the corpus's pool first (so filters hit), then hosts inside 10/8. */
function host(i: number): string {
  return i < POOLS.ipv4Hosts.length ? POOLS.ipv4Hosts[i] : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

function port(i: number): number {
  const common = [...POOLS.tcpPorts, ...POOLS.udpPorts];
  return i < common.length ? common[i] : 1024 + i;
}

const KINDS: Record<string, (i: number) => string> = {
  host: (i) => `host ${host(i)}`,
  port: (i) => `port ${port(i)}`,
  flow: (i) => {
    // Client host and port to server host and port: the first ones from the corpus's pools (so some
    // flows occur in it), the rest with distinct client ports, as real connections have.
    const hosts = POOLS.ipv4Hosts.length, clients = POOLS.clientPorts.length, servers = POOLS.tcpPorts.length;
    const pooled = hosts * hosts * clients;
    const clientPort = i < pooled ? POOLS.clientPorts[Math.floor(i / (hosts * hosts))] : 1024 + (i % 64000);
    return `tcp and src host ${host(i % hosts)} and dst host ${host(Math.floor(i / hosts) % hosts)} and src port ${clientPort} and dst port ${POOLS.tcpPorts[i % servers]}`;
  },
  mixed: (i) => {
    const k = i % 4;
    return k === 0 ? `host ${host(i)}` : k === 1 ? `udp dst port ${port(i)}` : k === 2 ? `net 10.${i & 255}.0.0/16 and tcp` : KINDS.flow(i);
  },
};

interface Packet { data: Uint8Array; wireLength: number }

/** Writes the corpus to a pcap file (the packets a run reads). */
async function writeCorpus(path: string): Promise<void> {
  const packets = corpus({ linkType: 'EN10MB', count: SET_PACKETS, seed: 11, describe: false });
  await writeCapture(path, packets.map((p, i) => ({
    data: p.data, caplen: p.data.length, len: p.wireLength,
    timestamp: { sec: 1_700_000_000 + Math.floor(i / 1000), nsec: (i % 1000) * 1000 }, linkType: 1, interface: 0,
  })), { linkType: 1 });
}

/** The packets as readCapture hands them out: views into its chunk buffers, in file order. */
async function readPackets(path: string): Promise<Packet[]> {
  const out: Packet[] = [];
  for await (const rec of readCapture(path)) out.push({ data: rec.data, wireLength: rec.len });
  return out;
}

/**
 * CPU time per call of fn (this process's user + system time, so other work on the machine
 * inflates it far less than wall time), after a warm-up call so that V8 has optimized the
 * generated code, over at least 3 calls and minMs.
 */
function timeIt(fn: () => number, minMs = MIN_MS): { nsPerCall: number; result: number } {
  fn();
  let calls = 0, result = 0;
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) * 1000; };
  const start = cpu();
  let elapsed = 0;
  while (elapsed < minMs * 1e6 || calls < 3) {
    result = fn();
    calls++;
    elapsed = cpu() - start;
  }
  return { nsPerCall: elapsed / calls, result };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** The summary of repeated timings: their median, or their minimum under BPFKIT_DEMUX_STAT=min. */
function stat(xs: number[]): number {
  return env.BPFKIT_DEMUX_STAT === 'min' ? Math.min(...xs) : median(xs);
}

interface Row { kind: string; n: number; set: number; separate: number; setMatches: number; separateMatches: number }

/** Builds the set of n filters of a kind and times it (median of 3), and n separate filters once, over the packets. */
function measure(kind: string, n: number, packets: Packet[]): Row {
  const make = KINDS[kind];
  const programs: Program[] = [];
  const set = new FilterSet<number>();
  for (let i = 0; i < n; i++) {
    const prog = compile(make(i), { linkType: 'EN10MB' });
    programs.push(prog);
    set.add(i, prog);
  }
  // The FilterSet runs over the same 20,000 packets for every N, so its column compares like with
  // like. N separate filters cost N times more: they run over the first packets only (fewer as N
  // grows), and the match counts compare the set with them on those same packets.
  const few = packets.slice(0, Math.min(packets.length, Math.max(200, Math.floor(2e6 / n))));
  const setRun = () => {
    let hits = 0;
    for (let i = 0; i < packets.length; i++) hits += set.count(packets[i].data, packets[i].wireLength);
    return hits;
  };
  let setMatches = 0;
  for (let i = 0; i < few.length; i++) setMatches += set.count(few[i].data, few[i].wireLength);
  const fns = SEPARATE ? programs.map((p) => jit(p)) : [];
  const separateRun = () => {
    let hits = 0;
    for (let i = 0; i < few.length; i++) {
      const { data, wireLength } = few[i];
      for (let f = 0; f < fns.length; f++) if (fns[f](data, wireLength) !== 0) hits++;
    }
    return hits;
  };
  // Building thousands of filters leaves garbage whose collection (on V8's helper threads, which
  // process.cpuUsage counts) would land in the first timings: collect it before timing either way.
  globalThis.gc?.();
  const setTimes: number[] = [];
  for (let rep = 0; rep < 3; rep++) setTimes.push(timeIt(setRun).nsPerCall / packets.length);
  let separate = NaN, separateMatches = setMatches;
  if (SEPARATE) {
    const t = timeIt(separateRun, n >= 1000 ? MIN_MS * 8 / 3 : MIN_MS);
    separate = t.nsPerCall / few.length;
    separateMatches = t.result;
  }
  return { kind, n, set: median(setTimes), separate, setMatches, separateMatches };
}

if (CHILD_PCAP && CHILD_JOB) {
  const [kind, n] = CHILD_JOB.split(':');
  const packets = await readPackets(CHILD_PCAP);
  process.stdout.write(`${JSON.stringify(measure(kind, Number(n), packets))}\n`);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'bpfkit-demux-bench-'));
const pcap = join(dir, 'corpus.pcap');
const rows: Row[] = [];
/** Each (kind, N)'s FilterSet figure from every process that measured it, in run order. */
const perProcess: string[] = [];
try {
  await writeCorpus(pcap);
  const packets = ISOLATE ? [] : await readPackets(pcap);
  const kinds = env.BPFKIT_DEMUX_KINDS ? env.BPFKIT_DEMUX_KINDS.split(',') : Object.keys(KINDS);
  const jobs = Object.keys(KINDS).filter((k) => kinds.includes(k)).flatMap((kind) => SIZES.map((n) => ({ kind, n })));
  const runs = new Map<string, Row[]>(jobs.map((j) => [`${j.kind}:${j.n}`, []]));
  for (let rep = 0; rep < REPS; rep++) {
    for (const { kind, n } of jobs) {
      let row: Row;
      if (ISOLATE) {
        const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url)], {
          env: { ...env, BPFKIT_DEMUX_CHILD_PCAP: pcap, BPFKIT_DEMUX_CHILD_JOB: `${kind}:${n}` },
          encoding: 'utf8', maxBuffer: 1 << 20,
        });
        if (child.status !== 0) throw new Error(`measuring ${kind} at N = ${n} failed: ${child.stderr}`);
        row = JSON.parse(child.stdout.trim().split('\n').pop()!) as Row;
        row.separate ??= NaN; // JSON has no NaN (no separate run)
      } else {
        row = measure(kind, n, packets);
        globalThis.gc?.();
      }
      runs.get(`${kind}:${n}`)!.push(row);
    }
  }
  for (const { kind, n } of jobs) {
    const rs = runs.get(`${kind}:${n}`)!;
    const pick = (f: (r: Row) => number) => stat(rs.map(f));
    const disagree = rs.find((r) => r.setMatches !== r.separateMatches) ?? rs[0];
    perProcess.push(`${kind} ${n}: ${rs.map((r) => r.set.toFixed(1)).join(' ')}`);
    rows.push({ kind, n, set: pick((r) => r.set), separate: pick((r) => r.separate), setMatches: disagree.setMatches, separateMatches: disagree.separateMatches });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log('| kind | N | FilterSet ns/pkt | × its N=1 | N separate JIT filters ns/pkt | separate ÷ FilterSet | matches on the reference packets (set / separate) |');
console.log('|---|---:|---:|---:|---:|---:|---|');
for (const r of rows) {
  const base = rows.find((x) => x.kind === r.kind && x.n === 1)?.set ?? NaN;
  console.log(`| ${r.kind} | ${r.n} | ${r.set.toFixed(1)} | ${(r.set / base).toFixed(2)} | ${r.separate.toFixed(1)} | ${(r.separate / r.set).toFixed(1)} | ${r.setMatches} / ${r.separateMatches}${r.setMatches === r.separateMatches ? '' : ' DISAGREE'} |`);
}

if (REPS > 1) console.log(`\nFilterSet ns/pkt by process (${ISOLATE ? 'one process each' : 'all in this process'}, in run order): ${perProcess.join('; ')}.`);

// Adding or removing one filter in a set of 10,000 (the next match pays for any dispatcher rebuild, so it is timed too).
if (env.BPFKIT_DEMUX_UPDATES !== '0') {
  const frames = corpus({ linkType: 'EN10MB', count: 40, seed: 11, describe: false });
  const set = new FilterSet<number>();
  for (let i = 0; i < 10_000; i++) set.add(i, KINDS.mixed(i));
  set.count(frames[0].data);
  const adds: number[] = [], removes: number[] = [];
  for (let r = 0; r < 40; r++) {
    const expr = KINDS.mixed(20_000 + r);
    let t = process.hrtime.bigint();
    set.add(-1, expr);
    set.count(frames[r].data);
    adds.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    set.remove(-1);
    set.count(frames[r].data);
    removes.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  console.log(`\nIn a set of 10,000 mixed filters: add one ${median(adds).toFixed(3)} ms (max ${Math.max(...adds).toFixed(3)}), remove one ${median(removes).toFixed(3)} ms (max ${Math.max(...removes).toFixed(3)}), medians of 40, each including the next match.`);
}

if (PLOT && SEPARATE) {
  writeFileSync(new URL('../../docs/demux-scaling.svg', import.meta.url), plot(rows));
  console.log('\nPlot written to docs/demux-scaling.svg');
}

/** A log-log line chart of ns/packet against N, FilterSet solid and separate filters dashed. */
function plot(data: Row[]): string {
  const W = 720, H = 440, L = 70, R = 150, T = 30, B = 50;
  const xs = (n: number) => L + (Math.log10(n) / 4) * (W - L - R);
  const maxY = Math.max(...data.map((r) => r.separate));
  const minY = Math.min(...data.map((r) => r.set));
  const lo = Math.floor(Math.log10(minY)), hi = Math.ceil(Math.log10(maxY));
  const ys = (v: number) => T + (1 - (Math.log10(v) - lo) / (hi - lo)) * (H - T - B);
  const colors: Record<string, string> = { host: '#1f77b4', port: '#d62728', flow: '#2ca02c', mixed: '#9467bd' };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">ns per packet against number of filters (log-log)</text>`,
  ];
  for (let e = lo; e <= hi; e++) {
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${ys(10 ** e)}" y2="${ys(10 ** e)}" stroke="#ddd"/>`, `<text x="${L - 6}" y="${ys(10 ** e) + 4}" text-anchor="end">${10 ** e}</text>`);
  }
  for (const n of SIZES) parts.push(`<line x1="${xs(n)}" x2="${xs(n)}" y1="${T}" y2="${H - B}" stroke="#eee"/>`, `<text x="${xs(n)}" y="${H - B + 16}" text-anchor="middle">${n}</text>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">filters (N)</text>`);
  let legend = T + 10;
  for (const kind of Object.keys(KINDS)) {
    const rs = data.filter((r) => r.kind === kind);
    const line = (f: (r: Row) => number, dash: string) =>
      `<polyline fill="none" stroke="${colors[kind]}" stroke-width="2" ${dash} points="${rs.map((r) => `${xs(r.n).toFixed(1)},${ys(f(r)).toFixed(1)}`).join(' ')}"/>`;
    parts.push(line((r) => r.set, ''), line((r) => r.separate, 'stroke-dasharray="6,4"'));
    parts.push(`<text x="${W - R + 10}" y="${legend}" fill="${colors[kind]}">${kind}: FilterSet —</text>`, `<text x="${W - R + 10}" y="${legend + 14}" fill="${colors[kind]}">${kind}: separate - -</text>`);
    legend += 34;
  }
  parts.push('</svg>');
  return parts.join('\n');
}
