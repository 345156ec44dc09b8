import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Program } from '../../src/bpf/program.js';
import { attachXdp, unpinXdp, type XdpMode, type XdpAction } from '../../src/ebpf/xdp.js';
import { runXdp, formatXdpSummary } from '../../src/ebpf/xdp-session.js';
import { Oracle } from '../oracle/oracle.js';
import { createVethPair, inNetns, netnsUnavailable, spawnIn, finished, runIn, type VethPair } from '../capture/netns.js';

const unavailable = netnsUnavailable();
const here = dirname(fileURLToPath(import.meta.url));
const udpTool = join(here, 'udp-tool.js');
const childScript = join(here, 'xdp-child.js');
const SENT = 400;

async function compile(expr: string): Promise<Program> {
  const oracle = await Oracle.start();
  try { return await oracle.compile(expr, { linkType: 1 }); } finally { oracle.close(); }
}

/** Whether any XDP program is attached to the interface, as `ip link` reports it. */
function xdpAttached(ns: string, ifname: string): boolean {
  const out = execFileSync('ip', ['-n', ns, '-d', 'link', 'show', 'dev', ifname]).toString();
  return /\bxdp(generic|drv|offload)?\b|prog\/xdp/.test(out);
}

/** Sends SENT datagrams to each of ports 7777 and 9999 from nsA to nsB; returns what arrived per port. */
async function flood(pair: VethPair): Promise<Record<string, number>> {
  const receiver = spawnIn(pair.nsB, process.execPath, [udpTool, 'receive', '1000', '7777,9999']);
  const result = finished(receiver);
  await new Promise<void>((resolve, reject) => {
    receiver.stdout!.once('data', (d) => (String(d).startsWith('ready') ? resolve() : reject(new Error(`receiver said ${d}`))));
    receiver.once('exit', (code) => reject(new Error(`receiver exited ${code}`)));
  });
  runIn(pair.nsA, process.execPath, [udpTool, 'send', pair.ipB, `7777:${SENT},9999:${SENT}`]);
  const out = await result;
  return JSON.parse(out.trim().split('\n').pop()!);
}

for (const mode of ['native', 'generic'] as XdpMode[]) {
  test(`XDP (${mode}) dropping "udp port 7777" on a veth drops the whole flood to 7777, passes 9999, and counts exactly`, { skip: unavailable ?? false, timeout: 60000 }, async () => {
    const prog = await compile('udp port 7777');
    const pair = createVethPair('x');
    try {
      const xdp = inNetns(pair.nsB, () => attachXdp(prog, { interface: pair.ifB, action: 'drop', mode }));
      try {
        assert.ok(xdpAttached(pair.nsB, pair.ifB));
        const got = await flood(pair);
        assert.equal(got['7777'], 0, 'datagrams to 7777 got through');
        assert.equal(got['9999'], SENT, 'datagrams to 9999 were lost');
        const c = xdp.counters();
        assert.equal(c.matched, BigInt(SENT));
        assert.ok(c.unmatched >= BigInt(SENT), `only ${c.unmatched} unmatched packets counted`);
      } finally {
        xdp.detach();
      }
      assert.equal(xdpAttached(pair.nsB, pair.ifB), false, 'still attached after detach()');
    } finally {
      pair.remove();
    }
  });
}

test('XDP pass mode lets only the matching packets through; count mode passes all and counts', { skip: unavailable ?? false, timeout: 60000 }, async () => {
  const prog = await compile('udp port 9999 or arp');
  const pair = createVethPair('p');
  try {
    for (const [action, want7777] of [['pass', 0], ['count', SENT]] as Array<[XdpAction, number]>) {
      const xdp = inNetns(pair.nsB, () => attachXdp(prog, { interface: pair.ifB, action, mode: 'generic' }));
      try {
        const got = await flood(pair);
        assert.deepEqual(got, { 7777: want7777, 9999: SENT }, action);
        assert.equal(xdp.counters().matched, BigInt(SENT), action);
      } finally {
        xdp.detach();
      }
    }
  } finally {
    pair.remove();
  }
});

