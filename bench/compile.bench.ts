/**
 * Compile time: bpfkit's compile() beside libpcap's pcap_compile() (timed in
 * C inside the oracle process) on the same expressions in the same run, with
 * and without the optimizer flag. Prints a markdown table with the ratio.
 *
 * Run: npx tsc -p tsconfig.json && node --expose-gc dist/bench/compile.bench.js
 * Environment: BENCH_REPS (compilations per expression, default 2000).
 */
import { compile } from '../src/filter/index.js';
import { Oracle } from '../test/oracle/oracle.js';

const REPS = Number(process.env.BENCH_REPS ?? 2000);

const EXPRESSIONS: ReadonlyArray<readonly [string, number]> = [
  ['ip', 1],
  ['tcp port 80', 1],
  ['host 10.0.0.1 and not port 22', 1],
  ['tcp[tcpflags] & (tcp-syn|tcp-fin) != 0 and not src and dst net 192.168.0.0/16', 1],
  ['vlan 100 and (udp port 53 or tcp portrange 8000-8080)', 1],
  ['ip6 and icmp6[icmp6type] = icmp6-echo', 1],
  ['tcp port 80 and (((ip[2:2] - ((ip[0]&0xf)<<2)) - ((tcp[12]&0xf0)>>2)) != 0)', 1],
  ['port 53', 113],
];

const TRIALS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median over TRIALS runs of the nanoseconds per compile() (the machine is shared: the median resists noise). */
function timeOurs(expression: string, dlt: number, optimize: boolean): number {
  const per = Math.max(1, Math.floor(REPS / TRIALS));
  const trials: number[] = [];
  for (let t = 0; t < TRIALS; t++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < per; i++) compile(expression, { linkType: dlt, optimize });
    trials.push(Number(process.hrtime.bigint() - t0) / per);
  }
  return median(trials);
}

async function timeTheirs(oracle: Oracle, expression: string, dlt: number, optimize: boolean): Promise<number> {
  const per = Math.max(1, Math.floor(REPS / TRIALS));
  const trials: number[] = [];
  for (let t = 0; t < TRIALS; t++) trials.push((await oracle.timeCompile(expression, { linkType: dlt, optimize, reps: per })) / per);
  return median(trials);
}

// Warm up V8 on every expression and mode before measuring anything.
for (let i = 0; i < 300; i++) {
  for (const [expression, dlt] of EXPRESSIONS) {
    compile(expression, { linkType: dlt, optimize: false });
    if (i % 10 === 0) compile(expression, { linkType: dlt, optimize: true });
  }
}

const oracle = await Oracle.start();
try {
  const rows: string[] = [];
  for (const optimize of [false, true]) {
    for (const [expression, dlt] of EXPRESSIONS) {
      const ours = timeOurs(expression, dlt, optimize);
      await oracle.timeCompile(expression, { linkType: dlt, optimize, reps: 50 });
      const theirs = await timeTheirs(oracle, expression, dlt, optimize);
      rows.push(`| \`${expression}\` | ${dlt} | ${optimize ? 'yes' : 'no'} | ${(ours / 1000).toFixed(1)} µs | ${(theirs / 1000).toFixed(1)} µs | ${(ours / theirs).toFixed(2)} |`);
    }
  }
  console.log(`Compile time per expression (median of ${TRIALS} trials of ${Math.floor(REPS / TRIALS)} compilations), bpfkit compile() beside libpcap pcap_compile() in C, same run; "optimize" runs each one's own optimizer.\n`);
  console.log('| expression | DLT | optimize | bpfkit compile() | libpcap pcap_compile() | ratio (bpfkit / libpcap) |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
} finally {
  oracle.close();
}
