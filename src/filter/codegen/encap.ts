/**
 * Encapsulations: `vlan`, `mpls`, `pppoed`, `pppoes`.
 *
 * libpcap's rule, reproduced exactly: `vlan`, `mpls` and `pppoes` do not
 * only test; they also move the header offsets used by everything generated
 * after them in the expression (left to right, whatever the and/or/not
 * structure), so `vlan 100 and ip` tests IP inside the tag.
 */
import { BPF_H, BPF_W, BPF_B } from '../../bpf/opcodes.js';
import { and, or, type Cond } from '../cfg.js';
import type { Context } from './context.js';
import { DLT, ETHERTYPE, describe, genLinktype } from './link.js';

/**
 * `vlan [ID]`: an 802.1Q, 802.1ad or QinQ tag (and its VID), then every later offset moves 4 bytes.
 *
 * @example
 * genVlan(ctx, 100)
 */
export function genVlan(ctx: Context, id: number | undefined): Cond {
  if (ctx.labelStackDepth > 0) return ctx.error('no VLAN match after MPLS');
  switch (ctx.linkType) {
    case DLT.EN10MB: case DLT.NETANALYZER: case DLT.NETANALYZER_TRANSPARENT: break;
    case 105: case 119: case 127: case 163: break; // 802.11, Prism, radiotap, AVS
    default: return ctx.error(`no VLAN support for ${describe(ctx.linkType)}`);
  }
  let b0 = or(genLinktype(ctx, ETHERTYPE.VLAN), genLinktype(ctx, ETHERTYPE.QINQ_AD));
  b0 = or(b0, genLinktype(ctx, ETHERTYPE.QINQ));
  if (id !== undefined) {
    if (id > 0x0fff) return ctx.error(`VLAN tag ${id} greater than maximum 4095`);
    b0 = and(b0, ctx.mcmp('linkpl', 0, BPF_H, id, 0x0fff));
  }
  ctx.offLinkpl.constant += 4;
  ctx.offLinktype.constant += 4;
  ctx.vlanStackDepth++;
  return b0;
}

/**
 * `mpls [LABEL]`: an MPLS label (or, inside a label stack, bottom-of-stack
 * clear on the previous one), then later network offsets move 4 bytes.
 *
 * @example
 * genMpls(ctx, 1024)
 */
export function genMpls(ctx: Context, label: number | undefined): Cond {
  let b0: Cond;
  if (ctx.labelStackDepth > 0) {
    b0 = ctx.mcmp('prevmplshdr', 2, BPF_B, 0, 0x01);
  } else {
    switch (ctx.linkType) {
      case DLT.C_HDLC: case DLT.EN10MB: case DLT.NETANALYZER: case DLT.NETANALYZER_TRANSPARENT:
        b0 = genLinktype(ctx, ETHERTYPE.MPLS);
        break;
      case DLT.PPP:
        b0 = genLinktype(ctx, 0x0281);
        break;
      default:
        return ctx.error(`no MPLS support for ${describe(ctx.linkType)}`);
    }
  }
  if (label !== undefined) {
    if (label > 0xfffff) return ctx.error(`MPLS label ${label} greater than maximum 1048575`);
    b0 = and(b0, ctx.mcmp('linkpl', 0, BPF_W, (label << 12) >>> 0, 0xfffff000));
  }
  ctx.offNlNosnap += 4;
  ctx.offNl += 4;
  ctx.labelStackDepth++;
  return b0;
}

/**
 * `pppoed`: PPPoE discovery frames.
 *
 * @example
 * genPppoed(ctx)
 */
export function genPppoed(ctx: Context): Cond {
  return genLinktype(ctx, ETHERTYPE.PPPOED);
}

/**
 * `pppoes [SESSION]`: PPPoE session frames; afterwards the link type is PPP,
 * starting 6 bytes into the PPPoE payload.
 *
 * @example
 * genPppoes(ctx, 0x1234)
 */
export function genPppoes(ctx: Context, session: number | undefined): Cond {
  let b0 = genLinktype(ctx, ETHERTYPE.PPPOES);
  if (session !== undefined) {
    if (session > 0xffff) return ctx.error(`PPPoE session number ${session} greater than maximum 65535`);
    b0 = and(b0, ctx.mcmp('linkpl', 0, BPF_W, session, 0x0000ffff));
  }
  ctx.prevLinkType = ctx.linkType;
  ctx.offPrevlinkhdr = { ...ctx.offLinkhdr };
  ctx.linkType = DLT.PPP;
  ctx.offLinkhdr = { variable: ctx.offLinkpl.variable, constant: ctx.offLinkpl.constant + ctx.offNl + 6, reg: ctx.offLinkpl.reg };
  ctx.isGeneve = false;
  ctx.offLinktype = { ...ctx.offLinkhdr };
  ctx.offLinkpl.constant = ctx.offLinkhdr.constant + 2;
  ctx.offNl = 0;
  ctx.offNlNosnap = 0;
  return b0;
}
