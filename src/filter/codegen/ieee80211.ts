/**
 * IEEE 802.11 link layers (plain, radiotap, AVS, Prism, PPI): the data-frame
 * test, the address tests whose offsets depend on the frame type and DS bits,
 * multicast, and the prologue that computes the variable header lengths
 * (radio header, then the 802.11 header with its QoS field and radiotap's
 * data padding), exactly as libpcap computes them.
 */
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_B, BPF_IMM, BPF_IND, BPF_JA, BPF_JEQ, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_LDX,
  BPF_LSH, BPF_MEM, BPF_MISC, BPF_OR, BPF_ST, BPF_TAX, BPF_TXA, BPF_W, BPF_X,
} from '../../bpf/opcodes.js';
import { and, not, or, type Cond, type Stmt } from '../cfg.js';
import type { DirQual } from '../ast.js';
import type { Context } from './context.js';

/** DLTs of the 802.11 family. */
export const WLAN_DLTS = { IEEE802_11: 105, PRISM_HEADER: 119, IEEE802_11_RADIO: 127, IEEE802_11_RADIO_AVS: 163, PPI: 192 } as const;

/**
 * True for the 802.11 family.
 *
 * @example
 * isWlan(127) // true
 */
export function isWlan(dlt: number): boolean {
  return WLAN_SET.has(dlt);
}

const WLAN_SET: ReadonlySet<number> = new Set(Object.values(WLAN_DLTS));

function fcJset(ctx: Context, offset: number, bits: number): Cond {
  return ctx.blocks.cond(ctx.loadA('linkhdr', offset, BPF_B), BPF_JSET, bits);
}

/**
 * "This is a data frame": frame control type bits 0x08 set and 0x04 clear.
 *
 * @example
 * and(genDataFrameCheck(ctx), llcTest)
 */
export function genDataFrameCheck(ctx: Context): Cond {
  const b0 = fcJset(ctx, 0, 0x08);
  const b1 = not(fcJset(ctx, 0, 0x04));
  return and(b1, b0);
}

/** The destination test (address at 16 with To DS set, else at 4; management at 4; not control frames). */
function destination(ctx: Context, atom: (offset: number) => Cond): Cond {
  let b0 = and(fcJset(ctx, 1, 0x01), atom(16));
  let b1 = and(not(fcJset(ctx, 1, 0x01)), atom(4));
  b0 = or(b1, b0);
  b0 = and(fcJset(ctx, 0, 0x08), b0);
  b1 = and(not(fcJset(ctx, 0, 0x08)), atom(4));
  b0 = or(b1, b0);
  return and(not(fcJset(ctx, 0, 0x04)), b0);
}

function source(ctx: Context, atom: (offset: number) => Cond): Cond {
  let b0 = and(fcJset(ctx, 1, 0x01), atom(24));
  let b1 = and(not(fcJset(ctx, 1, 0x01)), atom(16));
  b0 = or(b1, b0);
  b0 = and(fcJset(ctx, 1, 0x02), b0);
  b1 = and(not(fcJset(ctx, 1, 0x02)), atom(10));
  b0 = or(b1, b0);
  b0 = and(fcJset(ctx, 0, 0x08), b0);
  b1 = and(not(fcJset(ctx, 0, 0x08)), atom(10));
  b0 = or(b1, b0);
  return and(not(fcJset(ctx, 0, 0x04)), b0);
}

/** Not a CTS or ACK control frame (frames that have addr2). */
function hasAddr2(ctx: Context): Cond {
  const b0 = not(ctx.mcmp('linkhdr', 0, BPF_B, 0x04, 0x0c));
  const b1 = not(ctx.mcmp('linkhdr', 0, BPF_B, 0xc0, 0xf0));
  const b2 = not(ctx.mcmp('linkhdr', 0, BPF_B, 0xd0, 0xf0));
  return or(b0, and(b1, b2));
}

/**
 * An 802.11 address test for a direction (gen_wlanhostop).
 *
 * @example
 * genWlanHost(ctx, mac, 'ta')
 */
export function genWlanHost(ctx: Context, mac: Uint8Array, dir: DirQual): Cond {
  const atom = (offset: number): Cond => ctx.bcmp('linkhdr', offset, mac);
  switch (dir) {
    case 'src': return source(ctx, atom);
    case 'dst': return destination(ctx, atom);
    case 'and': { const a = genWlanHost(ctx, mac, 'src'); return and(a, genWlanHost(ctx, mac, 'dst')); }
    case 'default': case 'or': { const a = genWlanHost(ctx, mac, 'src'); return or(a, genWlanHost(ctx, mac, 'dst')); }
    case 'addr1': return atom(4);
    case 'addr2': return and(hasAddr2(ctx), atom(10));
    case 'addr3': return and(not(ctx.mcmp('linkhdr', 0, BPF_B, 0x04, 0x0c)), atom(16));
    case 'addr4': return and(ctx.mcmp('linkhdr', 1, BPF_B, 0x03, 0x03), atom(24));
    case 'ra': return and(fcJset(ctx, 0, 0x08), atom(4));
    case 'ta': {
      const b2 = and(fcJset(ctx, 0, 0x08), hasAddr2(ctx));
      return and(b2, atom(10));
    }
  }
}

/**
 * 802.11 multicast: the group bit of the destination address.
 *
 * @example
 * genWlanMulticast(ctx)
 */
export function genWlanMulticast(ctx: Context): Cond {
  return destination(ctx, (offset) => ctx.blocks.cond(ctx.loadA('linkhdr', offset, BPF_B), BPF_JSET, 1));
}

