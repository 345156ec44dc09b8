// eBPF socket filters on live captures (openLiveEbpf, setEbpfFilter, the
// capture's kernelFilter hook), for real, inside two network namespaces
// joined by a veth pair: exactly the selected traffic; no refused packet in
// the first moments of 60 starts under a flood; no packet of the old filter
// after a swap under a flood. Each race has a control (the naive order with
// the same eBPF program) showing that the flood does reach a careless socket,
// so the zero counts can fail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readdirSync } from 'node:fs';
import { openLive, type KernelFilterAttacher, type LiveCapture } from '../../src/capture/live.js';
import { CaptureError } from '../../src/capture/errors.js';
import { interfaceIdentity } from '../../src/capture/interfaces.js';
import {
  AF_PACKET, ETH_P_ALL, MSG_DONTWAIT, MSG_TRUNC, SOCK_RAW, SOL_SOCKET, SO_ATTACH_FILTER, SyscallError, bind, close, drain,
  geteuid, htons, recvfrom, sockaddrLl, socket, getsockopt,
} from '../../src/capture/syscalls.js';
import { insn, program, type Program } from '../../src/bpf/program.js';
import { BPF_A, BPF_ABS, BPF_LD, BPF_RET, BPF_W, SKF_AD_HATYPE, SKF_AD_OFF } from '../../src/bpf/opcodes.js';
import { compile } from '../../src/filter/compile.js';
import { ebpfKernelFilter, openLiveEbpf, setEbpfFilter } from '../../src/ebpf/live.js';
import { attachSocketProgram, loadSocketFilter } from '../../src/ebpf/socket.js';
import { TranslateError } from '../../src/ebpf/translate.js';
import {
  closeWhenIdle, createVethPair, finished, floodBinary, inNetns, inNetnsAsync, netnsUnavailable, spawnIn, type VethPair,
} from '../capture/netns.js';

const unavailable = geteuid() !== 0
  ? 'needs root: loads eBPF socket filters (bpf(2)) and creates network namespaces and veth pairs'
  : netnsUnavailable();
const udpTool = join(dirname(fileURLToPath(import.meta.url)), 'udp-tool.js');
const LONG = Boolean(process.env.BPFKIT_LONG);
const STARTS = LONG ? 400 : 60;
const SWAPS = LONG ? 100 : 20;
const SENT = 200;

let pair: VethPair;
before(() => {
  if (!unavailable) pair = createVethPair('e');
});
after(() => pair?.remove());

/** The UDP destination port of an IPv4 packet whose IP header starts at `ip`, or -1 for anything else. */
function udpDstPort(data: Uint8Array, ip: number): number {
  if (data.length < ip + 24 || data[ip] >> 4 !== 4 || data[ip + 9] !== 17) return -1;
  const ihl = (data[ip] & 0xf) * 4;
  return (data[ip + ihl + 2] << 8) | data[ip + ihl + 3];
}

/** Where the IP header starts in a record of the capture (Ethernet, or a cooked header for "any"). */
function ipOffset(live: LiveCapture): number {
  return live.linkType === 1 ? 14 : 16;
}

/**
 * What the socket's kernel filter is, asked of the kernel (SO_GET_FILTER):
 * a classic filter returns its instructions; an eBPF one has no classic
 * original and the kernel answers EACCES.
 */
function kernelFilterOf(fd: number): string {
  try {
    const n = getsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, 8 * 4096, 'SO_GET_FILTER').length;
    return n === 0 ? 'none' : 'classic';
  } catch (e) {
    if (e instanceof SyscallError && e.code === 'EACCES') return 'ebpf';
    throw e;
  }
}

/** ebpfKernelFilter, noting the descriptors it attaches to, so a test can ask the kernel what is attached. */
function recordingEbpf(): { attacher: KernelFilterAttacher; fds: number[] } {
  const fds: number[] = [];
  const attacher: KernelFilterAttacher = {
    kind: ebpfKernelFilter.kind,
    prepare(prog) {
      const prepared = ebpfKernelFilter.prepare(prog);
      return { attach: (fd) => { fds.push(fd); prepared.attach(fd); }, release: () => prepared.release() };
    },
  };
  return { attacher, fds };
}

