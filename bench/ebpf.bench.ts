/**
 * The eBPF benchmark: for the benchmark filters, ns/packet of the translated
 * program run by the kernel (BPF_PROG_TEST_RUN, as a socket filter and at
 * XDP) beside bpfkit's JIT and libpcap's bpf_filter() (the oracle, C -O2),
 * over the same packets in the same run. Kernel figures are the kernel's own
 * per-run average over `repeat` runs of each packet (its test loop included),
 * averaged over the sampled packets; JIT and libpcap loop over the same
 * sample. Medians of several repetitions. Match counts show all agree.
 *
 *   node --expose-gc dist/bench/ebpf.bench.js
 *   BPFKIT_BENCH_SAMPLE=200 BPFKIT_BENCH_REPS=5 node --expose-gc dist/bench/ebpf.bench.js
 *
 * Needs root for the kernel columns (they print "-" otherwise).
 */
import { corpus } from '../src/craft/corpus.js';
import { compile } from '../src/filter/index.js';
import { jit } from '../src/bpf/jit.js';
import type { Program } from '../src/bpf/program.js';
import { geteuid } from '../src/capture/syscalls.js';
import { translate } from '../src/ebpf/translate.js';
import { loadProgram, runSocketFilter, testRun, type LoadedProgram } from '../src/ebpf/loader.js';
import { XDP_DROP, XDP_PASS } from '../src/ebpf/opcodes.js';
import { Oracle } from '../test/oracle/oracle.js';

const FILTERS = [
  '', 'ip', 'tcp', 'host 10.0.0.1', 'tcp port 80', 'udp and dst port 53', 'net 192.168.0.0/16 and not port 22',
  'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0', 'ip6 and tcp', 'vlan and tcp port 443', '(tcp port 80 or tcp port 443) and host 10.1.2.3',
  Array.from({ length: 20 }, (_, i) => `host 10.0.0.${i * 2 + 1}`).join(' or '), 'portrange 1000-2000',
];
const SAMPLE = Number(process.env.BPFKIT_BENCH_SAMPLE ?? 200);
// XDP's test run switches a static key around every repeated run (~15 ms of RCU waiting per call), so it sees fewer packets.
const XDP_SAMPLE = Math.min(SAMPLE, Number(process.env.BPFKIT_BENCH_XDP_SAMPLE ?? 40));
const REPEAT = Number(process.env.BPFKIT_BENCH_REPEAT ?? 2000);
const REPS = Number(process.env.BPFKIT_BENCH_REPS ?? 5);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

interface Frame { data: Uint8Array; wireLength: number }

/** Kernel ns/packet: the kernel's average per run of each packet, averaged over packets; and how many matched. */
function kernelNs(loaded: LoadedProgram, frames: readonly Frame[]): { ns: number; matches: number } {
  let total = 0, matches = 0;
  for (const f of frames) {
    const r = loaded.type === 'socket' ? runSocketFilter(loaded, f.data, { repeat: REPEAT }) : testRun(loaded, f.data, { repeat: REPEAT });
    total += r.duration;
    if (loaded.type === 'socket' ? r.retval !== 0 : r.retval === XDP_DROP) matches++;
  }
  return { ns: total / frames.length, matches };
}

function jitNs(prog: Program, frames: readonly Frame[]): { ns: number; matches: number } {
  const match = jit(prog, { semantics: 'linux' });
  let matches = 0;
  for (const f of frames) if (match(f.data, f.data.length) !== 0) matches++;
  // Warm up until V8 has optimized the generated function.
  for (const end = Date.now() + 50; Date.now() < end;) for (const f of frames) match(f.data, f.data.length);
  const runs: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    gc();
    let n = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0n;
    while (elapsed < 20_000_000n) {
      for (let i = 0; i < frames.length; i++) match(frames[i].data, frames[i].data.length);
      n += frames.length;
      elapsed = process.hrtime.bigint() - start;
    }
    runs.push(Number(elapsed) / n);
  }
  return { ns: median(runs), matches };
}

