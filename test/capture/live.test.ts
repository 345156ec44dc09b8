// Live capture between two network namespaces: what the capture delivers is
// exactly what the filter selects out of what was really sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ethernet } from '../../src/craft/ethernet.js';
import { ipv4 } from '../../src/craft/ipv4.js';
import { icmp } from '../../src/craft/icmp.js';
import { openLive, type LiveCapture } from '../../src/capture/live.js';
import type { PacketRecord } from '../../src/pcap/record.js';
import { program, type Program } from '../../src/bpf/program.js';
import { interpret } from '../../src/bpf/interpreter.js';
import { Oracle } from '../oracle/oracle.js';
import { testInUserNamespace, closeWhenIdle, createVethPair, finished, floodBinary, inNetns, inNetnsAsync, netnsUnavailable, runIn, spawnIn, type VethPair } from './netns.js';

const unavailable = netnsUnavailable();

testInUserNamespace(import.meta.url);
// A sender's own capture socket needs a filter that keeps it from queueing anything.
const REJECT_NOTHING_SENT = program([{ code: 0x06, jt: 0, jf: 0, k: 0 }]);
let pair: VethPair;
let oracle: Oracle;
let flood: string;

before(async () => {
  if (unavailable) return;
  pair = createVethPair('l');
  oracle = await Oracle.start();
  flood = floodBinary();
});
after(() => {
  pair?.remove();
  oracle?.close();
});

/**
 * Collects packets until `count` arrived, or until `ms` passed with none
 * arriving once `sent` (the senders) has settled: a loaded machine may take a
 * while to start a sender, and that must not end the capture early.
 */
async function collect(live: LiveCapture, count: number, ms: number, sent: Promise<unknown> = Promise.resolve()): Promise<PacketRecord[]> {
  const got: PacketRecord[] = [];
  const idle = closeWhenIdle(live, ms, sent);
  for await (const p of live) {
    got.push({ ...p, data: p.data.slice() });
    if (got.length >= count) break;
    idle.touch();
  }
  idle.cancel();
  await live.close();
  return got;
}

function udpDstPort(frame: Uint8Array): number {
  const ihl = (frame[14] & 0x0f) * 4;
  return (frame[14 + ihl + 2] << 8) | frame[14 + ihl + 3];
}

function udpSeq(frame: Uint8Array): number {
  const ihl = (frame[14] & 0x0f) * 4;
  return new DataView(frame.buffer, frame.byteOffset).getUint32(14 + ihl + 8, true);
}

