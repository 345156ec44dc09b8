/**
 * The reference interpreter: runs a classic BPF Program over one packet, as
 * the Linux kernel runs a socket filter or as libpcap's bpf_filter() does.
 * Everything else in bpfkit that executes Programs (the JIT, the kernel) is
 * tested against this.
 */
import type { Program } from './program.js';
import { SKF_LL_OFF, SKF_NET_OFF } from './opcodes.js';
import { ancillaryFails, ancillaryField, ancillaryLoad, DEFAULT_SEMANTICS, type AncillaryContext, type RunOptions } from './context.js';

/**
 * Thrown when a Program cannot run at all: an opcode that no BPF machine
 * defines, or control that leaves the Program. A verified Program never throws.
 *
 * @example
 * try { interpret(program([insn(0x08, 0, 0, 0)]), frame); }
 * catch (e) { if (e instanceof InterpretError) console.error(e.index, e.reason); } // 0 'opcode 0x08 is not ...'
 */
export class InterpretError extends Error {
  constructor(readonly index: number, readonly reason: string) {
    super(`instruction ${index}: ${reason}`);
    this.name = 'InterpretError';
  }
}

/** The outcome of one run, with the work it took. */
export interface RunResult {
  /** The Program's return value, unsigned 32-bit (0 = drop the packet). */
  result: number;
  /** How many instructions executed, the final RET included. */
  executed: number;
}

/**
 * Runs `prog` over `packet` (the captured bytes) and returns its unsigned
 * 32-bit result. `wireLength` is the packet's length on the wire (what
 * `ld #pktlen` reads), the captured length when omitted.
 *
 * Out-of-bounds loads and division by zero end the run with 0; M[] starts
 * zeroed; arithmetic wraps at 32 bits. See docs/bpf.md for where Linux and
 * libpcap semantics differ.
 *
 * @example
 * const prog = program([insn(0x28, 0, 0, 12), insn(0x15, 0, 1, 0x800), insn(0x06, 0, 0, 0xffff), insn(0x06, 0, 0, 0)]);
 * interpret(prog, ethernetFrame)                        // 65535 if IPv4
 * interpret(prog, frame, 1514, { semantics: 'bsd' })    // as libpcap's bpf_filter()
 */
export function interpret(prog: Program, packet: Uint8Array, wireLength?: number, options?: RunOptions): number {
  return execute(prog, packet, wireLength ?? packet.length, options, null);
}

/**
 * Like `interpret`, and also counts the instructions executed: the measure of
 * a Program's cost per packet that the optimizer reports.
 *
 * @example
 * const { result, executed } = interpretCounted(prog, frame); // e.g. { result: 65535, executed: 3 }
 */
export function interpretCounted(prog: Program, packet: Uint8Array, wireLength?: number, options?: RunOptions): RunResult {
  const counter = { executed: 0 };
  const result = execute(prog, packet, wireLength ?? packet.length, options, counter);
  return { result, executed: counter.executed };
}

/** Reads `size` bytes big-endian at `at`, or returns -1 when they are not all in the packet. */
function loadBytes(p: Uint8Array, at: number, size: number): number {
  if (at < 0 || at + size > p.length) return -1;
  if (size === 4) return ((p[at] << 24) | (p[at + 1] << 16) | (p[at + 2] << 8) | p[at + 3]) >>> 0;
  if (size === 2) return (p[at] << 8) | p[at + 1];
  return p[at];
}

/**
 * A load at a signed offset as Linux's bpf_skb_load_helper does it: negative
 * offsets address from the network header (SKF_NET_OFF) or the link header
 * (SKF_LL_OFF, the start of the data here); other negative offsets fail.
 */
function loadLinux(p: Uint8Array, off: number, size: number, ctx: AncillaryContext | undefined): number {
  if (off >= 0) return loadBytes(p, off, size);
  if (off >= SKF_NET_OFF) {
    const net = ctx?.networkOffset;
    return net === undefined ? -1 : loadBytes(p, net + (off - SKF_NET_OFF), size);
  }
  if (off >= SKF_LL_OFF) return ctx?.noLinkHeader ? -1 : loadBytes(p, off - SKF_LL_OFF, size);
  return -1;
}

const SIZE_BYTES = [4, 2, 1, 0];

/** Backward jumps (BSD semantics only) allowed in one run before it is declared a non-terminating loop. */
const MAX_BACKWARD_JUMPS = 1_000_000;

