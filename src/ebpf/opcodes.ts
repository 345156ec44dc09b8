/**
 * eBPF's additions to the classic opcode vocabulary, with the names and values
 * of include/uapi/linux/bpf.h. Classes LD..JMP, sizes W/H/B, modes and the
 * shared ALU and jump operations keep their classic values (src/bpf/opcodes.ts);
 * only what eBPF adds is here.
 *
 * @example
 * import { BPF_ALU64, BPF_MOV, BPF_X } from 'bpfkit';
 * const movR6R1 = { code: BPF_ALU64 | BPF_MOV | BPF_X, dst: 6, src: 1, off: 0, imm: 0 };
 */

/** 32-bit jumps (compare the low halves of registers). */
export const BPF_JMP32 = 0x06;
/** 64-bit arithmetic (eBPF reuses classic's BPF_MISC class number). */
export const BPF_ALU64 = 0x07;

/** Double-word (64-bit) size. */
export const BPF_DW = 0x18;
/** Sign-extending load mode. */
export const BPF_MEMSX = 0x80;
/** Atomic memory operations (not produced or run by bpfkit; printed as such). */
export const BPF_ATOMIC = 0xc0;

export const BPF_MOV = 0xb0;
export const BPF_ARSH = 0xc0;
export const BPF_END = 0xd0;
/** Byte-order targets of BPF_END (in the source bit). */
export const BPF_TO_LE = 0x00;
export const BPF_TO_BE = 0x08;

export const BPF_JNE = 0x50;
export const BPF_JSGT = 0x60;
export const BPF_JSGE = 0x70;
export const BPF_CALL = 0x80;
export const BPF_EXIT = 0x90;
export const BPF_JLT = 0xa0;
export const BPF_JLE = 0xb0;
export const BPF_JSLT = 0xc0;
export const BPF_JSLE = 0xd0;

/** ld_imm64 with src_reg = BPF_PSEUDO_MAP_FD: imm is a map's file descriptor. */
export const BPF_PSEUDO_MAP_FD = 1;

/** The frame pointer register: read-only, points past the 512-byte stack. */
export const BPF_REG_FP = 10;
/** Bytes of stack an eBPF program may use (below r10). */
export const BPF_STACK_SIZE = 512;

/** Program types used by bpfkit (enum bpf_prog_type). */
export const BPF_PROG_TYPE_SOCKET_FILTER = 1;
export const BPF_PROG_TYPE_XDP = 6;

/** Map types used by bpfkit (enum bpf_map_type). */
export const BPF_MAP_TYPE_ARRAY = 2;
export const BPF_MAP_TYPE_PERCPU_ARRAY = 6;

/** enum bpf_attach_type value for XDP links. */
export const BPF_XDP = 37;

/** XDP verdicts (enum xdp_action). */
export const XDP_ABORTED = 0;
export const XDP_DROP = 1;
export const XDP_PASS = 2;
export const XDP_TX = 3;
export const XDP_REDIRECT = 4;

/** Helper function ids (enum bpf_func_id) that bpfkit calls, and their kernel names. */
export const BPF_FUNC_map_lookup_elem = 1;
export const BPF_FUNC_get_prandom_u32 = 7;
export const BPF_FUNC_get_smp_processor_id = 8;

/** Names of helpers as the verifier log prints them (`call bpf_map_lookup_elem#1`). */
export const HELPER_NAMES: Readonly<Record<number, string>> = Object.freeze({
  1: 'bpf_map_lookup_elem',
  2: 'bpf_map_update_elem',
  3: 'bpf_map_delete_elem',
  5: 'bpf_ktime_get_ns',
  6: 'bpf_trace_printk',
  7: 'bpf_get_prandom_u32',
  8: 'bpf_get_smp_processor_id',
  14: 'bpf_get_current_pid_tgid',
  26: 'bpf_skb_load_bytes',
  44: 'bpf_xdp_adjust_head',
});

/** Byte offsets of `struct __sk_buff` fields a socket filter may read. */
export const SKB_OFF = Object.freeze({
  len: 0, pkt_type: 4, mark: 8, queue_mapping: 12, protocol: 16, vlan_present: 20,
  vlan_tci: 24, vlan_proto: 28, priority: 32, ingress_ifindex: 36, ifindex: 40,
  tc_index: 44, cb: 48, hash: 68,
});
/** Size of `struct __sk_buff` that bpfkit models. */
export const SKB_SIZE = 192;

/** Byte offsets of `struct xdp_md`. */
export const XDP_MD_OFF = Object.freeze({
  data: 0, data_end: 4, data_meta: 8, ingress_ifindex: 12, rx_queue_index: 16, egress_ifindex: 20,
});
/** Size of `struct xdp_md`. */
export const XDP_MD_SIZE = 24;
