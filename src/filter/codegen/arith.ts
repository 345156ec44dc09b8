/**
 * Arithmetic and relations: `proto[expr:size]`, `len`, constants, the binary
 * operators and unary minus, comparisons, `less`/`greater`, and `byte`.
 *
 * As in libpcap, every intermediate value lives in a scratch register, and
 * the protocol checks that guard loads (`tcp[…]` only means something for
 * TCP) travel with the value and are and-ed in front of the comparison.
 */
import {
  BPF_ALU, BPF_AND, BPF_B, BPF_DIV, BPF_IMM, BPF_IND, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_LD, BPF_LDX, BPF_LEN, BPF_LSH,
  BPF_MEM, BPF_MISC, BPF_MOD, BPF_NEG, BPF_OR, BPF_RSH, BPF_ST, BPF_SUB, BPF_TAX, BPF_X, BPF_ADD, BPF_MUL, BPF_XOR,
  BPF_H, BPF_W,
} from '../../bpf/opcodes.js';
import { and, not, type Cond, type Stmt } from '../cfg.js';
import type { Arith, ArithOp, ProtoQual, RelOp } from '../ast.js';
import type { Context } from './context.js';
import { DLT } from './link.js';
import { genIpFrag, genProtoAbbrev } from './network.js';

/** A value being computed: statements leaving it in scratch register `reg`, and the checks it depends on. */
interface Value {
  stmts: Stmt[];
  reg: number;
  cond?: Cond;
}

const ALU_OPS: Record<ArithOp, number> = {
  '+': BPF_ADD, '-': BPF_SUB, '*': BPF_MUL, '/': BPF_DIV, '%': BPF_MOD, '&': BPF_AND, '|': BPF_OR, '^': BPF_XOR, '<<': BPF_LSH, '>>': BPF_RSH,
};
const SIZES: Record<number, number> = { 1: BPF_B, 2: BPF_H, 4: BPF_W };

const toX = (v: Value): Stmt => ({ code: BPF_LDX | BPF_MEM, k: v.reg });
const toA = (v: Value): Stmt => ({ code: BPF_LD | BPF_MEM, k: v.reg });
const TAX: Stmt = { code: BPF_MISC | BPF_TAX, k: 0 };
const ADD_X: Stmt = { code: BPF_ALU | BPF_ADD | BPF_X, k: 0 };

function andConds(a: Cond | undefined, b: Cond | undefined): Cond | undefined {
  if (a && b) return and(a, b);
  return a ?? b;
}

function genLoad(ctx: Context, proto: ProtoQual, index: Value, size: number, column: number): Value {
  ctx.column = column;
  const sizeCode = SIZES[size];
  if (sizeCode === undefined) return ctx.error('data size must be 1, 2, or 4');
  const reg = ctx.allocReg();
  ctx.freeReg(index.reg);
  const stmts = index.stmts;
  let cond = index.cond;
  switch (proto) {
    case 'radio':
      if (ctx.linkType !== 163 && ctx.linkType !== 127 && ctx.linkType !== 119) return ctx.error('radio information not present in capture');
      stmts.push(toX(index), { code: BPF_LD | BPF_IND | sizeCode, k: 0 });
      break;
    case 'link': {
      const s = ctx.offsetVarpart(ctx.offLinkhdr);
      if (s) stmts.push(...s, toA(index), ADD_X, TAX);
      else stmts.push(toX(index));
      stmts.push({ code: BPF_LD | BPF_IND | sizeCode, k: ctx.offLinkhdr.constant });
      break;
    }
    case 'ip': case 'arp': case 'rarp': case 'atalk': case 'decnet': case 'sca': case 'lat': case 'moprc': case 'mopdl': case 'ip6': {
      const s = ctx.offsetVarpart(ctx.offLinkpl);
      if (s) stmts.push(...s, toA(index), ADD_X, TAX);
      else stmts.push(toX(index));
      stmts.push({ code: BPF_LD | BPF_IND | sizeCode, k: ctx.offLinkpl.constant + ctx.offNl });
      const b = genProtoAbbrev(ctx, proto);
      cond = cond ? and(cond, b) : b;
      break;
    }
    case 'sctp': case 'tcp': case 'udp': case 'icmp': case 'igmp': case 'igrp': case 'pim': case 'vrrp': case 'carp': {
      stmts.push(...ctx.loadXIpHeaderLength(), toA(index), ADD_X, TAX,
        { code: BPF_LD | BPF_IND | sizeCode, k: ctx.offLinkpl.constant + ctx.offNl });
      let b = and(genProtoAbbrev(ctx, proto), genIpFrag(ctx));
      if (cond) b = and(cond, b);
      cond = and(genProtoAbbrev(ctx, 'ip'), b);
      break;
    }
    case 'icmp6': {
      let b = genProtoAbbrev(ctx, 'ip6');
      if (cond) b = and(cond, b);
      b = and(b, ctx.cmp('linkpl', 6, BPF_B, 58));
      cond = b;
      const s = ctx.offsetVarpart(ctx.offLinkpl);
      if (s) stmts.push(...s, toA(index), ADD_X, TAX);
      else stmts.push(toX(index));
      stmts.push({ code: BPF_LD | BPF_IND | sizeCode, k: ctx.offLinkpl.constant + ctx.offNl + 40 });
      break;
    }
    default:
      return ctx.error('unsupported index operation');
  }
  stmts.push({ code: BPF_ST, k: reg });
  return { stmts, reg, cond };
}

