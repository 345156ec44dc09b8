/**
 * Random classic BPF Programs and packets for differential tests, from a
 * seeded PRNG so that every failure can be replayed. The Programs pass the
 * Linux verifier and use every non-ancillary opcode, forward jumps and
 * scratch memory; the packets are random, with truncated captures among them.
 * Shared with the JIT's tests.
 */
import { insn, type Instruction, type Program } from '../../src/bpf/program.js';
import { SKF_AD_OFF } from '../../src/bpf/opcodes.js';

/**
 * A small, fast, seeded PRNG (mulberry32): the same seed gives the same sequence.
 *
 * @example
 * const rng = new Rng(42); rng.int(10) // a number 0..9, the same every run
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next unsigned 32-bit value. */
  next32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer 0 .. n-1. */
  int(n: number): number {
    return Math.floor((this.next32() / 0x100000000) * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next32() / 0x100000000 < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

/** Every non-ancillary opcode a Linux socket filter may contain. */
export const NON_ANCILLARY_OPCODES: readonly number[] = Object.freeze([
  0x00, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x60, 0x80, // LD
  0x01, 0x61, 0x81, 0xb1, // LDX
  0x02, 0x03, // ST STX
  0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x94, 0x9c, 0x54, 0x5c, 0x44, 0x4c, 0xa4, 0xac, 0x64, 0x6c, 0x74, 0x7c, 0x84, // ALU
  0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d, // JMP
  0x06, 0x16, // RET
  0x07, 0x87, // MISC
]);

/** The Linux ancillary loads, as offsets from SKF_AD_OFF. */
export const ANCILLARY_FIELDS: readonly number[] = Object.freeze([0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60]);

export interface RandomProgramOptions {
  /** Longest Program to make (default 48; at least 2). */
  maxLength?: number;
  /** Also emit Linux ancillary loads and SKF_NET_OFF/SKF_LL_OFF loads (Linux semantics only). */
  linuxLoads?: boolean;
  /** Also emit SKF_NET_OFF/SKF_LL_OFF loads, but no ancillary loads (Linux semantics only). */
  negativeOffsets?: boolean;
}

/** Constants that make comparisons and arithmetic interesting. */
const SPECIAL_K = [0, 1, 2, 3, 4, 7, 8, 14, 15, 16, 31, 32, 0x7f, 0x80, 0xff, 0x100, 0x800, 0x86dd, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

function constant(rng: Rng): number {
  return rng.chance(0.6) ? rng.pick(SPECIAL_K) : rng.next32();
}

/** A packet offset: mostly inside typical packets, sometimes at or past the end, sometimes absurd. */
function offset(rng: Rng): number {
  if (rng.chance(0.85)) return rng.int(72);
  return rng.pick([100, 127, 128, 200, 1500, 0xffff, 0x7fffffff, 0x80000000, 0xffeff000]);
}

/**
 * A random Program that the Linux verifier accepts: every non-ancillary
 * opcode, forward jumps of both kinds, M[] read only where stored on every
 * path (a prologue stores the cells the body may read).
 *
 * @example
 * const rng = new Rng(1);
 * const prog = randomProgram(rng); // verify(prog) passes
 */
export function randomProgram(rng: Rng, options: RandomProgramOptions = {}): Program {
  const maxLength = Math.max(2, options.maxLength ?? 48);
  const out: Instruction[] = [];
  const readable: number[] = [];
  const prologue = rng.int(4);
  for (let i = 0; i < prologue && out.length < maxLength - 2; i++) {
    const cell = rng.int(16);
    if (rng.chance(0.5)) {
      out.push(insn(0x00, 0, 0, constant(rng)), insn(0x02, 0, 0, cell));
    } else {
      out.push(insn(0x01, 0, 0, constant(rng)), insn(0x03, 0, 0, cell));
    }
    readable.push(cell);
  }
  const bodyLength = out.length + 1 + rng.int(Math.max(1, maxLength - out.length - 1));
  while (out.length < bodyLength - 1) {
    const pc = out.length;
    const remaining = bodyLength - pc - 1; // instructions after this one
    let code = rng.pick(NON_ANCILLARY_OPCODES);
    if ((code === 0x60 || code === 0x61) && readable.length === 0) code = 0x02;
    let jt = 0, jf = 0, k = 0;
    switch (code) {
      case 0x00: case 0x01: k = constant(rng); break;
      case 0x20: case 0x28: case 0x30: case 0x40: case 0x48: case 0x50: case 0xb1: k = offset(rng); break;
      case 0x60: case 0x61: k = rng.pick(readable); break;
      case 0x02: case 0x03: k = rng.int(16); break;
      case 0x04: case 0x14: case 0x24: case 0x54: case 0x44: case 0xa4: k = constant(rng); break;
      case 0x34: case 0x94: k = constant(rng) || 1; break;
      case 0x64: case 0x74: k = rng.int(32); break;
      case 0x05: k = rng.int(Math.min(remaining, 8)); break;
      case 0x15: case 0x25: case 0x35: case 0x45: case 0x1d: case 0x2d: case 0x3d: case 0x4d:
        if ((code & 0x08) === 0) k = constant(rng);
        jt = rng.int(Math.min(remaining, 12));
        jf = rng.int(Math.min(remaining, 12));
        break;
      case 0x06: k = rng.chance(0.5) ? rng.pick([0, 1, 0xffff, 0x40000, 0xffffffff]) : rng.next32(); break;
    }
    if ((options.linuxLoads || options.negativeOffsets) && (code === 0x20 || code === 0x28 || code === 0x30 || code === 0xb1) && rng.chance(0.3)) {
      k = options.linuxLoads && code !== 0xb1 && rng.chance(0.6)
        ? (SKF_AD_OFF + rng.pick(ANCILLARY_FIELDS)) >>> 0
        : ((rng.chance(0.5) ? -0x100000 : -0x200000) + rng.int(64)) >>> 0;
    }
    out.push(insn(code, jt, jf, k));
  }
  out.push(rng.chance(0.5) ? insn(0x16, 0, 0, 0) : insn(0x06, 0, 0, rng.chance(0.5) ? 0xffff : rng.next32()));
  return Object.freeze(out);
}

/** A packet for the oracle: captured bytes and the length on the wire. */
export interface RandomPacket {
  data: Uint8Array;
  wireLength: number;
}

/**
 * A random packet, 0 to 96 bytes, sometimes a truncated capture (wire length
 * greater than the bytes present), sometimes IPv4-looking at byte 14.
 *
 * @example
 * const { data, wireLength } = randomPacket(new Rng(7));
 */
export function randomPacket(rng: Rng): RandomPacket {
  const length = rng.chance(0.1) ? rng.int(8) : rng.int(97);
  const data = new Uint8Array(length);
  for (let i = 0; i < length; i++) data[i] = rng.chance(0.3) ? rng.pick([0, 0xff, 0x45, 0x08, 0x06]) : rng.int(256);
  const wireLength = rng.chance(0.3) ? length + rng.int(1500) : length;
  return { data, wireLength };
}
