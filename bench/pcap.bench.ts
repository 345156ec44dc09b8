/**
 * Capture files against tcpdump, same machine, same file, same run:
 *   read + filter `tcp port 80` + write the matches  vs  tcpdump -r IN -w OUT 'tcp port 80'
 *   read + write everything to /dev/null           vs  tcpdump -r IN -w /dev/null
 * each through the library (filterCapture, in bench/pcap-pipeline.ts) and through bpfdump.
 * Both sides run as child processes (start-up included) under /usr/bin/time,
 * which reports their peak resident memory. Prints a markdown table.
 *
 * Run: npx tsc -p tsconfig.json && node --expose-gc dist/bench/pcap.bench.js
 * (BPFKIT_BENCH_PACKETS=N for another size; default 1,000,000).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ethernet } from '../src/craft/ethernet.js';
import { icmp } from '../src/craft/icmp.js';
import { ipv4 } from '../src/craft/ipv4.js';
import { ipv6 } from '../src/craft/ipv6.js';
import { tcp } from '../src/craft/tcp.js';
import { udp } from '../src/craft/udp.js';
import { createCaptureWriter } from '../src/pcap/write-capture.js';

const PACKETS = Number(process.env.BPFKIT_BENCH_PACKETS ?? 1_000_000);
const RUNS = Number(process.env.BPFKIT_BENCH_RUNS ?? 5);
const here = dirname(fileURLToPath(import.meta.url));

/** A few hundred distinct frames in a realistic mix: a quarter web traffic on port 80, the rest HTTPS, DNS, ICMP, IPv6. */
function templates(): Uint8Array[] {
  const frames: Uint8Array[] = [];
  const eth = (d: Parameters<typeof ethernet>[1]) => ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', pad: true }, d);
  let seed = 12345;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
  for (let i = 0; i < 400; i++) {
    const size = [0, 0, 40, 200, 536, 1000, 1460][rand(7)];
    const payload = new Uint8Array(size).fill(0x41 + (i % 26));
    const a = `10.${rand(4)}.${rand(250)}.${1 + rand(250)}`;
    const b = `192.0.2.${1 + rand(250)}`;
    const kind = i % 8;
    if (kind < 2) frames.push(eth(ipv4({ src: a, dst: b }, tcp({ sport: 30000 + rand(30000), dport: 80, flags: 'P.' }, payload))));
    else if (kind === 2) frames.push(eth(ipv4({ src: b, dst: a }, tcp({ sport: 80, dport: 30000 + rand(30000), flags: '.' }, payload))));
    else if (kind < 5) frames.push(eth(ipv4({ src: a, dst: b }, tcp({ sport: 30000 + rand(30000), dport: 443, flags: 'P.' }, payload))));
    else if (kind === 5) frames.push(eth(ipv4({ src: a, dst: b }, udp({ sport: 30000 + rand(30000), dport: 53 }, payload.subarray(0, 60)))));
    else if (kind === 6) frames.push(eth(ipv4({ src: a, dst: b }, icmp({ type: 8, id: 1, seq: i }, payload.subarray(0, 56)))));
    else frames.push(eth(ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }, tcp({ sport: 40000, dport: i % 16 === 7 ? 80 : 22, flags: '.' }, payload))));
  }
  return frames;
}

/**
 * Writes the benchmark's input: `packets` frames cycling through the templates, 100 µs apart.
 *
 * @example
 * await makeBenchInput('/tmp/in.pcap', 1_000_000);
 */
export async function makeBenchInput(path: string, packets = PACKETS): Promise<void> {
  const frames = templates();
  const w = createCaptureWriter(path, { format: 'pcap', linkType: 1, flushOnExit: false });
  for (let i = 0; i < packets; i++) {
    const data = frames[(i * 7919) % frames.length];
    const pending = w.write({ data, caplen: data.length, len: data.length, timestamp: { sec: 1700000000 + Math.floor(i / 10000), nsec: (i % 10000) * 100000 }, linkType: 1, interface: 0 });
    if (pending) await pending;
  }
  await w.close();
}

interface Timing { seconds: number; cpu: number; peakKiB: number; stdout: string }

function timed(command: string, args: string[]): Timing {
  // Wall time from our own clock: /usr/bin/time's %e has 10 ms steps, 6 % of a 0.17 s run.
  // Spawning /usr/bin/time costs both sides the same.
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', command, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr}`);
  const [, user, sys, peak] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds: wall, cpu: user + sys, peakKiB: peak, stdout: r.stdout };
}

