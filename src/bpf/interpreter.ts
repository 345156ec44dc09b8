/**
 * The reference interpreter: runs a classic BPF Program over one packet, as
 * the Linux kernel runs a socket filter or as libpcap's bpf_filter() does.
 * Everything else in bpfkit that executes Programs (the JIT, the kernel) is
 * tested against this.
 *
 * A Program is first predecoded (interpreter-decode.ts: once per frozen
 * Program and semantics), then run by one loop over a dense switch. See
 * docs/bpf.md, "How the interpreter runs".
 */
import type { Program } from './program.js';
import { ancillaryFails, ancillaryLoad, DEFAULT_SEMANTICS, negativeOffsetPosition, type AncillaryContext, type RunOptions } from './context.js';
import { decode, Op, type Decoded } from './interpreter-decode.js';

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
  const d = ((options?.semantics ?? DEFAULT_SEMANTICS) === 'linux' ? LINUX : BSD).get(prog);
  const constant = d.constant;
  if (constant >= 0) return constant;
  return execute(d, packet, wireLength ?? packet.length, options?.context);
}

/**
 * Like `interpret`, and also counts the instructions executed: the measure of
 * a Program's cost per packet that the optimizer reports.
 *
 * @example
 * const { result, executed } = interpretCounted(prog, frame); // e.g. { result: 65535, executed: 3 }
 */
export function interpretCounted(prog: Program, packet: Uint8Array, wireLength?: number, options?: RunOptions): RunResult {
  const cache = (options?.semantics ?? DEFAULT_SEMANTICS) === 'linux' ? LINUX_COUNTED : BSD_COUNTED;
  const d = cache.get(prog);
  const outer = counted; // a run nested in this one (from a context callback) counts apart
  counted = 0;
  try {
    const result = execute(d, packet, wireLength ?? packet.length, options?.context);
    return { result, executed: counted };
  } finally {
    counted = outer;
  }
}

/** Instructions executed so far by the current counted run (Count slots add to it). */
let counted = 0;

/**
 * Decodings of frozen Programs for one semantics, counted or not. A Program
 * that is not frozen (or holds an instruction that is not) could change
 * between two runs, so it is decoded afresh on every run and never remembered.
 */
class Decodings {
  private readonly byProgram = new WeakMap<Program, Decoded>();
  // The last decoding handed out, checked before the WeakMap: a loop over packets asks for
  // the same Program every time, and comparing a pointer is several times cheaper than a
  // WeakMap lookup. It keeps that one (frozen) Program alive until another one runs.
  private lastProgram: Program | undefined = undefined;
  private lastDecoded: Decoded | undefined = undefined;

  constructor(private readonly linux: boolean, private readonly counted: boolean) {}

  get(prog: Program): Decoded {
    if (prog === this.lastProgram) return this.lastDecoded!;
    let d = this.byProgram.get(prog);
    if (d === undefined) {
      d = decode(prog, this.linux, this.counted);
      if (!d.cacheable) return d;
      this.byProgram.set(prog, d);
    }
    this.lastProgram = prog;
    this.lastDecoded = d;
    return d;
  }
}

const BSD = new Decodings(false, false);
const LINUX = new Decodings(true, false);
const BSD_COUNTED = new Decodings(false, true);
const LINUX_COUNTED = new Decodings(true, true);

/**
 * M[], shared by all runs instead of allocated per run. Only a run of a
 * Program that uses M[] takes it, and marks it busy while it runs: a run that
 * starts while it is busy (a context getter or `random()` that calls
 * `interpret`, say) gets a fresh M[] of its own.
 */
const SCRATCH = new Int32Array(16);
let scratchBusy = false;

function execute(d: Decoded, p: Uint8Array, wirelen: number, ctx: AncillaryContext | undefined): number {
  const reads = d.scratchReads;
  if (reads === null) return run(d, p, wirelen, ctx, SCRATCH); // which it never touches
  if (scratchBusy) return run(d, p, wirelen, ctx, new Int32Array(16));
  scratchBusy = true;
  try {
    for (let i = 0; i < reads.length; i++) SCRATCH[reads[i]] = 0;
    return run(d, p, wirelen, ctx, SCRATCH);
  } finally {
    scratchBusy = false;
  }
}

/** Backward jumps (BSD semantics only) allowed in one run before it is declared a non-terminating loop. */
const MAX_BACKWARD_JUMPS = 1_000_000;

/**
 * The machine. A and X are kept as signed 32-bit numbers (what V8 keeps in a
 * register) and made unsigned where it matters: comparisons, division, the
 * result. A failed load or a division by zero returns 0. Packet words are
 * composed inline rather than by a helper: a call to a module function costs
 * a check that the binding still holds it.
 */
