/**
 * Classic BPF → eBPF, for two program types.
 *
 * `socket` follows the kernel's own conversion of socket filters
 * (net/core/filter.c, bpf_convert_filter): A in r0, X in r7, the context
 * (`__sk_buff`) in r6, packet bytes read with LD_ABS/LD_IND (which return 0 from
 * the program when the load falls outside the packet), ancillary loads read from
 * `__sk_buff` fields or helpers, and a division by X = 0 returns 0.
 *
 * `xdp` has no LD_ABS and no socket buffer: the packet is read directly between
 * `xdp_md.data` (r8) and `data_end` (r9), each load preceded by the bounds check
 * the verifier needs to accept it, and a load out of bounds takes the
 * "no match" exit, as a classic load past the end returns 0. The classic return
 * value is turned into an XDP action: non-zero is a match.
 *
 * In both, M[] lives on the stack (r10-64 .. r10-4), zeroed first, and only
 * instructions reachable from the start are emitted (the eBPF verifier refuses
 * unreachable code, the classic one does not).
 */
import {
  BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_ALU, BPF_JMP, BPF_RET, BPF_MISC,
  BPF_W, BPF_H, BPF_B, BPF_IMM, BPF_ABS, BPF_IND, BPF_MEM, BPF_LEN, BPF_MSH,
  BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR,
  BPF_JA, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_K, BPF_X, BPF_A, BPF_TAX, BPF_TXA, BPF_MEMWORDS,
  SKF_AD_ALU_XOR_X, SKF_AD_CPU, SKF_AD_IFINDEX, SKF_AD_MARK, SKF_AD_PKTTYPE, SKF_AD_PROTOCOL,
  SKF_AD_QUEUE, SKF_AD_RANDOM, SKF_AD_RXHASH, SKF_AD_VLAN_TAG, SKF_AD_VLAN_TAG_PRESENT, SKF_AD_VLAN_TPID,
  SKF_LL_OFF, SKF_NET_OFF, ANCILLARY_NAMES,
} from '../bpf/opcodes.js';
import type { Instruction, Program } from '../bpf/program.js';
import { ancillaryField } from '../bpf/context.js';
import {
  BPF_DW, BPF_JLE, BPF_JLT, BPF_JNE, BPF_MOV, BPF_FUNC_get_prandom_u32, BPF_FUNC_get_smp_processor_id,
  BPF_FUNC_map_lookup_elem, BPF_JMP32, BPF_CALL, BPF_EXIT, SKB_OFF, XDP_MD_OFF,
} from './opcodes.js';
import {
  alu32Imm, alu32Reg, alu64Imm, alu64Reg, call, ebpfInsn, endian, exit, ja, jmp32Imm, jmp32Reg, jmpImm, jmpReg,
  ldAbs, ldInd, ldMapFd, ldxMem, mov32Imm, mov64Reg, stMem, stxMem, type EbpfInstruction, type EbpfProgram,
} from './insn.js';

/**
 * A classic Program that cannot be expressed for the chosen target; `index`
 * names the classic instruction when one is to blame.
 *
 * @example
 * try { translate(prog, { target: 'xdp', onMatch: XDP_DROP, onNoMatch: XDP_PASS }); }
 * catch (e) { if (e instanceof TranslateError) console.error(e.message); } // 'classic instruction 3: ancillary load ...'
 */
export class TranslateError extends Error {
  constructor(readonly index: number | undefined, readonly reason: string) {
    super(index === undefined ? reason : `classic instruction ${index}: ${reason}`);
    this.name = 'TranslateError';
  }
}

/** Translate for a socket filter (BPF_PROG_TYPE_SOCKET_FILTER): returns what the classic Program returns. */
export interface SocketTarget {
  target: 'socket';
}

/** Translate for XDP (BPF_PROG_TYPE_XDP): the classic verdict becomes an XDP action. */
export interface XdpTarget {
  target: 'xdp';
  /** Action when the classic Program returns non-zero. */
  onMatch: number;
  /** Action when it returns 0 (including a load past the end of the packet). */
  onNoMatch: number;
  /**
   * File descriptor of an array or per-CPU array map of at least two u64
   * values: entry COUNTER_NO_MATCH and COUNTER_MATCH are incremented per packet.
   */
  countersFd?: number;
}

export type TranslateOptions = SocketTarget | XdpTarget;