/** Sends `count` ICMP echo requests from A to B as raw frames (no ping binary needed); B's kernel answers them. */
async function pingB(count: number): Promise<void> {
  const tx = await openIn(pair.nsA, pair.ifA, REJECT_NOTHING_SENT);
  try {
    for (let seq = 1; seq <= count; seq++) {
      tx.inject(ethernet({ dst: pair.macB, src: pair.macA }, ipv4({ src: pair.ipA, dst: pair.ipB }, icmp({ type: 8, id: 0x4242, seq }, new Uint8Array(32)))));
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await tx.close();
  }
}

async function openIn(ns: string, ifname: string, filter: Program, extra: object = {}): Promise<LiveCapture> {
  return inNetns(ns, () => openLive(ifname, { filter, immediate: true, ...extra }));
}

for (const ring of [true, false]) {
  test(`UDP: exactly the datagrams sent to the filtered port (${ring ? 'ring' : 'recv path'})`, { timeout: 30000 }, async (t) => {
    if (unavailable) return t.skip(unavailable);
    const filter = await oracle.compile('udp dst port 7001');
    // Exactness needs headroom: a test runner sharing two cores can stall the reader for tens of
    // milliseconds, longer than the default 2 MiB ring (8 blocks retired every millisecond) lasts.
    const live = await openIn(pair.nsB, pair.ifB, filter, { ring, bufferSize: 64 << 20 });
    const wanted = spawnIn(pair.nsA, flood, [pair.ipB, '7001', '5000', '2', '32', '200']);
    const other = spawnIn(pair.nsA, flood, [pair.ipB, '7002', '5000', '2', '32', '200']);
    const senders = Promise.all([finished(wanted), finished(other)]);
    const got = collect(live, 200, 1000, senders);
    const [sentWanted, sentOther] = await senders;
    const packets = await got;
    const stats = live.stats();
    t.diagnostic(`kernel: ${stats.received} accepted by the filter, ${stats.dropped} dropped; ${packets.length} delivered`);
    assert.equal(Number(sentWanted), 200);
    assert.equal(Number(sentOther), 200);
    assert.equal(packets.length, 200, 'every datagram to port 7001, and nothing else');
    assert.deepEqual(packets.map((p) => udpDstPort(p.data)), new Array(200).fill(7001));
    assert.deepEqual(packets.map((p) => udpSeq(p.data)), [...Array(200).keys()], 'in the order sent');
    for (const p of packets) {
      assert.equal(p.linkType, 1);
      assert.equal(p.caplen, p.data.length);
      assert.equal(p.len, 14 + 20 + 8 + 32);
      assert.ok(p.timestamp.nsec >= 0 && p.timestamp.nsec < 1e9);
      assert.ok(interpret(filter, p.data, p.len) !== 0);
    }
  });
}

test('a Program only libpcap runs (a backward jump, as in ip6 protochain) is judged in user space: still exactly the selected datagrams', { timeout: 30000 }, async (t) => {
  if (unavailable) return t.skip(unavailable);
  const plain = await oracle.compile('udp dst port 7001');
  // 0: ja +1 (to 2); 1: ja +1 (to 3, the filter); 2: ja -2 (back to 1). The kernel refuses the backward jump.
  const looping = program([
    { code: 0x05, jt: 0, jf: 0, k: 1 }, { code: 0x05, jt: 0, jf: 0, k: 1 }, { code: 0x05, jt: 0, jf: 0, k: 0xfffffffe },
    ...plain,
  ]);
  const live = await openIn(pair.nsB, pair.ifB, looping, { bufferSize: 64 << 20 });
  const wanted = spawnIn(pair.nsA, flood, [pair.ipB, '7001', '5000', '2', '32', '200']);
  const other = spawnIn(pair.nsA, flood, [pair.ipB, '7002', '5000', '2', '32', '200']);
  const senders = Promise.all([finished(wanted), finished(other)]);
  const got = collect(live, 200, 1000, senders);
  await senders;
  const packets = await got;
  assert.equal(packets.length, 200, 'every datagram to port 7001, and nothing else');
  for (const p of packets) assert.equal(udpDstPort(p.data), 7001);
});

test('an expression filter is compiled for the capture\'s link type (EN10MB and cooked "any")', { timeout: 30000 }, async (t) => {
  if (unavailable) return t.skip(unavailable);
  for (const ifname of [pair.ifB, 'any']) {
    // openLive loads the expression compiler first (asynchronously), so stay in the namespace until it is open.
    const live = await inNetnsAsync(pair.nsB, () => openLive(ifname, { filter: 'udp dst port 7006', immediate: true }));
    const sent = Promise.all([7006, 7007].map((port) => finished(spawnIn(pair.nsA, flood, [pair.ipB, String(port), '2000', '1', '20', '30']))));
    const packets = await collect(live, 30, 800, sent);
    await sent;
    const header = ifname === 'any' ? 16 : 14;
    assert.equal(packets.length, 30, ifname);
    for (const p of packets) assert.equal((p.data[header + 22] << 8) | p.data[header + 23], 7006);
  }
});

test('ICMP echo: the requests in and the replies out, nothing else', { timeout: 30000 }, async (t) => {
  if (unavailable) return t.skip(unavailable);
  // The UDP noise goes to a closed port, so B also sends ICMP port-unreachables: the filter must leave them out.
  const filter = await oracle.compile('icmp[icmptype] == icmp-echo or icmp[icmptype] == icmp-echoreply');
  const live = await openIn(pair.nsB, pair.ifB, filter);
  const noise = finished(spawnIn(pair.nsA, flood, [pair.ipB, '7003', '2000', '1', '16', '300']));
  await pingB(4);
  const packets = await collect(live, 8, 1000, noise);
  const stats = live.stats();
  const types = packets.map((p) => p.data[14 + 20]);
  t.diagnostic(`types ${types.join(',')}; kernel: ${stats.received} accepted by the filter, ${stats.dropped} dropped`);
  assert.equal(packets.length, 8);
  assert.deepEqual(types.filter((x) => x === 8).length, 4, 'four echo requests');
  assert.deepEqual(types.filter((x) => x === 0).length, 4, 'four echo replies');
});

test('direction in/out splits the same ICMP exchange (tcpdump -Q)', { timeout: 30000 }, async (t) => {
  if (unavailable) return t.skip(unavailable);
  const filter = await oracle.compile('icmp');
  const inbound = await openIn(pair.nsB, pair.ifB, filter, { direction: 'in' });
  const outbound = await openIn(pair.nsB, pair.ifB, filter, { direction: 'out' });
  await pingB(3);
  const [ins, outs] = await Promise.all([collect(inbound, 3, 800), collect(outbound, 3, 800)]);
  assert.deepEqual(ins.map((p) => p.data[34]), [8, 8, 8]);
  assert.deepEqual(outs.map((p) => p.data[34]), [0, 0, 0]);
});

test('TCP: a whole connection on the filtered port, both directions', { timeout: 30000 }, async (t) => {
  if (unavailable) return t.skip(unavailable);
  const filter = await oracle.compile('tcp port 7100');
  const live = await openIn(pair.nsB, pair.ifB, filter);
  const server = spawnIn(pair.nsB, process.execPath, ['-e', `
    const s = require('node:net').createServer((c) => { let d = ''; c.on('data', (x) => { d += x; }); c.on('end', () => { c.end(); console.log(d); s.close(); }); });
    s.listen(7100, '${pair.ipB}', () => console.log('listening'));
    setTimeout(() => process.exit(3), 10000).unref();`]);
  await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
  const served = finished(server);
  try {
    const noise = spawnIn(pair.nsA, flood, [pair.ipB, '7100', '3000', '1', '16', '200']); // UDP to the same port: not TCP
    runIn(pair.nsA, 'bash', ['-c', `exec 3<>/dev/tcp/${pair.ipB}/7100; printf 'hello bpfkit' >&3; exec 3>&-; sleep 0.2`]);
    await finished(noise);
    assert.equal((await served).trim().split('\n').pop(), 'hello bpfkit');
    const packets = await collect(live, 1000, 800);
    for (const p of packets) assert.equal(p.data[23], 6, 'only TCP');
    const flags = packets.map((p) => p.data[14 + 20 + 13]);
    const SYN = 0x02, ACK = 0x10, FIN = 0x01;
    assert.equal(flags.filter((f) => f === SYN).length, 1, 'one SYN');
    assert.equal(flags.filter((f) => f === (SYN | ACK)).length, 1, 'one SYN-ACK');
    assert.equal(flags.filter((f) => f & FIN).length, 2, 'a FIN each way');
    const payload = packets.map((p) => Buffer.from(p.data.subarray(14 + 20 + ((p.data[14 + 32] >> 4) * 4)))).filter((b) => b.length > 0);
    assert.equal(Buffer.concat(payload).toString(), 'hello bpfkit');
  } finally {
    server.kill();
  }
});

test('"any" delivers cooked (LINUX_SLL) packets from every interface of the namespace', { timeout: 30000 }, async (t) => {
  if (unavailable) return t.skip(unavailable);
  const filter = await oracle.compile('udp dst port 7004', { linkType: 113 });
  const live = await openIn(pair.nsB, 'any', filter);
  assert.equal(live.linkType, 113);
  const sent = Promise.all([7004, 7005].map((port) => finished(spawnIn(pair.nsA, flood, [pair.ipB, String(port), '2000', '1', '24', '20']))));
  const packets = await collect(live, 20, 800, sent);
  assert.equal(packets.length, 20);
  for (const p of packets) {
    assert.equal((p.data[14] << 8) | p.data[15], 0x0800, `SLL protocol field of ${Buffer.from(p.data).toString("hex")}`);
    assert.equal(p.data[1], 0, 'addressed to this host');
    assert.equal((p.data[2] << 8) | p.data[3], 1, 'ARPHRD_ETHER');
    assert.equal(p.len, 16 + 20 + 8 + 24);
    assert.ok(interpret(filter, p.data, p.len) !== 0);
  }
});

test('inject sends a raw frame that the peer captures unchanged', { timeout: 30000 }, async (t) => {
  if (unavailable) return t.skip(unavailable);
  const filter = await oracle.compile('ether proto 0x88b5');
  const rx = await openIn(pair.nsB, pair.ifB, filter);
  const tx = await openIn(pair.nsA, pair.ifA, await oracle.compile('ether proto 0x88b6'));
  const frame = new Uint8Array(60);
  frame.fill(0xff, 0, 6); // broadcast
  frame.set([0x02, 0, 0, 0, 0, 1], 6);
  frame.set([0x88, 0xb5], 12); // IEEE local experimental EtherType
  frame.set(new TextEncoder().encode('bpfkit inject'), 14);
  assert.equal(tx.inject(frame), 60);
  const packets = await collect(rx, 1, 800);
  await tx.close();
  assert.equal(packets.length, 1);
  assert.deepEqual(packets[0].data, frame);
});
