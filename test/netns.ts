/**
 * Kernel test helpers: network namespaces joined by a veth pair, commands run
 * inside them, and real traffic captured with tcpdump inside them. Every
 * namespace is named `bpfkit-<pid>-<n>-<side>` and removed in a finally; a
 * crashed run's leftovers (same prefix, dead pid) are removed on the next use.
 * Traffic stays inside the namespaces; nothing is sent anywhere else.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromFileLinkType } from '../src/bpf/linktypes.js';

/** Prefix of every namespace these helpers create. */
export const NETNS_PREFIX = 'bpfkit-';

/**
 * Why kernel tests cannot run here (for `t.skip(...)`), or undefined when they can.
 *
 * @example
 * test('live', (t) => { const why = kernelTestsUnavailable(); if (why) return t.skip(why); ... });
 */
export function kernelTestsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'needs root: creates network namespaces and veth pairs';
  if (spawnSync('ip', ['-V'], { stdio: 'ignore' }).status !== 0) return 'needs iproute2 (the ip command)';
  return undefined;
}

/** The result of a command run to completion. */
export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command (argv) to completion, inside namespace `ns` when given, killing it after `timeoutMs`.
 *
 * @example
 * const { stdout } = await run(['ip', 'addr'], { ns: pair.a.ns });
 */
export function run(argv: readonly string[], options: { ns?: string; timeoutMs?: number; input?: string } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawnIn(argv, options.ns);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => { stdout += d; });
    child.stderr?.on('data', (d: Buffer) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 10_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin?.end(options.input ?? '');
  });
}

/**
 * Starts a command (argv) inside namespace `ns` (or here) with piped stdio; the caller ends it.
 *
 * @example
 * const server = spawnIn(['node', 'server.js'], pair.b.ns); ... server.kill();
 */
export function spawnIn(argv: readonly string[], ns?: string): ChildProcess {
  const full = ns ? ['ip', 'netns', 'exec', ns, ...argv] : [...argv];
  return spawn(full[0], full.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
}

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/**
 * Removes namespaces left by crashed runs: names with our prefix whose creating process is gone.
 * Returns the names removed.
 *
 * @example
 * removeLeftoverNamespaces() // ['bpfkit-4242-0-a', 'bpfkit-4242-0-b']
 */
export function removeLeftoverNamespaces(): string[] {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  const removed: string[] = [];
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0];
    const m = new RegExp(`^${NETNS_PREFIX}(\\d+)-`).exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    if (spawnSync('ip', ['netns', 'delete', name]).status === 0) removed.push(name);
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Two namespaces joined by a veth pair: the one shape every kernel test
 * uses. Addresses live inside the namespaces only, so every pair can have the
 * same ones (10.99.0.1/.2, and 2001:db8:99::1/::2 when asked for).
 */
export interface VethPair {
  /** Namespace names (ifA lives in nsA, ifB in nsB). */
  readonly nsA: string;
  readonly nsB: string;
  readonly ifA: string;
  readonly ifB: string;
  readonly ipA: string;
  readonly ipB: string;
  /** IPv6 addresses, or '' when the pair was made without them. */
  readonly ip6A: string;
  readonly ip6B: string;
  readonly macA: string;
  readonly macB: string;
  /** Deletes both namespaces (and with them the veth pair); safe to call twice. */
  remove(): void;
}

/** How createVethPair sets a pair up beyond addresses and links. */
export interface VethPairOptions {
  /** Add 2001:db8:99::1/64 and ::2/64 (no duplicate-address detection). */
  ipv6?: boolean;
  /** Fixed MAC addresses for ifA and ifB (otherwise the kernel's). */
  macs?: readonly [string, string];
  /** Permanent neighbour entries for the IPv4 peers, so that no ARP precedes the traffic. */
  staticNeighbours?: boolean;
}

let pairCounter = 0;

/**
 * Creates two namespaces joined by a veth pair, with loopback and the veth
 * up and IPv4 addresses set. The namespaces carry this process's id
 * (`bpfkit-<pid>-<tag><n>-a`/`-b`), so a crashed run's leftovers are removed
 * by the next run; `remove()` deletes them, and so does this process's exit.
 *
 * @example
 * const pair = createVethPair('t', { staticNeighbours: true }); try { ... } finally { pair.remove(); }
 */
export function createVethPair(tag: string, options: VethPairOptions = {}): VethPair {
  removeLeftoverNamespaces();
  const n = pairCounter++;
  const base = `${NETNS_PREFIX}${process.pid}-${tag}${n}`;
  const suffix = `${process.pid.toString(36)}${n.toString(36)}`.slice(-12);
  const nsA = `${base}-a`, nsB = `${base}-b`, ifA = `va${suffix}`, ifB = `vb${suffix}`;
  const ipA = '10.99.0.1', ipB = '10.99.0.2';
  const [ip6A, ip6B] = options.ipv6 ? ['2001:db8:99::1', '2001:db8:99::2'] : ['', ''];
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    process.off('exit', remove);
    for (const ns of [nsA, nsB]) spawnSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' });
  };
  // Whatever ends the process, the namespaces go with it.
  process.on('exit', remove);
  try {
    ip('netns', 'add', nsA);
    ip('netns', 'add', nsB);
    ip('link', 'add', ifA, 'netns', nsA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB);
    const ends = [[nsA, ifA, ipA, ip6A, options.macs?.[0]], [nsB, ifB, ipB, ip6B, options.macs?.[1]]] as const;
    for (const [ns, dev, v4, v6, mac] of ends) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      if (mac) ip('-n', ns, 'link', 'set', dev, 'address', mac);
      ip('-n', ns, 'addr', 'add', `${v4}/24`, 'dev', dev);
      if (v6) ip('-n', ns, 'addr', 'add', `${v6}/64`, 'dev', dev, 'nodad');
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
    const [macA, macB] = [linkAddress(nsA, ifA), linkAddress(nsB, ifB)];
    if (options.staticNeighbours) {
      ip('-n', nsA, 'neigh', 'replace', ipB, 'lladdr', macB, 'dev', ifA, 'nud', 'permanent');
      ip('-n', nsB, 'neigh', 'replace', ipA, 'lladdr', macA, 'dev', ifB, 'nud', 'permanent');
    }
    return { nsA, nsB, ifA, ifB, ipA, ipB, ip6A, ip6B, macA, macB, remove };
  } catch (e) {
    remove();
    throw e;
  }
}