/** Radio-header length into M[linkhdr] and X (insert_compute_vloffsets' first part). */
function radioPrefix(ctx: Context): Stmt[] | undefined {
  const reg = ctx.offLinkhdr.reg;
  if (reg === -1 || !ctx.offLinkhdr.variable) return undefined;
  const store: Stmt[] = [{ code: BPF_ST, k: reg }, { code: BPF_MISC | BPF_TAX, k: 0 }];
  switch (ctx.outermost.dlt) {
    case WLAN_DLTS.IEEE802_11_RADIO: case WLAN_DLTS.PPI:
      // Little-endian 16-bit length at offset 2, assembled a byte at a time.
      return [{ code: BPF_LD | BPF_B | BPF_ABS, k: 3 }, { code: BPF_ALU | BPF_LSH | BPF_K, k: 8 }, { code: BPF_MISC | BPF_TAX, k: 0 },
        { code: BPF_LD | BPF_B | BPF_ABS, k: 2 }, { code: BPF_ALU | BPF_OR | BPF_X, k: 0 }, ...store];
    case WLAN_DLTS.IEEE802_11_RADIO_AVS:
      return [{ code: BPF_LD | BPF_W | BPF_ABS, k: 4 }, ...store];
    case WLAN_DLTS.PRISM_HEADER:
      // An AVS header (cookie 0x80211000) gives its length at 4; a Prism header is 144 bytes.
      return [{ code: BPF_LD | BPF_W | BPF_ABS, k: 0 }, { code: BPF_ALU | BPF_AND | BPF_K, k: 0xfffff000 },
        { code: BPF_JMP | BPF_JEQ | BPF_K, k: 0x80211000, jt: 0, jf: 2 }, { code: BPF_LD | BPF_W | BPF_ABS, k: 4 },
        { code: BPF_JMP | BPF_JA, k: 1 }, { code: BPF_LD | BPF_IMM, k: 144 }, ...store];
    default: return undefined;
  }
}

/**
 * The prologue for 802.11 link types: radio-header length, then the 802.11
 * header length (24, +2 for QoS data, rounded up to 4 when radiotap says the
 * driver padded). Embedded jumps all land at the end of the prologue.
 *
 * @example
 * const stmts = wlanPrologue(ctx);
 */
export function wlanPrologue(ctx: Context): Stmt[] {
  const prefix = radioPrefix(ctx) ?? [];
  const reg = ctx.offLinkpl.reg;
  if (reg === -1) return prefix;
  ctx.noOptimize = true;
  const s: Array<Stmt & { toEnd?: 'jt' | 'jf' | 'both' }> = prefix.length > 0 ? [...prefix] : [{ code: BPF_LDX | BPF_IMM, k: ctx.offOutermostlinkhdr.constant }];
  s.push({ code: BPF_MISC | BPF_TXA, k: 0 }, { code: BPF_ALU | BPF_ADD | BPF_K, k: 24 }, { code: BPF_ST, k: reg },
    { code: BPF_LD | BPF_IND | BPF_B, k: 0 });
  const at = (): number => s.length;
  const jset = BPF_JMP | BPF_JSET | BPF_K;
  const dataFrame1 = at(); s.push({ code: jset, k: 0x08, jt: 0 });
  const dataFrame2 = at(); s.push({ code: jset, k: 0x04, jf: 0 });
  const qos = at(); s.push({ code: jset, k: 0x80, jt: 0 });
  s.push({ code: BPF_LD | BPF_MEM, k: reg }, { code: BPF_ALU | BPF_ADD | BPF_K, k: 2 }, { code: BPF_ST, k: reg });
  const toEnd: Array<[number, 'jt' | 'jf']> = [[dataFrame1, 'jf'], [dataFrame2, 'jt']];
  if (ctx.outermost.dlt === WLAN_DLTS.IEEE802_11_RADIO) {
    const qosNo = at(); s.push({ code: BPF_LD | BPF_W | BPF_ABS, k: 4 });
    s[qos].jf = qosNo - qos - 1;
    const flags = at(); s.push({ code: jset, k: 0x02000000, jt: 0 });
    const ext = at(); s.push({ code: jset, k: 0x80, jf: 0 });
    const tsft = at(); s.push({ code: jset, k: 0x01000000 });
    const tsftYes = at(); s.push({ code: BPF_LD | BPF_B | BPF_ABS, k: 16 });
    const padTsft = at(); s.push({ code: jset, k: 0x20 });
    const tsftNo = at(); s.push({ code: BPF_LD | BPF_B | BPF_ABS, k: 8 });
    const padNoTsft = at(); s.push({ code: jset, k: 0x20 });
    const roundup = at(); s.push({ code: BPF_LD | BPF_MEM, k: reg }, { code: BPF_ALU | BPF_ADD | BPF_K, k: 3 },
      { code: BPF_ALU | BPF_AND | BPF_K, k: 0xfffffffc }, { code: BPF_ST, k: reg });
    s[tsft].jt = tsftYes - tsft - 1;
    s[tsft].jf = tsftNo - tsft - 1;
    s[padTsft].jt = roundup - padTsft - 1;
    s[padNoTsft].jt = roundup - padNoTsft - 1;
    toEnd.push([flags, 'jf'], [ext, 'jt'], [padTsft, 'jf'], [padNoTsft, 'jf']);
  } else {
    toEnd.push([qos, 'jf']);
  }
  const end = s.length;
  for (const [i, side] of toEnd) s[i][side] = end - i - 1;
  return s.map((x) => ((x.code & 0x07) === BPF_JMP && (x.code & 0xf0) !== BPF_JA ? { code: x.code, k: x.k, jt: x.jt ?? 0, jf: x.jf ?? 0 } : x));
}

export { BPF_IND };
