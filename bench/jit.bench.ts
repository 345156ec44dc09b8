/**
 * The JIT benchmark: ns/packet for the interpreter, the JIT called once per
 * packet and the JIT batch path, beside libpcap's own bpf_filter() (C, -O2)
 * timed in the same run over the same packets with the same Programs. Two
 * workloads: a 10,000-packet slice that stays in cache, filtered over and
 * over, and the whole corpus (1,000,000 packets by default). Medians of
 * several repetitions; match counts show that all engines agree.
 * The wasm batch column is src/bpf/wasm.ts's engine over the same corpus
 * copied into a PacketArena.
 * Beside them, each side's floor: the least any filter must do per packet
 * (find it, check its length, read one header byte, store a result), in C,
 * in JavaScript and in wasm, so the table shows which rows are bound by the
 * memory system rather than by the filter.
 *
 *   node --expose-gc dist/bench/jit.bench.js
 *   BPFKIT_BENCH_PACKETS=200000 BPFKIT_BENCH_REPS=3 BPFKIT_BENCH_ONLY=1,4 node --expose-gc dist/bench/jit.bench.js
 *   BPFKIT_BENCH_CLOCK=wall ...   (time by the wall clock instead of CPU time)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PacketBatch } from '../src/bpf/batch.js';
import { insn, program, type Program } from '../src/bpf/program.js';
import { interpret } from '../src/bpf/interpreter.js';
import { jit, jitBatch, jitSource, type CompiledFilter, type CompiledBatchFilter } from '../src/bpf/jit.js';
import { PacketArena, wasmBatch, wasmEngine, type ArenaBatch } from '../src/bpf/wasm.js';
import { encodeModule, I32, Op, sleb, uleb } from '../src/bpf/wasm-codegen.js';
import { Rng, randomProgram } from '../test/bpf/random-program.js';
import { Oracle } from '../test/oracle/oracle.js';
import { corpusBatch } from '../src/craft/corpus.js';

const ALL_FILTERS = [
  '',
  'ip',
  'tcp',
  'host 10.0.0.1',
  'tcp port 80',
  'udp and dst port 53',
  'net 192.168.0.0/16 and not port 22',
  'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0',
  'ip6 and tcp',
  'vlan and tcp port 443',
  '(tcp port 80 or tcp port 443) and host 10.1.2.3',
  Array.from({ length: 20 }, (_, i) => `host 10.0.0.${i * 2 + 1}`).join(' or '),
  'portrange 1000-2000',
];

// BPFKIT_BENCH_ONLY=2,4 runs a subset (indices into the list) while tuning.
const FILTERS = process.env.BPFKIT_BENCH_ONLY ? process.env.BPFKIT_BENCH_ONLY.split(',').map((i) => ALL_FILTERS[Number(i)]) : ALL_FILTERS;
const PACKETS = Number(process.env.BPFKIT_BENCH_PACKETS ?? 1_000_000);
const REPS = Number(process.env.BPFKIT_BENCH_REPS ?? 5);
const SLICE = Math.min(10_000, PACKETS);
const ROUNDS = Math.max(1, Math.round(1_000_000 / SLICE));
const SEMANTICS = 'bsd' as const; // libpcap's: what bpf_filter() runs

// 'cpu' (default) times by the CPU time of the thread that runs the filter: ours from Linux's
// /proc/thread-self/schedstat (ns, the main thread only: V8's GC and compiler threads do not count),
// libpcap's from CLOCK_PROCESS_CPUTIME_ID (one thread). On a shared machine it counts only the time
// each side actually ran. 'wall' times by the clock on the wall.
const CLOCK = process.env.BPFKIT_BENCH_CLOCK === 'wall' ? 'wall' : 'cpu';
process.env.BPFKIT_BENCH_CLOCK = CLOCK; // the C side reads it too

/** Nanoseconds on the chosen clock. */
function now(): number {
  if (CLOCK === 'wall') return Number(process.hrtime.bigint());
  return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]);
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Raw dump for the C side: u32 count, then per packet u32 caplen, u32 wirelen, bytes (little-endian). */
function rawDump(batch: PacketBatch): Uint8Array {
  let size = 4;
  for (let i = 0; i < batch.count; i++) size += 8 + batch.caplens[i];
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, batch.count, true);
  let at = 4;
  for (let i = 0; i < batch.count; i++) {
    view.setUint32(at, batch.caplens[i], true);
    view.setUint32(at + 4, batch.wirelens[i], true);
    out.set(batch.data.subarray(batch.offsets[i], batch.offsets[i] + batch.caplens[i]), at + 8);
    at += 8 + batch.caplens[i];
  }
  return out;
}