function linkAddress(ns: string, dev: string): string {
  // `ip -br link` prints: name state mac flags.
  return spawnSync('ip', ['-n', ns, '-br', 'link', 'show', dev], { encoding: 'utf8' }).stdout.trim().split(/\s+/)[2] ?? '';
}

/** One end of a namespace pair: its namespace, interface and addresses. */
export interface NetnsHost {
  ns: string;
  ifname: string;
  ipv4: string;
  ipv6: string;
  mac: string;
}

/** Two namespaces joined by a veth pair (10.99.0.0/24 and 2001:db8:99::/64, inside the namespaces only). */
export interface NetnsPair {
  a: NetnsHost;
  b: NetnsHost;
  /** Deletes both namespaces (and with them the veth pair); safe to call twice. */
  destroy(): void;
}

/**
 * Creates two namespaces joined by a veth pair, with IPv4 and IPv6 addresses and fixed MACs, links up. Prefer withNetnsPair(), which always destroys it.
 *
 * @example
 * const pair = createNetnsPair(); try { ... } finally { pair.destroy(); }
 */
export function createNetnsPair(): NetnsPair {
  const p = createVethPair('p', { ipv6: true, macs: ['02:99:00:00:00:01', '02:99:00:00:00:02'] });
  return {
    a: { ns: p.nsA, ifname: p.ifA, ipv4: p.ipA, ipv6: p.ip6A, mac: p.macA },
    b: { ns: p.nsB, ifname: p.ifB, ipv4: p.ipB, ipv6: p.ip6B, mac: p.macB },
    destroy: p.remove,
  };
}

/**
 * Runs `fn` with a fresh namespace pair and always destroys the pair afterwards.
 *
 * @example
 * await withNetnsPair(async ({ a, b }) => { await run(['ip', 'link'], { ns: a.ns }); });
 */
export async function withNetnsPair<T>(fn: (pair: NetnsPair) => Promise<T>): Promise<T> {
  const pair = createNetnsPair();
  try {
    return await fn(pair);
  } finally {
    pair.destroy();
  }
}

/** A packet read from a pcap file. */
export interface CapturedPacket {
  data: Uint8Array;
  wireLength: number;
  seconds: number;
  micros: number;
}

/**
 * Reads a classic pcap file (either byte order, micro- or nanosecond magic); enough for tests
 * until src/pcap/'s reader is in place. Throws on anything malformed.
 *
 * @example
 * const { linkType, packets } = readPcap(readFileSync('x.pcap'));
 */