/** Index of the counter of packets the filter did not match. */
export const COUNTER_NO_MATCH = 0;
/** Index of the counter of packets the filter matched. */
export const COUNTER_MATCH = 1;

// Register allocation (r1-r5 are scratch and clobbered by helper calls and LD_ABS).
const A = 0, X = 7, CTX = 6, TMP = 8, DATA = 8, DATA_END = 9, FP = 10;
/** Stack offset of M[k] from r10. */
const memOffset = (k: number): number => -4 * (BPF_MEMWORDS - k);
/** Stack slot for the counters' map key, below M[]. */
const KEY_OFFSET = -4 * (BPF_MEMWORDS + 1);

const REJECT = 'reject', MATCH = 'match', NO_MATCH = 'nomatch';

interface Pending {
  insn: EbpfInstruction;
  target?: string;
}

const SIZE_BYTES: Record<number, number> = { [BPF_W]: 4, [BPF_H]: 2, [BPF_B]: 1 };

/**
 * Translates a classic Program into an eBPF program for a socket filter or
 * for XDP. Throws TranslateError, naming the classic instruction, for what
 * the target cannot express (an ancillary field the context lacks, a jump
 * past eBPF's 16-bit offsets, an invalid instruction).
 *
 * @example
 * const socketProg = translate(compile('tcp port 80'), { target: 'socket' });
 * const xdpProg = translate(compile('udp port 7777'), { target: 'xdp', onMatch: XDP_DROP, onNoMatch: XDP_PASS });
 */
