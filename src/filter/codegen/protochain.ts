/**
 * `protochain N`: follow the IPv6 extension-header chain (and IPv4/IPv6 AH
 * headers) looking for protocol N. libpcap emits this as a loop with
 * backward jumps inside one block; we lay out the same loop so the Program
 * behaves identically (it runs in libpcap's bpf_filter and in our
 * interpreter; the Linux kernel refuses backward jumps, for both).
 */
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_B, BPF_IMM, BPF_IND, BPF_JA, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_LDX, BPF_MEM, BPF_MISC,
  BPF_MSH, BPF_MUL, BPF_ST, BPF_TAX, BPF_TXA, BPF_X,
} from '../../bpf/opcodes.js';
import { and, or, type Cond, type Stmt } from '../cfg.js';
import type { ProtoQual } from '../ast.js';
import type { Context } from './context.js';
import { ETHERTYPE, genLinktype } from './link.js';

const IPPROTO_NONE = 59, HOPOPTS = 0, DSTOPTS = 60, ROUTING = 43, FRAGMENT = 44, AH = 51;

/** A statement list under construction with symbolic jump targets. */
class Listing {
  readonly stmts: Array<Stmt & { t?: string; f?: string; back?: string }> = [];
  readonly labels = new Map<string, number>();
  label(name: string): void { this.labels.set(name, this.stmts.length); }
  add(code: number, k = 0, t?: string, f?: string): void { this.stmts.push({ code, k, t, f }); }
  jumpBack(label: string): void { this.stmts.push({ code: BPF_JMP | BPF_JA, k: 0, back: label }); }
  resolve(): Stmt[] {
    return this.stmts.map((s, i) => {
      const rel = (name: string | undefined): number => (name === undefined ? 0 : this.labels.get(name)! - i - 1);
      if (s.back !== undefined) return { code: s.code, k: (this.labels.get(s.back)! - i - 1) >>> 0 };
      if ((s.code & 0x07) === BPF_JMP) return { code: s.code, k: s.k, jt: rel(s.t), jf: rel(s.f) };
      return { code: s.code, k: s.k };
    });
  }
}

/**
 * `[ip|ip6] protochain N` (both when unqualified).
 *
 * @example
 * genProtochain(ctx, 6, 'ip6')
 */
export function genProtochain(ctx: Context, v: number, proto: ProtoQual): Cond {
  // libpcap takes the scratch slot first, and keeps it taken when it recurses for ip and ip6.
  const reg2 = ctx.allocReg();
  if (proto === 'default') {
    const b0 = genProtochain(ctx, v, 'ip');
    return or(b0, genProtochain(ctx, v, 'ip6'));
  }
  if (proto !== 'ip' && proto !== 'ip6') return ctx.error("bad protocol applied for 'protochain'");
  if (ctx.offLinkpl.variable) return ctx.error("'protochain' not supported with variable length headers");
  ctx.noOptimize = true;
  const head = ctx.offLinkpl.constant + ctx.offNl;
  const jeq = BPF_JMP | BPF_JEQ | BPF_K;
  const l = new Listing();
  let b0: Cond;
  if (proto === 'ip') {
    b0 = genLinktype(ctx, ETHERTYPE.IP);
    l.add(BPF_LD | BPF_ABS | BPF_B, head + 9);
    l.add(BPF_LDX | BPF_MSH | BPF_B, head);
  } else {
    b0 = genLinktype(ctx, ETHERTYPE.IPV6);
    l.add(BPF_LD | BPF_ABS | BPF_B, head + 6);
    l.add(BPF_LDX | BPF_IMM, 40);
  }
  l.label('again');
  l.add(jeq, v, 'end', 'none');
  l.label('none');
  if (proto === 'ip6') {
    l.add(jeq, IPPROTO_NONE, 'end', 'hop');
    l.label('hop');
    l.add(jeq, HOPOPTS, 'advance', 'dst');
    l.label('dst');
    l.add(jeq, DSTOPTS, 'advance', 'routing');
    l.label('routing');
    l.add(jeq, ROUTING, 'advance', 'fragment');
    l.label('fragment');
    l.add(jeq, FRAGMENT, 'advance', 'ahcheck');
    l.label('advance');
    l.add(BPF_LD | BPF_IND | BPF_B, head);
    l.add(BPF_ST, reg2);
    l.add(BPF_LD | BPF_IND | BPF_B, head + 1);
    l.add(BPF_ALU | BPF_ADD | BPF_K, 1);
    l.add(BPF_ALU | BPF_MUL | BPF_K, 8);
    l.add(BPF_ALU | BPF_ADD | BPF_X, 0);
    l.add(BPF_MISC | BPF_TAX);
    l.add(BPF_LD | BPF_MEM, reg2);
    l.jumpBack('again');
  } else {
    l.add(jeq, IPPROTO_NONE, 'end', 'nop');
    l.label('nop');
    l.add(BPF_ALU | BPF_ADD | BPF_K, 0);
  }
  l.label('ahcheck');
  l.add(jeq, AH, 'ah', 'end');
  l.label('ah');
  l.add(BPF_MISC | BPF_TXA);
  l.add(BPF_LD | BPF_IND | BPF_B, head);
  l.add(BPF_ST, reg2);
  l.add(BPF_MISC | BPF_TXA);
  l.add(BPF_ALU | BPF_ADD | BPF_K, 1);
  l.add(BPF_MISC | BPF_TAX);
  l.add(BPF_LD | BPF_IND | BPF_B, head);
  l.add(BPF_ALU | BPF_ADD | BPF_K, 2);
  l.add(BPF_ALU | BPF_MUL | BPF_K, 4);
  l.add(BPF_MISC | BPF_TAX);
  l.add(BPF_LD | BPF_MEM, reg2);
  l.jumpBack('again');
  l.label('end');
  l.add(BPF_ALU | BPF_ADD | BPF_K, 0);
  const b = ctx.blocks.cond(l.resolve(), BPF_JEQ, v);
  b.entry.opaque = true;
  ctx.freeReg(reg2);
  return and(b0, b);
}

export { Listing };
