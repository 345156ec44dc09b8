/**
 * The state of one compilation, passed explicitly to every code generator
 * (libpcap keeps the same things in its compiler_state_t): the link type in
 * force, the header offsets (which `vlan`, `mpls`, `pppoes` and `geneve`
 * shift for everything generated after them), scratch-register allocation,
 * and the primitive load/compare helpers every layer builds on.
 */
import {
  BPF_ABS, BPF_ALU, BPF_AND, BPF_B, BPF_IND, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_LD, BPF_LDX, BPF_MEM, BPF_MEMWORDS, BPF_W, BPF_H,
} from '../../bpf/opcodes.js';
import type { LinkTypeInfo } from '../../bpf/linktypes.js';
import { BlockFactory, and, not, type Cond, type Stmt } from '../cfg.js';
import { CompileError } from '../errors.js';

/** An offset from the start of the packet: a constant, plus (when variable) a value computed at run time into a scratch register. */
export interface Offset {
  variable: boolean;
  constant: number;
  /** Scratch register holding the variable part; -1 until first used. */
  reg: number;
  /** When set, the variable part is that offset's (802.11's type field moves with its payload). */
  shares?: Offset;
}

/** Offsets not defined for a link type (libpcap's OFFSET_NOT_SET). */
export const NOT_SET = -1;

/** What an offset in a load is relative to (libpcap's offrel). */
export type OffsetBase =
  | 'packet' | 'linkhdr' | 'prevlinkhdr' | 'llc' | 'prevmplshdr' | 'linkpl' | 'linkpl_nosnap' | 'linktype'
  | 'tran_ipv4' | 'tran_ipv6';

/** Compile options after defaults. */
export interface ContextOptions {
  readonly snaplen: number;
  readonly netmask: number;
}

/**
 * Per-compilation state. Create one per `compile` call.
 *
 * @example
 * const ctx = new Context('ip', linkType('EN10MB'), { snaplen: 262144, netmask: 0 });
 * initLinkType(ctx);
 */
export class Context {
  readonly blocks = new BlockFactory();
  /** The link type packets have on the wire (never changes). */
  readonly outermost: LinkTypeInfo;
  /** The link type in force now (`pppoes` switches it to PPP). */
  linkType: number;
  prevLinkType = NOT_SET;
  offLinkhdr: Offset = { variable: false, constant: 0, reg: -1 };
  offPrevlinkhdr: Offset = { variable: false, constant: NOT_SET, reg: -1 };
  offOutermostlinkhdr: Offset = { variable: false, constant: 0, reg: -1 };
  offLinktype: Offset = { variable: false, constant: NOT_SET, reg: -1 };
  offLinkpl: Offset = { variable: false, constant: NOT_SET, reg: -1 };
  offNl = 0;
  offNlNosnap = 0;
  isGeneve = false;
  labelStackDepth = 0;
  vlanStackDepth = 0;
  /** Set when the program contains embedded loops or jumps the optimizer must not see (libpcap's no_optimize). */
  noOptimize = false;
  /** Column of the node being generated, for error messages. */
  column = 0;
  private readonly regUsed = new Array<boolean>(BPF_MEMWORDS).fill(false);
  private curReg = 0;

  /**
   * @example
   * const ctx = new Context('tcp', linkType('EN10MB'), { snaplen: 262144, netmask: 0 });
   */
  constructor(readonly expression: string, outermost: LinkTypeInfo, readonly options: ContextOptions) {
    this.outermost = outermost;
    this.linkType = outermost.dlt;
  }

  /**
   * Throws a CompileError at the current node's column.
   *
   * @example
   * ctx.error("'ip broadcast' needs a netmask");
   */
  error(message: string, column = this.column): never {
    throw new CompileError(this.expression, column, message);
  }