export function translate(prog: Program, options: TranslateOptions): EbpfProgram {
  if (prog.length === 0) throw new TranslateError(0, 'the Program is empty');
  const reachable = reachableInstructions(prog);
  const xdp = options.target === 'xdp';
  // Packet bytes already bounds-checked on every path into each instruction: those loads need no new check.
  const checked = xdp ? checkedLengths(prog, reachable) : [];
  const out: Pending[] = [];
  const labels = new Map<string, number>();
  const emit = (insn: EbpfInstruction, target?: string): void => { out.push({ insn, target }); };
  const mark = (label: string): void => { labels.set(label, out.length); };
  const used = new Set<string>(); // exits something jumps to
  const goto = (label: string): void => { used.add(label); emit(ja(0), label); };
  const rejectIf = (insn: EbpfInstruction): void => { used.add(REJECT); emit(insn, REJECT); };

  // Prologue: keep the context, zero A, X and the scratch words the Program uses.
  emit(mov64Reg(CTX, 1));
  if (xdp) {
    emit(ldxMem(BPF_W, DATA, CTX, XDP_MD_OFF.data));
    emit(ldxMem(BPF_W, DATA_END, CTX, XDP_MD_OFF.data_end));
  }
  emit(mov32Imm(A, 0));
  emit(mov32Imm(X, 0));
  for (const k of memoryWordsUsed(prog, reachable)) emit(stMem(BPF_W, FP, memOffset(k), 0));

  // Packet loads for XDP: bounds-checked direct access into `dst`.
  const xdpLoadAbs = (i: number, k: number, size: number, dst: number): void => {
    let off = k | 0;
    if (off < 0) {
      // The frame starts at the link-layer header, so SKF_LL_OFF + n is byte n; XDP knows no
      // network-header offset, so SKF_NET_OFF loads fail as in a classic run without one.
      if (off >= SKF_LL_OFF && off < SKF_NET_OFF) off -= SKF_LL_OFF;
      else { goto(REJECT); return; }
    }
    if (off + size > 0xffff) { goto(REJECT); return; }
    if (off + size <= checked[i]) {
      emit(ldxMem(size === 4 ? BPF_W : size === 2 ? BPF_H : BPF_B, dst, DATA, off));
    } else if (off <= 0x7fff) {
      emit(mov64Reg(1, DATA));
      emit(alu64Imm(BPF_ADD, 1, off + size));
      rejectIf(jmpReg(BPF_JGT, 1, DATA_END, 0));
      emit(ldxMem(size === 4 ? BPF_W : size === 2 ? BPF_H : BPF_B, dst, DATA, off));
    } else {
      emit(mov64Reg(2, DATA));
      emit(alu64Imm(BPF_ADD, 2, off));
      emitCheckedLoadAt2(size, dst);
    }
    if (size > 1) emit(endian(dst, 'be', size === 4 ? 32 : 16));
  };
  // r2 points into the packet at an offset the verifier knows is at most 0xffff: check r2+size, load.
  const emitCheckedLoadAt2 = (size: number, dst: number): void => {
    emit(mov64Reg(3, 2));
    emit(alu64Imm(BPF_ADD, 3, size));
    rejectIf(jmpReg(BPF_JGT, 3, DATA_END, 0));
    emit(ldxMem(size === 4 ? BPF_W : size === 2 ? BPF_H : BPF_B, dst, 2, 0));
  };

  for (let i = 0; i < prog.length; i++) {
    if (!reachable[i]) continue;
    mark(classicLabel(i));
    const ins = prog[i];
    const code = ins.code;
    const k = ins.k;
    switch (code & 0x07) {
      case BPF_LD: {
        const mode = code & 0xe0;
        const size = SIZE_BYTES[code & 0x18];
        if (mode === BPF_IMM) emit(mov32Imm(A, k));
        else if (mode === BPF_MEM) emit(ldxMem(BPF_W, A, FP, memOffset(checkMem(i, k))));
        else if (mode === BPF_LEN) emitLength(A);
        else if (mode === BPF_ABS && size) {
          const field = ancillaryField(k);
          if (field >= 0) emitAncillary(i, field);
          else if (xdp) xdpLoadAbs(i, k, size, A);
          else emit(ldAbs(code & 0x18, k | 0));
        } else if (mode === BPF_IND && size) {
          if (xdp) {
            // An index relative to SKF_LL_OFF addresses the frame (see xdpLoadAbs); one that lands
            // anywhere else outside 0..0xffff fails, as a classic load outside the packet.
            const inLinkWindow = (k | 0) >= SKF_LL_OFF && (k | 0) < SKF_NET_OFF;
            // k first, then X: `w2 = w7; w2 += k` would make the verifier track r2 as "r7 + k" and
            // refuse the pointer arithmetic below for a negative k.
            emit(mov32Imm(2, inLinkWindow ? (k | 0) - SKF_LL_OFF : k | 0));
            emit(alu32Reg(BPF_ADD, 2, X));
            rejectIf(jmpImm(BPF_JGT, 2, 0xffff - size, 0));
            emit(alu64Reg(BPF_ADD, 2, DATA));
            emitCheckedLoadAt2(size, A);
            if (size > 1) emit(endian(A, 'be', size === 4 ? 32 : 16));
          } else {
            emit(ldInd(code & 0x18, X, k | 0));
          }
        } else throw new TranslateError(i, `unknown load 0x${code.toString(16)}`);
        break;
      }
      case BPF_LDX: {
        const mode = code & 0xe0;
        if (mode === BPF_IMM && (code & 0x18) === BPF_W) emit(mov32Imm(X, k));
        else if (mode === BPF_MEM && (code & 0x18) === BPF_W) emit(ldxMem(BPF_W, X, FP, memOffset(checkMem(i, k))));
        else if (mode === BPF_LEN && (code & 0x18) === BPF_W) emitLength(X);
        else if (mode === BPF_MSH && (code & 0x18) === BPF_B) {
          if (xdp) {
            xdpLoadAbs(i, k, 1, X);
          } else {
            // As the kernel does: keep A in a callee-saved register around the LD_ABS.
            emit(mov64Reg(TMP, A));
            emit(ldAbs(BPF_B, k | 0));
            emit(alu32Reg(BPF_MOV, X, A));
            emit(mov64Reg(A, TMP));
          }
          emit(alu32Imm(BPF_AND, X, 0xf));
          emit(alu32Imm(BPF_LSH, X, 2));
        } else throw new TranslateError(i, `unknown load into X 0x${code.toString(16)}`);
        break;
      }
      case BPF_ST:
        if (code !== BPF_ST) throw new TranslateError(i, `unknown store 0x${code.toString(16)}`);
        emit(stxMem(BPF_W, FP, A, memOffset(checkMem(i, k))));
        break;
      case BPF_STX:
        if (code !== BPF_STX) throw new TranslateError(i, `unknown store 0x${code.toString(16)}`);
        emit(stxMem(BPF_W, FP, X, memOffset(checkMem(i, k))));
        break;
      case BPF_ALU: {
        const op = code & 0xf0;
        const useX = (code & 0x08) === BPF_X;
        if (![BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR].includes(op)) {
          throw new TranslateError(i, `unknown ALU operation 0x${code.toString(16)}`);
        }
        if (op === BPF_NEG) { emit(ebpfInsn(BPF_ALU | BPF_NEG, A, 0, 0, 0)); break; }
        if (op === BPF_DIV || op === BPF_MOD) {
          // A division by zero ends the Program with 0, as in Linux and libpcap.
          if (!useX && k === 0) { goto(REJECT); break; }
          if (useX) rejectIf(jmp32Imm(BPF_JEQ, X, 0, 0));
        }
        if ((op === BPF_LSH || op === BPF_RSH) && !useX && k >= 32) {
          throw new TranslateError(i, `shift by ${k} (Linux refuses constant shifts of 32 or more)`);
        }
        emit(useX ? alu32Reg(op, A, X) : alu32Imm(op, A, k | 0));
        break;
      }
      case BPF_JMP: {
        const op = code & 0xf0;
        if (op === BPF_JA) {
          const to = i + 1 + k;
          if (to !== nextReachable(reachable, i)) goto(classicLabel(to));
          break;
        }
        if (![BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET].includes(op)) throw new TranslateError(i, `unknown jump 0x${code.toString(16)}`);
        emitBranch(i, ins);
        break;
      }
      case BPF_RET: {
        const rval = code & 0x18;
        if (rval === BPF_K) {
          if (xdp) goto(k !== 0 ? MATCH : NO_MATCH);
          else { emit(mov32Imm(A, k)); emit(exit()); }
        } else if (rval === BPF_A) {
          if (xdp) { used.add(NO_MATCH); emit(jmp32Imm(BPF_JEQ, A, 0, 0), NO_MATCH); goto(MATCH); }
          else emit(exit());
        } else throw new TranslateError(i, `unknown return 0x${code.toString(16)}`);
        break;
      }
      case BPF_MISC: {
        const op = code & 0xf8;
        if (op === BPF_TAX) emit(alu32Reg(BPF_MOV, X, A));
        else if (op === BPF_TXA) emit(alu32Reg(BPF_MOV, A, X));
        else throw new TranslateError(i, `unknown misc instruction 0x${code.toString(16)}`);
        break;
      }
    }
  }

  // Exits.
  if (xdp) {
    // A load out of bounds is a classic `ret #0`: the same exit.
    if (used.has(REJECT) || used.has(NO_MATCH)) { mark(REJECT); mark(NO_MATCH); emitVerdict(COUNTER_NO_MATCH, options.onNoMatch); }
    if (used.has(MATCH)) { mark(MATCH); emitVerdict(COUNTER_MATCH, options.onMatch); }
  } else if (used.has(REJECT)) {
    mark(REJECT);
    emit(mov32Imm(A, 0));
    emit(exit());
  }

  return Object.freeze(link(out, labels));

  function emitLength(dst: number): void {
    if (xdp) {
      emit(mov64Reg(dst, DATA_END));
      emit(alu64Reg(BPF_SUB, dst, DATA));
    } else {
      emit(ldxMem(BPF_W, dst, CTX, SKB_OFF.len));
    }
  }

  function emitVerdict(counter: number, action: number): void {
    const t = options as XdpTarget;
    if (t.countersFd !== undefined) {
      emit(stMem(BPF_W, FP, KEY_OFFSET, counter));
      emit(mov64Reg(2, FP));
      emit(alu64Imm(BPF_ADD, 2, KEY_OFFSET));
      const [lo, hi] = ldMapFd(1, t.countersFd);
      emit(lo);
      emit(hi);
      emit(call(BPF_FUNC_map_lookup_elem));
      emit(jmpImm(BPF_JEQ, 0, 0, 3));
      emit(ldxMem(BPF_DW, 1, 0, 0));
      emit(alu64Imm(BPF_ADD, 1, 1));
      emit(stxMem(BPF_DW, 0, 1, 0));
    }
    emit(mov32Imm(A, action));
    emit(exit());
  }

  function emitAncillary(i: number, field: number): void {
    const name = ANCILLARY_NAMES[field] ?? String(field);
    if (field === SKF_AD_ALU_XOR_X) { emit(alu32Reg(BPF_XOR, A, X)); return; }
    if (field === SKF_AD_CPU) { emit(call(BPF_FUNC_get_smp_processor_id)); return; }
    if (field === SKF_AD_RANDOM) { emit(call(BPF_FUNC_get_prandom_u32)); return; }
    if (xdp) {
      if (field === SKF_AD_IFINDEX) emit(ldxMem(BPF_W, A, CTX, XDP_MD_OFF.ingress_ifindex));
      else if (field === SKF_AD_QUEUE) {
        // Classic reads skb->queue_mapping, a u16.
        emit(ldxMem(BPF_W, A, CTX, XDP_MD_OFF.rx_queue_index));
        emit(alu32Imm(BPF_AND, A, 0xffff));
      }
      else throw new TranslateError(i, `ancillary load '${name}' has no equivalent in XDP's xdp_md`);
      return;
    }
    const skbField: Record<number, number> = {
      [SKF_AD_PROTOCOL]: SKB_OFF.protocol, [SKF_AD_PKTTYPE]: SKB_OFF.pkt_type, [SKF_AD_IFINDEX]: SKB_OFF.ifindex,
      [SKF_AD_MARK]: SKB_OFF.mark, [SKF_AD_QUEUE]: SKB_OFF.queue_mapping, [SKF_AD_RXHASH]: SKB_OFF.hash,
      [SKF_AD_VLAN_TAG]: SKB_OFF.vlan_tci, [SKF_AD_VLAN_TAG_PRESENT]: SKB_OFF.vlan_present, [SKF_AD_VLAN_TPID]: SKB_OFF.vlan_proto,
    };
    const off = skbField[field];
    if (off === undefined) throw new TranslateError(i, `ancillary load '${name}' has no __sk_buff field or helper an eBPF socket filter may use`);
    emit(ldxMem(BPF_W, A, CTX, off));
    // __sk_buff keeps these two in network byte order; classic returns host order.
    if (field === SKF_AD_PROTOCOL || field === SKF_AD_VLAN_TPID) emit(endian(A, 'be', 16));
  }

  function emitBranch(i: number, ins: Instruction): void {
    const op = ins.code & 0xf0;
    const useX = (ins.code & 0x08) === BPF_X;
    const tTo = i + 1 + ins.jt;
    const fTo = i + 1 + ins.jf;
    const next = nextReachable(reachable, i);
    if (tTo === fTo) {
      if (tTo !== next) goto(classicLabel(tTo));
      return;
    }
    // 32-bit compares: A and X are 32-bit and classic k is unsigned, which a 64-bit compare would sign-extend.
    const cond = (o: number, target: number): void => {
      emit(useX ? jmp32Reg(o, A, X, 0) : jmp32Imm(o, A, ins.k | 0, 0), classicLabel(target));
    };
    const inverse: Record<number, number> = { [BPF_JEQ]: BPF_JNE, [BPF_JGT]: BPF_JLE, [BPF_JGE]: BPF_JLT };
    if (fTo === next) {
      cond(op, tTo);
    } else if (tTo === next && inverse[op] !== undefined) {
      cond(inverse[op], fTo);
    } else {
      cond(op, tTo);
      goto(classicLabel(fTo));
    }
  }
}

