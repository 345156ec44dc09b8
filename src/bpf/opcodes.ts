/**
 * Classic BPF opcode fields, exactly as in <linux/filter.h> and <pcap/bpf.h>.
 *
 * An opcode is a 16-bit number assembled from a class, and then per class a
 * size/mode, an operation and a source. These constants are the vocabulary of
 * every other module in `bpf/`.
 *
 * @example
 * import { BPF_LD, BPF_H, BPF_ABS } from 'bpfkit';
 * const ldh12 = { code: BPF_LD | BPF_H | BPF_ABS, jt: 0, jf: 0, k: 12 };
 */

// Instruction classes (low three bits).
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;

// Load sizes.
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;

// Load modes.
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_LEN = 0x80;
export const BPF_MSH = 0xa0;

// ALU operations.
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;

// Jump operations.
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;

// Operand source.
export const BPF_K = 0x00;
export const BPF_X = 0x08;

// Return value source (BPF_RET), and BPF_MISC operations.
export const BPF_A = 0x10;
export const BPF_TAX = 0x00;
export const BPF_TXA = 0x80;

/** Number of scratch memory words M[0..15]. */
export const BPF_MEMWORDS = 16;
/** Largest Program the Linux kernel accepts for a socket filter (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

/** Field extractors, as the BPF_CLASS()/BPF_SIZE()/... macros. */
export const bpfClass = (code: number): number => code & 0x07;
export const bpfSize = (code: number): number => code & 0x18;
export const bpfMode = (code: number): number => code & 0xe0;
export const bpfOp = (code: number): number => code & 0xf0;
export const bpfSrc = (code: number): number => code & 0x08;
export const bpfRval = (code: number): number => code & 0x18;
export const bpfMiscOp = (code: number): number => code & 0xf8;

/**
 * Linux ancillary data: an absolute load at SKF_AD_OFF + n reads metadata of
 * the socket buffer instead of packet bytes (see Documentation/networking/filter.rst).
 */
export const SKF_AD_OFF = -0x1000;
export const SKF_AD_PROTOCOL = 0;
export const SKF_AD_PKTTYPE = 4;
export const SKF_AD_IFINDEX = 8;
export const SKF_AD_NLATTR = 12;
export const SKF_AD_NLATTR_NEST = 16;
export const SKF_AD_MARK = 20;
export const SKF_AD_QUEUE = 24;
export const SKF_AD_HATYPE = 28;
export const SKF_AD_RXHASH = 32;
export const SKF_AD_CPU = 36;
export const SKF_AD_ALU_XOR_X = 40;
export const SKF_AD_VLAN_TAG = 44;
export const SKF_AD_VLAN_TAG_PRESENT = 48;
export const SKF_AD_PAY_OFFSET = 52;
export const SKF_AD_RANDOM = 56;
export const SKF_AD_VLAN_TPID = 60;
export const SKF_AD_MAX = 64;

/** Negative offsets that address from the network header or the link header (Linux). */
export const SKF_NET_OFF = -0x100000;
export const SKF_LL_OFF = -0x200000;

/**
 * Short names of the ancillary fields by offset from SKF_AD_OFF, for messages.
 * The names each text format prints differ slightly: see IMAGE_ANCILLARY_NAMES
 * (libpcap's bpf_image: `random`, `vlanp`) and the bpf_asm printer (`rand`, `vlan_pr`).
 */
export const ANCILLARY_NAMES: Readonly<Record<number, string>> = Object.freeze({
  [SKF_AD_PROTOCOL]: 'proto',
  [SKF_AD_PKTTYPE]: 'type',
  [SKF_AD_IFINDEX]: 'ifidx',
  [SKF_AD_NLATTR]: 'nla',
  [SKF_AD_NLATTR_NEST]: 'nlan',
  [SKF_AD_MARK]: 'mark',
  [SKF_AD_QUEUE]: 'queue',
  [SKF_AD_HATYPE]: 'hatype',
  [SKF_AD_RXHASH]: 'rxhash',
  [SKF_AD_CPU]: 'cpu',
  [SKF_AD_ALU_XOR_X]: 'xor_x',
  [SKF_AD_VLAN_TAG]: 'vlan_tci',
  [SKF_AD_VLAN_TAG_PRESENT]: 'vlanp',
  [SKF_AD_PAY_OFFSET]: 'poff',
  [SKF_AD_RANDOM]: 'rand',
  [SKF_AD_VLAN_TPID]: 'vlan_tpid',
});