export function readPcap(bytes: Uint8Array): { linkType: number; snaplen: number; packets: CapturedPacket[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 24) throw new Error(`pcap: ${bytes.length} bytes is shorter than the 24-byte file header`);
  const magic = view.getUint32(0, true);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!little && view.getUint32(0, false) !== 0xa1b2c3d4 && view.getUint32(0, false) !== 0xa1b23c4d) throw new Error(`pcap: bad magic 0x${magic.toString(16)}`);
  const snaplen = view.getUint32(16, little);
  const fileLinkType = view.getUint32(20, little) & 0xffff;
  const info = fromFileLinkType(fileLinkType);
  const packets: CapturedPacket[] = [];
  let at = 24;
  while (at < bytes.length) {
    if (at + 16 > bytes.length) throw new Error(`pcap: record header at ${at} runs past the end`);
    const caplen = view.getUint32(at + 8, little);
    if (at + 16 + caplen > bytes.length) throw new Error(`pcap: record at ${at} (caplen ${caplen}) runs past the end`);
    packets.push({ seconds: view.getUint32(at, little), micros: view.getUint32(at + 4, little), wireLength: view.getUint32(at + 12, little), data: bytes.slice(at + 16, at + 16 + caplen) });
    at += 16 + caplen;
  }
  return { linkType: info?.dlt ?? fileLinkType, snaplen, packets };
}

/** What captureRealTraffic() returns. */
export interface RealCapture {
  /** DLT of the capture (1, 113 or 276). */
  linkType: number;
  /** The pcap file as tcpdump wrote it. */
  pcap: Uint8Array;
  packets: CapturedPacket[];
  /** Traffic kinds that could not be generated here (e.g. ICMP echo without python3). */
  skipped: string[];
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const craftModule = join(repoRoot, 'dist', 'src', 'craft', 'index.js');

// Runs in namespace B: a DNS responder on port 53 (answers every A query with B's address,
// built with the workshop's dns()) and a TCP server on 8080 that answers one line and closes.
const SERVERS = `
import dgram from 'node:dgram'; import net from 'node:net';
import { dns } from ${JSON.stringify(craftModule)};
const answerTo = (q) => {
  const id = q.readUInt16BE(0); let at = 12; const labels = [];
  while (at < q.length && q[at] !== 0) { labels.push(q.subarray(at + 1, at + 1 + q[at]).toString()); at += q[at] + 1; }
  const name = labels.join('.'); const type = q.readUInt16BE(at + 1);
  const answers = type === 1 ? [{ name, type: 1, ttl: 60, data: '10.99.0.2' }] : type === 28 ? [{ name, type: 28, ttl: 60, data: '2001:db8:99::2' }] : [];
  return dns({ id, response: true, recursionDesired: true, recursionAvailable: true, rcode: answers.length ? 0 : 3, questions: [{ name, type }], answers });
};
let ready = 0; const up = () => { if (++ready === 3) console.log('ready'); };
for (const family of ['udp4', 'udp6']) {
  const s = dgram.createSocket({ type: family, ipv6Only: family === 'udp6' }); s.on('error', (e) => { console.error(String(e)); process.exit(1); }); s.on('message', (m, r) => { try { s.send(answerTo(m), r.port, r.address); } catch {} });
  s.bind(53, family === 'udp4' ? '0.0.0.0' : '::', up);
}
net.createServer((c) => { c.on('data', () => c.end('HTTP/1.0 200 OK\\r\\n\\r\\nhello\\n')); c.on('error', () => {}); }).listen(8080, '::', up);
setTimeout(() => process.exit(0), 20000);
`;

// Runs in namespace A: DNS queries over IPv4 and IPv6, TCP connections, and a datagram to a closed port (ICMP unreachable).
const CLIENT = `
import dgram from 'node:dgram'; import net from 'node:net';
import { dns } from ${JSON.stringify(craftModule)};
const query = (family, server, id, name, type) => new Promise((resolve) => {
  const s = dgram.createSocket(family); const t = setTimeout(() => { s.close(); resolve(false); }, 1500);
  s.on('message', () => { clearTimeout(t); s.close(); resolve(true); });
  s.send(dns({ id, recursionDesired: true, questions: [{ name, type }] }), 53, server);
});
const get = (host) => new Promise((resolve) => {
  const c = net.connect(8080, host, () => c.write('GET / HTTP/1.0\\r\\n\\r\\n'));
  const t = setTimeout(() => { c.destroy(); resolve(false); }, 1500);
  c.on('data', () => {}); c.on('end', () => { clearTimeout(t); c.end(); resolve(true); }); c.on('error', () => { clearTimeout(t); resolve(false); });
});
const results = [];
results.push(await query('udp4', '10.99.0.2', 1, 'example.com', 1));
results.push(await query('udp4', '10.99.0.2', 2, 'www.example.org', 28));
results.push(await query('udp6', '2001:db8:99::2', 3, 'mail.example.net', 1));
results.push(await get('10.99.0.2'));
results.push(await get('2001:db8:99::2'));
const u = dgram.createSocket('udp4'); u.send(Buffer.from('x'), 9, '10.99.0.2', () => u.close());
await new Promise((r) => setTimeout(r, 200));
console.log(JSON.stringify(results));
`;

// ICMP echo requests through raw sockets (Node has none): the kernel in B answers them.
const PINGER = `
import socket, sys, struct, time
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
s4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
for seq in range(1, 4):
    body = struct.pack('!BBHHH', 8, 0, 0, 0x4242, seq) + b'bpfkit' * 8
    s4.sendto(body[:2] + struct.pack('!H', csum(body)) + body[4:], ('10.99.0.2', 0))
    s6.sendto(struct.pack('!BBHHH', 128, 0, 0, 0x4242, seq) + b'bpfkit' * 8, ('2001:db8:99::2', 0))
    time.sleep(0.1)
`;

function waitForLine(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    let other = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs} ms: ${seen} ${other}`)), timeoutMs);
    child[stream]?.on('data', (d: Buffer) => {
      seen += d;
      if (pattern.test(seen)) { clearTimeout(timer); resolve(); }
    });
    child[stream === 'stdout' ? 'stderr' : 'stdout']?.on('data', (d: Buffer) => { other += d; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited (${code}) before starting: ${seen} ${other}`)); });
  });
}

