/**
 * Two network namespaces joined by a veth pair, for capturing real traffic
 * with the reference tools. Names carry the process id; `remove` always runs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createVethPair, kernelTestsUnavailable, type VethPair as NamespacePair } from '../netns.js';

/**
 * Whether this process may create namespaces (root, iproute2).
 *
 * @example
 * test('live', { skip: !canUseNamespaces() && 'needs root' }, …)
 */
export function canUseNamespaces(): boolean {
  return kernelTestsUnavailable() === undefined;
}

/**
 * A veth pair (test/netns.ts's createVethPair) seen from namespace `a`,
 * where the reference tools capture: on `ifA` and on loopback.
 *
 * @example
 * const pair = new VethPair('t1'); try { … } finally { pair.remove(); }
 */
export class VethPair {
  readonly a: string;
  readonly b: string;
  /** The interface in namespace `a`, and the peer's address across it. */
  readonly ifA: string;
  readonly ipB: string;
  private readonly pair: NamespacePair;

  constructor(tag: string) {
    this.pair = createVethPair(tag);
    ({ nsA: this.a, nsB: this.b, ifA: this.ifA, ipB: this.ipB } = this.pair);
  }

  /** Starts a command inside namespace `a`. */
  spawnInA(command: string, args: string[]): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.a, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Runs a command inside namespace `a` to completion. */
  runInA(command: string, args: string[]): void {
    const r = spawnSync('ip', ['netns', 'exec', this.a, command, ...args], { encoding: 'utf8', timeout: 20000 });
    if (r.status !== 0) throw new Error(`${command} in ${this.a}: ${r.stderr}`);
  }

  remove(): void {
    this.pair.remove();
  }
}

/**
 * Sends `count` UDP datagrams of varied sizes from namespace `a` to its
 * loopback and across the veth (which also brings ARP and ICMP port-unreachable).
 *
 * @example
 * sendTraffic(pair, 20)
 */
export function sendTraffic(pair: VethPair, count: number): void {
  const script = `
    const dgram = require('node:dgram');
    const s = dgram.createSocket('udp4');
    let i = 0;
    const next = () => {
      if (i >= ${count}) { s.close(); return; }
      const size = 1 + ((i * 397) % 1400);
      s.send(Buffer.alloc(size, i & 0xff), 9000 + (i % 7), i % 2 ? '127.0.0.1' : '${pair.ipB}', () => { i++; setTimeout(next, 5); });
    };
    next();`;
  pair.runInA(process.execPath, ['-e', script]);
}

/**
 * Runs a capture tool in namespace `a` while traffic flows, then stops it with
 * SIGINT (as a person would) and waits for it to write its file.
 *
 * @example
 * await captureWith(pair, 'dumpcap', ['-i', 'lo', '-i', 'va', '-w', path], 30)
 */
export async function captureWith(pair: VethPair, command: string, args: string[], packets: number): Promise<void> {
  const child = pair.spawnInA(command, args);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30000; // generous: the machine may be busy
  while (!/listening on|Capturing on/i.test(stderr)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`${command} did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300));
  sendTraffic(pair, packets);
  await new Promise((r) => setTimeout(r, 500));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
  await exited;
  clearTimeout(timer);
}