function median(runs: Timing[]): Timing {
  return [...runs].sort((x, y) => x.seconds - y.seconds)[Math.floor(runs.length / 2)];
}

/** Times two commands in alternation (so a change of machine load hits both alike), after a warm-up of each. */
function compare(a: [string, string[]], b: [string, string[]]): [Timing, Timing] {
  timed(...a);
  timed(...b);
  const ra: Timing[] = [];
  const rb: Timing[] = [];
  for (let i = 0; i < RUNS; i++) { ra.push(timed(...a)); rb.push(timed(...b)); }
  return [median(ra), median(rb)];
}

/** Runs both cases and prints the table. */
async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-pcap-bench-'));
  try {
    const input = join(dir, 'in.pcap');
    await makeBenchInput(input);
    const size = statSync(input).size;
    const child = join(here, 'pcap-pipeline.js');
    const theirsOut = join(dir, 'tcpdump.pcap');
    const oursOut = join(dir, 'ours.pcap');

    const [tFilter, oFilter] = compare(['tcpdump', ['-r', input, '-w', theirsOut, 'tcp port 80']], [process.execPath, [child, input, oursOut, 'tcp port 80']]);
    const same = Buffer.compare(readFileSync(theirsOut), readFileSync(oursOut)) === 0;
    const [tAll, oAll] = compare(['tcpdump', ['-r', input, '-w', '/dev/null']], [process.execPath, [child, input, '/dev/null']]);
    const counts = JSON.parse(oFilter.stdout) as { read: number; accepted: number; written: number };
    // The same jobs through the command line, as a user would type them.
    const bpfdump = join(here, '..', '..', 'bin', 'bpfdump.js');
    const [tFilterCli, oFilterCli] = compare(['tcpdump', ['-r', input, '-w', theirsOut, 'tcp port 80']], [process.execPath, [bpfdump, '-r', input, '-w', oursOut, 'tcp port 80']]);
    const sameCli = Buffer.compare(readFileSync(theirsOut), readFileSync(oursOut)) === 0;
    const [tAllCli, oAllCli] = compare(['tcpdump', ['-r', input, '-w', '/dev/null']], [process.execPath, [bpfdump, '-r', input, '-w', '/dev/null']]);

    const mb = size / 1e6;
    const row = (name: string, t: Timing, o: Timing) =>
      `| ${name} | ${t.seconds.toFixed(3)} s (${(mb / t.seconds).toFixed(0)} MB/s) | ${o.seconds.toFixed(3)} s (${(mb / o.seconds).toFixed(0)} MB/s) | **${(t.seconds / o.seconds).toFixed(2)}×** | ${t.cpu.toFixed(2)} s / ${o.cpu.toFixed(2)} s | ${(t.peakKiB / 1024).toFixed(1)} MiB | ${(o.peakKiB / 1024).toFixed(1)} MiB |`;
    console.log(`Input: ${PACKETS.toLocaleString('en')} packets, ${mb.toFixed(0)} MB pcap; median of ${RUNS} alternating runs (by wall time) after a warm-up; both sides are child processes (start-up included); load average ${loadavg()[0].toFixed(1)} at the start.\n`);
    console.log('| case | tcpdump (wall) | bpfkit (wall) | throughput ratio (bpfkit / tcpdump) | CPU user+sys tcpdump / bpfkit | tcpdump peak RSS | bpfkit peak RSS |');
    console.log('|---|---|---|---|---|---|---|');
    console.log(row("read + filter `tcp port 80` + write (filterCapture)", tFilter, oFilter));
    console.log(row('read + write all to /dev/null (filterCapture)', tAll, oAll));
    console.log(row("read + filter `tcp port 80` + write (bpfdump -r -w)", tFilterCli, oFilterCli));
    console.log(row('read + write all to /dev/null (bpfdump -r -w)', tAllCli, oAllCli));
    console.log(`\n${counts.read} read, ${counts.accepted} accepted, ${counts.written} written; output ${same && sameCli ? 'byte-identical to' : 'DIFFERENT from'} tcpdump's (filterCapture and bpfdump); the filter compiled by bpfkit and run by its batch engine (WebAssembly, over the reader's arena).`);
    if (!same || !sameCli) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
