/**
 * A batch of packets laid out for the filter's batch path: many packets in one
 * buffer, described by parallel arrays. File readers and the live ring hand
 * out batches so that a whole chunk is filtered in one call, with the packet
 * loop inside the generated filter function.
 */

export interface PacketBatch {
  /** One buffer holding every packet's captured bytes. */
  readonly data: Uint8Array;
  /** Where packet i starts in `data`. */
  readonly offsets: Uint32Array;
  /** Captured length of packet i (bytes present in `data`). */
  readonly caplens: Uint32Array;
  /** Length of packet i on the wire (≥ its captured length). */
  readonly wirelens: Uint32Array;
  /** How many entries of the arrays are valid. */
  count: number;
}

/**
 * Makes an empty batch with room for `capacity` packets over `data`.
 *
 * @example
 * const batch = createBatch(new Uint8Array(1 << 20), 4096);
 * batch.offsets[0] = 0; batch.caplens[0] = 60; batch.wirelens[0] = 60; batch.count = 1;
 */
export function createBatch(data: Uint8Array, capacity: number): PacketBatch {
  return {
    data,
    offsets: new Uint32Array(capacity),
    caplens: new Uint32Array(capacity),
    wirelens: new Uint32Array(capacity),
    count: 0,
  };
}

/**
 * Packs separate packets into one batch (a copy), for tests and small inputs.
 *
 * @example
 * const batch = batchOf([{ data: frame1 }, { data: frame2, wireLength: 1514 }]);
 */
export function batchOf(packets: ReadonlyArray<{ data: Uint8Array; wireLength?: number }>): PacketBatch {
  const total = packets.reduce((n, p) => n + p.data.length, 0);
  const batch = createBatch(new Uint8Array(total), packets.length);
  let at = 0;
  packets.forEach((p, i) => {
    batch.data.set(p.data, at);
    batch.offsets[i] = at;
    batch.caplens[i] = p.data.length;
    batch.wirelens[i] = p.wireLength ?? p.data.length;
    at += p.data.length;
  });
  batch.count = packets.length;
  return batch;
}