  /**
   * Allocates a scratch memory slot, rotating through M[0..15] as libpcap does.
   *
   * @example
   * const slot = ctx.allocReg();
   */
  allocReg(): number {
    for (let n = 0; n < BPF_MEMWORDS; n++) {
      if (!this.regUsed[this.curReg]) {
        this.regUsed[this.curReg] = true;
        return this.curReg;
      }
      this.curReg = (this.curReg + 1) % BPF_MEMWORDS;
    }
    return this.error('too many registers needed to evaluate expression');
  }

  /**
   * Frees a scratch slot (a no-op for -1).
   *
   * @example
   * ctx.freeReg(slot);
   */
  freeReg(reg: number): void {
    if (reg >= 0) this.regUsed[reg] = false;
  }

  /**
   * Statements putting the variable part of an offset into X, or undefined when the offset is constant.
   *
   * @example
   * const s = ctx.offsetVarpart(ctx.offLinkpl); // [ldx M[r]] for radiotap, undefined for Ethernet
   */
  offsetVarpart(off: Offset): Stmt[] | undefined {
    if (!off.variable) return undefined;
    const owner = off.shares ?? off;
    if (owner.reg === -1) owner.reg = this.allocReg();
    return [{ code: BPF_LDX | BPF_MEM, k: owner.reg }];
  }

  /** Loads `size` bytes at `offset` from an absolute offset's start into A. */
  private loadAbsRel(off: Offset, offset: number, size: number): Stmt[] {
    const s = this.offsetVarpart(off);
    if (s) return [...s, { code: BPF_LD | BPF_IND | size, k: off.constant + offset }];
    return [{ code: BPF_LD | BPF_ABS | size, k: off.constant + offset }];
  }

  /**
   * Statements loading `size` (BPF_B/H/W) bytes at `offset` relative to `base` into A (libpcap's gen_load_a).
   *
   * @example
   * ctx.loadA('linkpl', 9, BPF_B) // ldb [23] on Ethernet: the IPv4 protocol field
   */
  loadA(base: OffsetBase, offset: number, size: number): Stmt[] {
    switch (base) {
      case 'packet': return [{ code: BPF_LD | BPF_ABS | size, k: offset }];
      case 'linkhdr': return this.loadAbsRel(this.offLinkhdr, offset, size);
      case 'prevlinkhdr': return this.loadAbsRel(this.offPrevlinkhdr, offset, size);
      case 'llc': return this.loadAbsRel(this.offLinkpl, offset, size);
      case 'prevmplshdr': return this.loadAbsRel(this.offLinkpl, this.offNl - 4 + offset, size);
      case 'linkpl': return this.loadAbsRel(this.offLinkpl, this.offNl + offset, size);
      case 'linkpl_nosnap': return this.loadAbsRel(this.offLinkpl, this.offNlNosnap + offset, size);
      case 'linktype': return this.loadAbsRel(this.offLinktype, offset, size);
      case 'tran_ipv4': {
        const s = this.loadXIpHeaderLength();
        s.push({ code: BPF_LD | BPF_IND | size, k: this.offLinkpl.constant + this.offNl + offset });
        return s;
      }
      case 'tran_ipv6': return this.loadAbsRel(this.offLinkpl, this.offNl + 40 + offset, size);
    }
  }

  /** X = length of the IPv4 header (plus the variable part of the link-layer payload offset). */
  loadXIpHeaderLength(): Stmt[] {
    const s = this.offsetVarpart(this.offLinkpl);
    if (s) {
      return [...s,
        { code: BPF_LD | BPF_IND | BPF_B, k: this.offLinkpl.constant + this.offNl },
        { code: BPF_ALU | BPF_AND, k: 0xf },
        { code: BPF_ALU | 0x60 /* LSH */, k: 2 },
        { code: BPF_ALU | 0x08 /* ADD X */, k: 0 },
        { code: 0x07 /* TAX */, k: 0 }];
    }
    return [{ code: BPF_LDX | BPF_MSH_B, k: this.offLinkpl.constant + this.offNl }];
  }

