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

/** What a UNIX datagram socket's skb looks like to a filter: the network header at the data, no link header. */
const UNIX_SKB: AncillaryContext = { networkOffset: 0, noLinkHeader: true };

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
    ];
    for (const [name, xs, expected] of rows) {
      const prog = program(xs);
      assert.equal(interpret(prog, data, data.length, { context: UNIX_SKB }), expected, `${name}: ours`);
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
    for (let n = 0; n < count; n++) {
      const prog = randomProgram(rng, { negativeOffsets: true });
      const packets = Array.from({ length: 8 }, () => randomPacket(rng));
      const kernel = await oracle.kernelRun(prog, packets);
      packets.forEach((p, i) => {
        const ours = delivered(interpret(prog, p.data, p.data.length, { context: UNIX_SKB }), p.data.length);
        if (ours !== kernel[i]) {
          assert.fail(`program ${n}, packet ${i} (${Buffer.from(p.data).toString('hex')}): ours ${ours}, kernel ${kernel[i]}\n${disassemble(prog, 'd')}`);
        }
      });
    }
  } finally {
    oracle.close();
  }
});