function execute(prog: Program, p: Uint8Array, wirelen: number, options: RunOptions | undefined, counter: { executed: number } | null): number {
  const linux = (options?.semantics ?? DEFAULT_SEMANTICS) === 'linux';
  const ctx = options?.context;
  const mem = new Uint32Array(16);
  const n = prog.length;
  let a = 0;
  let x = 0;
  let pc = 0;
  let executed = 0;
  let backward = 0;
  for (;;) {
    if (pc >= n || pc < 0) {
      if (counter) counter.executed = executed;
      throw new InterpretError(pc, `control runs past the end of the ${n}-instruction program`);
    }
    const ins = prog[pc];
    const k = ins.k;
    executed++;
    switch (ins.code) {
      case 0x06: // ret #k
        if (counter) counter.executed = executed;
        return k;
      case 0x16: // ret a
        if (counter) counter.executed = executed;
        return a >>> 0;
      case 0x00: a = k; break; // ld #k
      case 0x01: x = k; break; // ldx #k
      case 0x60: if (k >= 16) throw new InterpretError(pc, `scratch index ${k} out of range`); a = mem[k]; break;
      case 0x61: if (k >= 16) throw new InterpretError(pc, `scratch index ${k} out of range`); x = mem[k]; break;
      case 0x02: if (k >= 16) throw new InterpretError(pc, `scratch index ${k} out of range`); mem[k] = a; break;
      case 0x03: if (k >= 16) throw new InterpretError(pc, `scratch index ${k} out of range`); mem[k] = x; break;
      case 0x80: a = wirelen >>> 0; break; // ld #pktlen
      case 0x81: x = wirelen >>> 0; break; // ldx #pktlen
      case 0x20: case 0x28: case 0x30: { // ld[hb] [k]
        const size = SIZE_BYTES[(ins.code >> 3) & 3];
        let v: number;
        if (linux) {
          const field = ancillaryField(k);
          v = field < 0 ? loadLinux(p, k | 0, size, ctx) : ancillaryFails(field, ctx) ? -1 : ancillaryLoad(field, p, a, x, ctx);
        } else {
          v = k > p.length - size ? -1 : loadBytes(p, k, size);
        }
        if (v < 0) { if (counter) counter.executed = executed; return 0; }
        a = v;
        break;
      }
      case 0x40: case 0x48: case 0x50: { // ld[hb] [x+k]
        const size = SIZE_BYTES[(ins.code >> 3) & 3];
        let v: number;
        if (linux) {
          v = loadLinux(p, (x + k) | 0, size, ctx);
        } else {
          // libpcap checks k and X separately, so X + k never wraps around to a small offset.
          v = k > p.length || x > p.length - k ? -1 : loadBytes(p, x + k, size);
        }
        if (v < 0) { if (counter) counter.executed = executed; return 0; }
        a = v;
        break;
      }
      case 0xb1: { // ldxb 4*([k]&0xf)
        const v = linux ? loadLinux(p, k | 0, 1, ctx) : loadBytes(p, k, 1);
        if (v < 0) { if (counter) counter.executed = executed; return 0; }
        x = (v & 0xf) << 2;
        break;
      }
      case 0x04: a = (a + k) >>> 0; break;
      case 0x0c: a = (a + x) >>> 0; break;
      case 0x14: a = (a - k) >>> 0; break;
      case 0x1c: a = (a - x) >>> 0; break;
      case 0x24: a = Math.imul(a, k) >>> 0; break;
      case 0x2c: a = Math.imul(a, x) >>> 0; break;
      case 0x34:
        if (k === 0) { if (counter) counter.executed = executed; return 0; }
        a = Math.floor((a >>> 0) / k) >>> 0; break;
      case 0x3c:
        if (x === 0) { if (counter) counter.executed = executed; return 0; }
        a = Math.floor((a >>> 0) / (x >>> 0)) >>> 0; break;
      case 0x94:
        if (k === 0) { if (counter) counter.executed = executed; return 0; }
        a = ((a >>> 0) % k) >>> 0; break;
      case 0x9c:
        if (x === 0) { if (counter) counter.executed = executed; return 0; }
        a = ((a >>> 0) % (x >>> 0)) >>> 0; break;
      case 0x44: a = (a | k) >>> 0; break;
      case 0x4c: a = (a | x) >>> 0; break;
      case 0x54: a = (a & k) >>> 0; break;
      case 0x5c: a = (a & x) >>> 0; break;
      case 0xa4: a = (a ^ k) >>> 0; break;
      case 0xac: a = (a ^ x) >>> 0; break;
      // Linux takes a shift count modulo 32 (its interpreter masks with & 31, and so do the
      // x86-64 and arm64 JITs); libpcap 1.10 gives 0 for a count in X of 32 or more, and its
      // shift by a constant (which bpf_validate lets through) compiles to a masking x86 shift.
      case 0x64: a = (a << (k & 31)) >>> 0; break;
      case 0x6c: a = !linux && x >= 32 ? 0 : (a << (x & 31)) >>> 0; break;
      case 0x74: a = a >>> (k & 31); break;
      case 0x7c: a = !linux && x >= 32 ? 0 : a >>> (x & 31); break;
      case 0x84: a = (-a) >>> 0; break; // neg
      case 0x07: x = a; break; // tax
      case 0x87: a = x; break; // txa
      case 0x05: // ja
        if (linux) { pc += k; break; }
        // libpcap sign-extends k: "ip6 protochain" compiles to a loop with a backward jump.
        pc += k | 0;
        if ((k | 0) < 0 && ++backward > MAX_BACKWARD_JUMPS) {
          if (counter) counter.executed = executed;
          throw new InterpretError(pc - (k | 0), `more than ${MAX_BACKWARD_JUMPS} backward jumps: the program does not terminate`);
        }
        break;
      case 0x15: pc += a === k ? ins.jt : ins.jf; break;
      case 0x1d: pc += a === x ? ins.jt : ins.jf; break;
      case 0x25: pc += a > k ? ins.jt : ins.jf; break;
      case 0x2d: pc += a > x ? ins.jt : ins.jf; break;
      case 0x35: pc += a >= k ? ins.jt : ins.jf; break;
      case 0x3d: pc += a >= x ? ins.jt : ins.jf; break;
      case 0x45: pc += (a & k) !== 0 ? ins.jt : ins.jf; break;
      case 0x4d: pc += (a & x) !== 0 ? ins.jt : ins.jf; break;
      default:
        if (counter) counter.executed = executed;
        throw new InterpretError(pc, `opcode 0x${ins.code.toString(16).padStart(2, '0')} is not a classic BPF instruction`);
    }
    pc++;
  }
}