/** ns/packet: the median and the best of the repetitions. */
interface Timing { ns: number; best: number; matches: number }

/** libpcap's side of one row: bpf_filter() and the C floor, timed alternately. */
interface Reference extends Timing { floor: number; floorBest: number }
type Mode = 'slice' | 'full';

/**
 * libpcap's side: bench/c/bpf_filter_bench.c, built now with -O2, holding the
 * same packets; each Program is timed on request, right before ours.
 */
class LibpcapBench {
  private readonly child: ChildProcess;
  private readonly answers: Array<(line: string) => void> = [];

  constructor(dir: string, batch: PacketBatch) {
    const source = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'c', 'bpf_filter_bench.c');
    const binary = join(dir, 'bpf_filter_bench');
    const cc = spawnSync('cc', ['-O2', '-o', binary, source, '-lpcap'], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`cannot build ${source} (needs cc and libpcap-dev):\n${cc.stderr}`);
    const packetsFile = join(dir, 'packets.raw');
    writeFileSync(packetsFile, rawDump(batch));
    this.child = spawn(binary, [packetsFile, String(SLICE), String(ROUNDS), String(REPS)], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.answers.shift()?.(line));
    this.child.on('exit', () => { for (const a of this.answers.splice(0)) a(''); });
  }

  /** Times bpf_filter() with `prog` on the slice and on the full corpus. */
  time(prog: Program): Promise<Record<Mode, Reference>> {
    return new Promise((resolve, reject) => {
      this.answers.push((line) => {
        const f = line.split(' ');
        if (f.length !== 12 || f[0] !== 'slice' || f[6] !== 'full') return reject(new Error(`bpf_filter_bench answered ${JSON.stringify(line)}`));
        const at = (i: number): Reference => ({
          ns: Number(f[i + 1]), best: Number(f[i + 2]), matches: Number(f[i + 3]), floor: Number(f[i + 4]), floorBest: Number(f[i + 5]),
        });
        resolve({ slice: at(0), full: at(6) });
      });
      this.child.stdin!.write(`${prog.length} ${prog.map((x) => `${x.code},${x.jt},${x.jf},${x.k}`).join(' ')}\n`);
    });
  }

  close(): void {
    this.child.stdin!.end();
  }
}

/** Shortest repetition on the thread clock, whose readings move in scheduler ticks (a few ms). */
const MIN_REP_NS = 150e6;

/**
 * Times several bodies round-robin (one repetition of each in turn, so all see
 * the same machine load). A body filters `n` packets `rounds` times and returns
 * matches per round; a warm-up call (which also lets V8 optimize) sets each
 * body's rounds so one repetition lasts at least MIN_REP_NS. Returns per body
 * the median and best ns per packet and the match count.
 */
