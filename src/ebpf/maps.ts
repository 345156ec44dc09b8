/**
 * Array and per-CPU array maps through bpf(2): BPF_MAP_CREATE, and element
 * lookup and update from Node. A per-CPU map holds one value per possible CPU;
 * a lookup returns them all (the kernel rounds each to 8 bytes).
 */
import { readFileSync } from 'node:fs';
import { bpf, close } from '../capture/syscalls.js';
import { BpfAttr, kernelBuffer, kernelCopy } from './attr.js';
import { BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY } from './opcodes.js';

export const BPF_MAP_CREATE = 0;
export const BPF_MAP_LOOKUP_ELEM = 1;
export const BPF_MAP_UPDATE_ELEM = 2;

/** The kinds of map bpfkit creates. */
export type MapKind = 'array' | 'percpu_array';

/** What to create. Keys of array maps are u32 indices. */
export interface MapSpec {
  kind: MapKind;
  /** Bytes per value. */
  valueSize: number;
  maxEntries: number;
  /** Name shown by bpftool (at most 15 characters). */
  name?: string;
}

/**
 * Number of possible CPUs (the kernel's nr_cpu_ids view of /sys/devices/system/cpu/possible),
 * which sizes per-CPU values.
 *
 * @example
 * possibleCpus() // 2 on a two-core machine
 */
export function possibleCpus(): number {
  const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
  let max = 0;
  for (const part of text.split(',')) {
    const [a, b] = part.split('-').map(Number);
    max = Math.max(max, (b ?? a) + 1);
  }
  return max;
}

/**
 * An array or per-CPU array map in the kernel.
 *
 * @example
 * const counters = BpfMap.create({ kind: 'percpu_array', valueSize: 8, maxEntries: 2 });
 * counters.sumU64(1); // total of entry 1 over all CPUs
 * counters.close();
 */
export class BpfMap {
  private open = true;
  private constructor(readonly fd: number, readonly spec: MapSpec, readonly cpus: number) {}

  /** Creates a map with BPF_MAP_CREATE. */
  static create(spec: MapSpec): BpfMap {
    if (!Number.isInteger(spec.valueSize) || spec.valueSize <= 0) throw new RangeError(`map value size ${spec.valueSize} must be a positive integer`);
    if (!Number.isInteger(spec.maxEntries) || spec.maxEntries <= 0) throw new RangeError(`map max entries ${spec.maxEntries} must be a positive integer`);
    const attr = new BpfAttr()
      .u32(0, spec.kind === 'array' ? BPF_MAP_TYPE_ARRAY : BPF_MAP_TYPE_PERCPU_ARRAY)
      .u32(4, 4)
      .u32(8, spec.valueSize)
      .u32(12, spec.maxEntries)
      .string(28, (spec.name ?? 'bpfkit').replace(/[^A-Za-z0-9_.]/g, '_'), 16);
    const fd = bpf(BPF_MAP_CREATE, attr.bytes);
    return new BpfMap(fd, spec, spec.kind === 'percpu_array' ? possibleCpus() : 1);
  }

  /** Bytes one lookup returns: the value, or one 8-byte-aligned value per possible CPU. */
  get lookupSize(): number {
    return this.spec.kind === 'percpu_array' ? Math.ceil(this.spec.valueSize / 8) * 8 * this.cpus : this.spec.valueSize;
  }

  /**
   * The value at `index` (for a per-CPU map, every CPU's value, each padded to 8 bytes).
   *
   * @example
   * const bytes = map.lookup(0);
   */
  lookup(index: number): Uint8Array {
    this.checkIndex(index);
    const key = kernelBuffer(4);
    new DataView(key.buffer, key.byteOffset).setUint32(0, index, true);
    const value = kernelBuffer(this.lookupSize);
    bpf(BPF_MAP_LOOKUP_ELEM, new BpfAttr().u32(0, this.fd).pointer(8, key).pointer(16, value).bytes);
    return value.slice();
  }

  /**
   * Writes the value at `index` (for a per-CPU map, `value` holds every CPU's value as lookup returns them).
   *
   * @example
   * map.update(0, new Uint8Array(map.lookupSize)); // zero it
   */
  update(index: number, value: Uint8Array): void {
    this.checkIndex(index);
    if (value.length !== this.lookupSize) throw new RangeError(`map value must be ${this.lookupSize} bytes, not ${value.length}`);
    const key = kernelBuffer(4);
    new DataView(key.buffer, key.byteOffset).setUint32(0, index, true);
    bpf(BPF_MAP_UPDATE_ELEM, new BpfAttr().u32(0, this.fd).pointer(8, key).pointer(16, kernelCopy(value)).bytes);
  }

  /**
   * Entry `index` read as a u64 per CPU (one element for a plain array).
   *
   * @example
   * map.u64PerCpu(1) // [12n, 30n]
   */
  u64PerCpu(index: number): bigint[] {
    const bytes = this.lookup(index);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const stride = this.spec.kind === 'percpu_array' ? Math.ceil(this.spec.valueSize / 8) * 8 : this.spec.valueSize;
    return Array.from({ length: this.cpus }, (_, cpu) => view.getBigUint64(cpu * stride, true));
  }

  /**
   * Entry `index` read as a u64, summed over CPUs.
   *
   * @example
   * map.sumU64(1) // 42n
   */
  sumU64(index: number): bigint {
    return this.u64PerCpu(index).reduce((a, b) => a + b, 0n);
  }

  /** Releases the map's descriptor. @example map.close() */
  close(): void {
    if (this.open) { this.open = false; close(this.fd); }
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.spec.maxEntries) {
      throw new RangeError(`map index ${index} is not 0..${this.spec.maxEntries - 1}`);
    }
  }
}
