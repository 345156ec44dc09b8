/**
 * `geneve [VNI]`: UDP port 6081 with a version-0 Geneve header (and VNI),
 * over IPv4 or IPv6; afterwards every offset is relative to the Geneve
 * payload, computed at run time (the options length varies, and the payload
 * may or may not start with an Ethernet header), exactly as libpcap does.
 */
import {
  BPF_ADD, BPF_ALU, BPF_AND, BPF_B, BPF_H, BPF_IMM, BPF_IND, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_LDX, BPF_MEM, BPF_MISC,
  BPF_MUL, BPF_ST, BPF_STX, BPF_TAX, BPF_TXA, BPF_W, BPF_X,
} from '../../bpf/opcodes.js';
import { and, or, type Cond, type Stmt } from '../cfg.js';
import type { Context } from './context.js';
import { DLT, ETHERTYPE, genLinktype } from './link.js';
import { genIpFrag } from './network.js';

const GENEVE_PORT = 6081;
const ETHERTYPE_TEB = 0x6558;
const UDP = 17;

function check(ctx: Context, v6: boolean, vni: number | undefined): Cond {
  const base = v6 ? 'tran_ipv6' : 'tran_ipv4';
  let b0: Cond;
  if (v6) {
    b0 = and(genLinktype(ctx, ETHERTYPE.IPV6), and(ctx.cmp('linkpl', 6, BPF_B, UDP), ctx.cmp(base, 2, BPF_H, GENEVE_PORT)));
  } else {
    const proto = and(ctx.cmp('linkpl', 9, BPF_B, UDP), genIpFrag(ctx));
    b0 = and(genLinktype(ctx, ETHERTYPE.IP), and(proto, ctx.cmp(base, 2, BPF_H, GENEVE_PORT)));
  }
  b0 = and(b0, ctx.mcmp(base, 8, BPF_B, 0, 0xc0));
  if (vni !== undefined) {
    if (vni > 0xffffff) return ctx.error(`Geneve VNI ${vni} greater than maximum 16777215`);
    b0 = and(b0, ctx.mcmp(base, 12, BPF_W, (vni << 8) >>> 0, 0xffffff00));
  }
  return b0;
}

/** An always-true block (A == X) whose statements leave the IP header length in A. */
function withHeaderLength(ctx: Context, stmts: Stmt[]): Cond {
  return ctx.blocks.cond(stmts, BPF_JEQ, 0, BPF_X);
}

/**
 * The `geneve` primitive.
 *
 * @example
 * genGeneve(ctx, 0xb)
 */
export function genGeneve(ctx: Context, vni: number | undefined): Cond {
  const b4 = and(check(ctx, false, vni), withHeaderLength(ctx, [...ctx.loadXIpHeaderLength(), { code: BPF_MISC | BPF_TXA, k: 0 }]));
  const var6 = ctx.offsetVarpart(ctx.offLinkpl);
  const s6: Stmt[] = var6
    ? [...var6, { code: BPF_LD | BPF_IMM, k: 40 }, { code: BPF_ALU | BPF_ADD | BPF_X, k: 0 }]
    : [{ code: BPF_LD | BPF_IMM, k: 40 }];
  s6.push({ code: BPF_MISC | BPF_TAX, k: 0 });
  const b6 = and(check(ctx, true, vni), withHeaderLength(ctx, s6));
  const b0 = or(b4, b6);

  const s: Stmt[] = [
    { code: BPF_ALU | BPF_ADD | BPF_K, k: ctx.offLinkpl.constant + ctx.offNl + 8 },
    { code: BPF_MISC | BPF_TAX, k: 0 },
    { code: BPF_ALU | BPF_ADD | BPF_K, k: 2 },
  ];
  ctx.offLinktype = { variable: true, constant: 0, reg: ctx.allocReg() };
  s.push({ code: BPF_ST, k: ctx.offLinktype.reg },
    { code: BPF_LD | BPF_IND | BPF_B, k: 0 },
    { code: BPF_ALU | BPF_AND | BPF_K, k: 0x3f },
    { code: BPF_ALU | BPF_MUL | BPF_K, k: 4 },
    { code: BPF_ALU | BPF_ADD | BPF_K, k: 8 },
    { code: BPF_ALU | BPF_ADD | BPF_X, k: 0 });
  ctx.prevLinkType = ctx.linkType;
  ctx.offPrevlinkhdr = { ...ctx.offLinkhdr };
  ctx.linkType = DLT.EN10MB;
  ctx.offLinkhdr = { variable: true, constant: 0, reg: ctx.allocReg() };
  s.push({ code: BPF_ST, k: ctx.offLinkhdr.reg });
  ctx.noOptimize = true;
  s.push({ code: BPF_LD | BPF_IND | BPF_H, k: 2 },
    { code: BPF_LDX | BPF_MEM, k: ctx.offLinkhdr.reg },
    // Transparent Ethernet Bridging: skip the inner Ethernet header; else X already ends the Geneve header.
    { code: BPF_JMP | BPF_JEQ | BPF_K, k: ETHERTYPE_TEB, jt: 0, jf: 5 },
    { code: BPF_MISC | BPF_TXA, k: 0 },
    { code: BPF_ALU | BPF_ADD | BPF_K, k: 12 },
    { code: BPF_ST, k: ctx.offLinktype.reg },
    { code: BPF_ALU | BPF_ADD | BPF_K, k: 2 },
    { code: BPF_MISC | BPF_TAX, k: 0 });
  ctx.offLinkpl = { variable: true, constant: 0, reg: ctx.allocReg() };
  s.push({ code: BPF_STX, k: ctx.offLinkpl.reg });
  ctx.offNl = 0;
  const t = ctx.true();
  t.entry.stmts = [...s, ...t.entry.stmts];
  t.entry.opaque = true;
  ctx.isGeneve = true;
  return and(b0, t);
}