function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => { clearTimeout(hard); resolve(); });
    child.kill(signal);
  });
}

/**
 * Captures real traffic between two fresh namespaces with tcpdump (on the veth for EN10MB,
 * on `any` for LINUX_SLL / LINUX_SLL2): ARP and neighbor discovery, ICMP/ICMPv6 echo (needs
 * python3 for raw sockets), DNS over IPv4 and IPv6, TCP connections, an ICMP port unreachable.
 * Bounded: about 3 seconds, at most 200 packets. Needs root (see kernelTestsUnavailable()).
 *
 * @example
 * const { linkType, packets, pcap } = await captureRealTraffic({ linkType: 'EN10MB' });
 */
export async function captureRealTraffic(options: { linkType?: 'EN10MB' | 'LINUX_SLL' | 'LINUX_SLL2' } = {}): Promise<RealCapture> {
  const why = kernelTestsUnavailable();
  if (why) throw new Error(`captureRealTraffic: ${why}`);
  const linkType = options.linkType ?? 'EN10MB';
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-netns-'));
  const file = join(dir, 'real.pcap');
  const skipped: string[] = [];
  try {
    return await withNetnsPair(async ({ a, b }) => {
      const iface = linkType === 'EN10MB' ? ['-i', a.ifname] : ['-i', 'any', '-y', linkType];
      const tcpdump = spawnIn(['tcpdump', ...iface, '-n', '-U', '--immediate-mode', '-s', '262144', '-c', '200', '-w', file], a.ns);
      let servers: ChildProcess | undefined;
      try {
        await waitForLine(tcpdump, 'stderr', /listening on/, 5000, 'tcpdump');
        servers = spawnIn([process.execPath, '--input-type=module', '-e', SERVERS], b.ns);
        await waitForLine(servers, 'stdout', /ready/, 5000, 'the DNS/TCP servers');
        if (spawnSync('python3', ['-c', 'pass'], { stdio: 'ignore' }).status === 0) {
          const ping = await run(['python3', '-c', PINGER], { ns: a.ns, timeoutMs: 5000 });
          if (ping.code !== 0) throw new Error(`raw-socket ping failed: ${ping.stderr}`);
        } else skipped.push('ICMP echo (python3 is not installed)');
        const client = await run([process.execPath, '--input-type=module', '-e', CLIENT], { ns: a.ns, timeoutMs: 10_000 });
        if (client.code !== 0) throw new Error(`traffic client failed: ${client.stderr}`);
        const answered = JSON.parse(client.stdout.trim()) as boolean[];
        if (!answered.every(Boolean)) throw new Error(`some exchanges got no answer: ${client.stdout}`);
        await new Promise((r) => setTimeout(r, 300));
      } finally {
        await stop(servers);
        await stop(tcpdump, 'SIGINT');
      }
      const pcap = readFileSync(file);
      const parsed = readPcap(pcap);
      return { linkType: parsed.linkType, pcap, packets: parsed.packets, skipped };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