const classicLabel = (i: number): string => `c${i}`;

/**
 * Drops the instructions no path reaches (a block after an unconditional
 * reject, say: the verifier refuses unreachable code) and turns labels into
 * jump offsets.
 */
function link(out: Pending[], labels: Map<string, number>): EbpfInstruction[] {
  const targetOf = (p: Pending): number => {
    const to = p.target === undefined ? undefined : labels.get(p.target);
    if (to === undefined) throw new Error(`internal: translation jumps to a missing label ${p.target}`);
    return to;
  };
  const live = new Array<boolean>(out.length).fill(false);
  const work = [0];
  while (work.length) {
    const at = work.pop()!;
    if (at >= out.length || live[at]) continue;
    live[at] = true;
    const x = out[at].insn;
    const cls = x.code & 0x07;
    const op = x.code & 0xf0;
    const isJump = (cls === BPF_JMP || cls === BPF_JMP32) && op !== BPF_CALL;
    if (isJump && op === BPF_EXIT) continue;
    if (isJump && out[at].target !== undefined) work.push(targetOf(out[at]));
    if (!(isJump && op === BPF_JA)) work.push(at + 1);
  }
  const newIndex = new Array<number>(out.length + 1);
  let n = 0;
  for (let at = 0; at < out.length; at++) { newIndex[at] = n; if (live[at]) n++; }
  newIndex[out.length] = n;
  const result: EbpfInstruction[] = [];
  out.forEach((p, at) => {
    if (!live[at]) return;
    if (p.target === undefined) { result.push(p.insn); return; }
    const off = newIndex[targetOf(p)] - (newIndex[at] + 1);
    if (off > 0x7fff) throw new TranslateError(undefined, `the translation needs a jump of ${off} instructions, more than eBPF's 16-bit offset allows`);
    result.push(ebpfInsn(p.insn.code, p.insn.dst, p.insn.src, off, p.insn.imm));
  });
  return result;
}