function timeRoundRobin(reps: number, n: number, baseRounds: number, bodies: Array<(rounds: number) => number>): Timing[] {
  const times = bodies.map(() => [] as number[]);
  const matches: number[] = [];
  // Calibrated on the wall clock, which is precise (the thread clock is not, over short spans).
  const rounds = bodies.map((body, b) => {
    const t0 = process.hrtime.bigint();
    matches[b] = body(baseRounds);
    const took = Math.max(1000, Number(process.hrtime.bigint() - t0));
    return Math.min(baseRounds * 1000, Math.max(baseRounds, Math.ceil((baseRounds * MIN_REP_NS) / took)));
  });
  for (let r = 0; r < reps; r++) {
    bodies.forEach((body, b) => {
      gc();
      const t0 = now();
      matches[b] = body(rounds[b]);
      times[b].push((now() - t0) / (n * rounds[b]));
    });
  }
  return bodies.map((_, b) => ({ ns: median(times[b]), best: Math.min(...times[b]), matches: matches[b] }));
}

/** One loop shared by every filter: its call site sees them all (megamorphic), as in a library dispatching many filters. */
function perPacketShared(fn: CompiledFilter, views: Uint8Array[], wires: Uint32Array, n: number, rounds: number): number {
  let matches = 0;
  for (let r = 0; r < rounds; r++) for (let i = 0; i < n; i++) if (fn(views[i], wires[i]) !== 0) matches++;
  return matches / rounds;
}

type PerPacketLoop = typeof perPacketShared;

/**
 * A loop of its own for one filter, as in an application that applies its
 * filter at one place: the call site sees one function, which V8 may inline.
 * The source differs per filter (a comment) so V8 does not share its feedback.
 */
function perPacketOwnLoop(index: number): PerPacketLoop {
  return new Function(`// per-packet loop for filter ${index}
return function perPacket(fn, views, wires, n, rounds) {
  let matches = 0;
  for (let r = 0; r < rounds; r++) for (let i = 0; i < n; i++) if (fn(views[i], wires[i]) !== 0) matches++;
  return matches / rounds;
};`)() as PerPacketLoop;
}

function interpreted(prog: Program, views: Uint8Array[], wires: Uint32Array, n: number, rounds: number): number {
  const options = { semantics: SEMANTICS };
  let matches = 0;
  for (let r = 0; r < rounds; r++) for (let i = 0; i < n; i++) if (interpret(prog, views[i], wires[i], options) !== 0) matches++;
  return matches / rounds;
}

/** Packets per iteration of the JavaScript floor's loop: the fastest of 1, 4, 8 and 16 when measured (V8 then shares each array's checks among them). */
const FLOOR_UNROLL = 16;

/**
 * The JavaScript floor, the same work as the C one: per packet, the caplen
 * check and one header byte (the EtherType's high byte) stored as its result.
 * A generated batch function does at least this. Unrolled as the JIT's batch
 * loop is, so that it is the least JavaScript can do, not a slow loop to look
 * good against; it runs in the same round-robin as the engines.
 */
const floorPass = new Function('data', 'offsets', 'caplens', 'n', 'rounds', 'out', `
  for (let r = 0; r < rounds; r++) {
    let i = 0;
    for (; i + ${FLOOR_UNROLL} <= n; i += ${FLOOR_UNROLL}) {
${Array.from({ length: FLOOR_UNROLL }, (_, j) => `      out[i + ${j}] = caplens[i + ${j}] > 12 ? data[offsets[i + ${j}] + 12] : 0;`).join('\n')}
    }
    for (; i < n; i++) out[i] = caplens[i] > 12 ? data[offsets[i] + 12] : 0;
  }
  return 0;`) as (data: Uint8Array, offsets: Uint32Array, caplens: Uint32Array, n: number, rounds: number, out: Uint32Array) => number;

/**
 * The per-packet floor: the least a filter called once per packet does (its
 * length and one header byte), called from a loop of its own as the JIT's
 * per-packet function is, so the loop, the call and the packet's Uint8Array
 * count as they do for the JIT.
 */
const floorPacket = new Function('p', 'w', 'return p.length > 12 ? p[12] : 0;') as CompiledFilter;

