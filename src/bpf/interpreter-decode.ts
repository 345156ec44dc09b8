/**
 * The interpreter's predecoded form of a Program. Decoding once answers, per
 * instruction and per semantics, every question that does not depend on the
 * packet: which operation it is, whether its constant offset can ever be in a
 * packet, whether a division is by #0, where each branch lands. The run loop
 * (interpreter.ts) is then left with a dense switch over small integers and
 * only the checks that depend on the packet or the registers.
 *
 * Internal to the interpreter: not exported from the package.
 */
import type { Program } from './program.js';
import { ancillaryField } from './context.js';

/**
 * The run loop's operations. Where Linux and libpcap differ, decoding picks
 * the operation of the semantics asked for, so the loop never tests it.
 * Loads come one operation per size so that the loop does not branch on it.
 */
export const enum Op {
  RetK, RetA, RetZero,
  LdImm, LdxImm, LdMem, LdxMem, St, Stx, LdLen, LdxLen,
  LdW, LdH, LdB,                   // [k], k in 0 .. 2^31 - 1: the same in both semantics
  LdWInd, LdHInd, LdBInd,          // [x + k], Linux: the signed 32-bit sum, negative sums go to LdNeg's path
  LdWIndBsd, LdHIndBsd, LdBIndBsd, // [x + k], libpcap: X unsigned, no wrapping
  LdxMsh,                          // 4*([k]&0xf), k in 0 .. 2^31 - 1
  LdNeg,                           // Linux: [k] or 4*([k]&0xf) at a negative offset; the size (or 0 for ldxb) is in the jt slot
  LdAnc,                           // Linux: ancillary field k (an offset from SKF_AD_OFF)
  AddK, AddX, SubK, SubX, MulK, MulX, DivK, DivX, ModK, ModX,
  OrK, OrX, AndK, AndX, XorK, XorX, LshK, LshX, RshK, RshX, LshXBsd, RshXBsd, Neg,
  Tax, Txa,
  Ja, JaBack,                      // JaBack: libpcap's backward ja, counted against endless loops; k is its index
  JeqK, JeqX, JgtK, JgtX, JgeK, JgeX, JsetK, JsetX,
  Throw,                           // the instruction (or the exit) throws faults.get(its offset)
  Count,                           // counts one instruction: only in decodings made for interpretCounted
  // Superinstructions: a load and the jump right after it, which tests it (see FUSED).
  LdWJeqK, LdHJeqK, LdBJeqK, LdHJsetK, LdHIndJeqK, LdHIndBsdJeqK,
}

/**
 * The pairs libpcap emits most (`ldh [12]; jeq #0x800`, `ldh [20]; jset
 * #0x1fff`, `ldh [x + 14]; jeq #80`, ...), each made one operation: a trip
 * round the run loop costs more than the work of either half. The fused
 * operation sits in the load's slot and reads the jump's operand and targets
 * from the jump's slot, which stays as it is for the jumps that land on it.
 */
const FUSED: ReadonlyArray<readonly [load: Op, jump: Op, fused: Op]> = [
  [Op.LdW, Op.JeqK, Op.LdWJeqK], [Op.LdH, Op.JeqK, Op.LdHJeqK], [Op.LdB, Op.JeqK, Op.LdBJeqK],
  [Op.LdH, Op.JsetK, Op.LdHJsetK], [Op.LdHInd, Op.JeqK, Op.LdHIndJeqK], [Op.LdHIndBsd, Op.JeqK, Op.LdHIndBsdJeqK],
];

/**
 * The longest Program the interpreter takes: 2^25 instructions (the kernel's
 * limit is 4096). Two slots per instruction and two exits per jump at most
 * keep every offset below 2^30.
 */
export const MAX_INSTRUCTIONS = 2 ** 25;

/** What a Throw slot throws: InterpretError(index, reason). */
export interface Fault {
  readonly index: number;
  readonly reason: string;
}

