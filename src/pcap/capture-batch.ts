/**
 * Making and filling CaptureBatch objects: the batch path's containers,
 * shared by the reader and the parsers' batch fast paths.
 */
import { createBatch } from '../bpf/batch.js';
import { CONTINUE, REFUSE, STOP_AFTER, type CaptureBatch, type PacketExtras, type PacketSink } from './info.js';

/** Arena bytes the filter's arrays of a batch of `capacity` packets take (offsets, caplens, wirelens, selected). */
export function batchArrayBytes(capacity: number): number {
  return 16 * capacity;
}

/** Arrays set aside for a batch's filter, e.g. an ArenaBatch's (`out` becomes `selected`). */
export interface FilterArrays {
  readonly offsets: Uint32Array;
  readonly caplens: Uint32Array;
  readonly wirelens: Uint32Array;
  readonly out: Uint32Array;
}

/**
 * An empty CaptureBatch with room for `capacity` packets. Given `arrays`
 * with room for that many (the reader sets some aside in its PacketArena),
 * the arrays the filter reads and writes (offsets, caplens, wirelens,
 * selected) are views of them, so that a batch whose packets lie in the same
 * arena runs on the WebAssembly engine; otherwise they are new arrays and
 * the batch runs in JavaScript.
 *
 * @example
 * const batch = createCaptureBatch(4096);
 * const inArena = createCaptureBatch(4096, arena.batch(0, 4096));
 */
export function createCaptureBatch(capacity: number, arrays?: FilterArrays): CaptureBatch {
  const common = {
    linkType: -1, sec: new Float64Array(capacity), nsec: new Float64Array(capacity), interfaces: new Uint32Array(capacity),
    extras: new Map<number, PacketExtras>(), selectedCount: 0, rawLayout: undefined, recordHeader: 0,
  };
  if (arrays && [arrays.offsets, arrays.caplens, arrays.wirelens, arrays.out].every((a) => a.length >= capacity)) {
    return {
      data: new Uint8Array(0), offsets: arrays.offsets.subarray(0, capacity), caplens: arrays.caplens.subarray(0, capacity),
      wirelens: arrays.wirelens.subarray(0, capacity), count: 0, selected: arrays.out.subarray(0, capacity), ...common,
    };
  }
  return { ...createBatch(new Uint8Array(0), capacity), selected: new Uint32Array(capacity), ...common };
}

/**
 * A PacketSink that appends to a batch. It refuses a packet of another link
 * type (or from another buffer) than the batch holds, stops when the batch is
 * full, and with `oneAtATime` stops after every packet (for parsers that take
 * only their rare blocks through it).
 *
 * @example
 * const sink = new BatchSink(createCaptureBatch(64));
 * parser.parse(bytes, 0, bytes.length, 0, sink); // sink.batch.count packets
 */
export class BatchSink implements PacketSink {
  constructor(readonly batch: CaptureBatch, private readonly oneAtATime = false) {}

  packet(buf: Uint8Array, offset: number, caplen: number, len: number, sec: number, nsec: number,
    iface: number, linkType: number, extras: PacketExtras | undefined): number {
    const b = this.batch;
    const i = b.count;
    if (i === b.offsets.length) return REFUSE;
    if (i > 0 && (linkType !== b.linkType || buf !== b.data)) return REFUSE;
    if (i === 0) { b.linkType = linkType; (b as { data: Uint8Array }).data = buf; }
    b.offsets[i] = offset;
    b.caplens[i] = caplen;
    b.wirelens[i] = len;
    b.sec[i] = sec;
    b.nsec[i] = nsec;
    b.interfaces[i] = iface;
    if (extras) b.extras.set(i, extras);
    b.count = i + 1;
    return this.oneAtATime || b.count === b.offsets.length ? STOP_AFTER : CONTINUE;
  }
}