/** Packets per iteration of the wasm floor's loop, as the wasm engine's own loop is unrolled. */
const WASM_FLOOR_UNROLL = 4;

/** The wasm floor's function: (n, offsets, caplens, out, data) over an arena's memory, addresses in bytes. */
type WasmFloor = (n: number, offsets: number, caplens: number, out: number, data: number) => number;

/**
 * The wasm floor, the same work as the C and JavaScript ones, written
 * directly as a wasm loop over the arena (unrolled as the engine's loop is):
 * per packet out[i] = caplen > 12 ? data[offset + 12] : 0.
 */
function wasmFloor(arena: PacketArena): WasmFloor {
  const [n, offs, caps, out, data, i, q] = [0, 1, 2, 3, 4, 5, 6];
  const get = (l: number) => [Op.localGet, l];
  const konst = (v: number) => [Op.i32Const, ...sleb(v)];
  const one = (j: number) => [
    ...get(out), ...get(q), Op.i32Add,
    ...get(data), ...get(offs), ...get(q), Op.i32Add, Op.i32Load, 2, ...uleb(4 * j), Op.i32Add, Op.i32Load8u, 0, 12,
    ...konst(0),
    ...get(caps), ...get(q), Op.i32Add, Op.i32Load, 2, ...uleb(4 * j), ...konst(12), Op.i32GtU,
    Op.select, Op.i32Store, 2, ...uleb(4 * j),
  ];
  const loop = (copies: number) => [
    Op.block, 0x40, Op.loop, 0x40,
    ...get(i), ...konst(copies), Op.i32Add, ...get(n), Op.i32GtU, Op.brIf, 1,
    ...get(i), ...konst(2), Op.i32Shl, Op.localSet, q,
    ...Array.from({ length: copies }, (_, j) => one(j)).flat(),
    ...get(i), ...konst(copies), Op.i32Add, Op.localSet, i,
    Op.br, 0, Op.end, Op.end,
  ];
  const body = [...loop(WASM_FLOOR_UNROLL), ...loop(1), ...konst(0)];
  const bytes = encodeModule([{ params: [I32, I32, I32, I32, I32], results: [I32], locals: [I32, I32], body }]);
  const wasm = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: { f: WasmFloor } } } }).WebAssembly;
  return new wasm.Instance(new wasm.Module(bytes), { m: { mem: arena.memory } }).exports.f;
}

function wasmFloorPass(floor: WasmFloor, batch: ArenaBatch, n: number, rounds: number): number {
  for (let r = 0; r < rounds; r++) floor(n, batch.offsets.byteOffset, batch.caplens.byteOffset, batch.out.byteOffset, batch.data.byteOffset);
  return 0;
}

function batchedInArena(fn: CompiledBatchFilter, batch: ArenaBatch, n: number, rounds: number): number {
  let matches = 0;
  for (let r = 0; r < rounds; r++) matches += fn(batch.data, batch.offsets, batch.caplens, batch.wirelens, n, batch.out);
  return matches / rounds;
}

function batched(fn: CompiledBatchFilter, batch: PacketBatch, n: number, rounds: number, out: Uint32Array): number {
  let matches = 0;
  for (let r = 0; r < rounds; r++) matches += fn(batch.data, batch.offsets, batch.caplens, batch.wirelens, n, out);
  return matches / rounds;
}

