/**
 * An eBPF interpreter for socket-filter and XDP programs, so that translated
 * programs can be checked without root and without a kernel. It follows the
 * instruction-set document (64-bit registers, 32-bit ALU zero-extends,
 * division by zero gives 0, modulo by zero keeps dst, shift counts masked) and
 * the kernel's runtime for LD_ABS/LD_IND (out of the packet: the program
 * returns 0). It is not a verifier: an access the verifier would refuse (out
 * of a region, through a non-pointer) stops the run with an
 * EbpfRuntimeError naming the instruction.
 */
import {
  BPF_ALU, BPF_JMP, BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_IMM, BPF_MEM, BPF_ABS, BPF_IND,
  BPF_W, BPF_H, BPF_B, BPF_X, BPF_JA, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET,
  BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR,
} from '../bpf/opcodes.js';
import { negativeOffsetPosition, type AncillaryContext } from '../bpf/context.js';
import {
  BPF_ALU64, BPF_ARSH, BPF_CALL, BPF_DW, BPF_END, BPF_EXIT, BPF_JLE, BPF_JLT, BPF_JMP32, BPF_JNE,
  BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_MEMSX, BPF_MOV, BPF_PSEUDO_MAP_FD, BPF_STACK_SIZE,
  BPF_FUNC_get_prandom_u32, BPF_FUNC_get_smp_processor_id, BPF_FUNC_map_lookup_elem,
  SKB_OFF, SKB_SIZE, XDP_MD_OFF, XDP_MD_SIZE,
} from './opcodes.js';
import { ldImm64Value, type EbpfProgram } from './insn.js';

/**
 * A program did something the verifier would have refused; names the instruction.
 *
 * @example
 * try { runEbpf(parseEbpf('r0 = *(u8 *)(r0 +0)\nexit'), frame, { context: 'xdp' }); }
 * catch (e) { (e as EbpfRuntimeError).index } // 0
 */
export class EbpfRuntimeError extends Error {
  constructor(readonly index: number, reason: string) {
    super(`eBPF instruction ${index}: ${reason}`);
    this.name = 'EbpfRuntimeError';
  }
}

/** An array map as the interpreter sees it: one value buffer per index (one CPU). */
export interface ArrayMapModel {
  readonly valueSize: number;
  readonly values: Uint8Array[];
}

/**
 * A zeroed array map model for the interpreter.
 *
 * @example
 * const counters = arrayMapModel(8, 2);
 * runEbpf(prog, frame, { context: 'xdp', maps: new Map([[counterFd, counters]]) });
 */
export function arrayMapModel(valueSize: number, maxEntries: number): ArrayMapModel {
  return { valueSize, values: Array.from({ length: maxEntries }, () => new Uint8Array(valueSize)) };
}

/** How to run an eBPF program. */
export interface EbpfRunOptions {
  /** The program type whose context r1 points to. */
  context: 'socket' | 'xdp';
  /** skb->len for socket filters; defaults to the packet's length. */
  wireLength?: number;
  /** Socket-buffer metadata for a socket filter's `__sk_buff` (and cpu/random for helpers). */
  skb?: AncillaryContext;
  /** xdp_md.ingress_ifindex and rx_queue_index. */
  xdp?: { ifindex?: number; rxQueue?: number };
  /** Maps by the file descriptor the program's ld_imm64 names. */
  maps?: ReadonlyMap<number, ArrayMapModel>;
  /** Stop with an error after this many instructions (default 1,000,000, the kernel's complexity limit). */
  maxSteps?: number;
}

interface Region {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly writable: boolean;
  readonly map?: ArrayMapModel;
}

const M32 = 0xffffffffn;
const REGION_SHIFT = 32n;
const CTX = 1, PACKET = 2, STACK = 3, FIRST_DYNAMIC = 4;

/**
 * Runs `prog` over one packet and returns r0's low 32 bits: for a socket
 * filter the bytes to keep (0 = drop), for XDP the action.
 *
 * @example
 * runEbpf(translate(compile('tcp'), { target: 'socket' }), frame, { context: 'socket' }) // 262144 or 0
 */
