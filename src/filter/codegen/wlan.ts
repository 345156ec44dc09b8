/**
 * 802.11 frame control tests: `type T [subtype S]`, `subtype S`, `dir D`.
 * Names are resolved first (as libpcap's parser does), then the link type is
 * checked: only 802.11 link types have these fields.
 */
import { BPF_B } from '../../bpf/opcodes.js';
import type { Cond } from '../cfg.js';
import type { Expr } from '../ast.js';
import type { Context } from './context.js';

const TYPES = new Map([['mgt', 0x00], ['management', 0x00], ['ctl', 0x04], ['control', 0x04], ['data', 0x08]]);
const SUBTYPES = new Map<number, Map<string, number>>([
  [0x00, new Map([['assoc-req', 0x00], ['assocreq', 0x00], ['assoc-resp', 0x10], ['assocresp', 0x10], ['reassoc-req', 0x20], ['reassocreq', 0x20],
    ['reassoc-resp', 0x30], ['reassocresp', 0x30], ['probe-req', 0x40], ['probereq', 0x40], ['probe-resp', 0x50], ['proberesp', 0x50],
    ['beacon', 0x80], ['atim', 0x90], ['disassoc', 0xa0], ['disassociation', 0xa0], ['auth', 0xb0], ['authentication', 0xb0],
    ['deauth', 0xc0], ['deauthentication', 0xc0]])],
  [0x04, new Map([['ps-poll', 0xa0], ['rts', 0xb0], ['cts', 0xc0], ['ack', 0xd0], ['cf-end', 0xe0], ['cf-end-ack', 0xf0]])],
  [0x08, new Map([['data', 0x00], ['data-cf-ack', 0x10], ['data-cf-poll', 0x20], ['data-cf-ack-poll', 0x30], ['null', 0x40],
    ['cf-ack', 0x50], ['cf-poll', 0x60], ['cf-ack-poll', 0x70], ['qos-data', 0x80], ['qos-data-cf-ack', 0x90],
    ['qos-data-cf-poll', 0xa0], ['qos-data-cf-ack-poll', 0xb0], ['qos', 0xc0], ['qos-cf-poll', 0xe0], ['qos-cf-ack-poll', 0xf0]])],
]);
const DIRS = new Map([['nods', 0], ['tods', 1], ['fromds', 2], ['dstods', 3]]);
/** 802.11, Prism, radiotap, AVS (libpcap leaves PPI out of these primitives). */
const HAS_80211_HEADER: readonly number[] = [105, 119, 127, 163];
const TYPE_MASK = 0x0c;
const SUBTYPE_MASK = 0xf0;

function hex2(v: number): string {
  return `0x${v.toString(16).padStart(2, '0')}`;
}

/**
 * The condition for an 802.11 `type`/`subtype`/`dir` node.
 *
 * @example
 * genWlan(ctx, parse('type data subtype qos'))
 */
export function genWlan(ctx: Context, e: Extract<Expr, { kind: 'wlanType' | 'wlanSubtype' | 'wlanDir' }>): Cond {
  let value: number, mask: number, offset = 0;
  if (e.kind === 'wlanType') {
    let type: number;
    if (typeof e.type === 'number') {
      if ((e.type & ~TYPE_MASK) !== 0) return ctx.error(`invalid 802.11 type value ${hex2(e.type)}`);
      type = e.type;
    } else {
      const t = TYPES.get(e.type);
      if (t === undefined) return ctx.error(`unknown 802.11 type name "${e.type}"`);
      type = t;
    }
    if (e.subtype === undefined) {
      value = type;
      mask = TYPE_MASK;
    } else {
      let sub: number;
      if (typeof e.subtype === 'number') {
        if ((e.subtype & ~SUBTYPE_MASK) !== 0) return ctx.error(`invalid 802.11 subtype value ${hex2(e.subtype)}`, e.valueColumn);
        sub = e.subtype;
      } else {
        const table = SUBTYPES.get(type);
        const s = table?.get(e.subtype);
        if (s === undefined) return ctx.error(`unknown 802.11 subtype name "${e.subtype}"`, e.valueColumn);
        sub = s;
      }
      value = type | sub;
      mask = TYPE_MASK | SUBTYPE_MASK;
    }
  } else if (e.kind === 'wlanSubtype') {
    let found: number | undefined;
    for (const [type, table] of SUBTYPES) {
      const s = table.get(e.subtype);
      if (s !== undefined) { found = type | s; break; }
    }
    if (found === undefined) return ctx.error(`unknown 802.11 subtype name "${e.subtype}"`, e.valueColumn);
    value = found;
    mask = TYPE_MASK | SUBTYPE_MASK;
  } else {
    if (typeof e.dir === 'number') {
      value = e.dir;
    } else {
      const d = DIRS.get(e.dir);
      if (d === undefined) return ctx.error('unknown 802.11 direction', e.valueColumn);
      value = d;
    }
    mask = 0x03;
    offset = 1;
    if (!HAS_80211_HEADER.includes(ctx.linkType)) return ctx.error('frame direction supported only with 802.11 headers');
    return ctx.mcmp('linkhdr', offset, BPF_B, value, mask);
  }
  if (!HAS_80211_HEADER.includes(ctx.linkType)) return ctx.error('802.11 link-layer types supported only on 802.11');
  return ctx.mcmp('linkhdr', offset, BPF_B, value, mask);
}