function run(d: Decoded, p: Uint8Array, wirelen: number, ctx: AncillaryContext | undefined, mem: Int32Array): number {
  const c = d.code;
  const len = p.length;
  let a = 0;
  let x = 0;
  let pc = 0; // where the next slot starts in c: 4 numbers per slot
  let backward = 0;
  for (;;) {
    // The mask changes nothing (offsets stay below 2^30) but tells V8 that i + 7 cannot
    // overflow, which spares a check on every access to c.
    const i = pc & 0x3ffffffc;
    const k = c[i + 1];
    pc = i + 4;
    switch (c[i]) {
      case Op.RetK: return k >>> 0;
      case Op.RetA: return a >>> 0;
      case Op.RetZero: return 0;
      case Op.LdImm: a = k; break;
      case Op.LdxImm: x = k; break;
      case Op.LdMem: a = mem[k]; break;
      case Op.LdxMem: x = mem[k]; break;
      case Op.St: mem[k] = a; break;
      case Op.Stx: mem[k] = x; break;
      case Op.LdLen: a = wirelen | 0; break;
      case Op.LdxLen: x = wirelen | 0; break;
      case Op.LdW: if (k > len - 4) return 0; a = (p[k] << 24) | (p[k + 1] << 16) | (p[k + 2] << 8) | p[k + 3]; break;
      case Op.LdH: if (k > len - 2) return 0; a = (p[k] << 8) | p[k + 1]; break;
      case Op.LdB: if (k >= len) return 0; a = p[k]; break;
      case Op.LdWInd: {
        const at = (x + k) | 0;
        if (at >= 0 && at <= len - 4) { a = (p[at] << 24) | (p[at + 1] << 16) | (p[at + 2] << 8) | p[at + 3]; break; }
        const v = loadLinux(p, at, 4, ctx);
        if (v < 0) return 0;
        a = v | 0;
        break;
      }
      case Op.LdHInd: {
        const at = (x + k) | 0;
        if (at >= 0 && at <= len - 2) { a = (p[at] << 8) | p[at + 1]; break; }
        a = loadLinux(p, at, 2, ctx);
        if (a < 0) return 0;
        break;
      }
      case Op.LdBInd: {
        const at = (x + k) | 0;
        if (at >= 0 && at < len) { a = p[at]; break; }
        a = loadLinux(p, at, 1, ctx);
        if (a < 0) return 0;
        break;
      }
      // libpcap adds X (unsigned) and k without wrapping: X of 2^31 or more is beyond any packet.
      case Op.LdWIndBsd: {
        if (x < 0 || x > len - 4 - k) return 0;
        const at = x + k;
        a = (p[at] << 24) | (p[at + 1] << 16) | (p[at + 2] << 8) | p[at + 3];
        break;
      }
      case Op.LdHIndBsd: { if (x < 0 || x > len - 2 - k) return 0; const at = x + k; a = (p[at] << 8) | p[at + 1]; break; }
      case Op.LdBIndBsd: if (x < 0 || x > len - 1 - k) return 0; a = p[x + k]; break;
      case Op.LdxMsh: if (k >= len) return 0; x = (p[k] & 0xf) << 2; break;
      case Op.LdNeg: {
        const size = c[i + 2];
        const v = loadLinux(p, k, size === 0 ? 1 : size, ctx);
        if (v < 0) return 0;
        if (size === 0) x = (v & 0xf) << 2; else a = v | 0;
        break;
      }
      case Op.LdAnc: if (ancillaryFails(k, ctx)) return 0; a = ancillaryLoad(k, p, a >>> 0, x >>> 0, ctx) | 0; break;
      case Op.AddK: a = (a + k) | 0; break;
      case Op.AddX: a = (a + x) | 0; break;
      case Op.SubK: a = (a - k) | 0; break;
      case Op.SubX: a = (a - x) | 0; break;
      case Op.MulK: a = Math.imul(a, k); break;
      case Op.MulX: a = Math.imul(a, x); break;
      case Op.DivK: a = ((a >>> 0) / (k >>> 0)) | 0; break; // k is never 0 here; | 0 truncates
      case Op.DivX: if (x === 0) return 0; a = ((a >>> 0) / (x >>> 0)) | 0; break;
      case Op.ModK: a = ((a >>> 0) % (k >>> 0)) | 0; break;
      case Op.ModX: if (x === 0) return 0; a = ((a >>> 0) % (x >>> 0)) | 0; break;
      case Op.OrK: a |= k; break;
      case Op.OrX: a |= x; break;
      case Op.AndK: a &= k; break;
      case Op.AndX: a &= x; break;
      case Op.XorK: a ^= k; break;
      case Op.XorX: a ^= x; break;
      case Op.LshK: a <<= k; break;
      case Op.LshX: a <<= x; break;
      case Op.RshK: a = (a >>> k) | 0; break;
      case Op.RshX: a = (a >>> x) | 0; break;
      case Op.LshXBsd: a = (x >>> 0) >= 32 ? 0 : a << x; break;
      case Op.RshXBsd: a = (x >>> 0) >= 32 ? 0 : (a >>> x) | 0; break;
      case Op.Neg: a = -a | 0; break;
      case Op.Tax: x = a; break;
      case Op.Txa: a = x; break;
      case Op.Ja: pc = c[i + 2]; break;
      case Op.JaBack:
        if (++backward > MAX_BACKWARD_JUMPS) throw new InterpretError(k, `more than ${MAX_BACKWARD_JUMPS} backward jumps: the program does not terminate`);
        pc = c[i + 2];
        break;
      case Op.JeqK: pc = a === k ? c[i + 2] : c[i + 3]; break;
      case Op.JeqX: pc = a === x ? c[i + 2] : c[i + 3]; break;
      case Op.JgtK: pc = (a >>> 0) > (k >>> 0) ? c[i + 2] : c[i + 3]; break;
      case Op.JgtX: pc = (a >>> 0) > (x >>> 0) ? c[i + 2] : c[i + 3]; break;
      case Op.JgeK: pc = (a >>> 0) >= (k >>> 0) ? c[i + 2] : c[i + 3]; break;
      case Op.JgeX: pc = (a >>> 0) >= (x >>> 0) ? c[i + 2] : c[i + 3]; break;
      case Op.JsetK: pc = (a & k) !== 0 ? c[i + 2] : c[i + 3]; break;
      case Op.JsetX: pc = (a & x) !== 0 ? c[i + 2] : c[i + 3]; break;
      // A load fused with the jump in the next slot (interpreter-decode.ts: FUSED).
      case Op.LdWJeqK:
        if (k > len - 4) return 0;
        a = (p[k] << 24) | (p[k + 1] << 16) | (p[k + 2] << 8) | p[k + 3];
        pc = a === c[i + 5] ? c[i + 6] : c[i + 7];
        break;
      case Op.LdHJeqK: if (k > len - 2) return 0; a = (p[k] << 8) | p[k + 1]; pc = a === c[i + 5] ? c[i + 6] : c[i + 7]; break;
      case Op.LdBJeqK: if (k >= len) return 0; a = p[k]; pc = a === c[i + 5] ? c[i + 6] : c[i + 7]; break;
      case Op.LdHJsetK: if (k > len - 2) return 0; a = (p[k] << 8) | p[k + 1]; pc = (a & c[i + 5]) !== 0 ? c[i + 6] : c[i + 7]; break;
      case Op.LdHIndJeqK: {
        const at = (x + k) | 0;
        if (at >= 0 && at <= len - 2) a = (p[at] << 8) | p[at + 1];
        else if ((a = loadLinux(p, at, 2, ctx)) < 0) return 0;
        pc = a === c[i + 5] ? c[i + 6] : c[i + 7];
        break;
      }
      case Op.LdHIndBsdJeqK: {
        if (x < 0 || x > len - 2 - k) return 0;
        const at = x + k;
        a = (p[at] << 8) | p[at + 1];
        pc = a === c[i + 5] ? c[i + 6] : c[i + 7];
        break;
      }
      case Op.Count: counted++; break;
      case Op.Throw: {
        const fault = d.faults.get(i)!;
        throw new InterpretError(fault.index, fault.reason);
      }
    }
  }
}