function checkMem(i: number, k: number): number {
  if (k >= BPF_MEMWORDS) throw new TranslateError(i, `scratch memory index ${k} is not 0..${BPF_MEMWORDS - 1}`);
  return k;
}

function nextReachable(reachable: boolean[], i: number): number {
  let j = i + 1;
  while (j < reachable.length && !reachable[j]) j++;
  return j;
}

/** Marks the instructions reachable from the first; throws for jumps outside the Program or falling off its end. */
function reachableInstructions(prog: Program): boolean[] {
  const seen = new Array<boolean>(prog.length).fill(false);
  const work = [0];
  while (work.length) {
    const i = work.pop()!;
    if (seen[i]) continue;
    seen[i] = true;
    const x = prog[i];
    const cls = x.code & 0x07;
    let next: number[];
    if (cls === BPF_RET) next = [];
    else if (cls === BPF_JMP && (x.code & 0xf0) === BPF_JA) next = [i + 1 + x.k];
    else if (cls === BPF_JMP) next = [i + 1 + x.jt, i + 1 + x.jf];
    else next = [i + 1];
    for (const n of next) {
      if (n >= prog.length) throw new TranslateError(i, n === i + 1 && cls !== BPF_JMP ? 'execution falls off the end of the Program' : `jump to ${n}, past the end of the Program`);
      if (!seen[n]) work.push(n);
    }
  }
  return seen;
}