/** Starts bounded UDP floods from nsA to nsB: `[port, packets per second]` each, at most 30 s. */
async function startFloods(flows: Array<[number, number]>): Promise<ChildProcess[]> {
  const bin = floodBinary();
  const children = flows.map(([port, pps]) => spawnIn(pair.nsA, bin, [pair.ipB, String(port), String(pps), '30', '18', String(pps * 30)]));
  await new Promise((r) => setTimeout(r, 300));
  return children;
}

test('a capture with an eBPF filter sees exactly the selected traffic (raw ring and cooked "any")', { skip: unavailable ?? false, timeout: 30000 }, async () => {
  const raw = recordingEbpf();
  const cooked = recordingEbpf();
  const captures = [
    await inNetnsAsync(pair.nsB, () => openLive(pair.ifB, { filter: 'udp dst port 7777', immediate: true, kernelFilter: raw.attacher })),
    await inNetnsAsync(pair.nsB, () => openLive('any', { filter: 'udp dst port 7777', immediate: true, ring: false, kernelFilter: cooked.attacher })),
  ];
  try {
    for (const [i, rec] of [raw, cooked].entries()) {
      assert.equal(captures[i].kernelFilterKind, 'ebpf');
      assert.equal(rec.fds.length, 1, 'attached once, at open');
      assert.equal(kernelFilterOf(rec.fds[0]), 'ebpf', 'the kernel holds an eBPF program, not a classic filter');
    }
    const sent = finished(spawnIn(pair.nsA, process.execPath, [udpTool, 'send', pair.ipB, `7777:${SENT},9999:${SENT},7778:${SENT}`]));
    const seen = await Promise.all(captures.map(async (live) => {
      const ports = new Map<number, number>();
      const idle = closeWhenIdle(live, 600, sent);
      for await (const p of live) {
        idle.touch();
        const port = udpDstPort(p.data, ipOffset(live));
        ports.set(port, (ports.get(port) ?? 0) + 1);
      }
      idle.cancel();
      return { ports: Object.fromEntries(ports), stats: live.stats() };
    }));
    await sent;
    for (const { ports, stats } of seen) {
      assert.deepEqual(ports, { 7777: SENT });
      // The kernel's filter accepted exactly these: nothing else was even queued.
      assert.equal(stats.received, SENT);
      assert.equal(stats.dropped, 0);
      assert.equal(stats.captured, SENT);
    }
  } finally {
    for (const live of captures) await live.close();
  }
});

/** What a fresh capture delivers in its first moments (up to 3 packets, or 60 ms: closing ends next() with null). */
async function firstPackets(live: LiveCapture): Promise<Uint8Array[]> {
  const got: Uint8Array[] = [];
  const timer = setTimeout(() => void live.close(), 60);
  try {
    for (let p = await live.next(); p; p = got.length < 3 ? await live.next() : null) got.push(p.data.slice());
  } finally {
    clearTimeout(timer);
    await live.close();
  }
  return got;
}