export function runEbpf(prog: EbpfProgram, packet: Uint8Array, options: EbpfRunOptions): number {
  const regions: Region[] = [];
  regions[PACKET] = { name: 'packet', bytes: packet, writable: options.context === 'xdp' };
  regions[STACK] = { name: 'stack', bytes: new Uint8Array(BPF_STACK_SIZE), writable: true };
  const skb = options.skb ?? {};
  if (options.context === 'socket') {
    regions[CTX] = { name: '__sk_buff', bytes: skbBytes(options.wireLength ?? packet.length, skb), writable: false };
  } else {
    regions[CTX] = { name: 'xdp_md', bytes: new Uint8Array(XDP_MD_SIZE), writable: false };
  }
  const mapRegions = new Map<number, number>();
  const valueRegions = new Map<Uint8Array, number>();
  const pointer = (region: number, offset: number): bigint => (BigInt(region) << REGION_SHIFT) + BigInt(offset);
  const regs: bigint[] = new Array(11).fill(0n);
  regs[1] = pointer(CTX, 0);
  regs[10] = pointer(STACK, BPF_STACK_SIZE);
  const maxSteps = options.maxSteps ?? 1_000_000;

  const resolve = (pc: number, addr: bigint, size: number, write: boolean): { region: Region; offset: number } => {
    const id = Number(addr >> REGION_SHIFT);
    const region = regions[id];
    const offset = Number(addr & M32);
    if (!region || region.map) throw new EbpfRuntimeError(pc, `${write ? 'write to' : 'read from'} 0x${addr.toString(16)}, which is not a pointer`);
    if (offset + size > region.bytes.length) {
      throw new EbpfRuntimeError(pc, `${size}-byte ${write ? 'write' : 'read'} at ${region.name}+${offset} is outside its ${region.bytes.length} bytes`);
    }
    if (write && !region.writable) throw new EbpfRuntimeError(pc, `${region.name} is read-only`);
    return { region, offset };
  };
  const load = (pc: number, addr: bigint, size: number): bigint => {
    const { region, offset } = resolve(pc, addr, size, false);
    if (Number(addr >> REGION_SHIFT) === CTX && options.context === 'xdp') return xdpField(pc, offset, size);
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(region.bytes[offset + i]);
    return v;
  };
  const store = (pc: number, addr: bigint, size: number, value: bigint): void => {
    const { region, offset } = resolve(pc, addr, size, true);
    for (let i = 0; i < size; i++) region.bytes[offset + i] = Number((value >> BigInt(8 * i)) & 0xffn);
  };
  const xdpField = (pc: number, offset: number, size: number): bigint => {
    if (size !== 4) throw new EbpfRuntimeError(pc, `xdp_md fields are read as u32, not ${size} bytes`);
    switch (offset) {
      case XDP_MD_OFF.data: case XDP_MD_OFF.data_meta: return pointer(PACKET, 0);
      case XDP_MD_OFF.data_end: return pointer(PACKET, packet.length);
      case XDP_MD_OFF.ingress_ifindex: return BigInt((options.xdp?.ifindex ?? 0) >>> 0);
      case XDP_MD_OFF.rx_queue_index: return BigInt((options.xdp?.rxQueue ?? 0) >>> 0);
      default: throw new EbpfRuntimeError(pc, `xdp_md has no readable field at offset ${offset}`);
    }
  };
  // LD_ABS/LD_IND: the kernel's bpf_skb_load_helper_{8,16,32}; undefined when outside the packet.
  const skbLoad = (offset: number, size: number): bigint | undefined => {
    // The kernel's helper reads negative offsets as the classic engines do.
    const at = offset >= 0 ? offset : negativeOffsetPosition(offset, skb);
    if (at < 0 || at + size > packet.length) return undefined;
    let v = 0n;
    for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(packet[at + i]);
    return v;
  };
  const helper = (pc: number, id: number): bigint => {
    switch (id) {
      case BPF_FUNC_map_lookup_elem: {
        const mapId = Number(regs[1] >> REGION_SHIFT);
        const map = regions[mapId]?.map;
        if (!map || (regs[1] & M32) !== 0n) throw new EbpfRuntimeError(pc, 'bpf_map_lookup_elem: r1 is not a map');
        const key = Number(load(pc, regs[2], 4));
        const value = map.values[key];
        if (!value) return 0n;
        let region = valueRegions.get(value);
        if (region === undefined) {
          region = regions.length;
          regions.push({ name: `map value ${key}`, bytes: value, writable: true });
          valueRegions.set(value, region);
        }
        return pointer(region, 0);
      }
      case BPF_FUNC_get_prandom_u32:
        return BigInt((skb.random ? skb.random() : Math.floor(Math.random() * 0x100000000)) >>> 0);
      case BPF_FUNC_get_smp_processor_id:
        return BigInt((skb.cpu ?? 0) >>> 0);
      default:
        throw new EbpfRuntimeError(pc, `helper #${id} is not modelled by the interpreter`);
    }
  };

  let pc = 0;
  for (let steps = 0; ; steps++) {
    if (steps >= maxSteps) throw new EbpfRuntimeError(pc, `no exit after ${maxSteps} instructions`);
    const x = prog[pc];
    if (x === undefined) throw new EbpfRuntimeError(pc, 'fell off the end of the program');
    const cls = x.code & 0x07;
    const op = x.code & 0xf0;
    const useX = (x.code & 0x08) === BPF_X;
    switch (cls) {
      case BPF_ALU:
      case BPF_ALU64: {
        const wide = cls === BPF_ALU64;
        if (op === BPF_END) {
          regs[x.dst] = byteSwap(regs[x.dst], x.imm, wide || useX /* to big endian on a little-endian host */, pc);
          break;
        }
        const d = wide ? regs[x.dst] : regs[x.dst] & M32;
        let s = useX ? regs[x.src] : BigInt.asUintN(64, BigInt(x.imm));
        if (!wide) s &= M32;
        const bits = wide ? 64 : 32;
        const mask = wide ? 63n : 31n;
        const signedOp = x.off === 1;
        let r: bigint;
        switch (op) {
          case BPF_ADD: r = d + s; break;
          case BPF_SUB: r = d - s; break;
          case BPF_MUL: r = d * s; break;
          case BPF_DIV:
            if (s === 0n) r = 0n;
            else r = signedOp ? BigInt.asIntN(bits, d) / BigInt.asIntN(bits, s) : d / s;
            break;
          case BPF_MOD:
            if (s === 0n) r = d;
            else r = signedOp ? BigInt.asIntN(bits, d) % BigInt.asIntN(bits, s) : d % s;
            break;
          case BPF_OR: r = d | s; break;
          case BPF_AND: r = d & s; break;
          case BPF_XOR: r = d ^ s; break;
          case BPF_LSH: r = d << (s & mask); break;
          case BPF_RSH: r = d >> (s & mask); break;
          case BPF_ARSH: r = BigInt.asIntN(bits, d) >> (s & mask); break;
          case BPF_NEG: r = -d; break;
          case BPF_MOV: r = useX && x.off !== 0 ? BigInt.asIntN(x.off, regs[x.src]) : s; break;
          default: throw new EbpfRuntimeError(pc, `unknown ALU operation 0x${op.toString(16)}`);
        }
        regs[x.dst] = BigInt.asUintN(bits, r);
        break;
      }
      case BPF_LDX: {
        const size = sizeBytes(x.code, pc);
        const mode = x.code & 0xe0;
        if (mode !== BPF_MEM && mode !== BPF_MEMSX) throw new EbpfRuntimeError(pc, `unknown load mode 0x${mode.toString(16)}`);
        const v = load(pc, BigInt.asUintN(64, regs[x.src] + BigInt(x.off)), size);
        regs[x.dst] = mode === BPF_MEMSX ? BigInt.asUintN(64, BigInt.asIntN(size * 8, v)) : v;
        break;
      }
      case BPF_ST:
      case BPF_STX: {
        if ((x.code & 0xe0) !== BPF_MEM) throw new EbpfRuntimeError(pc, 'atomic and other store modes are not modelled');
        const size = sizeBytes(x.code, pc);
        const value = cls === BPF_STX ? regs[x.src] : BigInt.asUintN(64, BigInt(x.imm));
        store(pc, BigInt.asUintN(64, regs[x.dst] + BigInt(x.off)), size, value);
        break;
      }
      case BPF_LD: {
        const mode = x.code & 0xe0;
        if (mode === BPF_IMM && (x.code & 0x18) === BPF_DW) {
          if (x.src === BPF_PSEUDO_MAP_FD) {
            const map = options.maps?.get(x.imm);
            if (!map) throw new EbpfRuntimeError(pc, `no map with fd ${x.imm} was given to the interpreter`);
            let region = mapRegions.get(x.imm);
            if (region === undefined) {
              region = Math.max(regions.length, FIRST_DYNAMIC);
              regions[region] = { name: `map fd ${x.imm}`, bytes: new Uint8Array(0), writable: false, map };
              mapRegions.set(x.imm, region);
            }
            regs[x.dst] = pointer(region, 0);
          } else if (x.src === 0) {
            regs[x.dst] = ldImm64Value(prog, pc);
          } else {
            throw new EbpfRuntimeError(pc, `ld_imm64 pseudo source ${x.src} is not modelled`);
          }
          pc += 2;
          continue;
        }
        if (mode === BPF_ABS || mode === BPF_IND) {
          if (options.context !== 'socket') throw new EbpfRuntimeError(pc, 'LD_ABS/LD_IND exist only for socket filters');
          const size = sizeBytes(x.code, pc);
          const offset = mode === BPF_ABS ? x.imm : Number(BigInt.asIntN(32, regs[x.src] + BigInt(x.imm)));
          const v = skbLoad(offset, size);
          if (v === undefined) return 0;
          regs[0] = v;
          break;
        }
        throw new EbpfRuntimeError(pc, `unknown BPF_LD mode 0x${mode.toString(16)}`);
      }
      case BPF_JMP:
      case BPF_JMP32: {
        if (op === BPF_EXIT && cls === BPF_JMP) return Number(regs[0] & M32);
        if (op === BPF_CALL && cls === BPF_JMP) {
          if (x.src !== 0) throw new EbpfRuntimeError(pc, 'bpf-to-bpf calls are not modelled');
          regs[0] = helper(pc, x.imm);
          break;
        }
        if (op === BPF_JA) {
          pc += 1 + (cls === BPF_JMP ? x.off : x.imm);
          continue;
        }
        const wide = cls === BPF_JMP;
        const bits = wide ? 64 : 32;
        let d = regs[x.dst];
        let s = useX ? regs[x.src] : BigInt.asUintN(64, BigInt(x.imm));
        if (!wide) { d &= M32; s &= M32; }
        let taken: boolean;
        switch (op) {
          case BPF_JEQ: taken = d === s; break;
          case BPF_JNE: taken = d !== s; break;
          case BPF_JGT: taken = d > s; break;
          case BPF_JGE: taken = d >= s; break;
          case BPF_JLT: taken = d < s; break;
          case BPF_JLE: taken = d <= s; break;
          case BPF_JSET: taken = (d & s) !== 0n; break;
          case BPF_JSGT: taken = BigInt.asIntN(bits, d) > BigInt.asIntN(bits, s); break;
          case BPF_JSGE: taken = BigInt.asIntN(bits, d) >= BigInt.asIntN(bits, s); break;
          case BPF_JSLT: taken = BigInt.asIntN(bits, d) < BigInt.asIntN(bits, s); break;
          case BPF_JSLE: taken = BigInt.asIntN(bits, d) <= BigInt.asIntN(bits, s); break;
          default: throw new EbpfRuntimeError(pc, `unknown jump operation 0x${op.toString(16)}`);
        }
        pc += taken ? 1 + x.off : 1;
        continue;
      }
      default:
        throw new EbpfRuntimeError(pc, `unknown instruction class ${cls}`);
    }
    pc++;
  }
}

