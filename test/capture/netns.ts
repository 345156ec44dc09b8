/**
 * Network namespaces with a veth pair between them, for live-capture tests:
 * created with iproute2, always removed, and a way to run code inside one
 * (setns on the calling thread, so sockets opened there belong to it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { CLONE_NEWNET, geteuid, setns } from '../../src/capture/syscalls.js';
import { createVethPair as createPair, type VethPair } from '../netns.js';

export type { VethPair } from '../netns.js';


const IN_USER_NAMESPACE = 'BPFKIT_IN_USERNS';

/**
 * Why namespace tests cannot run here, or null when they can. Without root,
 * a test file first tries to run itself again inside `unshare -rnm` (see
 * `delegateToUserNamespace`); its own tests then skip with this reason.
 *
 * @example
 * if (unavailable) return t.skip(unavailable);
 */
export function netnsUnavailable(): string | null {
  if (geteuid() !== 0) {
    return userNamespaceWorks()
      ? 'not root: these tests ran again inside `unshare -rnm` (see the test "inside a user namespace")'
      : 'needs root (or unprivileged user namespaces for unshare -rnm): creates network namespaces and veth pairs';
  }
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'needs iproute2 (the ip command)';
  }
  return null;
}

let userns: boolean | undefined;
function userNamespaceWorks(): boolean {
  if (process.env[IN_USER_NAMESPACE]) return false;
  if (userns === undefined) {
    try {
      execFileSync('unshare', ['-rnm', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tmpfs /run && ip link add t0 type veth peer name t1'], { stdio: 'ignore', timeout: 10000 });
      userns = true;
    } catch {
      userns = false;
    }
  }
  return userns;
}

/**
 * Registers the test that, without root, runs the calling test file again
 * inside `unshare -rnm` (see `delegateToUserNamespace`) and passes when that
 * run passes; as root it skips, and the file's own tests run directly.
 *
 * @example
 * testInUserNamespace(import.meta.url);
 */
export function testInUserNamespace(testFileUrl: string): void {
  test('inside a user namespace, when not root (unshare -rnm)', { timeout: 300000 }, async (t) => {
    const run = delegateToUserNamespace(testFileUrl);
    if (!run) return t.skip('not needed or not possible: the tests below run (or skip) here');
    const { code, output } = await run;
    for (const line of output.split('\n').filter((l) => /^# (tests|pass|fail|skipped)|^not ok/.test(l))) t.diagnostic(`inside: ${line.replace(/^# /, '')}`);
    assert.equal(code, 0, output.slice(-4000));
  });
}

/**
 * Without root, runs the calling test file again inside a user, network and
 * mount namespace (`unshare -rnm`, a tmpfs on /run for `ip netns`), where it
 * is root over its own namespaces; passes when that run passes. Returns the
 * command's promise, or null when no delegation is needed or possible.
 *
 * @example
 * test('inside a user namespace', async (t) => { const run = delegateToUserNamespace(import.meta.url); ... });
 */
export function delegateToUserNamespace(testFileUrl: string): Promise<{ code: number | null; output: string }> | null {
  if (geteuid() === 0 || !userNamespaceWorks()) return null;
  const file = fileURLToPath(testFileUrl);
  return new Promise((resolve) => {
    const child = spawn('unshare', ['-rnm', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tmpfs /run && exec "$0" --test "$1"', process.execPath, file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Without NODE_TEST_CONTEXT the inner runner prints plain TAP instead of talking to ours.
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')), [IN_USER_NAMESPACE]: '1' },
    });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * A veth pair for capture tests (test/netns.ts's createVethPair), with static
 * neighbour entries so that no ARP precedes the traffic a test counts.
 *
 * @example
 * const pair = createVethPair('x'); try { ... } finally { pair.remove(); }
 */
export function createVethPair(tag: string): VethPair {
  return createPair(tag, { staticNeighbours: true });
}

/**
 * Runs `fn` with the calling thread inside namespace `ns`, then returns to
 * the original namespace. Keep `fn` synchronous up to its socket creation.
 *
 * @example
 * const live = await inNetns(pair.nsB, () => openLive(pair.ifB, { filter }));
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

/**
 * Like inNetns for an async `fn`: the thread stays in `ns` until `fn` settles,
 * so everything the event loop runs meanwhile does too. Keep `fn` short.
 *
 * @example
 * const live = await inNetnsAsync(pair.nsB, () => openLive(pair.ifB, { filter: 'udp' }));
 */
export async function inNetnsAsync<T>(ns: string, fn: () => Promise<T>): Promise<T> {
  const home = openSync('/proc/self/ns/net', 'r');
  const there = openSync(`/var/run/netns/${ns}`, 'r');
  try {
    setns(there, CLONE_NEWNET);
    try {
      return await fn();
    } finally {
      setns(home, CLONE_NEWNET);
    }
  } finally {
    closeSync(there);
    closeSync(home);
  }
}

/**
 * Runs a command inside a namespace and returns its stdout.
 *
 * @example
 * runIn(pair.nsA, floodBinary(), [pair.ipB, '9000', '1000', '1'])
 */
export function runIn(ns: string, cmd: string, args: string[], timeoutMs = 20000): string {
  return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/**
 * Starts a command inside a namespace; the caller must wait for or kill it.
 *
 * @example
 * const sent = finished(spawnIn(pair.nsA, flood, [pair.ipB, '9000', '0', '2']));
 */
export function spawnIn(ns: string, cmd: string, args: string[]): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Waits for a child to exit and returns its stdout. Call it right after spawning, before any await.
 *
 * @example
 * const count = Number(await finished(spawnIn(ns, flood, args)));
 */
export function finished(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (d) => { out += d; });
    child.stderr?.on('data', (d) => { err += d; });
    child.on('error', reject);
    // 'close', not 'exit': only then has all of the child's output been read.
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

/**
 * Closes a capture once nothing has arrived for `ms` after `sent` (the
 * senders) settled; call `touch()` per packet. A loaded machine may take a
 * while to start a sender, and that must not end a capture early.
 *
 * @example
 * const idle = closeWhenIdle(live, 500, sent); for await (const p of live) idle.touch(); idle.cancel();
 */
export function closeWhenIdle(capture: { close(): Promise<void> }, ms: number, sent: Promise<unknown>): { touch(): void; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  let armed = false;
  const touch = () => {
    if (!armed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void capture.close(), ms);
  };
  void sent.finally(() => { armed = true; touch(); });
  return { touch, cancel: () => { armed = false; clearTimeout(timer); } };
}

/**
 * Builds (once, cached by source hash) the bounded UDP sender test/capture/flood.c; returns its path.
 *
 * @example
 * spawnIn(pair.nsA, floodBinary(), [pair.ipB, '9000', '20000', '5'])
 */
export function floodBinary(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // Compiled tests run from dist/test/capture; the C source stays in test/capture.
  const candidates = [join(here, 'flood.c'), join(here, '..', '..', '..', 'test', 'capture', 'flood.c')];
  const src = candidates.find((p) => existsSync(p));
  if (!src) throw new Error(`flood.c not found near ${here}`);
  const text = readFileSync(src);
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  const build = (dir: string): string => {
    const bin = join(dir, `flood-${hash}`);
    if (!existsSync(bin) || statSync(bin).size === 0) {
      const tmp = `${bin}.${process.pid}`;
      execFileSync('gcc', ['-O2', '-o', tmp, src], { stdio: ['ignore', 'ignore', 'pipe'] });
      execFileSync('mv', ['-f', tmp, bin]);
    }
    return bin;
  };
  let bin: string;
  try {
    const dir = join(tmpdir(), 'bpfkit-capture');
    mkdirSync(dir, { recursive: true });
    bin = build(dir);
  } catch {
    // The shared cache may belong to another user (e.g. root's, seen from a user namespace).
    bin = build(mkdtempSync(join(tmpdir(), 'bpfkit-capture-')));
  }
  return bin;
}