/**
 * For each instruction, how many bytes from the start of the packet an XDP
 * translation has checked against data_end on every path that reaches it.
 * An absolute load at off..off+size (off ≤ 0x7fff, as xdpLoadAbs checks it)
 * extends the checked length on its success path; the verifier keeps that
 * range on r8 along each path, so later loads inside it need no check.
 */
function checkedLengths(prog: Program, reachable: boolean[]): number[] {
  const known = new Array<number>(prog.length).fill(Infinity);
  known[0] = 0;
  const flow = (to: number, length: number): void => { if (to < prog.length) known[to] = Math.min(known[to], length); };
  prog.forEach((x, i) => {
    if (!reachable[i]) return;
    const cls = x.code & 0x07;
    const mode = x.code & 0xe0;
    let out = known[i];
    const size = cls === BPF_LD && mode === BPF_ABS ? SIZE_BYTES[x.code & 0x18] : cls === BPF_LDX && mode === BPF_MSH ? 1 : 0;
    if (size && ancillaryField(x.k) < 0) {
      let off = x.k | 0;
      if (off >= SKF_LL_OFF && off < SKF_NET_OFF) off -= SKF_LL_OFF;
      if (off >= 0 && off <= 0x7fff) out = Math.max(out, off + size);
    }
    if (cls === BPF_RET) return;
    if (cls === BPF_JMP && (x.code & 0xf0) === BPF_JA) flow(i + 1 + x.k, out);
    else if (cls === BPF_JMP) { flow(i + 1 + x.jt, out); flow(i + 1 + x.jf, out); }
    else flow(i + 1, out);
  });
  return known;
}

/** The scratch words M[k] that reachable instructions read or write. */
function memoryWordsUsed(prog: Program, reachable: boolean[]): number[] {
  const words = new Set<number>();
  prog.forEach((x, i) => {
    if (!reachable[i]) return;
    const cls = x.code & 0x07;
    const isMem = ((cls === BPF_LD || cls === BPF_LDX) && (x.code & 0xe0) === BPF_MEM) || cls === BPF_ST || cls === BPF_STX;
    if (isMem && x.k < BPF_MEMWORDS) words.add(x.k);
  });
  return [...words].sort((a, b) => a - b);
}
