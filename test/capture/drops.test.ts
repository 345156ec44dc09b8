// Drops are counted, never hidden: a deliberately slow consumer under a flood
// sees the kernel's drops, and captured + dropped accounts for every packet
// that was sent to the socket.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openLive, type LiveCapture } from '../../src/capture/live.js';
import type { Program } from '../../src/bpf/program.js';
import { Oracle } from '../oracle/oracle.js';
import { testInUserNamespace, closeWhenIdle, createVethPair, finished, floodBinary, inNetns, netnsUnavailable, spawnIn, type VethPair } from './netns.js';

const unavailable = netnsUnavailable();

testInUserNamespace(import.meta.url);
let pair: VethPair;
let filter: Program;
let flood: string;

before(async () => {
  if (unavailable) return;
  pair = createVethPair('d');
  const oracle = await Oracle.start();
  filter = await oracle.compile('udp dst port 9100');
  oracle.close();
  flood = floodBinary();
});
after(() => pair?.remove());

/** Consumes slowly (a pause every few packets) until nothing has arrived for `idleMs` after the senders finished. */
async function consumeSlowly(live: LiveCapture, idleMs: number, sent: Promise<unknown>): Promise<number> {
  let n = 0;
  const idle = closeWhenIdle(live, idleMs, sent);
  for await (const _ of live) {
    n++;
    if (n % 16 === 0) await new Promise((r) => setTimeout(r, 1));
    idle.touch();
  }
  idle.cancel();
  return n;
}

for (const ring of [true, false]) {
  test(`a slow consumer sees kernel drops, and captured + dropped = sent (${ring ? 'ring' : 'recv path'})`, { timeout: 60000 }, async (t) => {
    if (unavailable) return t.skip(unavailable);
    const SENT = 30000;
    const live = await inNetns(pair.nsB, () => openLive(pair.ifB, { filter, ring, bufferSize: 64 * 1024, immediate: true }));
    // A second port the filter refuses: it must not count anywhere.
    const noise = finished(spawnIn(pair.nsA, flood, [pair.ipB, '9101', '0', '5', '18', '20000']));
    const sender = finished(spawnIn(pair.nsA, flood, [pair.ipB, '9100', '0', '5', '18', String(SENT)]));
    const consumed = consumeSlowly(live, 500, Promise.all([noise, sender]));
    const sent = Number(await sender);
    await noise;
    const captured = await consumed;
    const stats = live.stats();
    t.diagnostic(`sent ${sent}, captured ${captured}, kernel: received ${stats.received}, dropped ${stats.dropped}`);
    assert.equal(sent, SENT);
    assert.equal(stats.captured, captured);
    assert.ok(stats.dropped > 0, 'the slow consumer must make the kernel drop');
    assert.equal(stats.received, SENT, 'the kernel saw every datagram sent to the socket');
    assert.equal(captured + stats.dropped, SENT, 'captured + dropped accounts for every datagram');
  });
}
