/**
 * Seeded random inputs for the JIT's differential tests: valid Programs that
 * reach every opcode (ancillary and negative-offset loads included), and
 * packets of random, truncated and empty sizes.
 */
import { program, type Program } from '../../src/bpf/program.js';
import { isValid } from '../../src/bpf/verifier.js';
import { SKF_AD_OFF, SKF_LL_OFF, SKF_NET_OFF } from '../../src/bpf/opcodes.js';
import type { AncillaryContext, Semantics } from '../../src/bpf/context.js';
import { Rng } from './random-program.js';

/**
 * A seeded source of numbers in [0, 1), over the machine's Rng.
 *
 * @example
 * const r = seeded(1); r() // the same number every run
 */
export function seeded(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next32() / 0x100000000;
}

const LOADS = [0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x00, 0x80, 0x01, 0x81, 0xb1, 0x60, 0x61];
const ALU = [0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x94, 0x9c, 0x54, 0x5c, 0x44, 0x4c, 0xa4, 0xac, 0x64, 0x6c, 0x74, 0x7c, 0x84];
const JUMPS = [0x05, 0x15, 0x1d, 0x35, 0x3d, 0x25, 0x2d, 0x45, 0x4d];
const OTHER = [0x02, 0x03, 0x07, 0x87];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

function offset(r: () => number, code: number): number {
  const roll = r();
  if (roll < 0.6) return Math.floor(r() * 70);
  if (roll < 0.7 && (code & 0xe0) === 0x20) return (SKF_AD_OFF + 4 * Math.floor(r() * 16)) >>> 0;
  if (roll < 0.78) return (SKF_NET_OFF + Math.floor(r() * 40)) >>> 0;
  if (roll < 0.86) return (SKF_LL_OFF + Math.floor(r() * 40)) >>> 0;
  if (roll < 0.93) return (0xffffffff - Math.floor(r() * 8)) >>> 0;
  return Math.floor(r() * 0x100000000);
}

function constant(r: () => number): number {
  const roll = r();
  if (roll < 0.4) return Math.floor(r() * 40);
  if (roll < 0.6) return pick(r, [0x800, 0x86dd, 6, 17, 80, 443, 0x1fff, 0xffffffff, 0x80000000, 31, 32, 33]);
  return Math.floor(r() * 0x100000000);
}

function candidate(r: () => number, length: number): Program {
  const out: Array<{ code: number; jt: number; jf: number; k: number }> = [];
  // Storing first lets later M[] loads pass Linux's check_load_and_stores.
  if (r() < 0.6) for (let m = 0; m < 16; m++) if (r() < 0.5) out.push({ code: pick(r, [0x02, 0x03]), jt: 0, jf: 0, k: m });
  while (out.length < length - 1) {
    const left = length - 2 - out.length;
    const roll = r();
    let code: number;
    if (roll < 0.35) code = pick(r, LOADS);
    else if (roll < 0.6) code = pick(r, ALU);
    else if (roll < 0.85) code = pick(r, JUMPS);
    else if (roll < 0.95) code = pick(r, OTHER);
    else code = pick(r, [0x06, 0x16]);
    let k = constant(r), jt = 0, jf = 0;
    const cls = code & 7;
    if (cls === 0 || cls === 1) {
      const mode = code & 0xe0;
      if (mode === 0x20 || mode === 0x40 || mode === 0xa0) k = offset(r, code);
      if (mode === 0x60) k = Math.floor(r() * 16);
    } else if (cls === 2 || cls === 3) {
      k = Math.floor(r() * 16);
    } else if (cls === 4) {
      const op = code & 0xf0;
      if ((op === 0x30 || op === 0x90) && k === 0) k = 1;
      if ((op === 0x60 || op === 0x70) && !(code & 8)) k &= 31;
    } else if (cls === 5) {
      const span = Math.max(0, Math.min(left, 255));
      jt = Math.floor(r() * (span + 1));
      jf = Math.floor(r() * (span + 1));
      if (code === 0x05) { k = jt; jt = 0; jf = 0; }
    }
    out.push({ code, jt, jf, k });
  }
  out.push({ code: pick(r, [0x06, 0x16]), jt: 0, jf: 0, k: constant(r) });
  return program(out);
}

/**
 * A random Program that the verifier accepts in the given mode.
 *
 * @example
 * const prog = randomValidProgram(seeded(1), 'linux', 30);
 */
export function randomValidProgram(r: () => number, mode: Semantics, maxLength = 40): Program {
  for (;;) {
    const prog = candidate(r, 2 + Math.floor(r() * (maxLength - 1)));
    if (isValid(prog, { mode })) return prog;
  }
}

/**
 * A random packet: random bytes that often look like Ethernet/IPv4 headers, of
 * a random length (empty and truncated packets included), with a wire length
 * that is sometimes larger than the captured length.
 *
 * @example
 * const { data, wireLength } = randomPacket(seeded(2));
 */
export function randomPacket(r: () => number): { data: Uint8Array; wireLength: number } {
  const len = r() < 0.1 ? Math.floor(r() * 4) : Math.floor(r() * 90);
  const data = new Uint8Array(len);
  for (let i = 0; i < len; i++) data[i] = r() < 0.3 ? pick(r, [0, 0x08, 0x45, 6, 17, 0xff, 0x50, 0x86, 0xdd]) : Math.floor(r() * 256);
  if (len > 14 && r() < 0.5) { data[12] = 0x08; data[13] = 0x00; data[14] = 0x45; }
  const wireLength = r() < 0.3 ? len + Math.floor(r() * 1500) : len;
  return { data, wireLength };
}

/**
 * Random Linux socket-buffer metadata, with a deterministic SKF_AD_RANDOM source
 * seeded by `seed` (so two engines see the same values).
 *
 * @example
 * const ctx = randomContext(seeded(3), 42);
 */
export function randomContext(r: () => number, seed: number): AncillaryContext {
  const u32 = () => Math.floor(r() * 0x100000000);
  const ctx: AncillaryContext = {
    protocol: pick(r, [0x800, 0x86dd, 0x806]), pktType: Math.floor(r() * 5), ifindex: u32(), mark: u32(),
    queue: u32(), hatype: 1, rxhash: u32(), cpu: Math.floor(r() * 4), vlanTag: u32(), vlanTagPresent: r() < 0.5,
    vlanTpid: 0x8100, payOffset: Math.floor(r() * 60), random: seeded(seed),
  };
  if (r() < 0.7) ctx.networkOffset = Math.floor(r() * 20);
  if (r() < 0.2) ctx.noLinkHeader = true;
  return ctx;
}