test(`${STARTS} eBPF capture starts under a flood deliver no packet the filter refuses; the naive order does`, { skip: unavailable ?? false, timeout: 60000 }, async (t) => {
  const filter = compile('udp dst port 9001');
  const floods = await startFloods([[9000, 20000], [9001, 2000]]);
  try {
    let delivered = 0, mismatches = 0;
    for (let i = 0; i < STARTS; i++) {
      const ring = i % 2 === 0;
      const live = await inNetns(pair.nsB, () => openLiveEbpf(pair.ifB, { filter, immediate: true, ring, bufferSize: 256 * 1024 }));
      assert.equal(live.kernelFilterKind, 'ebpf');
      for (const data of await firstPackets(live)) {
        delivered++;
        if (udpDstPort(data, 14) !== 9001) mismatches++;
      }
    }
    t.diagnostic(`${STARTS} starts (ring and recv path), ${delivered} packets delivered, ${mismatches} refused by the filter`);
    assert.ok(delivered > STARTS / 4, `captures work at all (${delivered} delivered)`);
    assert.equal(mismatches, 0);

    // Control: bound for ETH_P_ALL first, the same eBPF program attached after.
    const { index } = inNetns(pair.nsB, () => interfaceIdentity(pair.ifB));
    const loaded = loadSocketFilter(filter);
    const buf = new Uint8Array(2048);
    let naive = 0, naiveMismatches = 0;
    try {
      for (let i = 0; i < STARTS; i++) {
        const fd = inNetns(pair.nsB, () => socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)));
        try {
          bind(fd, sockaddrLl({ protocol: ETH_P_ALL, ifindex: index }));
          attachSocketProgram(fd, loaded);
          for (let r = recvfrom(fd, buf, MSG_DONTWAIT | MSG_TRUNC); r; r = recvfrom(fd, buf, MSG_DONTWAIT | MSG_TRUNC)) {
            naive++;
            if (udpDstPort(buf.subarray(0, r.copied), 14) !== 9001) naiveMismatches++;
          }
        } finally {
          close(fd);
        }
      }
    } finally {
      loaded.close();
    }
    t.diagnostic(`naive eBPF attach: ${STARTS} starts, ${naive} packets read at once, ${naiveMismatches} refused by the filter`);
    assert.ok(naiveMismatches > 0, 'the flood must reach a socket bound before its eBPF filter is attached');
  } finally {
    for (const f of floods) f.kill('SIGKILL');
  }
});

test(`${SWAPS} swaps under a two-port flood (eBPF, and eBPF ⇄ classic): nothing judged by the old filter arrives after`, { skip: unavailable ?? false, timeout: 60000 }, async (t) => {
  const byPort: Record<number, Program> = { 9000: compile('udp dst port 9000'), 9001: compile('udp dst port 9001') };
  const floods = await startFloods([[9000, 20000], [9001, 20000]]);
  try {
    for (const ring of [true, false]) {
      const rec = recordingEbpf();
      const live = await inNetns(pair.nsB, () => openLive(pair.ifB, { filter: byPort[9000], immediate: true, ring, kernelFilter: rec.attacher }));
      const fd = rec.fds[0];
      const it = live[Symbol.asyncIterator]();
      let port = 9000, stale = 0, delivered = 0;
      const kinds = new Set<string>();
      try {
        assert.equal(kernelFilterOf(fd), 'ebpf');
        for (let swap = 0; swap < SWAPS; swap++) {
          // Let packets of the current filter pile up in the ring/queue, unread.
          await new Promise((r) => setTimeout(r, 5));
          const first = await it.next();
          assert.equal(first.done, false);
          assert.equal(udpDstPort(first.value.data, 14), port, 'the current filter works');
          port = port === 9000 ? 9001 : 9000;
          // Every fourth swap goes to a classic filter, and the next one back to eBPF.
          const classic = swap % 4 === 3;
          if (classic) await live.setFilter(byPort[port], { kernelFilter: 'classic' });
          else await setEbpfFilter(live, byPort[port]);
          const kind = kernelFilterOf(fd);
          assert.equal(kind, classic ? 'classic' : 'ebpf');
          assert.equal(live.kernelFilterKind, kind);
          kinds.add(kind);
          for (let n = 0; n < 50; n++) {
            const r = await it.next();
            assert.equal(r.done, false);
            delivered++;
            if (udpDstPort(r.value.data, 14) !== port) stale++;
          }
        }
        // setFilter() without options keeps the kind of kernel filter chosen last.
        await live.setFilter(byPort[9000], { kernelFilter: 'classic' });
        await live.setFilter(byPort[9001]);
        assert.equal(kernelFilterOf(fd), 'classic');
        await setEbpfFilter(live, byPort[9000]);
        await live.setFilter(byPort[9001]);
        assert.equal(kernelFilterOf(fd), 'ebpf');
      } finally {
        await live.close();
      }
      t.diagnostic(`${ring ? 'ring' : 'recv path'}: ${SWAPS} swaps (${[...kinds].join(', ')}), ${delivered} packets read right after them, ${stale} judged by the old filter`);
      assert.equal(stale, 0);
    }

    // Control: SO_ATTACH_BPF straight over the old program, with no guard and no drain.
    const { index } = inNetns(pair.nsB, () => interfaceIdentity(pair.ifB));
    const loaded = { 9000: loadSocketFilter(byPort[9000]), 9001: loadSocketFilter(byPort[9001]) };
    const fd = inNetns(pair.nsB, () => socket(AF_PACKET, SOCK_RAW, 0));
    const buf = new Uint8Array(2048);
    let read = 0, stale = 0;
    try {
      attachSocketProgram(fd, loaded[9000]);
      bind(fd, sockaddrLl({ protocol: ETH_P_ALL, ifindex: index }));
      for (let swap = 0; swap < SWAPS; swap++) {
        await new Promise((r) => setTimeout(r, 5));
        const port = swap % 2 === 0 ? 9001 : 9000;
        attachSocketProgram(fd, loaded[port]);
        for (let n = 0; n < 50; n++) {
          const r = recvfrom(fd, buf, MSG_DONTWAIT | MSG_TRUNC);
          if (!r) break;
          read++;
          if (udpDstPort(buf, 14) !== port) stale++;
        }
        drain(fd);
      }
    } finally {
      close(fd);
      loaded[9000].close();
      loaded[9001].close();
    }
    t.diagnostic(`bare SO_ATTACH_BPF swaps: ${read} packets read right after them, ${stale} judged by the old program`);
    assert.ok(stale > 0, 'packets queued under the old program must show up after a bare swap');
  } finally {
    for (const f of floods) f.kill('SIGKILL');
  }
});

