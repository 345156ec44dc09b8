/**
 * The deterministic packet corpus: for a link type, a seed and a count, the
 * same packets every time — a realistic mix with small address/port pools so
 * filters hit, plus (on request) truncated and malformed packets. corpus()
 * returns described packets for tests; corpusBatch() packs a PacketBatch fast
 * enough for million-packet benchmarks.
 */
import { createBatch, type PacketBatch } from '../bpf/batch.js';
import { linkType as lookupLinkType } from '../bpf/linktypes.js';
import { CRAFT_LINK_TYPES } from './encapsulate.js';
import { CraftError } from './errors.js';
import { LinkMix } from './linkmix.js';
import { malform } from './malform.js';
import { Random } from './random.js';
import { TrafficGenerator } from './traffic.js';

/** One corpus packet. */
export interface CorpusPacket {
  /** Captured bytes (caplen = data.length). */
  data: Uint8Array;
  /** Length on the wire (≥ data.length; larger for truncated packets). */
  wireLength: number;
  /** DLT number of the link-layer header. */
  linkType: number;
  /** What the packet is, e.g. `EN10MB 02:00:00:00:00:01 > … IPv4 10.0.0.1 > 10.0.0.2 TCP 40000 > 80 [S]`. */
  description?: string;
}

export interface CorpusOptions {
  /** DLT number or name (see CRAFT_LINK_TYPES). */
  linkType: number | string;
  count: number;
  /** Any 32-bit integer; the same seed gives the same corpus. Default 1. */
  seed?: number;
  /** Mix in malformed and truncated packets: true for 10%, or the fraction (0..1). Default none. */
  malformed?: boolean | number;
  /** Capture length limit: longer packets are cut to it (wireLength keeps the full length). */
  snaplen?: number;
  /** Fill `description` (default true for corpus(); corpusBatch() never describes). */
  describe?: boolean;
}

interface Source {
  dlt: number;
  next(): { data: Uint8Array; wireLength: number; text: string };
}

/** Checks options and returns a generator of packets. */
function source(options: CorpusOptions): Source {
  let dlt: number;
  try {
    dlt = typeof options.linkType === 'number' ? options.linkType : lookupLinkType(options.linkType).dlt;
  } catch (e) {
    throw new CraftError('corpus', 'linkType', options.linkType, `is unknown: ${(e as Error).message}`);
  }
  if (!(Object.values(CRAFT_LINK_TYPES) as number[]).includes(dlt)) {
    throw new CraftError('corpus', 'linkType', options.linkType, `is not one the corpus builds (supported: ${Object.entries(CRAFT_LINK_TYPES).map(([n, v]) => `${n}=${v}`).join(', ')})`);
  }
  if (!Number.isInteger(options.count) || options.count < 0) throw new CraftError('corpus', 'count', options.count, 'must be a non-negative integer');
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new CraftError('corpus', 'seed', seed, 'must be an integer');
  const fraction = options.malformed === true ? 0.1 : options.malformed === false || options.malformed === undefined ? 0 : options.malformed;
  if (!(fraction >= 0 && fraction <= 1)) throw new CraftError('corpus', 'malformed', options.malformed, 'must be a boolean or a fraction in 0..1');
  const snaplen = options.snaplen ?? 0x40000;
  if (!Number.isInteger(snaplen) || snaplen < 1) throw new CraftError('corpus', 'snaplen', options.snaplen, 'must be a positive integer');
  // Mix the link type into the seed so each link type's corpus differs for the same seed.
  const rng = new Random((Math.imul(seed >>> 0, 0x9e3779b1) ^ (dlt * 0x85ebca6b)) >>> 0);
  const mix = new LinkMix(rng, new TrafficGenerator(rng), dlt);
  return {
    dlt,
    next() {
      const frame = mix.next();
      const p = fraction > 0 && rng.chance(fraction) ? malform(rng, frame, dlt) : { data: frame.bytes, wireLength: frame.bytes.length, text: frame.text };
      if (p.data.length > snaplen) return { data: p.data.subarray(0, snaplen), wireLength: p.wireLength, text: p.text };
      return p;
    },
  };
}

/**
 * A deterministic list of packets of one link type.
 *
 * @example
 * const packets = corpus({ linkType: 'EN10MB', count: 1000, seed: 7, malformed: 0.1 });
 * packets[0] // { data: Uint8Array, wireLength: 74, linkType: 1, description: 'EN10MB … TCP 40000 > 80 [S]' }
 */
export function corpus(options: CorpusOptions): CorpusPacket[] {
  const src = source(options);
  const describe = options.describe ?? true;
  const out: CorpusPacket[] = new Array(options.count);
  for (let i = 0; i < options.count; i++) {
    const p = src.next();
    out[i] = describe ? { data: p.data, wireLength: p.wireLength, linkType: src.dlt, description: p.text } : { data: p.data, wireLength: p.wireLength, linkType: src.dlt };
  }
  return out;
}

/** Options of corpusBatch(): corpus options plus how many distinct packets to generate. */
export interface CorpusBatchOptions extends CorpusOptions {
  /**
   * How many distinct packets to generate (default 65536). The first `distinct`
   * packets are exactly corpus()'s; later ones repeat them in a seeded random
   * order, which keeps a 1,000,000-packet batch to a couple of seconds.
   */
  distinct?: number;
}

/**
 * Corpus packets packed into one PacketBatch (for the batch filter path and
 * benchmarks). With `count` ≤ `distinct` the batch holds exactly corpus()'s
 * packets for the same options; beyond that, packets repeat (see `distinct`).
 *
 * @example
 * const batch = corpusBatch({ linkType: 1, count: 1_000_000, seed: 1 });
 * batch.count // 1000000; batch.linkType // 1
 */
export function corpusBatch(options: CorpusBatchOptions): PacketBatch & { linkType: number } {
  const src = source(options);
  const distinct = options.distinct ?? 65536;
  if (!Number.isInteger(distinct) || distinct < 1) throw new CraftError('corpusBatch', 'distinct', options.distinct, 'must be a positive integer');
  const unique = Math.min(distinct, options.count);
  const pool: Array<{ data: Uint8Array; wireLength: number }> = new Array(unique);
  let uniqueBytes = 0;
  for (let i = 0; i < unique; i++) {
    const p = src.next();
    pool[i] = p;
    uniqueBytes += p.data.length;
  }
  const average = unique ? uniqueBytes / unique : 0;
  let data = new Uint8Array(Math.max(1024, Math.ceil(average * options.count * 1.05) + 65536));
  const batch = createBatch(data, options.count);
  const order = new Random((options.seed ?? 1) ^ 0x5bd1e995);
  let at = 0;
  for (let i = 0; i < options.count; i++) {
    const p = i < unique ? pool[i] : pool[order.int(unique)];
    if (at + p.data.length > data.length) {
      const bigger = new Uint8Array(Math.max(data.length * 2, at + p.data.length));
      bigger.set(data.subarray(0, at));
      data = bigger;
    }
    data.set(p.data, at);
    batch.offsets[i] = at;
    batch.caplens[i] = p.data.length;
    batch.wirelens[i] = p.wireLength;
    at += p.data.length;
  }
  return { data: data.subarray(0, at), offsets: batch.offsets, caplens: batch.caplens, wirelens: batch.wirelens, count: options.count, linkType: src.dlt };
}
