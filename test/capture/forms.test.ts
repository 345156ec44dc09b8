// The ways to consume a capture (async iterator, batches, stream, callback),
// waiting through either mechanism, snaplen, VLAN tags put back, close
// ordering, and the typed errors for bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openLive, type LiveCapture } from '../../src/capture/live.js';
import { CaptureError } from '../../src/capture/errors.js';
import { NoSuchInterfaceError } from '../../src/capture/interfaces.js';
import { SyscallError } from '../../src/capture/syscalls.js';
import { execFileSync } from 'node:child_process';
import { VerifyError } from '../../src/bpf/verifier.js';
import { program, type Program } from '../../src/bpf/program.js';
import { jitBatchSelect } from '../../src/bpf/jit.js';
import type { PacketRecord } from '../../src/pcap/record.js';
import { Oracle } from '../oracle/oracle.js';
import { testInUserNamespace, createVethPair, finished, floodBinary, inNetns, netnsUnavailable, spawnIn, type VethPair } from './netns.js';
import { ethernet, vlan } from '../../src/craft/ethernet.js';
import { ipv4 } from '../../src/craft/ipv4.js';
import { udp } from '../../src/craft/udp.js';

const unavailable = netnsUnavailable();

testInUserNamespace(import.meta.url);
let pair: VethPair;
let oracle: Oracle;
let flood: string;

before(async () => {
  if (unavailable) return;
  pair = createVethPair('f');
  oracle = await Oracle.start();
  flood = floodBinary();
});
after(() => {
  pair?.remove();
  oracle?.close();
});

function send(port: number, count: number, payload = 18): Promise<string> {
  return finished(spawnIn(pair.nsA, flood, [pair.ipB, String(port), '20000', '2', String(payload), String(count)]));
}

async function openB(filter: Program, extra: object = {}): Promise<LiveCapture> {
  return inNetns(pair.nsB, () => openLive(pair.ifB, { filter, immediate: true, ...extra }));
}

test('batches(): one ring block at a time, without copying, counted like records', { timeout: 20000 }, async (t) => {
  if (unavailable) return t.skip(unavailable);
  const filter = await oracle.compile('udp dst port 7201');
  const live = await openB(filter);
  const sent = send(7201, 500);
  // The JIT's batch form runs over a ring block in place.
  const select = jitBatchSelect(filter, { semantics: 'bsd' });
  const selected = new Uint32Array(1 << 16);
  let total = 0;
  let last: { data: Uint8Array; offsets: Uint32Array; count: number } | undefined;
  let stop: NodeJS.Timeout | undefined;
  void sent.then(() => { stop = setTimeout(() => void live.close(), 1500); });
  for await (const b of live.batches()) {
    for (let i = 0; i < b.count; i++) {
      const at = b.offsets[i];
      assert.equal((b.data[at + 36] << 8) | b.data[at + 37], 7201);
      assert.equal(b.wirelens[i], 14 + 20 + 8 + 18);
      assert.ok(b.timestamps.sec[i] > 0);
    }
    assert.equal(select(b.data, b.offsets, b.caplens, b.wirelens, b.count, selected), b.count, 'the batch filter accepts every packet the kernel passed');
    total += b.count;
    last = b;
    if (total >= 500) break;
  }
  clearTimeout(stop);
  await sent;
  assert.equal(total, 500);
  assert.equal(live.stats().captured, 500);
  await live.close();
  // After close the ring is gone; an old batch's view reads zeros instead of faulting.
  assert.ok(last);
  assert.equal(last.data[last.offsets[0] + 36], 0);
});

test('readable(): a stream with backpressure into a slow Writable', { timeout: 20000 }, async (t) => {
  if (unavailable) return t.skip(unavailable);
  const live = await openB(await oracle.compile('udp dst port 7202'));
  const sent = send(7202, 100);
  const seen: number[] = [];
  const sink = new Writable({
    objectMode: true,
    highWaterMark: 4,
    write(p: PacketRecord, _enc, done) {
      seen.push((p.data[36] << 8) | p.data[37]);
      if (seen.length === 100) void live.close();
      setTimeout(done, 1);
    },
  });
  await Promise.all([pipeline(live.readable(), sink), sent]);
  assert.deepEqual(seen, new Array(100).fill(7202));
});

test("forEach(): waits for an async callback; the 'thread' waiter works as well as 'uv'", { timeout: 20000 }, async (t) => {
  if (unavailable) return t.skip(unavailable);
  const live = await openB(await oracle.compile('udp dst port 7203'), { wait: 'thread' });
  const sent = send(7203, 50);
  let n = 0, inside = 0, overlap = false;
  await live.forEach(async () => {
    if (inside++) overlap = true;
    await new Promise((r) => setTimeout(r, 1));
    inside--;
    if (++n === 50) await live.close();
  });
  await sent;
  assert.equal(n, 50);
  assert.equal(overlap, false, 'one callback at a time');
});

test('close() ends a pending next() with null; use after close is a typed error', { timeout: 10000 }, async (t) => {
  if (unavailable) return t.skip(unavailable);
  const live = await openB(await oracle.compile('udp dst port 7299'));
  const pending = live.next();
  await new Promise((r) => setTimeout(r, 20));
  await live.close();
  assert.equal(await pending, null);
  await live.close(); // idempotent
  await assert.rejects(live.setFilter(program([{ code: 6, jt: 0, jf: 0, k: 0 }])), (e) => e instanceof CaptureError && e.code === 'CLOSED');
  assert.throws(() => live.inject(new Uint8Array(60)), (e) => e instanceof CaptureError && e.code === 'CLOSED');
});

