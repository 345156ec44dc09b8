/**
 * SS7 signalling over MTP2 (MTP2, MTP2_WITH_PHDR, ERF): the signal-unit
 * types `fisu`, `lssu`, `msu` (and their high-speed-link `h…` forms), and the
 * MTP3 routing-label fields `sio`, `opc`, `dpc`, `sls` (and `h…`), with
 * libpcap's field encodings and its quirk that `!=` compares like `=`.
 */
import { BPF_B, BPF_H, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_W } from '../../bpf/opcodes.js';
import { and, type Cond } from '../cfg.js';
import type { RelOp } from '../ast.js';
import type { Context } from './context.js';

interface Ss7Offsets { li: number; liHsl: number; sio: number; opc: number; dpc: number; sls: number }

const OFFSETS = new Map<number, Ss7Offsets>([
  [140, { li: 2, liHsl: 4, sio: 3, opc: 4, dpc: 4, sls: 7 }],   // MTP2
  [139, { li: 6, liHsl: 8, sio: 7, opc: 8, dpc: 8, sls: 11 }],  // MTP2_WITH_PHDR
  [197, { li: 22, liHsl: 24, sio: 23, opc: 24, dpc: 24, sls: 27 }], // ERF
]);

/** The signal-unit type keywords. */
export type Mtp2Type = 'fisu' | 'lssu' | 'msu' | 'hfisu' | 'hlssu' | 'hmsu';
/** The MTP3 field keywords. */
export type Mtp3Field = 'sio' | 'opc' | 'dpc' | 'sls' | 'hsio' | 'hopc' | 'hdpc' | 'hsls';

/**
 * `fisu`, `lssu`, `msu`, `hfisu`, `hlssu`, `hmsu`: the length indicator says which signal unit this is.
 *
 * @example
 * genMtp2Type(ctx, 'msu') // (li & 0x3f) > 2
 */
export function genMtp2Type(ctx: Context, type: Mtp2Type): Cond {
  const off = OFFSETS.get(ctx.linkType);
  const high = type.startsWith('h');
  if (!off) return ctx.error(`'${type}' supported only on ${high ? 'MTP2_HSL' : 'MTP2'}`);
  const [at, size, mask, lssuMax] = high ? [off.liHsl, BPF_H, 0xff80, 0x0100] : [off.li, BPF_B, 0x3f, 2];
  switch (type) {
    case 'fisu': case 'hfisu': return ctx.ncmp('packet', at, size, mask, BPF_JEQ, false, 0);
    case 'msu': case 'hmsu': return ctx.ncmp('packet', at, size, mask, BPF_JGT, false, lssuMax);
    default: {
      const b0 = ctx.ncmp('packet', at, size, mask, BPF_JGT, true, lssuMax);
      const b1 = ctx.ncmp('packet', at, size, mask, BPF_JGT, false, 0);
      return and(b1, b0);
    }
  }
}

const JUMPS: Record<RelOp, [number, boolean]> = {
  '>': [BPF_JGT, false], '>=': [BPF_JGE, false], '=': [BPF_JEQ, false], '<=': [BPF_JGT, true], '<': [BPF_JGE, true], '!=': [BPF_JEQ, true],
};

/**
 * `sio N`, `opc > N`, `dpc N`, `sls <= N` and the `h…` forms on high-speed links (3 bytes further).
 *
 * @example
 * genMtp3Field(ctx, 'opc', '=', 2)
 */
export function genMtp3Field(ctx: Context, field: Mtp3Field, op: RelOp, value: number): Cond {
  const base = (field.startsWith('h') ? field.slice(1) : field) as 'sio' | 'opc' | 'dpc' | 'sls';
  const off = OFFSETS.get(ctx.linkType);
  if (!off) return ctx.error(`'${base}' supported only on SS7`);
  const at = off[base] + (field.startsWith('h') ? 3 : 0);
  // libpcap passes the "reverse" flag for != too, but only honours it for > and >=.
  const [jump, reverse] = JUMPS[op];
  switch (base) {
    case 'sio':
      if (value > 255) return ctx.error(`sio value ${value} too big; max value = 255`);
      return ctx.ncmp('packet', at, BPF_B, 0xffffffff, jump, reverse, value);
    case 'opc': {
      if (value > 16383) return ctx.error(`opc value ${value} too big; max value = 16383`);
      const coded = ((value & 0x3c00) >>> 10) + ((value & 0x03fc) << 6) + ((value & 0x0003) << 22);
      return ctx.ncmp('packet', at, BPF_W, 0x00c0ff0f, jump, reverse, coded);
    }
    case 'dpc': {
      if (value > 16383) return ctx.error(`dpc value ${value} too big; max value = 16383`);
      const coded = (((value & 0xff) << 24) >>> 0) + ((value & 0x3f00) << 8);
      return ctx.ncmp('packet', at, BPF_W, 0xff3f0000, jump, reverse, coded);
    }
    case 'sls':
      if (value > 15) return ctx.error(`sls value ${value} too big; max value = 15`);
      return ctx.ncmp('packet', at, BPF_B, 0xf0, jump, reverse, value << 4);
  }
}