/**
 * A Linux load that the fast paths did not take: at a negative offset, as
 * bpf_skb_load_helper does it, the network header (SKF_NET_OFF) or the link
 * header (SKF_LL_OFF, the start of the data here) are the base; other
 * negative offsets fail, and so do loads beyond the packet. Returns the
 * unsigned value, or -1.
 */
function loadLinux(p: Uint8Array, off: number, size: number, ctx: AncillaryContext | undefined): number {
  const at = off >= 0 ? off : negativeOffsetPosition(off, ctx);
  if (at < 0 || at + size > p.length) return -1;
  if (size === 4) return ((p[at] << 24) | (p[at + 1] << 16) | (p[at + 2] << 8) | p[at + 3]) >>> 0;
  return size === 2 ? (p[at] << 8) | p[at + 1] : p[at];
}

/**
 * The interpreter over a whole batch, for Programs no compiler takes (libpcap's
 * backward jumps) and for `{ engine: 'interpreter' }`: with `indices`, writes
 * the accepted packets' indices in order into `out`, else packet i's result
 * into `out[i]`. Returns how many were accepted, or -1-i when packet i's bytes
 * lie outside `data` (the batch functions' convention).
 *
 * @example
 * const accepted = interpretBatch(prog, batch.data, batch.offsets, batch.caplens, batch.wirelens, batch.count, results, false);
 */
export function interpretBatch(prog: Program, data: Uint8Array, offsets: Uint32Array, caplens: Uint32Array, wirelens: Uint32Array,
  count: number, out: Uint32Array, indices: boolean, options?: RunOptions): number {
  let accepted = 0;
  for (let i = 0; i < count; i++) {
    const start = offsets[i], end = start + caplens[i];
    if (end > data.length) return -1 - i;
    const r = interpret(prog, data.subarray(start, end), wirelens[i], options);
    if (indices) {
      if (r !== 0) out[accepted++] = i;
    } else {
      out[i] = r;
      if (r !== 0) accepted++;
    }
  }
  return accepted;
}
