/**
 * Linux semantics against the running kernel: random Programs (negative
 * offsets, 32-bit wrap of [x + k], shifts by X of 32 or more included) run as
 * the socket filter of a UNIX datagram socketpair through the oracle helper.
 * The kernel shows what a filter returned through the length it lets through:
 * 0 drops the datagram, anything else caps its length.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Oracle } from '../oracle/oracle.js';
import { interpret } from '../../src/bpf/interpreter.js';
import { disassemble } from '../../src/bpf/text.js';
import { program } from '../../src/bpf/program.js';
import { bpf } from '../../src/bpf/builders.js';
import type { AncillaryContext } from '../../src/bpf/context.js';
import { Rng, randomPacket, randomProgram } from './random-program.js';
import { SKF_AD_NLATTR, SKF_AD_NLATTR_NEST } from '../../src/bpf/opcodes.js';

/** What a UNIX datagram socket's skb looks like to a filter: the network header at the data, no link header, no device. */
const UNIX_SKB: AncillaryContext = { networkOffset: 0, noLinkHeader: true, noDevice: true };

/** The length the kernel delivers for a filter result, -1 for dropped. */
const delivered = (result: number, length: number) => (result === 0 ? -1 : Math.min(result, length));

test('Linux-only behaviours, confirmed by the kernel', async (t) => {
  if (process.platform !== 'linux') return t.skip('needs Linux: runs socket filters in the kernel');
  const oracle = await Oracle.start();
  try {
    const data = Uint8Array.from({ length: 40 }, (_, i) => i);
    const rows: Array<[string, ReturnType<typeof bpf.ret>[], number]> = [
      ['lsh x by 33 shifts by 1', [bpf.ldImm(3), bpf.ldxImm(33), bpf.lshX(), bpf.retA()], 6],
      ['rsh x by 32 shifts by 0', [bpf.ldImm(8), bpf.ldxImm(32), bpf.rshX(), bpf.retA()], 8],
      ['[x + k] wraps at 32 bits', [bpf.ldxImm(0xffffffff), bpf.ldbInd(3), bpf.retA()], 2],
      ['SKF_NET_OFF reads from the network header', [bpf.ldb(-0x100000 + 7), bpf.retA()], 7],
      ['SKF_AD_ALU_XOR_X', [bpf.ldImm(0x0c), bpf.ldxImm(0x06), bpf.ldAncillary(40), bpf.retA()], 10],
      // A UNIX skb carries no protocol, type, mark, queue, hash, VLAN tag or payload offset: all read 0.
      ...[0, 4, 20, 24, 32, 44, 48, 52, 60].map((field): [string, ReturnType<typeof bpf.ret>[], number] =>
        [`ancillary field ${field} reads 0`, [bpf.ldAncillary(field, 'h'), bpf.add(1), bpf.retA()], 1]),
      // No device: IFINDEX and HATYPE end the program with 0 (the datagram is dropped).
      ['SKF_AD_IFINDEX without a device', [bpf.ldAncillary(8), bpf.add(1), bpf.retA()], -1],
      ['SKF_AD_HATYPE without a device', [bpf.ldAncillary(28, 'b'), bpf.add(1), bpf.retA()], -1],
    ];
    for (const [name, xs, expected] of rows) {
      const prog = program(xs);
      assert.equal(delivered(interpret(prog, data, data.length, { context: UNIX_SKB }), data.length), expected, `${name}: ours`);
      assert.deepEqual(await oracle.kernelRun(prog, [{ data }]), [expected], `${name}: kernel`);
    }
  } finally {
    oracle.close();
  }
});

test('random programs run in the kernel as in the interpreter (Linux semantics)', async (t) => {
  if (process.platform !== 'linux') return t.skip('needs Linux: runs socket filters in the kernel');
  const oracle = await Oracle.start();
  try {
    const rng = new Rng(0xcafe);
    const count = process.env.BPFKIT_LONG ? 100_000 : 3_000;
    let kept = 0;
    for (let n = 0; n < count; n++) {
      const prog = randomProgram(rng, { negativeOffsets: true });
      const packets = Array.from({ length: 8 }, () => randomPacket(rng));
      const kernel = await oracle.kernelRun(prog, packets);
      kept += kernel.filter((l) => l >= 0).length;
      packets.forEach((p, i) => {
        const ours = delivered(interpret(prog, p.data, p.data.length, { context: UNIX_SKB }), p.data.length);
        if (ours !== kernel[i]) {
          assert.fail(`program ${n}, packet ${i} (${Buffer.from(p.data).toString('hex')}): ours ${ours}, kernel ${kernel[i]}\n${disassemble(prog, 'd')}`);
        }
      });
    }
    assert.ok(kept > count * 8 / 5 && kept < count * 8 * 0.8, `a useful mix (${kept} of ${count * 8} datagrams kept)`);
  } finally {
    oracle.close();
  }
});

/** A run of netlink attributes (little-endian headers), some malformed, then random bytes. */
function netlinkBytes(rng: Rng): Uint8Array {
  const out: number[] = [];
  for (let n = rng.int(6); n > 0; n--) {
    const payload = rng.int(9);
    const nested = rng.chance(0.3);
    const inner: number[] = [];
    if (nested) {
      for (let m = 1 + rng.int(3); m > 0; m--) {
        const len = 4 + rng.int(5);
        inner.push(len, 0, rng.int(6), 0, ...Array.from({ length: ((len + 3) & ~3) - 4 }, () => rng.int(256)));
      }
    }
    let len = 4 + (nested ? inner.length : payload);
    if (rng.chance(0.1)) len = rng.int(40);
    const type = rng.int(6) | (rng.chance(0.2) ? 0x8000 : 0) | (rng.chance(0.1) ? 0x4000 : 0);
    out.push(len & 0xff, len >> 8, type & 0xff, type >> 8);
    const body = nested ? inner : Array.from({ length: payload }, () => rng.int(256));
    out.push(...body);
    while (out.length % 4) out.push(0);
  }
  for (let n = rng.int(4); n > 0; n--) out.push(rng.int(256));
  return Uint8Array.from(out);
}

test('SKF_AD_NLATTR and SKF_AD_NLATTR_NEST find what the kernel finds', async (t) => {
  if (process.platform !== 'linux') return t.skip('needs Linux: runs socket filters in the kernel');
  const oracle = await Oracle.start();
  try {
    const rng = new Rng(0x4e4c41);
    let found = 0;
    for (let n = 0; n < 600; n++) {
      const nested = n % 2 === 1;
      const packets = Array.from({ length: 6 }, () => ({ data: netlinkBytes(rng) }));
      const a = rng.chance(0.7) ? 4 * rng.int(6) : rng.int(30);
      const prog = program([bpf.ldxImm(rng.int(7)), bpf.ldImm(a), bpf.ldAncillary(nested ? SKF_AD_NLATTR_NEST : SKF_AD_NLATTR), bpf.retA()]);
      const kernel = await oracle.kernelRun(prog, packets);
      packets.forEach((p, i) => {
        const result = interpret(prog, p.data, p.data.length, { context: UNIX_SKB });
        if (result !== 0) found++;
        assert.equal(delivered(result, p.data.length), kernel[i], `program ${n} (a ${a}), packet ${Buffer.from(p.data).toString('hex')}`);
      });
    }
    assert.ok(found > 100, `attributes found in ${found} runs`);
  } finally {
    oracle.close();
  }
});
