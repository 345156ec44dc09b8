// The kernel as a second oracle for the machine: random Programs attached to
// a loopback UDP socket (SO_ATTACH_FILTER needs no privilege there) deliver
// exactly the datagrams that our interpreter, in Linux mode, accepts.
//
// On a UDP socket the filter runs in udp_queue_rcv_skb() with skb->data at the
// UDP header: the Program sees the 8-byte UDP header then the payload, and its
// length is the UDP length. A nonzero result A keeps the datagram, trimmed to
// max(8, A) bytes (sk_filter_trim_cap with the UDP header as the floor).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interpret } from '../../src/bpf/interpreter.js';
import { attachFilter } from '../../src/capture/kernel-filter.js';
import {
  AF_INET, MSG_DONTWAIT, MSG_TRUNC, SOCK_DGRAM, SOCK_CLOEXEC, SyscallError, bind, close, pollOne, recvfrom, sendto, socket,
} from '../../src/capture/syscalls.js';
import { Rng, randomProgram } from '../bpf/random-program.js';

const PROGRAMS = Number(process.env.BPFKIT_LONG ? 20000 : 2000);
const DATAGRAMS = 6;

function sockaddrIn(port: number): Uint8Array {
  const b = new Uint8Array(16);
  b[0] = AF_INET; // sin_family, little-endian u16
  b[2] = port >> 8; b[3] = port & 0xff;
  b.set([127, 0, 0, 1], 4);
  return b;
}

/** Binds a UDP socket on 127.0.0.1 to a free port; returns the fd and the port. */
function udpReceiver(): { fd: number; port: number } {
  const fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  for (let tries = 0; tries < 100; tries++) {
    const port = 20000 + ((process.pid * 31 + tries * 7919) % 40000);
    try {
      bind(fd, sockaddrIn(port));
      return { fd, port };
    } catch (e) {
      if (!(e instanceof SyscallError && e.code === 'EADDRINUSE')) throw e;
    }
  }
  close(fd);
  throw new Error('no free UDP port on 127.0.0.1');
}

/** The UDP header the kernel puts in front of `payload`. */
function udpHeader(srcPort: number, dstPort: number, payloadLength: number, checksum: number): Uint8Array {
  const h = new Uint8Array(8);
  const v = new DataView(h.buffer);
  v.setUint16(0, srcPort);
  v.setUint16(2, dstPort);
  v.setUint16(4, 8 + payloadLength);
  v.setUint16(6, checksum);
  return h;
}

/**
 * What the checksum field holds when the datagram reaches the filter on
 * loopback: the device offloads checksums (CHECKSUM_PARTIAL), so the sender
 * leaves only the folded pseudo-header sum there (~csum_tcpudp_magic(..., 0)).
 */
function loopbackPartialChecksum(udpLength: number): number {
  let sum = 0x7f00 + 0x0001 + 0x7f00 + 0x0001 + 17 + udpLength;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

test(`${PROGRAMS} random Programs: the kernel delivers exactly what interpret(..., 'linux') accepts, trimmed alike`, { timeout: 60000 }, (t) => {
  const rx = udpReceiver();
  const tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const txPort = (() => {
    for (let tries = 0; tries < 100; tries++) {
      const port = 20000 + ((process.pid * 17 + tries * 104729) % 40000);
      try { bind(tx, sockaddrIn(port)); return port; } catch (e) { if (!(e instanceof SyscallError && e.code === 'EADDRINUSE')) throw e; }
    }
    throw new Error('no free UDP port for the sender');
  })();
  const rng = new Rng(0xb9f0 + PROGRAMS);
  const buf = new Uint8Array(2048);
  let accepted = 0, rejected = 0, trimmed = 0;
  try {
    for (let p = 0; p < PROGRAMS; p++) {
      const prog = randomProgram(rng, { maxLength: 24 });
      attachFilter(rx.fd, prog);
      for (let d = 0; d < DATAGRAMS; d++) {
        const payload = new Uint8Array(rng.int(80));
        for (let i = 0; i < payload.length; i++) payload[i] = rng.int(256);
        const header = udpHeader(txPort, rx.port, payload.length, loopbackPartialChecksum(8 + payload.length));
        const seen = new Uint8Array(8 + payload.length);
        seen.set(header);
        seen.set(payload, 8);
        const verdict = interpret(prog, seen, seen.length, { semantics: 'linux' });
        sendto(tx, payload, 0, sockaddrIn(rx.port));
        // Loopback delivers within sendto(); the poll only covers a slow softirq.
        let got = recvfrom(rx.fd, buf, MSG_DONTWAIT | MSG_TRUNC);
        if (!got && verdict !== 0 && pollOne(rx.fd, 200)) got = recvfrom(rx.fd, buf, MSG_DONTWAIT | MSG_TRUNC);
        const where = `program ${p} (${JSON.stringify(prog)}), datagram ${d} of ${payload.length} bytes`;
        if (verdict === 0) {
          assert.equal(got, null, `kernel delivered what interpret rejects: ${where}`);
          rejected++;
          continue;
        }
        assert.notEqual(got, null, `kernel dropped what interpret accepts (${verdict}): ${where}`);
        const keep = Math.min(seen.length, Math.max(8, verdict)) - 8;
        if (keep < payload.length) trimmed++;
        assert.equal(got!.length, keep, `datagram trimmed to max(8, ${verdict}) bytes: ${where}`);
        assert.deepEqual(buf.subarray(0, got!.copied), payload.subarray(0, keep), where);
        accepted++;
      }
    }
  } finally {
    close(tx);
    close(rx.fd);
  }
  t.diagnostic(`${PROGRAMS * DATAGRAMS} datagrams: ${accepted} accepted (${trimmed} trimmed), ${rejected} rejected`);
  assert.ok(accepted > PROGRAMS / 10 && rejected > PROGRAMS / 10, `both verdicts exercised (${accepted} accepted, ${rejected} rejected, ${trimmed} trimmed)`);
});