test('snaplen truncates the captured bytes, not the wire length', { timeout: 10000 }, async (t) => {
  if (unavailable) return t.skip(unavailable);
  const live = await openB(await oracle.compile('udp dst port 7204'), { snaplen: 40 });
  const sent = send(7204, 5, 200);
  const got: PacketRecord[] = [];
  for await (const p of live) {
    got.push(p);
    if (got.length === 5) break;
  }
  await live.close();
  await sent;
  for (const p of got) {
    assert.equal(p.caplen, 40);
    assert.equal(p.data.length, 40);
    assert.equal(p.len, 14 + 20 + 8 + 200);
  }
});

test('a VLAN tag the kernel took out of the frame is put back (TP_STATUS_VLAN_VALID)', { timeout: 10000 }, async (t) => {
  if (unavailable) return t.skip(unavailable);
  // Frames sent tagged; the receiving kernel moves the tag into skb metadata before taps see it.
  const filter = await oracle.compile('udp dst port 7205');
  const live = await openB(filter, { direction: 'in' });
  const tx = await inNetns(pair.nsA, () => openLive(pair.ifA, { filter: program([{ code: 6, jt: 0, jf: 0, k: 0 }]) }));
  for (let i = 0; i < 3; i++) {
    tx.inject(ethernet({ dst: pair.macB, src: pair.macA }, vlan({ vid: 10 }, ipv4({ src: pair.ipA, dst: pair.ipB }, udp({ sport: 5555, dport: 7205 }, new Uint8Array(18))))));
  }
  await tx.close();
  const tagged: PacketRecord[] = [];
  const stop = setTimeout(() => void live.close(), 2000);
  for await (const p of live) {
    if (p.data[12] === 0x81 && p.data[13] === 0x00) tagged.push(p);
    if (tagged.length === 3) break;
  }
  clearTimeout(stop);
  await live.close();
  assert.equal(tagged.length, 3);
  for (const p of tagged) {
    assert.equal(((p.data[14] << 8) | p.data[15]) & 0x0fff, 10, 'VLAN id 10');
    assert.equal((p.data[16] << 8) | p.data[17], 0x0800, 'then IPv4');
    assert.equal((p.data[18 + 22] << 8) | p.data[18 + 23], 7205);
    assert.equal(p.len, 18 + 20 + 8 + 18);
  }
});

test('bad input: typed errors that name the culprit', { timeout: 10000 }, async (t) => {
  if (unavailable) return t.skip(unavailable);
  const accept = program([{ code: 6, jt: 0, jf: 0, k: 0xffff }]);
  await assert.rejects(inNetns(pair.nsB, () => openLive('nonexistent0', { filter: accept })), (e) => e instanceof NoSuchInterfaceError && /nonexistent0/.test(e.message));
  await assert.rejects(openB(accept, { snaplen: 0 }), (e) => e instanceof CaptureError && e.code === 'BAD_OPTION' && /snaplen/.test(e.message));
  await assert.rejects(openB(accept, { direction: 'sideways' }), (e) => e instanceof CaptureError && /direction/.test(e.message));
  await assert.rejects(openB(accept, { bufferSize: 12 }), (e) => e instanceof CaptureError && /bufferSize/.test(e.message));
  // A jump past the end: the verifier names instruction 0 before the kernel sees it.
  const bad = program([{ code: 0x15, jt: 5, jf: 0, k: 0 }, { code: 6, jt: 0, jf: 0, k: 0 }]);
  await assert.rejects(openB(bad), (e) => e instanceof VerifyError && e.index === 0);
  const live = await openB(accept);
  await assert.rejects(live.setFilter(bad), (e) => e instanceof VerifyError && e.index === 0);
  await live.close();
  const any = await inNetns(pair.nsB, () => openLive('any', { filter: accept }));
  assert.throws(() => any.inject(new Uint8Array(60)), (e) => e instanceof CaptureError && e.code === 'NOT_SUPPORTED');
  await any.close();
});

for (const ring of [true, false]) {
  test(`an interface that goes away ends the capture with a typed error, not a spin (${ring ? 'ring' : 'recv path'})`, { timeout: 20000 }, async (t) => {
    if (unavailable) return t.skip(unavailable);
    const own = createVethPair('g');
    try {
      const live = await inNetns(own.nsB, () => openLive(own.ifB, { immediate: true, ring }));
      const reading = live.next().then(() => live.next()).then(() => live.next());
      await new Promise((r) => setTimeout(r, 50));
      execFileSync('ip', ['-n', own.nsB, 'link', 'del', own.ifB]);
      const cpu0 = process.cpuUsage();
      await assert.rejects(reading, (e) => e instanceof SyscallError && /ENODEV|ENETDOWN/.test(e.code) && e.message.includes(own.ifB));
      const cpu = process.cpuUsage(cpu0);
      assert.ok(cpu.user + cpu.system < 500000, 'no busy loop while the error is pending');
      await live.close();
    } finally {
      own.remove();
    }
  });
}
