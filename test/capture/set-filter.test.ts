// setFilter() under a flood: once it returns, no packet that only the old
// filter accepts is ever delivered, on the ring and on the plain receive path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { openLive } from '../../src/capture/live.js';
import { CaptureError } from '../../src/capture/errors.js';
import type { Program } from '../../src/bpf/program.js';
import { Oracle } from '../oracle/oracle.js';
import { interfaceIdentity } from '../../src/capture/interfaces.js';
import { attachFilter } from '../../src/capture/kernel-filter.js';
import {
  AF_PACKET, ETH_P_ALL, MSG_DONTWAIT, MSG_TRUNC, SOCK_RAW, bind, close, drain, recvfrom, sockaddrLl, socket,
} from '../../src/capture/syscalls.js';
import { testInUserNamespace, createVethPair, floodBinary, inNetns, netnsUnavailable, spawnIn, type VethPair } from './netns.js';

const unavailable = netnsUnavailable();

testInUserNamespace(import.meta.url);
const SWAPS = Number(process.env.BPFKIT_LONG ? 200 : 30);
let pair: VethPair;
let port9000: Program;
let port9001: Program;
const senders: ChildProcess[] = [];

before(async () => {
  if (unavailable) return;
  pair = createVethPair('s');
  const oracle = await Oracle.start();
  port9000 = await oracle.compile('udp dst port 9000');
  port9001 = await oracle.compile('udp dst port 9001');
  oracle.close();
  const bin = floodBinary();
  // Both ports flooded at once, bounded in time and count; killed when the tests end.
  senders.push(spawnIn(pair.nsA, bin, [pair.ipB, '9000', '20000', '60', '18', '1200000']));
  senders.push(spawnIn(pair.nsA, bin, [pair.ipB, '9001', '20000', '60', '18', '1200000']));
  await new Promise((r) => setTimeout(r, 200));
});
after(() => {
  for (const s of senders) s.kill('SIGKILL');
  pair?.remove();
});

function dstPort(frame: Uint8Array): number {
  return (frame[36] << 8) | frame[37];
}

for (const ring of [true, false]) {
  test(`${SWAPS} filter swaps under a flood: nothing judged by the old filter arrives after (${ring ? 'ring' : 'recv path'})`, { timeout: 60000 }, async (t) => {
    if (unavailable) return t.skip(unavailable);
    const live = await inNetns(pair.nsB, () => openLive(pair.ifB, { filter: port9000, immediate: true, ring }));
    const it = live[Symbol.asyncIterator]();
    let port = 9000, stale = 0, delivered = 0;
    try {
      for (let swap = 0; swap < SWAPS; swap++) {
        // Let packets of the current filter pile up in the ring/queue, unread.
        await new Promise((r) => setTimeout(r, 5));
        const first = await it.next();
        assert.equal(first.done, false);
        assert.equal(dstPort(first.value.data), port, 'the current filter works');
        port = port === 9000 ? 9001 : 9000;
        await live.setFilter(port === 9000 ? port9000 : port9001);
        for (let n = 0; n < 50; n++) {
          const r = await it.next();
          assert.equal(r.done, false);
          delivered++;
          if (dstPort(r.value.data) !== port) stale++;
        }
      }
    } finally {
      await live.close();
    }
    t.diagnostic(`${SWAPS} swaps, ${delivered} packets read right after them, ${stale} judged by the old filter`);
    assert.equal(stale, 0);
  });
}

test('control: swapping with a bare SO_ATTACH_FILTER (no guard, no drain) does deliver old-filter packets', { timeout: 30000 }, async (t) => {
  if (unavailable) return t.skip(unavailable);
  const { index } = inNetns(pair.nsB, () => interfaceIdentity(pair.ifB));
  const fd = inNetns(pair.nsB, () => socket(AF_PACKET, SOCK_RAW, 0));
  const buf = new Uint8Array(2048);
  let stale = 0, read = 0;
  try {
    attachFilter(fd, port9000);
    bind(fd, sockaddrLl({ protocol: ETH_P_ALL, ifindex: index }));
    for (let swap = 0; swap < SWAPS; swap++) {
      await new Promise((r) => setTimeout(r, 5));
      const port = swap % 2 === 0 ? 9001 : 9000;
      attachFilter(fd, port === 9000 ? port9000 : port9001);
      for (let n = 0; n < 50; n++) {
        const r = recvfrom(fd, buf, MSG_DONTWAIT | MSG_TRUNC);
        if (!r) break;
        read++;
        if (dstPort(buf) !== port) stale++;
      }
      drain(fd);
    }
  } finally {
    close(fd);
  }
  t.diagnostic(`bare swaps: ${read} packets read right after them, ${stale} judged by the old filter`);
  assert.ok(stale > 0, 'packets queued under the old filter must show up after a bare swap');
});

test('a locked filter cannot be changed', { timeout: 10000 }, async (t) => {
  if (unavailable) return t.skip(unavailable);
  const live = await inNetns(pair.nsB, () => openLive(pair.ifB, { filter: port9000, lockFilter: true }));
  try {
    await assert.rejects(live.setFilter(port9001), (e) => e instanceof CaptureError && e.code === 'FILTER_LOCKED');
  } finally {
    await live.close();
  }
  const late = await inNetns(pair.nsB, () => openLive(pair.ifB, { filter: port9000 }));
  try {
    late.lockFilter();
    await assert.rejects(late.setFilter(port9001), (e) => e instanceof CaptureError && e.code === 'FILTER_LOCKED');
  } finally {
    await late.close();
  }
});