/** The project's corpus generator (src/craft): Ethernet, 802.1Q, IPv4 with fragments, IPv6, TCP, UDP, ICMP, ARP... */
function loadCorpus(count: number): { batch: PacketBatch; source: string } {
  return { batch: corpusBatch({ linkType: 1, count, seed: 1 }), source: 'src/craft corpusBatch (EN10MB, seed 1)' };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const { batch, source } = loadCorpus(PACKETS);
  const views = Array.from({ length: batch.count }, (_, i) => batch.data.subarray(batch.offsets[i], batch.offsets[i] + batch.caplens[i]));
  const avg = batch.data.length / batch.count;
  console.log(`corpus: ${source}: ${batch.count} packets, ${(batch.data.length / 1e6).toFixed(0)} MB, mean ${avg.toFixed(0)} bytes, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const oracle = await Oracle.start();
  const programs: Program[] = [];
  try {
    for (const expr of FILTERS) programs.push(await oracle.compile(expr, { linkType: 1, optimize: true, snaplen: 262144 }));
  } finally {
    oracle.close();
  }

  // The same packets in a PacketArena, for the wasm engine and the wasm floor.
  let used = 0;
  for (let i = 0; i < batch.count; i++) used += batch.caplens[i];
  const arena = new PacketArena(used + 16 * batch.count + 65536);
  const inArena = arena.copyIn(batch);

  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-jit-bench-'));
  const libpcap = new LibpcapBench(dir, batch);
  try {
    await measureAll(batch, views, programs, libpcap, inArena);
  } finally {
    libpcap.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureAll(batch: PacketBatch, views: Uint8Array[], programs: Program[], libpcap: LibpcapBench, inArena: ArenaBatch): Promise<void> {
  const floorWasm = wasmFloor(inArena.arena);

  const out = new Uint32Array(batch.count);
  const rows: Record<'ns' | 'best', string[]> = { ns: [], best: [] };
  // Rows whose batch target (half of libpcap's time) lies below the JavaScript floor, and by how much at most.
  const belowFloor = { ns: { rows: 0, by: 0 }, best: { rows: 0, by: 0 } };
  // The same against the wasm floor.
  const belowWasmFloor = { ns: { rows: 0, by: 0 }, best: { rows: 0, by: 0 } };
  // Rows where libpcap's own time lies below the JavaScript per-packet floor.
  const belowPacketFloor = { ns: 0, best: 0 };
  const floorLoop = perPacketOwnLoop(-1);
  let disagreements = 0;
  const worst = { ns: { batch: 0, wasm: 0, packet: 0, interp: 0 }, best: { batch: 0, wasm: 0, packet: 0, interp: 0 } };
  // Rows where the wasm batch meets its target (≤ 0.5× libpcap).
  const wasmMet = { ns: 0, best: 0 };
  const compileMs: number[] = [];
  for (const [index, prog] of programs.entries()) {
    const c0 = performance.now();
    const perPacketFn = jit(prog, { semantics: SEMANTICS });
    const batchFn = jitBatch(prog, { semantics: SEMANTICS });
    const wasmFn = wasmBatch(prog, { semantics: SEMANTICS });
    compileMs.push(performance.now() - c0);
    if (wasmEngine(prog, { semantics: SEMANTICS }).engine !== 'wasm') console.error(`${FILTERS[index]}: not wasm (${wasmEngine(prog, { semantics: SEMANTICS }).reason})`);
    const ownLoop = perPacketOwnLoop(index);
    const reference = await libpcap.time(prog);
    for (const mode of ['slice', 'full'] as Mode[]) {
      const n = mode === 'slice' ? SLICE : batch.count;
      const rounds = mode === 'slice' ? ROUNDS : 1;
      const ref = reference[mode];
      const [interp, packet, shared, bat, wasm, floorJs, floorWasmT, floorJsPacket] = timeRoundRobin(REPS, n, rounds, [
        (k) => interpreted(prog, views, batch.wirelens, n, k),
        (k) => ownLoop(perPacketFn, views, batch.wirelens, n, k),
        (k) => perPacketShared(perPacketFn, views, batch.wirelens, n, k),
        (k) => batched(batchFn, batch, n, k, out),
        (k) => batchedInArena(wasmFn, inArena, n, k),
        (k) => floorPass(batch.data, batch.offsets, batch.caplens, n, k, out),
        (k) => wasmFloorPass(floorWasm, inArena, n, k),
        (k) => floorLoop(floorPacket, views, batch.wirelens, n, k),
      ]);
      const counts = [ref.matches, interp.matches, packet.matches, shared.matches, bat.matches, wasm.matches];
      const agree = counts.every((c) => c === counts[0]);
      if (!agree) disagreements++;
      // A '|' inside a cell (tcp-syn|tcp-fin) would end it: Markdown wants it escaped.
      const text = FILTERS[index].length > 48 ? `${FILTERS[index].slice(0, 45)}...` : FILTERS[index];
      const label = FILTERS[index] === '' ? '`""` (accept all)' : `\`${text.replace(/\|/g, '\\|')}\``;
      for (const stat of ['ns', 'best'] as const) {
        const ratio = (x: Timing) => x[stat] / ref[stat];
        const floorC = stat === 'ns' ? ref.floor : ref.floorBest;
        const gap = floorJs[stat] - ref[stat] / 2;
        if (gap > 0) {
          belowFloor[stat].rows++;
          belowFloor[stat].by = Math.max(belowFloor[stat].by, gap);
        }
        const wasmGap = floorWasmT[stat] - ref[stat] / 2;
        if (wasmGap > 0) {
          belowWasmFloor[stat].rows++;
          belowWasmFloor[stat].by = Math.max(belowWasmFloor[stat].by, wasmGap);
        }
        if (ratio(wasm) <= 0.5) wasmMet[stat]++;
        if (floorJsPacket[stat] > ref[stat]) belowPacketFloor[stat]++;
        worst[stat].batch = Math.max(worst[stat].batch, ratio(bat));
        worst[stat].wasm = Math.max(worst[stat].wasm, ratio(wasm));
        worst[stat].packet = Math.max(worst[stat].packet, ratio(packet));
        worst[stat].interp = Math.max(worst[stat].interp, ratio(interp));
        const cell = (x: Timing) => `${x[stat].toFixed(1)} (${ratio(x).toFixed(2)}×)`;
        const floorCell = `${floorC.toFixed(1)} / ${floorJs[stat].toFixed(1)} (${ratio(floorJs).toFixed(2)}×) / ${floorWasmT[stat].toFixed(1)} (${ratio(floorWasmT).toFixed(2)}×) / ${floorJsPacket[stat].toFixed(1)} (${ratio(floorJsPacket).toFixed(2)}×)`;
        rows[stat].push(`| ${label} | ${mode} | ${ref[stat].toFixed(1)} | ${floorCell} | ${cell(interp)} | ${cell(packet)} | ${cell(shared)} | ${cell(bat)} | ${cell(wasm)} | ${agree ? counts[0] : `DISAGREE ${counts.join('/')}`} |`);
      }
      console.error(rows.ns[rows.ns.length - 1]);
    }
  }
  for (const stat of ['ns', 'best'] as const) {
    const what = `${stat === 'ns' ? `median of ${REPS} repetitions` : `best of ${REPS} repetitions (least disturbed by other load)`}, ${CLOCK === 'cpu' ? 'CPU time' : 'wall time'}`;
    console.log(`\nns/packet, ${what}; ratio to libpcap's bpf_filter() (-O2) in parentheses. slice = first ${SLICE} packets, filtered ${ROUNDS}+ times per repetition; full = all ${batch.count}, once or more (repetitions last ≥ ${MIN_REP_NS / 1e6} ms). Semantics: ${SEMANTICS}.\n`);
    console.log('Floor: per packet, the caplen check and one header byte read and stored: C -O2 / JavaScript batch loop / wasm batch loop / JavaScript function called per packet (ratios to libpcap). A filter that reads the packet does at least this much work.\n');
    console.log('| filter | packets | libpcap | floor C / JS batch / wasm batch / JS per packet | interpreter | JIT per packet | JIT per packet, shared call site | JIT batch | wasm batch | matches |');
    console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const row of rows[stat]) console.log(row);
    const w = worst[stat];
    console.log(`\nworst ratios (${stat === 'ns' ? 'median' : 'best'}): batch ${w.batch.toFixed(2)}, wasm batch ${w.wasm.toFixed(2)} (target ≤ 0.5; wasm met on ${wasmMet[stat]} of ${rows[stat].length} rows), per packet ${w.packet.toFixed(2)} (target ≤ 1.0), interpreter ${w.interp.toFixed(2)} (target ≤ 3)`);
    const b = belowFloor[stat];
    console.log(`rows where 0.5× libpcap lies below the JavaScript batch floor: ${b.rows} of ${rows[stat].length}${b.rows ? ` (by up to ${b.by.toFixed(1)} ns/packet)` : ''}`);
    const bw = belowWasmFloor[stat];
    console.log(`rows where 0.5× libpcap lies below the wasm batch floor: ${bw.rows} of ${rows[stat].length}${bw.rows ? ` (by up to ${bw.by.toFixed(1)} ns/packet)` : ''}`);
    console.log(`rows where libpcap itself lies below the JavaScript per-packet floor: ${belowPacketFloor[stat]} of ${rows[stat].length}`);
  }
  console.log(`Compile time per filter (JIT per packet and batch, and the wasm module, cold): median ${median(compileMs).toFixed(2)} ms, max ${Math.max(...compileMs).toFixed(2)} ms`);
  if (disagreements > 0) {
    console.log(`${disagreements} rows where match counts disagree`);
    process.exitCode = 1;
  }
}