/** A Program decoded for one semantics. */
export interface Decoded {
  /**
   * Four int32 per slot: operation, operand (k as a signed 32-bit number,
   * already reduced where decoding could), and a jump's true and false
   * targets as offsets into `code` (4 × the slot's number). The Program's
   * instructions come first, one slot each (two when counted); the slots
   * after them are exits, Throw slots that stand for the places outside the
   * Program that control can reach (the end, and every out-of-range jump
   * target), so the loop never checks pc. Offsets stay below 2^30.
   */
  readonly code: Int32Array;
  /** The Throw slots' errors, by offset. */
  readonly faults: ReadonlyMap<number, Fault>;
  /**
   * null when no instruction touches M[] (a run then needs no scratch memory);
   * otherwise the M[] slots some instruction reads, which a run zeroes first
   * since M[] starts zeroed.
   */
  readonly scratchReads: Int32Array | null;
  /** True when the Program and all its instructions are frozen, so this decoding can be kept. */
  readonly cacheable: boolean;
  /**
   * The result when the first instruction returns a constant (accept-all and
   * reject-all Programs), else -1: a run then needs no machine at all.
   */
  readonly constant: number;
}

/**
 * Decodes `prog` for Linux (`linux` true) or libpcap semantics. Throws only a
 * RangeError for a Program longer than MAX_INSTRUCTIONS: whatever cannot run
 * becomes a Throw slot, which throws only if reached.
 * With `counted`, a Count slot precedes each instruction's own slot, so that
 * counting costs nothing to the runs that do not count.
 *
 * @example
 * const d = decode(program([insn(0x28, 0, 0, 12), insn(0x06, 0, 0, 0)]), false, false);
 * d.code[0] === Op.LdH && d.code[1] === 12 // true
 */