function genArith(ctx: Context, a: Arith): Value {
  switch (a.kind) {
    case 'const': {
      const reg = ctx.allocReg();
      return { stmts: [{ code: BPF_LD | BPF_IMM, k: a.value >>> 0 }, { code: BPF_ST, k: reg }], reg };
    }
    case 'len': {
      const reg = ctx.allocReg();
      return { stmts: [{ code: BPF_LD | BPF_LEN, k: 0 }, { code: BPF_ST, k: reg }], reg };
    }
    case 'load': return genLoad(ctx, a.proto, genArith(ctx, a.index), a.size, a.column);
    case 'negate': {
      const v = genArith(ctx, a.operand);
      v.stmts.push(toA(v), { code: BPF_ALU | BPF_NEG, k: 0 }, { code: BPF_ST, k: v.reg });
      return v;
    }
    case 'binary': {
      const a0 = genArith(ctx, a.left);
      const a1 = genArith(ctx, a.right);
      const code = ALU_OPS[a.op];
      // libpcap checks only a literal first statement of the right operand, even if more follows.
      const first = a1.stmts[0];
      if (first.code === (BPF_LD | BPF_IMM)) {
        ctx.column = a.right.column;
        if (code === BPF_DIV && first.k === 0) ctx.error('division by zero');
        if (code === BPF_MOD && first.k === 0) ctx.error('modulus by zero');
        if ((code === BPF_LSH || code === BPF_RSH) && first.k > 31) ctx.error('shift by more than 31 bits');
      }
      const stmts = [...a0.stmts, ...a1.stmts, toX(a1), toA(a0), { code: BPF_ALU | BPF_X | code, k: 0 }];
      ctx.freeReg(a0.reg);
      ctx.freeReg(a1.reg);
      const reg = ctx.allocReg();
      stmts.push({ code: BPF_ST, k: reg });
      // libpcap keeps only the left operand's guards here (the right one's are dropped), so we do too.
      return { stmts, reg, cond: a0.cond };
    }
  }
}

const RELATIONS: Record<RelOp, [number, boolean]> = {
  '>': [BPF_JGT, false], '>=': [BPF_JGE, false], '=': [BPF_JEQ, false],
  '<=': [BPF_JGT, true], '<': [BPF_JGE, true], '!=': [BPF_JEQ, true],
};

/**
 * `left op right` (gen_relation): both sides computed, then compared; the
 * guards of both sides are and-ed in front, so the negated relation is true
 * when a guard fails.
 *
 * @example
 * genRelation(ctx, '=', tcpFlagsByte, constant2)
 */
export function genRelation(ctx: Context, op: RelOp, left: Arith, right: Arith): Cond {
  const a0 = genArith(ctx, left);
  const a1 = genArith(ctx, right);
  const [jump, reversed] = RELATIONS[op];
  const stmts = [...a0.stmts, ...a1.stmts, toX(a1), toA(a0)];
  let b: Cond;
  if (jump === BPF_JEQ) {
    stmts.push({ code: BPF_ALU | BPF_SUB | BPF_X, k: 0 });
    b = ctx.blocks.cond(stmts, BPF_JEQ, 0);
  } else {
    b = ctx.blocks.cond(stmts, jump, 0, BPF_X);
  }
  if (reversed) b = not(b);
  ctx.freeReg(a0.reg);
  ctx.freeReg(a1.reg);
  const guard = andConds(a0.cond, a1.cond);
  return guard ? and(guard, b) : b;
}

/**
 * `less N` (length ≤ N) and `greater N` (length ≥ N).
 *
 * @example
 * genLength(ctx, 'less', 64)
 */
export function genLength(ctx: Context, kind: 'less' | 'greater', n: number): Cond {
  const s: Stmt[] = [{ code: BPF_LD | BPF_LEN, k: 0 }];
  return kind === 'less' ? not(ctx.blocks.cond(s, BPF_JGT, n)) : ctx.blocks.cond(s, BPF_JGE, n);
}

/**
 * `byte OFFSET OP VALUE` (gen_byteop). For `&` and `|` libpcap emits only the
 * ALU operation on whatever A holds, without loading the byte; we do the same
 * so that both accept the same packets.
 *
 * @example
 * genByteOp(ctx, '=', 0, 0x45)
 */
export function genByteOp(ctx: Context, op: '&' | '|' | '<' | '>' | '=', offset: number, value: number): Cond {
  switch (op) {
    case '=': return ctx.cmp('linkhdr', offset, BPF_B, value);
    case '<': return ctx.cmpLt('linkhdr', offset, BPF_B, value);
    case '>': return ctx.cmpGt('linkhdr', offset, BPF_B, value);
    default: {
      const alu = op === '|' ? BPF_OR : BPF_AND;
      return not(ctx.blocks.cond([{ code: BPF_ALU | alu, k: value >>> 0 }], BPF_JEQ, 0));
    }
  }
}

export { DLT };
