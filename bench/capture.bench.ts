/**
 * Live capture speed: the highest rate of small UDP packets that a capture
 * takes with zero drops over a few seconds, bpfkit beside tcpdump, on the same
 * veth pair and the same flood, in the same run. Needs root (namespaces);
 * traffic stays inside the two namespaces it creates.
 *
 * Run: npx tsc -p tsconfig.json && node --expose-gc dist/bench/capture.bench.js
 * Environment: BENCH_SECONDS (per trial, default 2), BENCH_RATES (comma list of pps).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { openLive } from '../src/capture/live.js';
import { geteuid } from '../src/capture/syscalls.js';
import type { Program } from '../src/bpf/program.js';
import { Oracle } from '../test/oracle/oracle.js';
import { createVethPair, finished, floodBinary, inNetns, spawnIn, type VethPair } from '../test/capture/netns.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const RATES = (process.env.BENCH_RATES ?? '25000,50000,100000,150000,200000,300000').split(',').map(Number);
const PORT = 9300;

interface Trial {
  /** Datagrams the flood sent. */
  sent: number;
  captured: number;
  dropped: number;
  /** CPU time the capturing process used, in microseconds. */
  cpuMicros: number;
}

type Mode = 'records' | 'batches';

async function trialBpfkit(pair: VethPair, filter: Program, rate: number, mode: Mode): Promise<Trial> {
  const live = await inNetns(pair.nsB, () => openLive(pair.ifB, { filter, bufferSize: 2 * 1024 * 1024 }));
  const flood = finished(spawnIn(pair.nsA, floodBinary(), [pair.ipB, String(PORT), String(rate), String(SECONDS), '18', '0']));
  let captured = 0;
  let idle: NodeJS.Timeout | undefined;
  const cpu0 = process.cpuUsage();
  const consume = mode === 'records'
    ? (async () => { for await (const p of live) if (p.caplen > 0) captured++; })()
    : (async () => { for await (const b of live.batches()) captured += b.count; })();
  const sent = Number(await flood);
  // Let the last block time out of the ring, then stop.
  await new Promise((r) => { idle = setTimeout(r, 400); });
  clearTimeout(idle);
  const stats = live.stats();
  await live.close();
  await consume;
  const cpu = process.cpuUsage(cpu0);
  return { sent, captured, dropped: stats.dropped, cpuMicros: cpu.user + cpu.system };
}

async function trialTcpdump(pair: VethPair, rate: number): Promise<Trial> {
  const dump = spawn('ip', ['netns', 'exec', pair.nsB, 'tcpdump', '-i', pair.ifB, '-B', '2048', '-w', '/dev/null', `udp dst port ${PORT}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  dump.stderr.on('data', (d) => { err += d; });
  // tcpdump says "listening on" once its capture is open.
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 5000);
    dump.stderr.on('data', () => { if (/listening on/.test(err)) { clearTimeout(t); resolve(); } });
  });
  const sent = Number(await finished(spawnIn(pair.nsA, floodBinary(), [pair.ipB, String(PORT), String(rate), String(SECONDS), '18', '0'])));
  await new Promise((r) => setTimeout(r, 1400)); // tcpdump's ring blocks time out after 1 s
  // `ip netns exec` execs tcpdump in place, so the pid is tcpdump's; utime+stime in clock ticks (100 Hz).
  const stat = readFileSync(`/proc/${dump.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const cpuMicros = (Number(stat[11]) + Number(stat[12])) * 10000;
  const exited = new Promise((r) => dump.on('exit', r));
  dump.kill('SIGINT');
  await exited;
  const num = (re: RegExp) => Number(re.exec(err)?.[1] ?? NaN);
  return { sent, captured: num(/(\d+) packets? captured/), dropped: num(/(\d+) packets? dropped by kernel/), cpuMicros };
}

function zeroLoss(t: Trial): boolean {
  return t.dropped === 0 && t.captured === t.sent;
}

async function main(): Promise<void> {
  if (geteuid() !== 0) {
    console.log('capture bench skipped: needs root (creates network namespaces and a veth pair)');
    return;
  }
  const pair = createVethPair('b');
  const oracle = await Oracle.start();
  try {
    const filter = await oracle.compile(`udp dst port ${PORT}`);
    const rows: string[] = [];
    const modes: Mode[] = ['records', 'batches'];
    const best = { records: 0, batches: 0, tcpdump: 0 };
    const cpu = { records: 0, batches: 0, tcpdump: 0 };
    const packets = { records: 0, batches: 0, tcpdump: 0 };
    let senderMax = 0;
    for (const rate of RATES) {
      const cells: string[] = [];
      const rates: number[] = [];
      let anyZeroLoss = false, reached = 0;
      const trials: Array<[keyof typeof best, Trial]> = [];
      for (const mode of modes) trials.push([mode, await trialBpfkit(pair, filter, rate, mode)]);
      trials.push(['tcpdump', await trialTcpdump(pair, rate)]);
      for (const [who, t] of trials) {
        const pps = Math.round(t.sent / SECONDS);
        reached = Math.max(reached, pps);
        rates.push(pps);
        cpu[who] += t.cpuMicros;
        packets[who] += t.captured;
        if (zeroLoss(t)) {
          best[who] = Math.max(best[who], pps);
          anyZeroLoss = true;
        }
        cells.push(`${t.captured}/${t.sent} (drop ${t.dropped})`);
      }
      senderMax = Math.max(senderMax, reached);
      rows.push(`| ${rate} | ${rates.join(' / ')} | ${cells.join(' | ')} |`);
      // Past every tool's limit, or past what the sender can do, higher rates say nothing new.
      if (!anyZeroLoss || reached < rate * 0.8) break;
    }
    console.log(`Small UDP datagrams (18-byte payload, 60-byte frames) over a veth pair, ${SECONDS} s per trial, 2 MiB kernel buffer both.\n`);
    console.log('| target pps | sent pps (records / batches / tcpdump runs) | bpfkit records: captured/sent | bpfkit batches: captured/sent | tcpdump: captured/sent |');
    console.log('|---:|---:|---:|---:|---:|');
    for (const r of rows) console.log(r);
    console.log('');
    console.log('| measure | bpfkit records | bpfkit batches | tcpdump | ratio (best bpfkit / tcpdump) |');
    console.log('|---|---:|---:|---:|---:|');
    const ours = Math.max(best.records, best.batches);
    const ratio = best.tcpdump > 0 ? (ours / best.tcpdump).toFixed(2) : 'n/a';
    console.log(`| highest zero-loss rate (pps) | ${best.records} | ${best.batches} | ${best.tcpdump} | ${ratio}× |`);
    const per = (who: keyof typeof best) => cpu[who] / Math.max(1, packets[who]);
    const bestPer = Math.min(per('records'), per('batches'));
    console.log(`| CPU per captured packet (µs, whole process) | ${per('records').toFixed(2)} | ${per('batches').toFixed(2)} | ${per('tcpdump').toFixed(2)} | ${(per('tcpdump') / bestPer).toFixed(2)}× |`);
    console.log(`\nThe sender reached at most ${senderMax} pps; a zero-loss rate equal to it means the capture was not the limit.`);
  } finally {
    oracle.close();
    pair.remove();
  }
}

await main();
