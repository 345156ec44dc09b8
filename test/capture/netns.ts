/**
 * Network namespaces with a veth pair between them, for live-capture tests:
 * created with iproute2, always removed, and a way to run code inside one
 * (setns on the calling thread, so sockets opened there belong to it).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { CLONE_NEWNET, geteuid, setns } from '../../src/capture/syscalls.js';

export interface VethPair {
  /** Namespace names. */
  readonly nsA: string;
  readonly nsB: string;
  /** Interface names (ifA in nsA, ifB in nsB). */
  readonly ifA: string;
  readonly ifB: string;
  readonly ipA: string;
  readonly ipB: string;
  readonly macA: string;
  readonly macB: string;
  /** Removes both namespaces (and with them the veth pair). */
  remove(): void;
}

let serial = 0;

/** Why namespace tests cannot run here, or null when they can. */
export function netnsUnavailable(): string | null {
  if (geteuid() !== 0) return 'needs root: creates network namespaces and veth pairs';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'needs iproute2 (the ip command)';
  }
  return null;
}

/**
 * Creates two namespaces joined by a veth pair with addresses 10.x.y.1/.2,
 * up, with static neighbour entries so that no ARP precedes the traffic.
 */
export function createVethPair(tag: string): VethPair {
  const id = `${process.pid % 100000}${tag}${serial++}`;
  const nsA = `bpfkA${id}`, nsB = `bpfkB${id}`;
  const ifA = `vA${id}`.slice(0, 15), ifB = `vB${id}`.slice(0, 15);
  const octet = (process.pid + serial * 7) % 250 + 1;
  const ipA = `10.${octet}.${serial % 250}.1`, ipB = `10.${octet}.${serial % 250}.2`;
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const remove = () => {
    for (const ns of [nsA, nsB]) {
      try { ip('netns', 'del', ns); } catch { /* already gone */ }
    }
  };
  let macA = '', macB = '';
  try {
    ip('netns', 'add', nsA);
    ip('netns', 'add', nsB);
    ip('link', 'add', ifA, 'netns', nsA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB);
    ip('-n', nsA, 'addr', 'add', `${ipA}/24`, 'dev', ifA);
    ip('-n', nsB, 'addr', 'add', `${ipB}/24`, 'dev', ifB);
    for (const [ns, dev] of [[nsA, ifA], [nsB, ifB]]) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
    // `ip -br link` prints: name state mac flags.
    const mac = (ns: string, dev: string) => execFileSync('ip', ['-n', ns, '-br', 'link', 'show', dev]).toString().trim().split(/\s+/)[2];
    macA = mac(nsA, ifA);
    macB = mac(nsB, ifB);
    ip('-n', nsA, 'neigh', 'replace', ipB, 'lladdr', macB, 'dev', ifA, 'nud', 'permanent');
    ip('-n', nsB, 'neigh', 'replace', ipA, 'lladdr', macA, 'dev', ifB, 'nud', 'permanent');
  } catch (e) {
    remove();
    throw e;
  }
  return { nsA, nsB, ifA, ifB, ipA, ipB, macA, macB, remove };
}

/**
 * Runs `fn` with the calling thread inside namespace `ns`, then returns to
 * the original namespace. Keep `fn` synchronous up to its socket creation.
 */
export function inNetns<T>(ns: string, fn: () => T): T {
  const home = openSync('/proc/self/ns/net', 'r');
  const there = openSync(`/var/run/netns/${ns}`, 'r');
  try {
    setns(there, CLONE_NEWNET);
    try {
      return fn();
    } finally {
      setns(home, CLONE_NEWNET);
    }
  } finally {
    closeSync(there);
    closeSync(home);
  }
}

/** Runs a command inside a namespace and returns its stdout. */
export function runIn(ns: string, cmd: string, args: string[], timeoutMs = 20000): string {
  return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/** Starts a command inside a namespace; the caller must wait for or kill it. */
export function spawnIn(ns: string, cmd: string, args: string[]): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Waits for a child to exit and returns its stdout. Call it right after spawning, before any await. */
export function finished(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (d) => { out += d; });
    child.stderr?.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

/** Builds (once, cached by source hash) the bounded UDP sender test/capture/flood.c; returns its path. */
export function floodBinary(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // Compiled tests run from dist/test/capture; the C source stays in test/capture.
  const candidates = [join(here, 'flood.c'), join(here, '..', '..', '..', 'test', 'capture', 'flood.c')];
  const src = candidates.find((p) => existsSync(p));
  if (!src) throw new Error(`flood.c not found near ${here}`);
  const text = readFileSync(src);
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'bpfkit-capture');
  mkdirSync(dir, { recursive: true });
  const bin = join(dir, `flood-${hash}`);
  if (!existsSync(bin) || statSync(bin).size === 0) {
    const tmp = `${bin}.${process.pid}`;
    execFileSync('gcc', ['-O2', '-o', tmp, src], { stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('mv', ['-f', tmp, bin]);
  }
  return bin;
}
