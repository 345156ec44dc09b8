/**
 * OpenBSD pflog header fields: `on IFNAME`, `rset NAME`, `rnr N`, `srnr N`,
 * `reason R`, `action A` (only on the PFLOG link type).
 */
import { BPF_B, BPF_W } from '../../bpf/opcodes.js';
import type { Cond } from '../cfg.js';
import type { Context } from './context.js';
import { DLT } from './link.js';

/** struct pfloghdr field offsets. */
const PFLOG = { action: 2, reason: 3, ifname: 4, ruleset: 20, rulenr: 36, subrulenr: 40, nameSize: 16 } as const;

const REASONS = ['match', 'bad-offset', 'fragment', 'short', 'normalize', 'memory', 'bad-timestamp', 'congestion',
  'ip-option', 'proto-cksum', 'state-mismatch', 'state-insert', 'state-limit', 'src-limit', 'synproxy'];
const ACTIONS = new Map([['pass', 0], ['accept', 0], ['drop', 1], ['block', 1], ['scrub', 2], ['noscrub', 3], ['nat', 4],
  ['nonat', 5], ['binat', 6], ['nobinat', 7], ['rdr', 8], ['nordr', 9], ['synproxy-drop', 10]]);

const FIELD_NAMES = { on: 'ifname', rset: 'ruleset', rnr: 'rnr', srnr: 'srnr', reason: 'reason', action: 'action' } as const;

/**
 * One pflog field test.
 *
 * @example
 * genPf(ctx, 'action', 'block', 8) // ldb [2]; jeq #1
 */
export function genPf(ctx: Context, field: keyof typeof FIELD_NAMES, value: string | number, valueColumn: number): Cond {
  // libpcap resolves the names while parsing, before it looks at the link type.
  let num = typeof value === 'number' ? value : 0;
  if (field === 'reason' && typeof value === 'string') {
    num = REASONS.indexOf(value);
    if (num < 0) return ctx.error(`unknown PF reason "${value}"`, valueColumn);
  }
  if (field === 'action') {
    const a = ACTIONS.get(String(value));
    if (a === undefined) return ctx.error(`unknown PF action "${value}"`, valueColumn);
    num = a;
  }
  if (ctx.linkType !== DLT.PFLOG) return ctx.error(`${FIELD_NAMES[field]} supported only on PF linktype`);
  switch (field) {
    case 'on': case 'rset': {
      const text = String(value);
      if (text.length >= PFLOG.nameSize) {
        return ctx.error(field === 'on' ? 'ifname interface names can only be 15 characters' : 'ruleset names can only be 15 characters', valueColumn);
      }
      return ctx.bcmp('linkhdr', field === 'on' ? PFLOG.ifname : PFLOG.ruleset, new TextEncoder().encode(text));
    }
    case 'rnr': return ctx.cmp('linkhdr', PFLOG.rulenr, BPF_W, num);
    case 'srnr': return ctx.cmp('linkhdr', PFLOG.subrulenr, BPF_W, num);
    case 'reason': return ctx.cmp('linkhdr', PFLOG.reason, BPF_B, num);
    case 'action': return ctx.cmp('linkhdr', PFLOG.action, BPF_B, num);
  }
}
