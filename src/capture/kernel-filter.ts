/**
 * Putting classic BPF Programs into a socket (SO_ATTACH_FILTER) without ever
 * letting a packet judged by the wrong filter through.
 *
 * A socket filter judges packets as they arrive; whatever was queued before a
 * filter is attached stays queued. So a filter is only ever attached to a
 * socket that cannot have queued anything unwanted: either one not yet bound
 * (created with protocol 0, it receives nothing), or one whose queue was just
 * emptied while a reject-all Program stood guard (`swapFilter`).
 */
import { type Program, insn, program, toBytes } from '../bpf/program.js';
import { verify } from '../bpf/verifier.js';
import {
  BPF_ABS, BPF_IND, BPF_LD, BPF_LDX, BPF_MSH, BPF_RET, BPF_K, bpfClass, bpfMode,
  SKF_AD_IFINDEX, SKF_AD_OFF, SKF_AD_PKTTYPE, SKF_AD_PROTOCOL,
} from '../bpf/opcodes.js';
import {
  SOL_SOCKET, SO_ATTACH_FILTER, SO_DETACH_FILTER, SO_LOCK_FILTER, drain, setsockoptInt, setsockoptProgram,
} from './syscalls.js';

/** `ret #0`: the Program that accepts nothing. */
export const REJECT_ALL: Program = program([insn(BPF_RET | BPF_K, 0, 0, 0)]);
/** `ret #262144`: the Program that accepts everything, whole. */
export const ACCEPT_ALL: Program = program([insn(BPF_RET | BPF_K, 0, 0, 262144)]);

/**
 * Verifies `prog` as Linux would (so a bad Program fails here with the
 * offending instruction's index) and attaches it to `fd`.
 *
 * @example
 * attachFilter(fd, compile('udp port 53'));
 */
export function attachFilter(fd: number, prog: Program): void {
  verify(prog, { mode: 'linux' });
  setsockoptProgram(fd, SOL_SOCKET, SO_ATTACH_FILTER, toBytes(prog), `SO_ATTACH_FILTER, ${prog.length} instructions`);
}

/**
 * Replaces the filter of a live, bound socket so that nothing judged by the
 * old filter is read afterwards: attach reject-all, discard the queue without
 * blocking, attach the new Program. Returns how many queued packets were
 * discarded. The drain cannot spin: under reject-all nothing new is queued.
 *
 * @example
 * swapFilter(fd, newProgram);
 */
export function swapFilter(fd: number, prog: Program): number {
  verify(prog, { mode: 'linux' });
  attachFilter(fd, REJECT_ALL);
  const discarded = drain(fd);
  setsockoptProgram(fd, SOL_SOCKET, SO_ATTACH_FILTER, toBytes(prog), `SO_ATTACH_FILTER, ${prog.length} instructions`);
  return discarded;
}

/**
 * Removes the socket's filter (SO_DETACH_FILTER): every packet is accepted again.
 *
 * @example
 * detachFilter(fd);
 */
export function detachFilter(fd: number): void {
  setsockoptInt(fd, SOL_SOCKET, SO_DETACH_FILTER, 0, 'SO_DETACH_FILTER');
}

/**
 * Locks the socket's filter (SO_LOCK_FILTER): from now on the kernel refuses
 * to change or detach it (EPERM), even for this process.
 *
 * @example
 * lockFilter(fd);
 */
export function lockFilter(fd: number): void {
  setsockoptInt(fd, SOL_SOCKET, SO_LOCK_FILTER, 1, 'SO_LOCK_FILTER');
}

/** Layout of a cooked header, for moving a Program from it to the kernel's view. */
export interface CookedLayout {
  /** Header length: 16 for LINUX_SLL, 20 for LINUX_SLL2. */
  readonly headerLength: number;
  /** Header fields the kernel can supply as ancillary data: header offset → load size and SKF_AD field. */
  readonly fields: ReadonlyMap<number, { size: number; field: number }>;
}

export const SLL_LAYOUT: CookedLayout = {
  headerLength: 16,
  fields: new Map([
    [0, { size: 2, field: SKF_AD_PKTTYPE }],
    [14, { size: 2, field: SKF_AD_PROTOCOL }],
  ]),
};

export const SLL2_LAYOUT: CookedLayout = {
  headerLength: 20,
  fields: new Map([
    [0, { size: 2, field: SKF_AD_PROTOCOL }],
    [4, { size: 4, field: SKF_AD_IFINDEX }],
    [10, { size: 1, field: SKF_AD_PKTTYPE }],
  ]),
};

const SIZE_BYTES: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1 };

/**
 * A Program written for a cooked capture (offsets counted from the start of
 * an SLL/SLL2 header) rewritten for the kernel, where a SOCK_DGRAM packet
 * socket's filter sees the packet from its network header: offsets past the
 * header move back by its length, header fields with a kernel equivalent
 * become ancillary loads, as libpcap does. Returns null when the Program
 * reads a header byte the kernel cannot supply; then it has to run in user
 * space over the cooked packet instead.
 *
 * @example
 * cookedToKernel(compile('udp', { linkType: 'LINUX_SLL' }), SLL_LAYOUT)
 */
export function cookedToKernel(prog: Program, layout: CookedLayout): Program | null {
  const out = [];
  for (const x of prog) {
    const cls = bpfClass(x.code);
    const mode = bpfMode(x.code);
    const readsPacket = (cls === BPF_LD && (mode === BPF_ABS || mode === BPF_IND)) || (cls === BPF_LDX && mode === BPF_MSH);
    if (!readsPacket || (x.k | 0) < 0) {
      out.push(x);
      continue;
    }
    if (x.k >= layout.headerLength) {
      out.push(insn(x.code, x.jt, x.jf, x.k - layout.headerLength));
      continue;
    }
    const field = layout.fields.get(x.k);
    // Only an absolute load of exactly that field maps onto ancillary data.
    if (!field || mode !== BPF_ABS || cls !== BPF_LD || SIZE_BYTES[x.code & 0x18] !== field.size) return null;
    out.push(insn(x.code, x.jt, x.jf, (SKF_AD_OFF + field.field) >>> 0));
  }
  return program(out);
}
