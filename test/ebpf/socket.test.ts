import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPacketSocket } from '../../src/capture/packet-socket.js';
import { close, ifNameToIndex, recvfrom, MSG_DONTWAIT, MSG_TRUNC } from '../../src/capture/syscalls.js';
import type { Program } from '../../src/bpf/program.js';
import { loadSocketFilter, swapSocketProgram, attachSocketProgram } from '../../src/ebpf/socket.js';
import { loadProgram } from '../../src/ebpf/loader.js';
import { parseEbpf } from '../../src/ebpf/text.js';
import { Oracle } from '../oracle/oracle.js';
import { createVethPair, inNetns, netnsUnavailable, runIn } from '../capture/netns.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const unavailable = netnsUnavailable();
const udpTool = join(dirname(fileURLToPath(import.meta.url)), 'udp-tool.js');
const SENT = 100;

/** UDP destination ports of every frame queued on the socket (IPv4 over Ethernet). */
function drainPorts(fd: number): number[] {
  const buf = new Uint8Array(2048);
  const ports: number[] = [];
  for (let r = recvfrom(fd, buf, MSG_DONTWAIT | MSG_TRUNC); r; r = recvfrom(fd, buf, MSG_DONTWAIT | MSG_TRUNC)) {
    const ihl = (buf[14] & 0xf) * 4;
    ports.push((buf[14 + ihl + 2] << 8) | buf[14 + ihl + 3]);
  }
  return ports;
}

test('SO_ATTACH_BPF: an eBPF socket filter swapped in race-free replaces the classic one on a live packet socket', { skip: unavailable ?? false, timeout: 60000 }, async () => {
  const oracle = await Oracle.start();
  let classic7777: Program, classic9999: Program;
  try {
    classic7777 = await oracle.compile('udp port 7777', { linkType: 1 });
    classic9999 = await oracle.compile('udp port 9999', { linkType: 1 });
  } finally {
    oracle.close();
  }
  const pair = createVethPair('k');
  try {
    const sock = inNetns(pair.nsB, () => openPacketSocket({ ifindex: ifNameToIndex(pair.ifB), cooked: false, program: classic7777, ring: null, ignoreOutgoing: true }));
    const ebpf = loadSocketFilter(classic9999);
    try {
      // Queued under the classic filter: only 7777.
      runIn(pair.nsA, process.execPath, [udpTool, 'send', pair.ipB, `7777:${SENT},9999:${SENT}`]);
      const discarded = swapSocketProgram(sock.fd, ebpf);
      assert.equal(discarded, SENT, 'the swap should discard exactly what the old filter queued');
      ebpf.close(); // the socket keeps its own reference
      runIn(pair.nsA, process.execPath, [udpTool, 'send', pair.ipB, `7777:${SENT},9999:${SENT}`]);
      const ports = drainPorts(sock.fd);
      assert.equal(ports.length, SENT);
      assert.ok(ports.every((p) => p === 9999), `ports seen: ${[...new Set(ports)]}`);
    } finally {
      ebpf.close();
      close(sock.fd);
    }
  } finally {
    pair.remove();
  }
});

test('SO_ATTACH_BPF refuses an XDP program with a clear error', { skip: unavailable ?? false }, () => {
  const xdpProg = loadProgram(parseEbpf('w0 = 2\nexit'), 'xdp');
  try {
    assert.throws(() => attachSocketProgram(0, xdpProg), /socket-filter program, not xdp/);
  } finally {
    xdpProg.close();
  }
});
