/**
 * Making and filling CaptureBatch objects: the batch path's containers,
 * shared by the reader and the parsers' batch fast paths.
 */
import { createBatch } from '../bpf/batch.js';
import { CONTINUE, REFUSE, STOP_AFTER, type CaptureBatch, type PacketExtras, type PacketSink } from './info.js';

/**
 * An empty CaptureBatch with room for `capacity` packets.
 *
 * @example
 * const batch = createCaptureBatch(4096);
 */
export function createCaptureBatch(capacity: number): CaptureBatch {
  return {
    ...createBatch(new Uint8Array(0), capacity), linkType: -1, sec: new Float64Array(capacity), nsec: new Float64Array(capacity),
    interfaces: new Uint32Array(capacity), extras: new Map(), selected: new Uint32Array(capacity), selectedCount: 0,
    rawLayout: undefined, recordHeader: 0,
  };
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