  /**
   * `(load & mask) op v`, negated when `reverse` (libpcap's gen_ncmp).
   *
   * @example
   * ctx.ncmp('linktype', 0, BPF_H, 0xffffffff, BPF_JGT, true, 1500) // length field <= 1500
   */
  ncmp(base: OffsetBase, offset: number, size: number, mask: number, jtype: number, reverse: boolean, v: number): Cond {
    const s = this.loadA(base, offset, size);
    if ((mask >>> 0) !== 0xffffffff) s.push({ code: BPF_ALU | BPF_AND, k: mask >>> 0 });
    const c = this.blocks.cond(s, jtype, v);
    return reverse && (jtype === BPF_JGT || jtype === BPF_JGE) ? not(c) : c;
  }

  /** `load == v` (gen_cmp). @example ctx.cmp('linktype', 0, BPF_H, 0x800) */
  cmp(base: OffsetBase, offset: number, size: number, v: number): Cond {
    return this.ncmp(base, offset, size, 0xffffffff, BPF_JEQ, false, v);
  }
  /** `load > v`. @example ctx.cmpGt('linktype', 0, BPF_H, 1500) */
  cmpGt(base: OffsetBase, offset: number, size: number, v: number): Cond {
    return this.ncmp(base, offset, size, 0xffffffff, BPF_JGT, false, v);
  }
  /** `load >= v`. @example ctx.cmpGe('linkpl', 16, BPF_B, 224) */
  cmpGe(base: OffsetBase, offset: number, size: number, v: number): Cond {
    return this.ncmp(base, offset, size, 0xffffffff, BPF_JGE, false, v);
  }
  /** `load < v`. @example ctx.cmpLt('linkhdr', 0, BPF_B, 5) */
  cmpLt(base: OffsetBase, offset: number, size: number, v: number): Cond {
    return this.ncmp(base, offset, size, 0xffffffff, BPF_JGE, true, v);
  }
  /** `load <= v`. @example ctx.cmpLe('tran_ipv4', 0, BPF_H, 1024) */
  cmpLe(base: OffsetBase, offset: number, size: number, v: number): Cond {
    return this.ncmp(base, offset, size, 0xffffffff, BPF_JGT, true, v);
  }
  /** `(load & mask) == v` (gen_mcmp). @example ctx.mcmp('linkhdr', 0, BPF_B, 0x40, 0xf0) */
  mcmp(base: OffsetBase, offset: number, size: number, v: number, mask: number): Cond {
    return this.ncmp(base, offset, size, mask, BPF_JEQ, false, v);
  }

  /**
   * Compares a byte string, four then two then one byte at a time from the end (gen_bcmp).
   *
   * @example
   * ctx.bcmp('linkhdr', 0, Uint8Array.of(1, 2, 3, 4, 5, 6)) // Ethernet destination
   */
  bcmp(base: OffsetBase, offset: number, bytes: Uint8Array): Cond {
    let size = bytes.length;
    let result: Cond | undefined;
    const word = (at: number, n: number): number => {
      let v = 0;
      for (let i = 0; i < n; i++) v = v * 256 + bytes[at + i];
      return v;
    };
    while (size >= 4) {
      const c = this.cmp(base, offset + size - 4, BPF_W, word(size - 4, 4));
      result = result ? and(result, c) : c;
      size -= 4;
    }
    while (size >= 2) {
      const c = this.cmp(base, offset + size - 2, BPF_H, word(size - 2, 2));
      result = result ? and(result, c) : c;
      size -= 2;
    }
    if (size > 0) {
      const c = this.cmp(base, offset, BPF_B, bytes[0]);
      result = result ? and(result, c) : c;
    }
    return result ?? this.blocks.constant(true);
  }

  /** Always true. @example ctx.true() */
  true(): Cond { return this.blocks.constant(true); }
  /** Always false. @example ctx.false() */
  false(): Cond { return this.blocks.constant(false); }
}

const BPF_MSH_B = 0xa0 | BPF_B;
export { BPF_B, BPF_H, BPF_W };