async function libpcapNs(oracle: Oracle, prog: Program, frames: readonly Frame[]): Promise<{ ns: number; matches: number }> {
  const packets = frames.map((f) => ({ data: f.data, wireLength: f.data.length }));
  const reps = Math.max(1, Math.round(200_000 / frames.length));
  const runs: number[] = [];
  let matches = 0;
  for (let rep = 0; rep < REPS; rep++) {
    const t = await oracle.time(prog, packets, reps);
    runs.push(t.nanoseconds / (packets.length * reps));
    matches = t.matches / reps;
  }
  return { ns: median(runs), matches };
}

async function main(): Promise<void> {
  const root = geteuid() === 0;
  // The XDP and socket test runs need a whole Ethernet header and an XDP frame within one page.
  const frames: Frame[] = corpus({ linkType: 1, count: SAMPLE * 3, seed: 1, describe: false })
    .filter((p) => p.data.length >= 14 && p.data.length <= 3500)
    .slice(0, SAMPLE)
    .map((p) => ({ data: p.data, wireLength: p.data.length }));
  const xdpFrames = frames.slice(0, XDP_SAMPLE);
  const oracle = await Oracle.start();
  console.log(`eBPF: ${frames.length} corpus packets (${xdpFrames.length} for XDP), kernel repeat ${REPEAT}, medians of ${REPS}${root ? '' : '; not root: no kernel columns'}\n`);
  console.log('| filter | kernel socket ns/pkt | kernel XDP ns/pkt | bpfkit JIT ns/pkt | libpcap ns/pkt | socket / libpcap | XDP / libpcap | JIT / libpcap | matches socket/JIT/libpcap · XDP/JIT |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---|');
  const programs = FILTERS.map((expr) => compile(expr, { linkType: 'EN10MB' }));
  // One untimed pass over every filter first, so the timing loop itself is optimized before the first row.
  for (const prog of programs) jitNs(prog, frames);
  try {
    for (const [index, expr] of FILTERS.entries()) {
      const prog = programs[index];
      const pcap = await libpcapNs(oracle, prog, frames);
      const ours = jitNs(prog, frames);
      const oursXdp = jitNs(prog, xdpFrames);
      let sock = { ns: NaN, matches: NaN }, xdp = { ns: NaN, matches: NaN };
      if (root) {
        const s = loadProgram(translate(prog, { target: 'socket' }), 'socket');
        const x = loadProgram(translate(prog, { target: 'xdp', onMatch: XDP_DROP, onNoMatch: XDP_PASS }), 'xdp');
        try {
          sock = { ns: median(Array.from({ length: REPS }, () => kernelNs(s, frames).ns)), matches: kernelNs(s, frames).matches };
          const xs = Array.from({ length: Math.min(REPS, 3) }, () => kernelNs(x, xdpFrames));
          xdp = { ns: median(xs.map((r) => r.ns)), matches: xs[0].matches };
        } finally {
          s.close();
          x.close();
        }
      }
      const f = (n: number) => (Number.isNaN(n) ? '-' : n.toFixed(1));
      const ratio = (a: number) => (Number.isNaN(a) ? '-' : (a / pcap.ns).toFixed(2));
      const name = expr.length > 40 ? `${expr.slice(0, 37)}...` : expr || '(accept all)';
      console.log(`| \`${name}\` | ${f(sock.ns)} | ${f(xdp.ns)} | ${f(ours.ns)} | ${f(pcap.ns)} | ${ratio(sock.ns)} | ${ratio(xdp.ns)} | ${ratio(ours.ns)} | ${sock.matches}/${ours.matches}/${pcap.matches} · ${xdp.matches}/${oursXdp.matches} |`);
    }
  } finally {
    oracle.close();
  }
}

await main();
