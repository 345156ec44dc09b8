/**
 * Raw ATM (SUNATM): the pseudo-header fields `vpi` and `vci`, the circuit
 * abbreviations (`metac`, `bcc`, `sc`, `ilmic`, `oam`, `oamf4`, `oamf4ec`,
 * `oamf4sc`), Q.2931 signalling (`connectmsg`, `metaconnect`), `llc`, and
 * `lane`, after which the payload is LANE-encapsulated Ethernet.
 */
import { BPF_B, BPF_H, BPF_JEQ, BPF_JGE, BPF_JGT } from '../../bpf/opcodes.js';
import { and, or, type Cond } from '../cfg.js';
import type { RelOp } from '../ast.js';
import type { Context } from './context.js';

const SUNATM = 123;
/** Pseudo-header: flags (protocol type in the low nibble), VPI, VCI; the AAL5 payload follows. */
const POS = { proto: 0, vpi: 1, vci: 2, payload: 4 } as const;
const PT_LANE = 0x01;
const PT_LLC = 0x02;
const MSG_TYPE_POS = 5;
const MSG = { SETUP: 0x05, CALL_PROCEED: 0x02, CONNECT: 0x07, CONNECT_ACK: 0x0f, RELEASE: 0x4d, RELEASE_DONE: 0x5a } as const;

/** The ATM keywords that take no value. */
export type AtmType = 'lane' | 'metac' | 'bcc' | 'oam' | 'oamf4' | 'oamf4ec' | 'oamf4sc' | 'sc' | 'ilmic' | 'connectmsg' | 'metaconnect';

const JUMPS: Record<RelOp, [number, boolean]> = {
  '>': [BPF_JGT, false], '>=': [BPF_JGE, false], '=': [BPF_JEQ, false], '<=': [BPF_JGT, true], '<': [BPF_JGE, true], '!=': [BPF_JEQ, true],
};

function requireAtm(ctx: Context, keyword: string): void {
  if (ctx.outermost.dlt !== SUNATM) ctx.error(`'${keyword}' supported only on raw ATM`);
}

function vpi(ctx: Context, v: number): Cond { return ctx.cmp('linkhdr', POS.vpi, BPF_B, v); }
function vci(ctx: Context, v: number): Cond { return ctx.cmp('linkhdr', POS.vci, BPF_H, v); }

/**
 * "The payload is LLC-encapsulated" (protocol type 2 in the pseudo-header).
 *
 * @example
 * and(genAtmLlc(ctx), llcTest)
 */
export function genAtmLlc(ctx: Context): Cond {
  return ctx.mcmp('linkhdr', POS.proto, BPF_B, PT_LLC, 0x0f);
}

/**
 * `vpi [op] N`, `vci [op] N` (like libpcap, `!=` compares as `=`).
 *
 * @example
 * genAtmField(ctx, 'vpi', '>', 3)
 */
export function genAtmField(ctx: Context, field: 'vpi' | 'vci', op: RelOp, value: number): Cond {
  requireAtm(ctx, field);
  const [jump, reverse] = JUMPS[op];
  return field === 'vpi'
    ? ctx.ncmp('linkhdr', POS.vpi, BPF_B, 0xffffffff, jump, reverse, value)
    : ctx.ncmp('linkhdr', POS.vci, BPF_H, 0xffffffff, jump, reverse, value);
}

function circuit(ctx: Context, vciValue: number): Cond {
  const b0 = vpi(ctx, 0);
  return and(b0, vci(ctx, vciValue));
}

function messages(ctx: Context, types: number[]): Cond {
  let b1 = ctx.cmp('linkhdr', POS.payload + MSG_TYPE_POS, BPF_B, types[1]);
  b1 = or(ctx.cmp('linkhdr', POS.payload + MSG_TYPE_POS, BPF_B, types[0]), b1);
  for (const t of types.slice(2)) b1 = or(ctx.cmp('linkhdr', POS.payload + MSG_TYPE_POS, BPF_B, t), b1);
  return b1;
}

/**
 * The ATM abbreviations.
 *
 * @example
 * genAtmType(ctx, 'oam') // VPI 0 and VCI 3 or 4
 */
export function genAtmType(ctx: Context, type: AtmType): Cond {
  requireAtm(ctx, type);
  switch (type) {
    case 'metac': return circuit(ctx, 1);
    case 'bcc': return circuit(ctx, 2);
    case 'oamf4sc': return circuit(ctx, 3);
    case 'oamf4ec': return circuit(ctx, 4);
    case 'sc': return circuit(ctx, 5);
    case 'ilmic': return circuit(ctx, 16);
    case 'oam': case 'oamf4': {
      const b1 = or(vci(ctx, 3), vci(ctx, 4));
      return and(vpi(ctx, 0), b1);
    }
    case 'connectmsg': {
      const b1 = messages(ctx, [MSG.SETUP, MSG.CALL_PROCEED, MSG.CONNECT, MSG.CONNECT_ACK, MSG.RELEASE, MSG.RELEASE_DONE]);
      return and(genAtmType(ctx, 'sc'), b1);
    }
    case 'metaconnect': {
      const b1 = messages(ctx, [MSG.SETUP, MSG.CALL_PROCEED, MSG.CONNECT, MSG.RELEASE, MSG.RELEASE_DONE]);
      return and(genAtmType(ctx, 'metac'), b1);
    }
    case 'lane': {
      const b1 = ctx.mcmp('linkhdr', POS.proto, BPF_B, PT_LANE, 0x0f);
      // From here on the payload is Ethernet (LANE), after a 2-byte LE header.
      ctx.prevLinkType = ctx.linkType;
      ctx.offPrevlinkhdr = { ...ctx.offLinkhdr };
      ctx.linkType = 1;
      ctx.offLinkhdr = { variable: false, constant: POS.payload + 2, reg: -1 };
      ctx.isGeneve = false;
      ctx.offLinktype.constant = ctx.offLinkhdr.constant + 12;
      ctx.offLinkpl.constant = ctx.offLinkhdr.constant + 14;
      ctx.offNl = 0;
      ctx.offNlNosnap = 3;
      return b1;
    }
  }
}