test('runXdp: streams counters, stops after a duration, detaches, and summarizes', { skip: unavailable ?? false, timeout: 60000 }, async () => {
  const prog = await compile('udp port 7777');
  const pair = createVethPair('s');
  try {
    const seen: bigint[] = [];
    const session = inNetns(pair.nsB, () => runXdp(prog, {
      interface: pair.ifB, action: 'drop', mode: 'generic', durationMs: 2500, intervalMs: 100,
      onCounters: (c) => seen.push(c.matched),
    }));
    const got = await flood(pair);
    const summary = await session;
    assert.equal(got['7777'], 0);
    assert.equal(summary.matched, BigInt(SENT));
    assert.equal(summary.dropped, BigInt(SENT));
    assert.equal(summary.reason, 'duration');
    assert.ok(seen.length >= 5 && seen[seen.length - 1] === BigInt(SENT));
    assert.match(formatXdpSummary(summary), new RegExp(`^${SENT} packets matched \\(dropped\\)`));
    assert.equal(xdpAttached(pair.nsB, pair.ifB), false);
    const stopped = new AbortController();
    const counted = inNetns(pair.nsB, () => runXdp(prog, { interface: pair.ifB, action: 'count', count: 10, signal: stopped.signal }));
    runIn(pair.nsA, process.execPath, [udpTool, 'send', pair.ipB, '7777:20']);
    const byCount = await Promise.race([counted, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('count did not stop the run')), 10000))]);
    assert.equal(byCount.reason, 'count');
    assert.ok(byCount.matched >= 10n);
    assert.equal(xdpAttached(pair.nsB, pair.ifB), false);
  } finally {
    pair.remove();
  }
});

function runChild(pair: VethPair, prog: Program, pin?: string): void {
  const spec = JSON.stringify({ interface: pair.ifB, program: prog.map((x) => [x.code, x.jt, x.jf, x.k]), action: 'drop', mode: 'generic', pin });
  const out = execFileSync('nsenter', [`--net=/var/run/netns/${pair.nsB}`, process.execPath, childScript, spec], { timeout: 20000 }).toString();
  assert.match(out, /"attached":true/);
}

function bpffsMounted(): boolean {
  return readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === '/sys/fs/bpf' && l.split(' ')[2] === 'bpf');
}

test('a process that exits detaches its XDP program; a pinned one stays until unpinned', { skip: unavailable ?? false, timeout: 60000 }, async () => {
  const prog = await compile('udp port 7777');
  const pair = createVethPair('e');
  const hadBpffs = bpffsMounted();
  const pin = `/sys/fs/bpf/bpfkit-test-${process.pid}`;
  try {
    runChild(pair, prog);
    assert.equal(xdpAttached(pair.nsB, pair.ifB), false, 'an XDP program stayed attached after its process exited');
    runChild(pair, prog, pin);
    assert.ok(existsSync(pin) && existsSync(`${pin}_counters`));
    assert.equal(xdpAttached(pair.nsB, pair.ifB), true, 'the pinned program is gone');
    unpinXdp(pin);
    // The link is released when its last reference (the pin) goes.
    for (let i = 0; i < 50 && xdpAttached(pair.nsB, pair.ifB); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(xdpAttached(pair.nsB, pair.ifB), false, 'still attached after unpinning');
  } finally {
    unpinXdp(pin);
    pair.remove();
    if (!hadBpffs && bpffsMounted()) execFileSync('umount', ['/sys/fs/bpf']);
  }
});

test('attaching to a missing interface or twice is a clear error', { skip: unavailable ?? false, timeout: 30000 }, async () => {
  const prog = await compile('udp');
  const pair = createVethPair('d');
  try {
    assert.throws(() => inNetns(pair.nsB, () => attachXdp(prog, { interface: 'nosuchif0', action: 'drop' })), /no interface named "nosuchif0"/);
    const first = inNetns(pair.nsB, () => attachXdp(prog, { interface: pair.ifB, action: 'count', mode: 'generic' }));
    try {
      assert.throws(() => inNetns(pair.nsB, () => attachXdp(prog, { interface: pair.ifB, action: 'drop', mode: 'generic' })), /another XDP program is already attached/);
    } finally {
      first.detach();
    }
  } finally {
    pair.remove();
  }
});

