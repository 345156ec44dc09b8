/**
 * The TPACKET_V3 memory-mapped ring's binary layout (linux/if_packet.h) and
 * the rules for choosing its geometry (Documentation/networking/packet_mmap).
 *
 * A V3 ring is `blockCount` blocks of `blockSize` bytes. The kernel fills a
 * block with variable-length frames, then hands the whole block to user space
 * (block_status & TP_STATUS_USER) when it is full or when the block timeout
 * expires; user space gives it back by writing TP_STATUS_KERNEL.
 */

export const TP_STATUS_KERNEL = 0;
export const TP_STATUS_USER = 1;
export const TP_STATUS_COPY = 1 << 1;
export const TP_STATUS_LOSING = 1 << 2;
export const TP_STATUS_VLAN_VALID = 1 << 4;
export const TP_STATUS_BLK_TMO = 1 << 5;
export const TP_STATUS_VLAN_TPID_VALID = 1 << 6;

/** TPACKET_ALIGNMENT: frames start on 16-byte boundaries. */
export const TPACKET_ALIGNMENT = 16;
/** sizeof(struct tpacket3_hdr). */
export const TPACKET3_HDR_SIZE = 48;
/** sizeof(struct sockaddr_ll), which the kernel stores after each frame header. */
export const SOCKADDR_LL_SIZE = 20;
/** TPACKET3_HDRLEN: aligned frame header plus the sockaddr_ll. */
export const TPACKET3_HDRLEN = align(TPACKET3_HDR_SIZE) + SOCKADDR_LL_SIZE;

// struct tpacket_block_desc (version, offset_to_priv, then tpacket_hdr_v1).
export const BLOCK_STATUS = 8;
export const BLOCK_NUM_PKTS = 12;
export const BLOCK_FIRST_PKT = 16;
export const BLOCK_LEN = 20;
export const BLOCK_SEQ = 24;
/** sizeof(struct tpacket_block_desc), aligned: where the first frame may start. */
export const BLOCK_DESC_SIZE = 48;

// struct tpacket3_hdr.
export const FRAME_NEXT = 0;
export const FRAME_SEC = 4;
export const FRAME_NSEC = 8;
export const FRAME_SNAPLEN = 12;
export const FRAME_LEN = 16;
export const FRAME_STATUS = 20;
export const FRAME_MAC = 24;
export const FRAME_NET = 26;
export const FRAME_VLAN_TCI = 32;
export const FRAME_VLAN_TPID = 36;
/** Where the frame's sockaddr_ll starts. */
export const FRAME_SLL = align(TPACKET3_HDR_SIZE);

/** Rounds up to TPACKET_ALIGNMENT. @example align(20) // 32 */
export function align(n: number): number {
  return (n + TPACKET_ALIGNMENT - 1) & ~(TPACKET_ALIGNMENT - 1);
}

/** The ring's shape, as given to PACKET_RX_RING in `struct tpacket_req3`. */
export interface RingGeometry {
  readonly blockSize: number;
  readonly blockCount: number;
  readonly frameSize: number;
  readonly frameCount: number;
  /** Milliseconds after which the kernel retires a block that is not full. */
  readonly blockTimeoutMs: number;
}

/**
 * Thrown when ring options break the kernel's rules.
 *
 * @example
 * ringGeometry({ bufferSize: 1 << 20, snaplen: 1500, blockTimeoutMs: 10, blockSize: 5000 }) // throws RingGeometryError
 */
export class RingGeometryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RingGeometryError';
  }
}

const PAGE_SIZE = 4096;

/**
 * Chooses a ring for a buffer of `bufferSize` bytes holding frames of up to
 * `snaplen` bytes (plus `reserve` bytes before each, for a cooked header),
 * following the kernel's rules: block size a multiple of the page size and
 * large enough for the largest frame; frame size a multiple of 16; at least
 * one block; frame count = frames per block × blocks. `blockSize` may be given
 * explicitly.
 *
 * @example
 * ringGeometry({ bufferSize: 2 << 20, snaplen: 262144, blockTimeoutMs: 100 })
 */
export function ringGeometry(opts: { bufferSize: number; snaplen: number; reserve?: number; blockSize?: number; blockTimeoutMs: number; linkHeaderRoom?: number }): RingGeometry {
  const { bufferSize, snaplen, blockTimeoutMs } = opts;
  if (!Number.isInteger(bufferSize) || bufferSize <= 0) throw new RingGeometryError(`bufferSize ${bufferSize} must be a positive integer`);
  if (!Number.isInteger(snaplen) || snaplen <= 0) throw new RingGeometryError(`snaplen ${snaplen} must be a positive integer`);
  if (!Number.isInteger(blockTimeoutMs) || blockTimeoutMs < 0 || blockTimeoutMs > 0xffffffff) {
    throw new RingGeometryError(`block timeout ${blockTimeoutMs} ms must be an integer from 0`);
  }
  // Room for what precedes the captured bytes: header, sockaddr_ll, reserve, and
  // the link header that the kernel counts in tp_mac (up to 16+ for cooked/VLAN).
  // A V3 block holds variable-length frames, so the frame size only bounds the
  // largest packet; no packet on Linux exceeds 64 KiB (GSO included).
  const frameSize = align(TPACKET3_HDRLEN + (opts.reserve ?? 0) + (opts.linkHeaderRoom ?? 32) + Math.min(snaplen, 65536));
  let blockSize = opts.blockSize ?? PAGE_SIZE;
  if (opts.blockSize !== undefined) {
    if (!Number.isInteger(blockSize) || blockSize % PAGE_SIZE !== 0) {
      throw new RingGeometryError(`blockSize ${blockSize} must be a multiple of the page size (${PAGE_SIZE})`);
    }
    if (blockSize < frameSize + BLOCK_DESC_SIZE) {
      throw new RingGeometryError(`blockSize ${blockSize} is too small for a frame of ${frameSize} bytes (snaplen ${snaplen})`);
    }
  } else {
    // As libpcap: the smallest power-of-two number of pages that holds one frame.
    while (blockSize < frameSize + BLOCK_DESC_SIZE) blockSize *= 2;
  }
  const blockCount = Math.max(1, Math.floor(bufferSize / blockSize));
  const framesPerBlock = Math.floor(blockSize / frameSize);
  return { blockSize, blockCount, frameSize, frameCount: framesPerBlock * blockCount, blockTimeoutMs };
}

/**
 * `struct tpacket_req3` for PACKET_RX_RING.
 *
 * @example
 * setsockopt(fd, SOL_PACKET, PACKET_RX_RING, tpacketReq3(geometry));
 */
export function tpacketReq3(g: RingGeometry): Uint8Array {
  const b = new Uint8Array(28);
  const v = new DataView(b.buffer);
  v.setUint32(0, g.blockSize, true);
  v.setUint32(4, g.blockCount, true);
  v.setUint32(8, g.frameSize, true);
  v.setUint32(12, g.frameCount, true);
  v.setUint32(16, g.blockTimeoutMs, true);
  v.setUint32(20, 0, true); // tp_sizeof_priv
  v.setUint32(24, 0, true); // tp_feature_req_word
  return b;
}
