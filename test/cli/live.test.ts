/**
 * Live capture from the command line, inside network namespaces: -i with -c,
 * the statistics at exit, SIGINT ending a capture cleanly with the -w file
 * complete, the capture options (-p, -Q, -B, -s, --immediate-mode, -y), and
 * --xdp counting matches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { BIN, netnsUnavailable, sendUdp, tcpdump, tempDir, vethPair } from './helpers.js';

interface Running {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<number>;
}

/** Starts bpfdump inside a namespace and resolves once it says it is listening (or attached). */
async function start(ns: string, args: string[]): Promise<Running> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, ...args], { env: { ...process.env, TZ: 'UTC' } });
  const run: Running = { child, stdout: '', stderr: '', exit: new Promise((r) => child.once('exit', (code) => r(code ?? -1))) };
  child.stdout!.on('data', (d: Buffer) => { run.stdout += d.toString(); });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bpfdump did not start: ${run.stderr}`)), 20000);
    child.stderr!.on('data', (d: Buffer) => {
      run.stderr += d.toString();
      if (/listening on|attached at XDP/.test(run.stderr)) { clearTimeout(timer); resolve(); }
    });
    void run.exit.then(() => { clearTimeout(timer); resolve(); });
  });
  return run;
}

const skipUnlessRoot = (t: { skip: (why: string) => void }): boolean => {
  const why = netnsUnavailable();
  if (why) t.skip(why);
  return why !== null;
};

test('-i IFACE -c N EXPRESSION prints N packets and tcpdump\'s statistics', async (t) => {
  if (skipUnlessRoot(t)) return;
  const p = vethPair('lv');
  try {
    const run = await start(p.a, ['-i', p.va, '-c', '3', '-n', '--immediate-mode', 'udp port 7777']);
    sendUdp(p.b, p.ipA, 9999, 3);
    sendUdp(p.b, p.ipA, 7777, 5);
    assert.equal(await run.exit, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3, run.stdout);
    for (const l of lines) assert.match(l, new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{6} IP ${p.ipB.replace(/\./g, '\\.')}\\.\\d+ > ${p.ipA.replace(/\./g, '\\.')}\\.7777: UDP, length 8$`));
    assert.match(run.stderr, /^bpfdump: verbose output suppressed, use -v\[v\]\.\.\. for full protocol decode\nlistening on v\w+, link-type EN10MB \(Ethernet\), snapshot length 262144 bytes\n/);
    assert.match(run.stderr, /\n3 packets captured\n\d+ packets? received by filter\n0 packets dropped by kernel\n$/);
  } finally {
    p.remove();
  }
});

test('SIGINT ends a capture cleanly: the -w file holds every packet captured, statistics follow', async (t) => {
  if (skipUnlessRoot(t)) return;
  const p = vethPair('si');
  const out = join(tempDir(), 'live.pcap');
  try {
    const run = await start(p.a, ['-i', p.va, '-w', out, '-s', '64', '-p', '-Q', 'in', '-B', '1024', '--immediate-mode', 'udp']);
    sendUdp(p.b, p.ipA, 7000, 20, 200);
    await new Promise((r) => setTimeout(r, 300));
    run.child.kill('SIGINT');
    assert.equal(await run.exit, 0, run.stderr);
    const stats = /\n\n(\d+) packets captured\n(\d+) packets received by filter\n(\d+) packets dropped by kernel\n$/.exec(run.stderr);
    assert.ok(stats, run.stderr);
    assert.equal(Number(stats[1]), 20);
    const read = tcpdump(['-nr', out, '-e']);
    assert.equal(read.stdout.trimEnd().split('\n').length, 20);
    assert.match(read.stderr, /snapshot length 64/);
    // -s 64 kept 64 bytes of each 242-byte frame.
    assert.ok(read.stdout.trimEnd().split('\n').every((l) => l.includes('length 242:')), read.stdout);
    const hex = tcpdump(['-r', out, '-xx', '-c', '1']).stdout.split('\n').slice(1).map((l) => l.replace(/^\s*0x[0-9a-f]+:\s*/, '').replace(/\s/g, '')).join('');
    assert.equal(hex.length / 2, 64);
  } finally {
    p.remove();
  }
});

test('-Q out sees only what the interface sends; -i any with -y LINUX_SLL2 gives cooked v2 headers', async (t) => {
  if (skipUnlessRoot(t)) return;
  const p = vethPair('qo');
  try {
    const out = await start(p.b, ['-i', p.vb, '-Q', 'out', '-c', '2', '-n', '--immediate-mode', 'udp']);
    sendUdp(p.a, p.ipB, 7001, 2);
    sendUdp(p.b, p.ipA, 7002, 2);
    assert.equal(await out.exit, 0, out.stderr);
    assert.ok(out.stdout.trimEnd().split('\n').every((l) => l.includes(`> ${p.ipA}.7002:`)), out.stdout);
    const any = await start(p.b, ['-i', 'any', '-y', 'LINUX_SLL2', '-e', '-c', '1', '-n', '--immediate-mode', 'udp port 7003']);
    sendUdp(p.a, p.ipB, 7003, 1);
    assert.equal(await any.exit, 0, any.stderr);
    assert.match(any.stderr, /link-type LINUX_SLL2/);
    assert.match(any.stdout, /In +ifindex \d+ [0-9a-f:]{17} ethertype IPv4 \(0x0800\), length \d+: /);
  } finally {
    p.remove();
  }
});

test('--xdp count counts matching packets at XDP and prints the summary', async (t) => {
  if (skipUnlessRoot(t)) return;
  const p = vethPair('xd');
  try {
    const run = await start(p.a, ['-i', p.va, '--xdp', 'count', '-c', '4', 'udp port 7777']);
    if (/not supported|Operation not permitted|EPERM|EINVAL/.test(run.stderr)) { t.skip(`XDP unavailable: ${run.stderr.trim()}`); return; }
    sendUdp(p.b, p.ipA, 7777, 4);
    sendUdp(p.b, p.ipA, 7778, 2);
    const exit = await Promise.race([run.exit, new Promise<number>((r) => setTimeout(() => { run.child.kill('SIGINT'); r(-2); }, 10000))]);
    assert.equal(exit === -2 ? await run.exit : exit, 0, run.stderr);
    assert.match(run.stderr, /(\d+) packets matched \(counted\)/);
    assert.ok(Number(/(\d+) packets matched/.exec(run.stderr)![1]) >= 4, run.stderr);
  } finally {
    p.remove();
  }
});