/** `ld hatype; ret a`: valid classic BPF with no eBPF socket-filter equivalent. */
const HATYPE = program([insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, (SKF_AD_OFF + SKF_AD_HATYPE) >>> 0), insn(BPF_RET | BPF_A, 0, 0, 0)]);

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

test('errors: an untranslatable filter fails before the socket is touched; bad hook; locked filter', { skip: unavailable ?? false, timeout: 30000 }, async () => {
  const fdsBefore = openFds();
  await assert.rejects(inNetns(pair.nsB, () => openLiveEbpf(pair.ifB, { filter: HATYPE })), (e) => e instanceof TranslateError && /hatype/.test(e.message));
  assert.equal(openFds(), fdsBefore, 'no socket or program left open');

  const live = await inNetns(pair.nsB, () => openLiveEbpf(pair.ifB, { filter: compile('udp dst port 7777'), immediate: true }));
  try {
    await assert.rejects(setEbpfFilter(live, HATYPE), TranslateError);
    await assert.rejects(live.setFilter('udp', { kernelFilter: {} as KernelFilterAttacher }), (e) => e instanceof CaptureError && e.code === 'BAD_OPTION');
    assert.equal(live.kernelFilterKind, 'ebpf');
    // The old filter still stands, and still works.
    const sent = finished(spawnIn(pair.nsA, process.execPath, [udpTool, 'send', pair.ipB, '7777:50,9999:50']));
    const idle = closeWhenIdle(live, 600, sent);
    const ports: number[] = [];
    for await (const p of live) {
      idle.touch();
      ports.push(udpDstPort(p.data, 14));
    }
    idle.cancel();
    await sent;
    assert.equal(ports.length, 50);
    assert.ok(ports.every((p) => p === 7777), `ports seen: ${[...new Set(ports)]}`);
  } finally {
    await live.close();
  }

  const locked = await inNetns(pair.nsB, () => openLiveEbpf(pair.ifB, { filter: compile('udp'), lockFilter: true }));
  try {
    await assert.rejects(setEbpfFilter(locked, compile('tcp')), (e) => e instanceof CaptureError && e.code === 'FILTER_LOCKED');
  } finally {
    await locked.close();
  }
});
