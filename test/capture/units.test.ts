// The parts of live capture that need no privilege: system-call errors, ring
// geometry, moving cooked-header Programs into the kernel's view, the
// interface list as tcpdump -D prints it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  SyscallError, bpf, close, errnoName, getsockoptInt, socket, AF_INET, SOCK_DGRAM, SOL_SOCKET, SO_RCVBUF,
} from '../../src/capture/syscalls.js';
import { RingGeometryError, ringGeometry, TPACKET3_HDRLEN } from '../../src/capture/tpacket.js';
import { SLL2_LAYOUT, SLL_LAYOUT, cookedToKernel } from '../../src/capture/kernel-filter.js';
import { formatInterfaceList, listInterfaces } from '../../src/capture/interfaces.js';
import { DLT_LINUX_SLL, DLT_LINUX_SLL2, writeCookedHeader, dltForArphrd } from '../../src/capture/link.js';
import { interpret } from '../../src/bpf/interpreter.js';
import { formatCaptureStats } from '../../src/capture/stats.js';
import type { Program } from '../../src/bpf/program.js';
import { Rng } from '../bpf/random-program.js';
import { Oracle } from '../oracle/oracle.js';

test('a failed system call is a SyscallError naming the call and the errno', () => {
  assert.throws(() => close(-1), (e) => e instanceof SyscallError && e.code === 'EBADF' && e.errno === 9 && /^close/.test(e.message));
  assert.throws(() => bpf(0x7fff, new Uint8Array(16)), (e) => e instanceof SyscallError && e.syscall === 'bpf' && /command 32767/.test(e.message));
  assert.equal(errnoName(1), 'EPERM');
  assert.equal(errnoName(11), 'EAGAIN');
  const fd = socket(AF_INET, SOCK_DGRAM, 0);
  try {
    assert.ok(getsockoptInt(fd, SOL_SOCKET, SO_RCVBUF) > 0);
  } finally {
    close(fd);
  }
});

test('ring geometry follows the kernel rules', () => {
  const g = ringGeometry({ bufferSize: 2 << 20, snaplen: 262144, blockTimeoutMs: 100 });
  assert.equal(g.blockSize % 4096, 0);
  assert.equal(g.frameSize % 16, 0);
  assert.ok(g.frameSize >= TPACKET3_HDRLEN + 65536, 'a frame holds the largest packet');
  assert.ok(g.blockSize >= g.frameSize);
  assert.equal(g.frameCount, Math.floor(g.blockSize / g.frameSize) * g.blockCount);
  assert.equal(g.blockCount, Math.floor((2 << 20) / g.blockSize));
  const small = ringGeometry({ bufferSize: 1 << 20, snaplen: 96, blockTimeoutMs: 1 });
  assert.equal(small.blockSize, 4096);
  assert.equal(small.blockCount, 256);
  assert.throws(() => ringGeometry({ bufferSize: 1 << 20, snaplen: 1500, blockTimeoutMs: 1, blockSize: 5000 }), RingGeometryError);
  assert.throws(() => ringGeometry({ bufferSize: 1 << 20, snaplen: 9000, blockTimeoutMs: 1, blockSize: 4096 }), /too small/);
  assert.throws(() => ringGeometry({ bufferSize: 0, snaplen: 96, blockTimeoutMs: 1 }), /bufferSize/);
});

test('hardware types map to DLTs as libpcap maps them', () => {
  assert.equal(dltForArphrd(1), 1);
  assert.equal(dltForArphrd(772), 1);
  assert.equal(dltForArphrd(0xfffe), 12);
  assert.equal(dltForArphrd(512), null);
});

