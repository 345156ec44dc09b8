/**
 * Building `union bpf_attr` for the bpf(2) system call: a zeroed buffer with
 * typed setters at the byte offsets of include/uapi/linux/bpf.h, and the
 * kernel-visible buffers its pointer fields point to. The attr object holds
 * every buffer it points to, so they live as long as the call needs them.
 */
import { addressOf } from '../capture/syscalls.js';

/** Size of the attr buffers bpfkit passes: larger than every command's struct it uses; the kernel accepts zeroed tails. */
export const ATTR_SIZE = 128;

/**
 * A zeroed buffer with its own (off-heap, never moved) memory, safe to hand to the kernel by address.
 *
 * @example
 * const log = kernelBuffer(1 << 20);
 */
export function kernelBuffer(size: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(Math.max(size, 1));
  b.fill(0);
  return new Uint8Array(b.buffer, b.byteOffset, size);
}

/**
 * One `union bpf_attr` being filled in.
 *
 * @example
 * const attr = new BpfAttr();
 * attr.u32(0, progFd).pointer(16, packet).u32(8, packet.length);
 * bpf(BPF_PROG_TEST_RUN, attr.bytes);
 */
export class BpfAttr {
  readonly bytes = kernelBuffer(ATTR_SIZE);
  private readonly view = new DataView(this.bytes.buffer, this.bytes.byteOffset, ATTR_SIZE);
  private readonly held: Uint8Array[] = [];

  /** Sets a __u32 field. */
  u32(offset: number, value: number): this {
    this.view.setUint32(offset, value >>> 0, true);
    return this;
  }

  /** Sets a __u64 field. */
  u64(offset: number, value: bigint): this {
    this.view.setBigUint64(offset, BigInt.asUintN(64, value), true);
    return this;
  }

  /** Sets an __aligned_u64 pointer field to `buffer`, which must come from kernelBuffer or kernelCopy. */
  pointer(offset: number, buffer: Uint8Array): this {
    this.held.push(buffer);
    return this.u64(offset, addressOf(buffer));
  }

  /** Sets a fixed-size char array (a name), NUL-padded. */
  string(offset: number, text: string, size: number): this {
    const bytes = new TextEncoder().encode(text).subarray(0, size - 1);
    this.bytes.set(bytes, offset);
    return this;
  }

  /** Reads back a __u32 field the kernel wrote. */
  readU32(offset: number): number {
    return this.view.getUint32(offset, true);
  }
}

/**
 * Copies bytes into kernel-safe memory (see kernelBuffer).
 *
 * @example
 * attr.pointer(16, kernelCopy(frame));
 */
export function kernelCopy(bytes: Uint8Array): Uint8Array {
  const out = kernelBuffer(bytes.length);
  out.set(bytes);
  return out;
}