/**
 * Compile time of big Programs: random valid Programs of 4096 instructions
 * (the machine's generator) and libpcap's Program for a 680-host filter;
 * each compiled once, cold (never seen by the cache).
 */
async function measureCompileTimes(): Promise<void> {
  const rng = new Rng(0xb16);
  const times: number[] = [];
  const wasmTimes: number[] = [];
  let layouts = '';
  for (let n = 0; n < 9; n++) {
    let body: Program;
    do body = randomProgram(rng, { maxLength: 4096 }); while (body.length < 3000);
    // Arithmetic in front brings it to exactly 4096 without changing what follows.
    const prog = program([...Array.from({ length: 4096 - body.length }, (_, i) => insn(0x04, 0, 0, i)), ...body]);
    const t0 = performance.now();
    jit(prog, { semantics: 'linux' });
    times.push(performance.now() - t0);
    layouts += jitSource(prog).includes('switch (pc)') ? 'd' : 'b';
    // The wasm engine, in BSD semantics (where the generator's absurd offsets are plain out-of-packet loads, not Linux's negative ones).
    const w0 = performance.now();
    if (wasmEngine(prog, { semantics: 'bsd' }).engine === 'wasm') wasmTimes.push(performance.now() - w0);
  }
  const oracle = await Oracle.start();
  let hosts: Program;
  try {
    hosts = await oracle.compile(Array.from({ length: 680 }, (_, i) => `host 10.${i >> 8}.${i & 255}.1`).join(' or '), { linkType: 1 });
  } finally {
    oracle.close();
  }
  const h0 = performance.now();
  jit(hosts, { semantics: 'bsd' });
  const hostMs = performance.now() - h0;
  console.log(`\nCompile time, 4096-instruction random Programs (Linux, ${times.length} Programs, layouts ${layouts}: b = labelled blocks, d = dispatch loop): median ${median(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms (target < 50 ms)`);
  if (wasmTimes.length) console.log(`Compile time of the same Programs to wasm (BSD; code generation and WebAssembly.Module, ${wasmTimes.length} Programs): median ${median(wasmTimes).toFixed(1)} ms, max ${Math.max(...wasmTimes).toFixed(1)} ms`);
  console.log(`Compile time, libpcap's ${hosts.length}-instruction Program for a 680-host \`host A or host B or ...\`: ${hostMs.toFixed(1)} ms`);
}

await main();
await measureCompileTimes();