/** A cooked packet: the header the capture writes, then an IPv4/UDP packet. */
function cookedPacket(rng: Rng, dlt: number): { packet: Uint8Array; payload: Uint8Array; ctx: { protocol: number; pktType: number; ifindex: number } } {
  const payload = new Uint8Array(28 + rng.int(40));
  for (let i = 0; i < payload.length; i++) payload[i] = rng.int(256);
  payload[0] = 0x45;
  payload[9] = rng.pick([6, 17, 1]);
  payload[6] = rng.chance(0.2) ? 0x20 : 0;
  const ctx = { protocol: rng.pick([0x0800, 0x86dd, 0x0806]), pktType: rng.pick([0, 1, 2, 4]), ifindex: 1 + rng.int(5) };
  const headerLength = dlt === DLT_LINUX_SLL ? 16 : 20;
  const packet = new Uint8Array(headerLength + payload.length);
  const addr = new Uint8Array(8).map(() => rng.int(256));
  writeCookedHeader(packet, 0, dlt, { protocol: ctx.protocol, ifindex: ctx.ifindex, hatype: 1, pkttype: ctx.pktType, halen: 6, addrBytes: addr, addrOffset: 0 });
  packet.set(payload, headerLength);
  return { packet, payload, ctx };
}

test('a cooked-capture Program and its kernel form agree on every packet', async () => {
  const oracle = await Oracle.start();
  try {
    const rng = new Rng(113);
    let checked = 0;
    const expressions = ['udp', 'tcp or icmp', 'ip', 'ip6', 'arp', 'inbound', 'outbound', 'udp port 53', 'ip[6] & 0x20 != 0', 'ip and not udp'];
    for (const [dlt, layout] of [[DLT_LINUX_SLL, SLL_LAYOUT], [DLT_LINUX_SLL2, SLL2_LAYOUT]] as const) {
      for (const expr of expressions) {
        let prog: Program;
        try {
          prog = await oracle.compile(expr, { linkType: dlt });
        } catch {
          continue; // e.g. inbound/outbound on a link type libpcap cannot express it for
        }
        const kernel = cookedToKernel(prog, layout);
        assert.ok(kernel, `${expr} on DLT ${dlt} reads only fields the kernel supplies`);
        for (let i = 0; i < 200; i++) {
          const { packet, payload, ctx } = cookedPacket(rng, dlt);
          const want: boolean = interpret(prog, packet, packet.length) !== 0;
          const got: boolean = interpret(kernel!, payload, payload.length, { semantics: 'linux', context: ctx }) !== 0;
          assert.equal(got, want, `${expr} (DLT ${dlt}) on ${Buffer.from(packet).toString('hex')}`);
        }
        checked++;
      }
      // The link-layer address has no kernel equivalent: such a Program stays in user space.
      const byAddress = await oracle.compile('ether host 01:02:03:04:05:06', { linkType: dlt }).catch(() => null);
      if (byAddress) assert.equal(cookedToKernel(byAddress, layout), null);
    }
    assert.ok(checked >= 16, `${checked} expression/link-type pairs checked`);
  } finally {
    oracle.close();
  }
});

test('the interface list reads as tcpdump -D prints it (network interfaces)', (t) => {
  let reference: string;
  try {
    reference = execFileSync('tcpdump', ['-D'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return t.skip('tcpdump -D is not available here');
  }
  const ours = listInterfaces();
  const names = new Set(ours.map((i) => i.name));
  // tcpdump also lists capture sources that are not network interfaces (nflog, dbus, ...).
  const theirs = reference.trim().split('\n').map((l) => l.replace(/^\d+\./, '')).filter((l) => names.has(l.split(' ')[0]));
  const mine = formatInterfaceList(ours).trim().split('\n').map((l) => l.replace(/^\d+\./, ''));
  assert.deepEqual(mine, theirs);
  for (const i of ours) if (i.name !== 'any') assert.ok(i.index > 0, `${i.name} has an index`);
});

test('statistics print as tcpdump prints them at exit', () => {
  assert.equal(formatCaptureStats({ captured: 10, received: 12, dropped: 1 }), '10 packets captured\n12 packets received by filter\n1 packet dropped by kernel\n');
});
