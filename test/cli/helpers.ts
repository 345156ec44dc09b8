/**
 * Test helpers for the command line: run bpfdump and tcpdump side by side,
 * write captures, and record real traffic between two network namespaces.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCapture } from '../../src/pcap/index.js';
import { createVethPair, kernelTestsUnavailable } from '../netns.js';
import type { PacketRecord } from '../../src/pcap/record.js';

/** The command's entry script (it loads the build in dist/). */
export const BIN = new URL('../../../bin/bpfdump.js', import.meta.url).pathname;
/** The repository root. */
export const ROOT = new URL('../../../', import.meta.url).pathname;

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

const ENV = { ...process.env, TZ: 'UTC' };

/**
 * Runs bpfdump with arguments; TZ is UTC so times compare with tcpdump's.
 *
 * @example
 * const r = bpfdump(['-nr', 'in.pcap']); r.status // 0
 */
export function bpfdump(args: string[], input?: string | Uint8Array): RunResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: ENV, input, maxBuffer: 1 << 28, timeout: 60000 });
  return { status: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/**
 * Runs the reference tcpdump with arguments.
 *
 * @example
 * tcpdump(['-nr', 'in.pcap']).stdout
 */
export function tcpdump(args: string[]): RunResult {
  const r = spawnSync('tcpdump', args, { env: ENV, maxBuffer: 1 << 28, timeout: 60000 });
  return { status: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/**
 * A fresh temporary directory.
 *
 * @example
 * const dir = tempDir('bpfdump-test-');
 */
export function tempDir(prefix = 'bpfdump-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Writes packets (bytes, optional wire length) to a pcap file, one second apart.
 *
 * @example
 * await writePackets('/tmp/x.pcap', 1, [frame]);
 */
export async function writePackets(path: string, dlt: number, packets: ReadonlyArray<{ data: Uint8Array; wireLength?: number }>): Promise<void> {
  const records: PacketRecord[] = packets.map((p, i) => ({
    data: p.data, caplen: p.data.length, len: p.wireLength ?? p.data.length,
    timestamp: { sec: 1_700_000_000 + i, nsec: (i * 1237) % 1_000_000 * 1000 }, linkType: dlt, interface: 0,
  }));
  await writeCapture(path, records, { linkType: dlt });
}

/**
 * The first lines where two outputs differ, for assertion messages.
 *
 * @example
 * firstDifferences('a\nb', 'a\nc') // '#1\n  ours:   b\n  tcpdump: c'
 */
export function firstDifferences(ours: string, theirs: string, max = 5): string {
  const a = ours.split('\n'), b = theirs.split('\n');
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length) && out.length < max; i++) {
    if (a[i] !== b[i]) out.push(`#${i}\n  ours:    ${JSON.stringify(a[i])}\n  tcpdump: ${JSON.stringify(b[i])}`);
  }
  return out.join('\n');
}

/** Why the namespace tests cannot run, or null. */
export function netnsUnavailable(): string | null {
  return kernelTestsUnavailable() ?? null;
}

const SERVER = `
import net from 'node:net'; import dgram from 'node:dgram';
const http = (s) => s.on('data', () => { s.end('HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\nhello world\\n'); });
net.createServer(http).listen(80, '0.0.0.0');
net.createServer(http).listen({ port: 80, host: '::', ipv6Only: true });
const u = dgram.createSocket('udp4');
u.on('message', (m, r) => {
  const q = m.subarray(12);
  const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 2]);
  u.send(Buffer.concat([m.subarray(0, 2), Buffer.from([0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]), q, answer]), r.port, r.address);
});
u.bind(53, () => process.stdout.write('ready\\n'));
setTimeout(() => process.exit(0), 15000);
`;

const CLIENT = `
import net from 'node:net'; import dgram from 'node:dgram';
const [peer4, peer6] = process.argv.slice(2);
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
const name = (n) => Buffer.concat([...n.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
const u = dgram.createSocket('udp4');
await new Promise((r) => u.bind(0, r));
for (const [id, n, type] of [[0x1234, 'example.com', 1], [0x2345, 'www.test.org', 28]]) {
  const q = Buffer.concat([Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), name(n), Buffer.from([0, type, 0, 1])]);
  await new Promise((r) => { u.once('message', r); u.send(q, 53, peer4); });
}
u.send(Buffer.from('hello'), 9999, peer4);
await pause(100);
u.close();
for (const host of [peer4, peer6]) {
  await new Promise((resolve, reject) => {
    const c = net.connect(80, host, () => c.write('GET / HTTP/1.0\\r\\nHost: test\\r\\n\\r\\n'));
    c.on('data', () => {}); c.on('end', resolve); c.on('error', reject);
  });
  await pause(100);
}
`;

/**
 * Records real traffic with tcpdump between two fresh namespaces: ARP, ICMP
 * and ICMPv6 (ping, neighbour discovery, port unreachable), DNS over UDP, and
 * HTTP over TCP on IPv4 and IPv6. The namespaces are always removed.
 *
 * @example
 * recordRealTraffic('/tmp/real.pcap');
 */
export async function recordRealTraffic(path: string): Promise<void> {
  const dir = tempDir('bpfdump-traffic-');
  writeFileSync(join(dir, 'server.mjs'), SERVER);
  writeFileSync(join(dir, 'client.mjs'), CLIENT);
  const pair = createVethPair('rec', { ipv6: true });
  const { nsA: a, nsB: b, ifA: va } = pair;
  const { spawn } = await import('node:child_process');
  try {
    const capture = spawn('ip', ['netns', 'exec', a, 'tcpdump', '-i', va, '-U', '--immediate-mode', '-w', path], { stdio: 'ignore' });
    const server = spawn('ip', ['netns', 'exec', b, process.execPath, join(dir, 'server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
    await new Promise((r) => setTimeout(r, 300));
    // The peer's kernel answers crafted echo requests: ICMP and ICMPv6 (with neighbour discovery).
    execFileSync('ip', ['netns', 'exec', a, process.execPath, '--input-type=module', '-e', PINGER, pair.ipA, pair.ipB, pair.ip6A, pair.ip6B, pair.macA, pair.macB, va],
      { stdio: 'inherit', timeout: 10000 });
    execFileSync('ip', ['netns', 'exec', a, process.execPath, join(dir, 'client.mjs'), pair.ipB, pair.ip6B], { stdio: 'inherit', timeout: 15000 });
    await new Promise((r) => setTimeout(r, 500));
    capture.kill('SIGINT');
    server.kill('SIGTERM');
    await new Promise((r) => capture.once('exit', r));
  } finally {
    pair.remove();
  }
}

// Node has no raw sockets, so the ICMP and ICMPv6 echo requests are crafted and
// injected through bpfkit's AF_PACKET capture; the peer's kernel answers them.
const PINGER = `
const [src4, dst4, src6, dst6, srcMac, dstMac, dev] = process.argv.slice(1);
const { openLive } = await import(${JSON.stringify(new URL('../../src/capture/index.js', import.meta.url).href)});
const c = await import(${JSON.stringify(new URL('../../src/craft/index.js', import.meta.url).href)});
const live = await openLive(dev, { ring: false });
const data = new TextEncoder().encode('abcdefghabcdefghabcdefghabcdefgh');
for (let seq = 1; seq <= 2; seq++) {
  live.inject(c.ethernet({ src: srcMac, dst: dstMac }, c.ipv4({ src: src4, dst: dst4, id: 100 + seq, df: true }, c.icmp({ type: 8, id: 0x1234, seq }, data))));
  await new Promise((r) => setTimeout(r, 50));
}
live.inject(c.ethernet({ src: srcMac, dst: dstMac }, c.ipv6({ src: src6, dst: dst6, hopLimit: 64 }, c.icmpv6({ type: 128, id: 0x77, seq: 1 }, data))));
await new Promise((r) => setTimeout(r, 200));
await live.close();
`;

/** Two namespaces joined by a veth pair, with IPv4 addresses; `remove` deletes both. */
export interface Pair {
  a: string;
  b: string;
  va: string;
  vb: string;
  ipA: string;
  ipB: string;
  remove(): void;
}

/**
 * A veth pair between two fresh namespaces (test/netns.ts's createVethPair), under the names the CLI tests use.
 *
 * @example
 * const p = vethPair('live'); try { ... } finally { p.remove(); }
 */
export function vethPair(tag: string): Pair {
  const p = createVethPair(tag);
  return { a: p.nsA, b: p.nsB, va: p.ifA, vb: p.ifB, ipA: p.ipA, ipB: p.ipB, remove: p.remove };
}

/**
 * Sends `count` UDP datagrams from namespace `ns` to `host:port`, 5 ms apart.
 *
 * @example
 * sendUdp(pair.b, pair.ipA, 7777, 5);
 */
export function sendUdp(ns: string, host: string, port: number, count: number, size = 0): void {
  const code = `const s = require('node:dgram').createSocket('udp4'); let n = 0;
    const next = () => { if (n++ >= ${count}) { s.close(); return; } s.send(Buffer.from(('packet ' + n).padEnd(${size}, '.')), ${port}, '${host}', () => setTimeout(next, 5)); }; next();`;
  execFileSync('ip', ['netns', 'exec', ns, process.execPath, '-e', code], { stdio: 'inherit', timeout: 20000 });
}