function sizeBytes(code: number, pc: number): number {
  switch (code & 0x18) {
    case BPF_W: return 4;
    case BPF_H: return 2;
    case BPF_B: return 1;
    case BPF_DW: return 8;
  }
  throw new EbpfRuntimeError(pc, 'bad size');
}

// BPF_END: `swap` is true for to-big-endian on this little-endian machine and for ALU64 bswap.
function byteSwap(v: bigint, bits: number, swap: boolean, pc: number): bigint {
  if (bits !== 16 && bits !== 32 && bits !== 64) throw new EbpfRuntimeError(pc, `byte swap of ${bits} bits`);
  const n = BigInt.asUintN(bits, v);
  if (!swap) return n;
  let out = 0n;
  for (let i = 0; i < bits / 8; i++) out = (out << 8n) | ((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** The `struct __sk_buff` a socket filter reads, filled from the packet and its metadata. */
function skbBytes(wireLength: number, skb: AncillaryContext): Uint8Array {
  const bytes = new Uint8Array(SKB_SIZE);
  const v = new DataView(bytes.buffer);
  v.setUint32(SKB_OFF.len, wireLength >>> 0, true);
  v.setUint32(SKB_OFF.pkt_type, (skb.pktType ?? 0) & 7, true);
  v.setUint32(SKB_OFF.mark, (skb.mark ?? 0) >>> 0, true);
  v.setUint32(SKB_OFF.queue_mapping, (skb.queue ?? 0) & 0xffff, true);
  // protocol and vlan_proto hold the network-order u16 as the kernel stores it.
  v.setUint16(SKB_OFF.protocol, (skb.protocol ?? 0) & 0xffff, false);
  v.setUint32(SKB_OFF.vlan_present, skb.vlanTagPresent ? 1 : 0, true);
  v.setUint32(SKB_OFF.vlan_tci, (skb.vlanTag ?? 0) & 0xffff, true);
  v.setUint16(SKB_OFF.vlan_proto, (skb.vlanTpid ?? 0) & 0xffff, false);
  v.setUint32(SKB_OFF.ifindex, (skb.ifindex ?? 0) >>> 0, true);
  v.setUint32(SKB_OFF.ingress_ifindex, (skb.ifindex ?? 0) >>> 0, true);
  v.setUint32(SKB_OFF.hash, (skb.rxhash ?? 0) >>> 0, true);
  return bytes;
}
