/**
 * The differential check shared by the eBPF tests: what a classic Program
 * returns for a packet, what its translation must return for each target,
 * and which random Programs the kernel can be asked about (those whose
 * result does not depend on socket-buffer metadata the test run cannot set).
 */
import { interpret } from '../../src/bpf/interpreter.js';
import type { AncillaryContext } from '../../src/bpf/context.js';
import type { Program } from '../../src/bpf/program.js';
import { XDP_DROP, XDP_PASS } from '../../src/ebpf/opcodes.js';
import type { TranslateOptions } from '../../src/ebpf/translate.js';

export type Target = 'socket' | 'xdp';

/** Translation options for a target; XDP drops matches and passes the rest. */
export function targetOptions(target: Target): TranslateOptions {
  return target === 'socket' ? { target } : { target, onMatch: XDP_DROP, onNoMatch: XDP_PASS };
}

/**
 * What the translated program must return: the classic result for a socket
 * filter, the action for XDP (where the wire length is the frame's length and
 * only ifindex, queue, cpu and random exist among the ancillary data).
 */
export function expected(prog: Program, target: Target, data: Uint8Array, wireLength: number, ctx: AncillaryContext = {}): number {
  if (target === 'socket') return interpret(prog, data, wireLength, { semantics: 'linux', context: ctx });
  const xdpCtx: AncillaryContext = { ifindex: ctx.ifindex, queue: ctx.queue, cpu: ctx.cpu, random: ctx.random };
  return interpret(prog, data, data.length, { semantics: 'linux', context: xdpCtx }) !== 0 ? XDP_DROP : XDP_PASS;
}

/**
 * Whether the kernel's test run can judge this Program for `target`: no
 * ancillary loads (their values are the test run's, not ours), and for
 * socket filters no negative offsets (the test run's link-layer header is a
 * dummy one, see runSocketFilter).
 */
export function kernelComparable(prog: Program, target: Target): boolean {
  return !prog.some((x) => {
    const cls = x.code & 0x07;
    const mode = x.code & 0xe0;
    const packetLoad = (cls === 0 && (mode === 0x20 || mode === 0x40)) || (cls === 1 && mode === 0xa0);
    if (!packetLoad) return false;
    const k = x.k | 0;
    if (cls === 0 && mode === 0x20 && k >= -0x1000 && k < 0) return true;
    return target === 'socket' && k < 0;
  });
}

/** The classic context a socket-filter test run gives: the network header where the frame starts. */
export const SOCKET_TEST_RUN_CONTEXT: AncillaryContext = Object.freeze({ networkOffset: 0 });
