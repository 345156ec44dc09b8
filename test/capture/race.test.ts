// The startup race, measured: while non-matching UDP floods the interface,
// capture starts with a filter for a trickle of other packets never deliver a
// non-matching packet; a naive attach (socket bound for ETH_P_ALL first,
// filter after) does, which proves the test can fail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { openLive, type LiveCapture } from '../../src/capture/live.js';
import { interpret } from '../../src/bpf/interpreter.js';
import type { Program } from '../../src/bpf/program.js';
import { interfaceIdentity } from '../../src/capture/interfaces.js';
import { attachFilter } from '../../src/capture/kernel-filter.js';
import {
  AF_PACKET, ETH_P_ALL, MSG_DONTWAIT, MSG_TRUNC, SOCK_RAW, bind, close, htons, recvfrom, sockaddrLl, socket,
} from '../../src/capture/syscalls.js';
import { Oracle } from '../oracle/oracle.js';
import { testInUserNamespace, createVethPair, floodBinary, inNetns, netnsUnavailable, spawnIn, type VethPair } from './netns.js';

const unavailable = netnsUnavailable();

testInUserNamespace(import.meta.url);
const STARTS = Number(process.env.BPFKIT_LONG ? 1000 : 200);
let pair: VethPair;
let filter: Program;
let flood: ChildProcess | undefined;
let trickle: ChildProcess | undefined;

before(async () => {
  if (unavailable) return;
  pair = createVethPair('r');
  const oracle = await Oracle.start();
  filter = await oracle.compile('udp dst port 9001');
  oracle.close();
  const bin = floodBinary();
  // Bounded: 20k datagrams/s for at most 60 s; killed when the tests end.
  flood = spawnIn(pair.nsA, bin, [pair.ipB, '9000', '20000', '60', '18', '1200000']);
  trickle = spawnIn(pair.nsA, bin, [pair.ipB, '9001', '2000', '60', '18', '120000']);
  await new Promise((r) => setTimeout(r, 500));
});
after(() => {
  flood?.kill('SIGKILL');
  trickle?.kill('SIGKILL');
  pair?.remove();
});

/** Reads what a fresh capture delivers in its first moments (at least one packet, or 60 ms). */
async function firstPackets(live: LiveCapture): Promise<Uint8Array[]> {
  const got: Uint8Array[] = [];
  const timer = setTimeout(() => void live.close(), 60);
  try {
    for await (const p of live) {
      got.push(p.data.slice());
      if (got.length >= 3) break;
    }
  } finally {
    clearTimeout(timer);
    await live.close();
  }
  return got;
}

for (const ring of [true, false]) {
  test(`${STARTS} capture starts under a flood deliver no packet the filter refuses (${ring ? 'ring' : 'recv path'})`, { timeout: 120000 }, async (t) => {
    if (unavailable) return t.skip(unavailable);
    let delivered = 0, mismatches = 0;
    for (let i = 0; i < STARTS; i++) {
      const live = await inNetns(pair.nsB, () => openLive(pair.ifB, { filter, immediate: true, ring, bufferSize: 256 * 1024 }));
      for (const data of await firstPackets(live)) {
        delivered++;
        if (interpret(filter, data, data.length) === 0) mismatches++;
      }
    }
    t.diagnostic(`${STARTS} starts, ${delivered} packets delivered, ${mismatches} refused by the filter`);
    assert.ok(delivered > STARTS / 4, `captures work at all (${delivered} delivered)`);
    assert.equal(mismatches, 0);
  });
}

test(`the naive attach (bind for ETH_P_ALL, then SO_ATTACH_FILTER) does deliver refused packets`, { timeout: 60000 }, async (t) => {
  if (unavailable) return t.skip(unavailable);
  const { index } = inNetns(pair.nsB, () => interfaceIdentity(pair.ifB));
  const buf = new Uint8Array(2048);
  let delivered = 0, mismatches = 0;
  for (let i = 0; i < STARTS; i++) {
    const fd = inNetns(pair.nsB, () => socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)));
    try {
      bind(fd, sockaddrLl({ protocol: ETH_P_ALL, ifindex: index }));
      attachFilter(fd, filter);
      for (let n = 0; n < 10000; n++) {
        const r = recvfrom(fd, buf, MSG_DONTWAIT | MSG_TRUNC);
        if (!r) break;
        delivered++;
        if (interpret(filter, buf.subarray(0, r.copied), r.length) === 0) mismatches++;
      }
    } finally {
      close(fd);
    }
  }
  t.diagnostic(`naive: ${STARTS} starts, ${delivered} packets read at once, ${mismatches} refused by the filter`);
  assert.ok(mismatches > 0, 'the flood must reach a naive socket before its filter does');
});
