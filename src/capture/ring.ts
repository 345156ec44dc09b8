/**
 * A TPACKET_V3 receive ring mapped into this process, read from JavaScript
 * without copying (koffi.view over the mapping).
 *
 * The ring owns the only views of the mapping. Closing it never leaves a
 * dangling view: the mapping is replaced in one step by zero-filled private
 * memory at the same address (the socket's ring is released at once), and that
 * husk is unmapped only when the garbage collector has dropped every view of
 * it. A stale Uint8Array kept by a careless caller thus reads zeros instead
 * of killing the process.
 */
import {
  PACKET_RX_RING, SOL_PACKET, type MappedMemory, mappedView, mmapShared, munmap, replaceWithZeros, setsockopt,
} from './syscalls.js';
import {
  BLOCK_FIRST_PKT, BLOCK_NUM_PKTS, BLOCK_STATUS, TP_STATUS_KERNEL, TP_STATUS_USER, type RingGeometry, tpacketReq3,
} from './tpacket.js';

const husks = new FinalizationRegistry<MappedMemory>((mem) => {
  try {
    munmap(mem);
  } catch {
    // Nothing useful can be done from a finalizer; the address space stays reserved.
  }
});

/** A block the kernel has handed to user space. */
export interface RingBlock {
  /** Which block of the ring (0..blockCount-1). */
  readonly index: number;
  /** Byte offset of the block in `RxRing.bytes`. */
  readonly offset: number;
  /** Number of frames in it. */
  readonly count: number;
  /** Offset (in `RxRing.bytes`) of the first frame; each frame's tp_next_offset leads to the next. */
  readonly firstFrame: number;
}

/**
 * The receive ring of one packet socket.
 *
 * @example
 * const ring = new RxRing(fd, ringGeometry({ bufferSize: 2 << 20, snaplen: 65535, blockTimeoutMs: 10 }));
 * const block = ring.take(); if (block) { ...read frames...; ring.release(block); }
 * ring.close();
 */
export class RxRing {
  /** The whole ring as bytes; valid until close(). */
  bytes: Uint8Array;
  /** The same memory as a DataView. */
  view: DataView;
  private mem: MappedMemory | null;
  private next = 0;
  private outstanding = new Set<number>();

  /** Sets PACKET_RX_RING on `fd` (TPACKET_V3 must already be selected) and maps it. */
  constructor(fd: number, readonly geometry: RingGeometry) {
    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, tpacketReq3(geometry), `PACKET_RX_RING ${geometry.blockCount}×${geometry.blockSize} bytes`);
    this.mem = mmapShared(fd, geometry.blockSize * geometry.blockCount);
    const ab = mappedView(this.mem);
    this.bytes = new Uint8Array(ab);
    this.view = new DataView(ab);
  }

  /** Whether the ring is still mapped. */
  get open(): boolean {
    return this.mem !== null;
  }

  /** Whether the next block in order is ready for user space (no system call). */
  ready(): boolean {
    if (!this.mem) return false;
    return (this.view.getUint32(this.next * this.geometry.blockSize + BLOCK_STATUS, true) & TP_STATUS_USER) !== 0;
  }

  /**
   * Takes the next block in ring order if the kernel has handed it over, or
   * null. The block stays ours (the kernel will not write it) until `release`.
   */
  take(): RingBlock | null {
    if (!this.ready()) return null;
    const index = this.next;
    const offset = index * this.geometry.blockSize;
    this.next = (index + 1) % this.geometry.blockCount;
    this.outstanding.add(index);
    return {
      index,
      offset,
      count: this.view.getUint32(offset + BLOCK_NUM_PKTS, true),
      firstFrame: offset + this.view.getUint32(offset + BLOCK_FIRST_PKT, true),
    };
  }

  /** Gives a block back to the kernel. Releasing twice, or after close, does nothing. */
  release(block: RingBlock): void {
    if (!this.mem || !this.outstanding.delete(block.index)) return;
    this.view.setUint32(block.offset + BLOCK_STATUS, TP_STATUS_KERNEL, true);
  }

  /** How many blocks are taken and not yet released. */
  get held(): number {
    return this.outstanding.size;
  }

  /**
   * Releases the ring's memory from the socket, leaving no view that can fault
   * (see the module comment). Call before closing the socket; idempotent.
   */
  close(): void {
    const mem = this.mem;
    if (!mem) return;
    this.mem = null;
    this.outstanding.clear();
    const ab = this.bytes.buffer;
    replaceWithZeros(mem);
    husks.register(ab, mem);
    this.bytes = new Uint8Array(0);
    this.view = new DataView(new ArrayBuffer(0));
  }
}