export function decode(prog: Program, linux: boolean, counted: boolean): Decoded {
  const n = prog.length;
  if (n > MAX_INSTRUCTIONS) throw new RangeError(`a Program of ${n} instructions is too long to interpret (at most ${MAX_INSTRUCTIONS})`);
  const width = counted ? 2 : 1; // slots per instruction
  const slots: number[] = [];
  const faults = new Map<number, Fault>();
  const reads = new Set<number>();
  let usesScratch = false;
  let cacheable = Object.isFrozen(prog);
  const pending: Array<[at: number, target: number]> = []; // where in `slots` a jump target goes, and the target instruction
  const exitFault = (target: number): Fault => ({ index: target, reason: `control runs past the end of the ${n}-instruction program` });

  for (let pc = 0; pc < n; pc++) {
    const ins = prog[pc];
    if (!Object.isFrozen(ins)) cacheable = false;
    const code = ins.code;
    const k = ins.k >>> 0;
    const sk = k | 0;
    if (counted) slots.push(Op.Count, 0, 0, 0);
    const at = slots.length; // this instruction's slot, times 4
    const emit = (op: Op, operand = sk): void => { slots.push(op, operand, 0, 0); };
    const jump = (op: Op, operand: number, jt: number, jf: number): void => {
      slots.push(op, operand, 0, 0);
      pending.push([at + 2, pc + 1 + jt], [at + 3, pc + 1 + jf]);
    };
    const fault = (reason: string): void => {
      faults.set(at, { index: pc, reason });
      emit(Op.Throw, 0);
    };
    const scratch = (op: Op, read: boolean): void => {
      if (k >= 16) return fault(`scratch index ${k} out of range`);
      usesScratch = true;
      if (read) reads.add(k);
      emit(op);
    };
    // A load at a constant offset: k in 0 .. 2^31 - 1 can be in a packet; above, it is an
    // ancillary field or a negative offset for Linux, and beyond any packet for libpcap.
    const absolute = (op: Op, size: number): void => {
      if (sk >= 0) return emit(op);
      if (!linux) return emit(Op.RetZero);
      const field = op === Op.LdxMsh ? -1 : ancillaryField(k);
      if (field >= 0) return emit(Op.LdAnc, field);
      slots.push(Op.LdNeg, sk, size, 0);
    };
    switch (code) {
      case 0x06: emit(Op.RetK); break;
      case 0x16: emit(Op.RetA); break;
      case 0x00: emit(Op.LdImm); break;
      case 0x01: emit(Op.LdxImm); break;
      case 0x60: scratch(Op.LdMem, true); break;
      case 0x61: scratch(Op.LdxMem, true); break;
      case 0x02: scratch(Op.St, false); break;
      case 0x03: scratch(Op.Stx, false); break;
      case 0x80: emit(Op.LdLen); break;
      case 0x81: emit(Op.LdxLen); break;
      case 0x20: absolute(Op.LdW, 4); break;
      case 0x28: absolute(Op.LdH, 2); break;
      case 0x30: absolute(Op.LdB, 1); break;
      case 0xb1: absolute(Op.LdxMsh, 0); break;
      // libpcap fails [x + k] for k beyond any packet whatever X is; Linux adds first.
      case 0x40: emit(linux ? Op.LdWInd : sk < 0 ? Op.RetZero : Op.LdWIndBsd); break;
      case 0x48: emit(linux ? Op.LdHInd : sk < 0 ? Op.RetZero : Op.LdHIndBsd); break;
      case 0x50: emit(linux ? Op.LdBInd : sk < 0 ? Op.RetZero : Op.LdBIndBsd); break;
      case 0x04: emit(Op.AddK); break;
      case 0x0c: emit(Op.AddX); break;
      case 0x14: emit(Op.SubK); break;
      case 0x1c: emit(Op.SubX); break;
      case 0x24: emit(Op.MulK); break;
      case 0x2c: emit(Op.MulX); break;
      case 0x34: emit(k === 0 ? Op.RetZero : Op.DivK); break;
      case 0x3c: emit(Op.DivX); break;
      case 0x94: emit(k === 0 ? Op.RetZero : Op.ModK); break;
      case 0x9c: emit(Op.ModX); break;
      case 0x44: emit(Op.OrK); break;
      case 0x4c: emit(Op.OrX); break;
      case 0x54: emit(Op.AndK); break;
      case 0x5c: emit(Op.AndX); break;
      case 0xa4: emit(Op.XorK); break;
      case 0xac: emit(Op.XorX); break;
      // Linux takes a shift count modulo 32 (its interpreter masks with & 31, and so do the
      // x86-64 and arm64 JITs); libpcap 1.10 gives 0 for a count in X of 32 or more, and its
      // shift by a constant (which bpf_validate lets through) compiles to a masking x86 shift.
      // JavaScript's shifts mask their count with & 31 too.
      case 0x64: emit(Op.LshK); break;
      case 0x6c: emit(linux ? Op.LshX : Op.LshXBsd); break;
      case 0x74: emit(Op.RshK); break;
      case 0x7c: emit(linux ? Op.RshX : Op.RshXBsd); break;
      case 0x84: emit(Op.Neg); break;
      case 0x07: emit(Op.Tax); break;
      case 0x87: emit(Op.Txa); break;
      case 0x05: {
        // libpcap sign-extends k: "ip6 protochain" compiles to a loop with a backward jump.
        // Linux's k is unsigned, so a huge k jumps out of the Program.
        const backward = !linux && sk < 0;
        jump(backward ? Op.JaBack : Op.Ja, pc, linux ? k : sk, 0);
        break;
      }
      case 0x15: jump(Op.JeqK, sk, ins.jt, ins.jf); break;
      case 0x1d: jump(Op.JeqX, sk, ins.jt, ins.jf); break;
      case 0x25: jump(Op.JgtK, sk, ins.jt, ins.jf); break;
      case 0x2d: jump(Op.JgtX, sk, ins.jt, ins.jf); break;
      case 0x35: jump(Op.JgeK, sk, ins.jt, ins.jf); break;
      case 0x3d: jump(Op.JgeX, sk, ins.jt, ins.jf); break;
      case 0x45: jump(Op.JsetK, sk, ins.jt, ins.jf); break;
      case 0x4d: jump(Op.JsetX, sk, ins.jt, ins.jf); break;
      default: fault(`opcode 0x${code.toString(16).padStart(2, '0')} is not a classic BPF instruction`);
    }
  }

  // The slot after the last instruction: falling off the end. Then one exit per distinct
  // out-of-range target.
  const exits = new Map<number, number>([[n, n * width * 4]]);
  faults.set(n * width * 4, exitFault(n));
  slots.push(Op.Throw, 0, 0, 0);
  for (const [at, target] of pending) {
    if (target >= 0 && target < n) { slots[at] = target * width * 4; continue; }
    let exit = exits.get(target);
    if (exit === undefined) {
      exit = slots.length;
      exits.set(target, exit);
      faults.set(exit, exitFault(target));
      slots.push(Op.Throw, 0, 0, 0);
    }
    slots[at] = exit;
  }
  // A counted run must count both halves, so counted decodings fuse nothing.
  for (let at = 0; !counted && at + 4 < n * 4; at += 4) {
    const pair = FUSED.find(([load, jump]) => slots[at] === load && slots[at + 4] === jump);
    if (pair) slots[at] = pair[2];
  }
  const code = Int32Array.from(slots);
  const constant = code[0] === Op.RetK ? code[1] >>> 0 : code[0] === Op.RetZero ? 0 : -1;
  return { code, faults, scratchReads: usesScratch ? Int32Array.from(reads) : null, cacheable, constant };
}
