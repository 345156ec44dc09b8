/**
 * Real traffic for the differential tests: two network namespaces joined by a
 * veth pair (no static neighbours, so ARP and IPv6 neighbour discovery happen),
 * tcpdump capturing in one of them, and small Python peers exchanging ICMP
 * echo, a DNS query and answer over UDP, a TCP connection with data, and UDP
 * over IPv6. Everything stays inside the two namespaces, bounded in time, and
 * the namespaces are always removed.
 *
 * @example
 * const { ethernet, cooked } = await captureRealTraffic('flt');
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVethPair } from '../netns.js';

/** One captured packet. */
export interface CapturedPacket {
  data: Uint8Array;
  wireLength: number;
}

/** Packets from one capture file, with its link type. */
export interface Capture {
  linkType: number;
  packets: CapturedPacket[];
}

/**
 * Why real traffic cannot be captured here, or null when it can.
 *
 * @example
 * const why = realTrafficUnavailable(); if (why) t.skip(why);
 */
export function realTrafficUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root: creates network namespaces and veth pairs';
  for (const tool of ['ip', 'tcpdump', 'python3']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `needs ${tool}`;
    }
  }
  return null;
}

/**
 * Reads a classic pcap file (either byte order, micro- or nanosecond).
 *
 * @example
 * readPcap(readFileSync('x.pcap')).packets.length
 */
export function readPcap(bytes: Uint8Array): Capture {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!little && view.getUint32(0, false) !== 0xa1b2c3d4 && view.getUint32(0, false) !== 0xa1b23c4d) {
    throw new Error(`not a pcap file (magic 0x${magic.toString(16)})`);
  }
  const linkType = view.getUint32(20, little) & 0x0fffffff;
  const packets: CapturedPacket[] = [];
  let at = 24;
  while (at + 16 <= bytes.length) {
    const caplen = view.getUint32(at + 8, little);
    const wireLength = view.getUint32(at + 12, little);
    if (at + 16 + caplen > bytes.length) break;
    packets.push({ data: bytes.slice(at + 16, at + 16 + caplen), wireLength });
    at += 16 + caplen;
  }
  return { linkType, packets };
}

const SERVER = `
import socket, threading, sys
def udp4():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 53))
    while True:
        q, a = s.recvfrom(2048)
        s.sendto(q[:2] + b'\\x81\\x80' + q[4:6] + b'\\x00\\x01\\x00\\x00\\x00\\x00' + q[12:] + b'\\xc0\\x0c\\x00\\x01\\x00\\x01\\x00\\x00\\x00\\x3c\\x00\\x04\\x0a\\x00\\x00\\x01', a)
def udp6():
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(('::', 5353))
    while True:
        q, a = s.recvfrom(2048); s.sendto(q, a)
def tcp():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', 8080)); s.listen(4)
    while True:
        c, _a = s.accept(); d = c.recv(4096); c.sendall(b'HTTP/1.0 200 OK\\r\\n\\r\\n' + d * 20); c.close()
for f in (udp4, udp6, tcp): threading.Thread(target=f, daemon=True).start()
print('ready', flush=True)
threading.Event().wait(8)
`;

const CLIENT = `
import socket, struct, sys, time
b4, b6 = sys.argv[1], sys.argv[2]
# The link can take a moment to carry traffic: ask the DNS peer until it answers.
w = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); w.settimeout(0.2)
for _ in range(25):
    w.sendto(struct.pack('!HHHHHH', 1, 0x0100, 0, 0, 0, 0), (b4, 53))
    try:
        w.recv(2048); break
    except OSError: pass
def csum(d):
    if len(d) % 2: d += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(d) // 2), d)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); r.settimeout(2)
for seq in range(3):
    body = struct.pack('!BBHHH', 8, 0, 0, 0x4242, seq) + b'bpfkit-ping' * 4
    body = body[:2] + struct.pack('!H', csum(body)) + body[4:]
    r.sendto(body, (b4, 0))
    try: r.recv(2048)
    except OSError: pass
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(2)
for i, name in enumerate([b'example', b'bpfkit']):
    q = struct.pack('!HHHHHH', 0x1000 + i, 0x0100, 1, 0, 0, 0) + bytes([len(name)]) + name + b'\\x03com\\x00' + b'\\x00\\x01\\x00\\x01'
    u.sendto(q, (b4, 53))
    try: u.recv(2048)
    except OSError: pass
for i in range(2):
    t = socket.create_connection((b4, 8080), timeout=3); t.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n' * (1 + 30 * i))
    while t.recv(65536): pass
    t.close()
v = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); v.settimeout(2)
for i in range(2):
    v.sendto(b'six' * (10 + i), (b6, 5353))
    try: v.recv(2048)
    except OSError: pass
print('done', flush=True)
`;

function waitFor(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} (${text})`)), ms);
    child[stream]!.on('data', (d: Buffer) => {
      text += d.toString();
      if (pattern.test(text)) { clearTimeout(timer); resolve(); }
    });
    child.on('exit', (code) => { if (!pattern.test(text)) { clearTimeout(timer); reject(new Error(`exited ${code}: ${text}`)); } });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.on('exit', () => resolve());
  });
}

/**
 * Creates the namespaces, captures the traffic on the veth (Ethernet) and on
 * `any` (Linux cooked), and removes everything.
 *
 * @example
 * const captures = await captureRealTraffic('t1');
 */
export async function captureRealTraffic(tag: string): Promise<Capture[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-filter-'));
  const children: ChildProcess[] = [];
  let clientErrors = '';
  const pair = createVethPair(tag, { ipv6: true });
  const { nsA, nsB, ifA, ifB, ipB, ip6B } = pair;
  try {
    // Wait until both ends of the veth have carrier.
    for (let i = 0; i < 50; i++) {
      const up = [[nsA, ifA], [nsB, ifB]].every(([ns, dev]) => execFileSync('ip', ['-n', ns, 'link', 'show', 'dev', dev]).toString().includes('LOWER_UP'));
      if (up) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    writeFileSync(join(dir, 'server.py'), SERVER);
    writeFileSync(join(dir, 'client.py'), CLIENT);
    const files = [join(dir, 'veth.pcap'), join(dir, 'any.pcap')];
    const dumps = [
      spawn('ip', ['netns', 'exec', nsB, 'tcpdump', '--immediate-mode', '-U', '-n', '-s', '0', '-i', ifB, '-w', files[0]], { stdio: ['ignore', 'ignore', 'pipe'] }),
      spawn('ip', ['netns', 'exec', nsB, 'tcpdump', '--immediate-mode', '-U', '-n', '-s', '0', '-i', 'any', '-w', files[1]], { stdio: ['ignore', 'ignore', 'pipe'] }),
    ];
    children.push(...dumps);
    await Promise.all(dumps.map((d) => waitFor(d, 'stderr', /listening on/, 10000)));
    const server = spawn('ip', ['netns', 'exec', nsB, 'python3', join(dir, 'server.py')], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(server);
    await waitFor(server, 'stdout', /ready/, 10000);
    const client = spawn('ip', ['netns', 'exec', nsA, 'python3', join(dir, 'client.py'), ipB, ip6B], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(client);
    client.stderr!.on('data', (d: Buffer) => { clientErrors += d.toString(); });
    await waitFor(client, 'stdout', /done/, 20000).catch((e: Error) => { throw new Error(`${e.message}\n${clientErrors}`); });
    await new Promise((r) => setTimeout(r, 300));
    for (const d of dumps) d.kill('SIGINT');
    await Promise.all(dumps.map(exited));
    return files.map((f) => readPcap(readFileSync(f)));
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(children.map(exited));
    pair.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}
