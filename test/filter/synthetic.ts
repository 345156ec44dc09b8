/**
 * Packets for link types the craft corpus does not build: the network-layer
 * payloads of the Ethernet (or 802.11) corpus behind a synthetic link header
 * of the right layout, with the type field usually set to a value that
 * link type uses for the payload and sometimes random, and some packets cut
 * short. Enough to compare bpfkit and libpcap on those link types.
 *
 * @example
 * const packets = syntheticCorpus(107, 300, 5);
 */
import { corpus } from '../../src/craft/index.js';
import { Rng } from './random-expression.js';

/** DLTs this module synthesizes. */
export const SYNTHETIC_LINK_TYPES: readonly number[] = [7, 8, 11, 15, 16, 19, 99, 107, 114, 119, 122, 123, 129, 138, 139, 140, 163, 166, 192, 197, 226, 240, 241];

interface Layout {
  /** Header length before the network payload. */
  length: number;
  /** Writes the type field for an Ethernet type (or leaves the random bytes). */
  type?: (h: Uint8Array, ethertype: number, rng: Rng) => void;
}

const be16 = (h: Uint8Array, at: number, v: number): void => { h[at] = v >> 8; h[at + 1] = v & 0xff; };
const llcSnap = (h: Uint8Array, at: number, ethertype: number): void => {
  h.set([0xaa, 0xaa, 0x03, 0, 0, 0], at);
  be16(h, at + 6, ethertype);
};
const PPP: Record<number, number> = { 0x0800: 0x21, 0x86dd: 0x57, 0x0806: 0x8021 };
const ARC: Record<number, number[]> = { 0x0800: [0xd4, 0xf0], 0x86dd: [0xc4], 0x0806: [0xd5, 0xf1], 0x8035: [0xd6], 0x809b: [0xdd] };

const LAYOUTS: Record<number, Layout> = {
  7: { length: 6, type: (h, t, r) => { h[2] = r.pick(ARC[t] ?? [r.int(256)]); } },
  129: { length: 8, type: (h, t, r) => { h[4] = r.pick(ARC[t] ?? [r.int(256)]); } },
  8: { length: 16 }, 15: { length: 24 },
  11: { length: 8, type: (h, t) => llcSnap(h, 0, t) }, 19: { length: 8, type: (h, t) => llcSnap(h, 0, t) },
  16: { length: 24, type: (h, t, r) => be16(h, 5, t === 0x0800 ? r.pick([0x21, 0x2d, 0x2f]) : PPP[t] ?? t) },
  99: { length: 44, type: (h, t) => be16(h, 6, t) },
  107: { length: 4, type: (h, t, r) => { h[2] = 0x03; h[3] = t === 0x0800 ? 0xcc : t === 0x86dd ? 0x8e : r.pick([0x81, 0x82, 0x83]); } },
  114: { length: 0 },
  122: { length: 24, type: (h, t) => llcSnap(h, 16, t) },
  138: { length: 18, type: (h, t) => be16(h, 16, t) },
  166: { length: 4, type: (h, t) => be16(h, 2, PPP[t] ?? t) },
  226: { length: 24, type: (h, t) => { h[1] = t === 0x0800 ? 2 : t === 0x86dd ? 26 : h[1]; } },
  240: { length: 18, type: (h, t) => be16(h, 16, t) },
  241: { length: 26, type: (h, t) => be16(h, 24, t) },
};

/** Radio headers in front of 802.11 frames. */
function radioHeader(dlt: number, rng: Rng): Uint8Array {
  switch (dlt) {
    case 119: {
      if (rng.chance(0.3)) { const h = new Uint8Array(64); h.set([0x80, 0x21, 0x10, 0x01, 0, 0, 0, 64]); return h; }
      const h = new Uint8Array(144).map(() => rng.int(256));
      h.set([0, 0, 0, 0x44]);
      return h;
    }
    case 163: { const h = new Uint8Array(64).map(() => rng.int(256)); h.set([0x80, 0x21, 0x10, 0x01, 0, 0, 0, 64]); return h; }
    case 192: { const h = new Uint8Array(8); h.set([0, 0, 8, 0, rng.chance(0.9) ? 105 : 1, 0, 0, 0]); return h; }
    default: return new Uint8Array(0);
  }
}

/**
 * `count` packets for `dlt` (deterministic for `seed`).
 *
 * @example
 * syntheticCorpus(122, 200, 1)
 */
export function syntheticCorpus(dlt: number, count: number, seed: number): Array<{ data: Uint8Array; wireLength: number }> {
  const rng = new Rng(seed * 2654435761 + dlt);
  const wlan = dlt === 119 || dlt === 163 || dlt === 192;
  const base = corpus({ linkType: wlan ? 105 : 1, count, seed: seed + dlt, malformed: 0.05, describe: false });
  return base.map((p) => {
    let data: Uint8Array;
    if (wlan) {
      data = concat(radioHeader(dlt, rng), p.data);
    } else if (dlt === 123) {
      // SUNATM: flags (protocol type in the low nibble), VPI, VCI; then LLC/SNAP or LANE (LE header + Ethernet).
      const lane = rng.chance(0.4);
      const header = Uint8Array.of(rng.chance(0.9) ? (lane ? 1 : 2) : rng.int(256), rng.pick([0, 0, 1, rng.int(256)]), 0, rng.pick([1, 2, 3, 4, 5, 16, rng.int(256)]));
      if (lane) {
        data = concat(concat(header, Uint8Array.of(rng.chance(0.8) ? 0 : 0xff, 0)), p.data);
      } else {
        const llc = new Uint8Array(8);
        if (p.data.length >= 14) llcSnap(llc, 0, (p.data[12] << 8) | p.data[13]);
        data = concat(concat(header, llc), p.data.subarray(Math.min(14, p.data.length)));
      }
    } else if (dlt === 139 || dlt === 140 || dlt === 197) {
      // MTP2 signal units behind their pseudo-headers: random bytes, with the length indicator often small.
      const len = 8 + rng.int(40);
      data = new Uint8Array(len + (dlt === 197 ? 20 : dlt === 139 ? 4 : 0)).map(() => rng.int(256));
      const li = dlt === 197 ? 22 : dlt === 139 ? 6 : 2;
      data[li] = rng.pick([0, 1, 2, 3, rng.int(64)]) | (rng.int(4) << 6);
    } else {
      const layout = LAYOUTS[dlt];
      const ethertype = p.data.length >= 14 ? (p.data[12] << 8) | p.data[13] : 0;
      const header = new Uint8Array(layout.length).map(() => rng.int(256));
      if (layout.type && rng.chance(0.85)) layout.type(header, ethertype, rng);
      data = concat(header, p.data.subarray(Math.min(14, p.data.length)));
    }
    if (rng.chance(0.08)) data = data.subarray(0, rng.int(data.length + 1));
    return { data, wireLength: Math.max(data.length, p.wireLength) };
  });
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
