/**
 * eBPF instructions as the kernel's verifier log writes them
 * (kernel/bpf/disasm.c): `r0 = *(u16 *)(r1 +12)`, `if w0 != 0x800 goto pc+3`,
 * `exit`. Every instruction prints itself and parses back to the same slots,
 * so verifier logs, tests and documentation all read one language.
 */
import {
  BPF_ALU, BPF_JMP, BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_IMM, BPF_MEM, BPF_ABS, BPF_IND,
  BPF_W, BPF_H, BPF_B, BPF_X, BPF_K, BPF_JA, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET,
  BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR,
} from '../bpf/opcodes.js';
import {
  BPF_ALU64, BPF_ARSH, BPF_CALL, BPF_DW, BPF_END, BPF_EXIT, BPF_JLE, BPF_JLT, BPF_JMP32, BPF_JNE,
  BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_MEMSX, BPF_MOV, BPF_PSEUDO_MAP_FD, BPF_TO_BE, HELPER_NAMES,
} from './opcodes.js';
import { ebpfInsn, isLdImm64, ldImm64, ldImm64Value, type EbpfInstruction, type EbpfProgram } from './insn.js';

/**
 * Thrown when text is not an eBPF instruction: names the line and what is wrong.
 *
 * @example
 * try { parseEbpf('r0 = 1\nr0 = frob r1'); } catch (e) { (e as EbpfParseError).line } // 2
 */
export class EbpfParseError extends Error {
  constructor(readonly line: number, readonly text: string, reason: string) {
    super(`line ${line}: ${reason}: ${JSON.stringify(text)}`);
    this.name = 'EbpfParseError';
  }
}

const ALU_OPS: Record<number, string> = {
  [BPF_ADD]: '+=', [BPF_SUB]: '-=', [BPF_MUL]: '*=', [BPF_DIV]: '/=', [BPF_OR]: '|=', [BPF_AND]: '&=',
  [BPF_LSH]: '<<=', [BPF_RSH]: '>>=', [BPF_MOD]: '%=', [BPF_XOR]: '^=', [BPF_MOV]: '=', [BPF_ARSH]: 's>>=',
};
const JMP_OPS: Record<number, string> = {
  [BPF_JEQ]: '==', [BPF_JGT]: '>', [BPF_JGE]: '>=', [BPF_JSET]: '&', [BPF_JNE]: '!=', [BPF_JSGT]: 's>',
  [BPF_JSGE]: 's>=', [BPF_JLT]: '<', [BPF_JLE]: '<=', [BPF_JSLT]: 's<', [BPF_JSLE]: 's<=',
};
const SIZE_NAMES: Record<number, string> = { [BPF_W]: 'u32', [BPF_H]: 'u16', [BPF_B]: 'u8', [BPF_DW]: 'u64' };
const SIGNED_SIZE_NAMES: Record<number, string> = { [BPF_W]: 's32', [BPF_H]: 's16', [BPF_B]: 's8' };

const signed = (n: number): string => (n >= 0 ? `+${n}` : `${n}`);
const hex32 = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/**
 * The verifier-log text of slot `i` (without the `i: (code)` prefix). Slot
 * `i` must start an instruction: the second slot of an ld_imm64 has no text
 * of its own (disassembleEbpf skips it).
 *
 * @example
 * formatEbpfInstruction([ldxMem(BPF_H, 0, 1, 12)], 0) // 'r0 = *(u16 *)(r1 +12)'
 */
export function formatEbpfInstruction(prog: EbpfProgram, i: number): string {
  const x = prog[i];
  const cls = x.code & 0x07;
  const op = x.code & 0xf0;
  const size = x.code & 0x18;
  const mode = x.code & 0xe0;
  const isX = (x.code & 0x08) === BPF_X;
  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64: {
      const r = cls === BPF_ALU64 ? 'r' : 'w';
      if (op === BPF_END) {
        if (cls === BPF_ALU64) return `r${x.dst} = bswap${x.imm} r${x.dst}`;
        return `r${x.dst} = ${isX ? 'be' : 'le'}${x.imm} r${x.dst}`;
      }
      if (op === BPF_NEG) return `${r}${x.dst} = -${r}${x.dst}`;
      const name = ALU_OPS[op];
      if (name === undefined) return unknown(x);
      const sname = (op === BPF_DIV || op === BPF_MOD) && x.off === 1 ? `s${name}` : name;
      if (isX) {
        if (op === BPF_MOV && x.off !== 0) return `${r}${x.dst} = (s${x.off})${r}${x.src}`;
        return `${r}${x.dst} ${sname} ${r}${x.src}`;
      }
      return `${r}${x.dst} ${sname} ${x.imm}`;
    }
    case BPF_LDX:
      if (mode === BPF_MEM) return `r${x.dst} = *(${SIZE_NAMES[size]} *)(r${x.src} ${signed(x.off)})`;
      if (mode === BPF_MEMSX && SIGNED_SIZE_NAMES[size]) return `r${x.dst} = *(${SIGNED_SIZE_NAMES[size]} *)(r${x.src} ${signed(x.off)})`;
      return unknown(x);
    case BPF_STX:
      if (mode === BPF_MEM) return `*(${SIZE_NAMES[size]} *)(r${x.dst} ${signed(x.off)}) = r${x.src}`;
      return unknown(x);
    case BPF_ST:
      if (mode === BPF_MEM) return `*(${SIZE_NAMES[size]} *)(r${x.dst} ${signed(x.off)}) = ${x.imm}`;
      return unknown(x);
    case BPF_LD:
      if (mode === BPF_ABS && size !== BPF_DW) return `r0 = *(${SIZE_NAMES[size]} *)skb[${x.imm}]`;
      if (mode === BPF_IND && size !== BPF_DW) return `r0 = *(${SIZE_NAMES[size]} *)skb[r${x.src} + ${x.imm}]`;
      if (isLdImm64(x)) {
        if (x.src === BPF_PSEUDO_MAP_FD) return `r${x.dst} = map[fd:${x.imm}]`;
        if (x.src !== 0) return unknown(x);
        return `r${x.dst} = 0x${ldImm64Value(prog, i).toString(16)}`;
      }
      return unknown(x);
    case BPF_JMP:
    case BPF_JMP32: {
      if (cls === BPF_JMP && op === BPF_EXIT) return 'exit';
      if (cls === BPF_JMP && op === BPF_CALL) {
        if (x.src === 1) return `call pc${signed(x.imm)}`;
        return `call ${HELPER_NAMES[x.imm] ?? 'unknown'}#${x.imm}`;
      }
      if (op === BPF_JA) return cls === BPF_JMP ? `goto pc${signed(x.off)}` : `gotol pc${signed(x.imm)}`;
      const name = JMP_OPS[op];
      if (name === undefined) return unknown(x);
      const r = cls === BPF_JMP ? 'r' : 'w';
      const rhs = isX ? `${r}${x.src}` : hex32(x.imm);
      return `if ${r}${x.dst} ${name} ${rhs} goto pc${signed(x.off)}`;
    }
  }
  return unknown(x);
}

function unknown(x: EbpfInstruction): string {
  return `.insn 0x${x.code.toString(16).padStart(2, '0')}, r${x.dst}, r${x.src}, ${x.off}, ${x.imm}`;
}

/**
 * The whole program as the verifier log lists it: `index: (code) text` per
 * instruction (an ld_imm64 takes two indices and one line).
 *
 * @example
 * disassembleEbpf([mov64Imm(0, 2), exit()])
 * // '0: (b7) r0 = 2\n1: (95) exit'
 */
export function disassembleEbpf(prog: EbpfProgram, options: { index?: boolean } = {}): string {
  const lines: string[] = [];
  for (let i = 0; i < prog.length; i++) {
    const text = formatEbpfInstruction(prog, i);
    const prefix = options.index === false ? '' : `${i}: (${prog[i].code.toString(16).padStart(2, '0')}) `;
    lines.push(prefix + text);
    if (isLdImm64(prog[i])) i++;
  }
  return lines.join('\n');
}

const REG = '([rw])(\\d+)';
const NUM = '(-?(?:0x[0-9a-fA-F]+|\\d+))';
const SIZE_BY_NAME: Record<string, number> = { u8: BPF_B, u16: BPF_H, u32: BPF_W, u64: BPF_DW, s8: BPF_B, s16: BPF_H, s32: BPF_W };
const ALU_BY_NAME = new Map(Object.entries(ALU_OPS).map(([k, v]) => [v, Number(k)]));
const JMP_BY_NAME = new Map(Object.entries(JMP_OPS).map(([k, v]) => [v, Number(k)]));
const HELPER_BY_NAME = new Map(Object.entries(HELPER_NAMES).map(([k, v]) => [v, Number(k)]));

function num(s: string): number {
  const neg = s.startsWith('-');
  const body = neg ? s.slice(1) : s;
  const v = body.startsWith('0x') || body.startsWith('0X') ? parseInt(body.slice(2), 16) : parseInt(body, 10);
  return neg ? -v : v;
}

type Form = [RegExp, (m: RegExpMatchArray) => EbpfInstruction[]];

const alu = (r: string) => (r === 'r' ? BPF_ALU64 : BPF_ALU);
const FORMS: Form[] = [
  [/^exit$/, () => [ebpfInsn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)]],
  [/^call pc([+-]\d+)$/, (m) => [ebpfInsn(BPF_JMP | BPF_CALL, 0, 1, 0, num(m[1]))]],
  [/^call (?:([a-z_0-9]+)#)?(\d+)$/, (m) => [ebpfInsn(BPF_JMP | BPF_CALL, 0, 0, 0, num(m[2]))]],
  [/^call ([a-z_0-9]+)$/, (m) => {
    const id = HELPER_BY_NAME.get(m[1]);
    if (id === undefined) throw new Error(`unknown helper ${m[1]}`);
    return [ebpfInsn(BPF_JMP | BPF_CALL, 0, 0, 0, id)];
  }],
  [/^goto pc([+-]\d+)$/, (m) => [ebpfInsn(BPF_JMP | BPF_JA, 0, 0, num(m[1]), 0)]],
  [/^gotol pc([+-]\d+)$/, (m) => [ebpfInsn(BPF_JMP32 | BPF_JA, 0, 0, 0, num(m[1]))]],
  [new RegExp(`^if ${REG} (==|!=|>=|<=|>|<|&|s>=|s<=|s>|s<) (?:${REG}|${NUM}) goto pc([+-]\\d+)$`), (m) => {
    const cls = m[1] === 'r' ? BPF_JMP : BPF_JMP32;
    const op = JMP_BY_NAME.get(m[3])!;
    if (m[4] !== undefined) return [ebpfInsn(cls | op | BPF_X, Number(m[2]), Number(m[5]), num(m[7]), 0)];
    return [ebpfInsn(cls | op | BPF_K, Number(m[2]), 0, num(m[7]), num(m[6]))];
  }],
  [new RegExp(`^r(\\d+) = \\*\\((u8|u16|u32|u64|s8|s16|s32) \\*\\)\\(r(\\d+) ?([+-]\\d+)\\)$`), (m) => {
    const mode = m[2].startsWith('s') ? BPF_MEMSX : BPF_MEM;
    return [ebpfInsn(BPF_LDX | mode | SIZE_BY_NAME[m[2]], Number(m[1]), Number(m[3]), num(m[4]), 0)];
  }],
  [/^r0 = \*\((u8|u16|u32) \*\)skb\[(-?\d+)\]$/, (m) => [ebpfInsn(BPF_LD | BPF_ABS | SIZE_BY_NAME[m[1]], 0, 0, 0, num(m[2]))]],
  [/^r0 = \*\((u8|u16|u32) \*\)skb\[r(\d+) \+ (-?\d+)\]$/, (m) => [ebpfInsn(BPF_LD | BPF_IND | SIZE_BY_NAME[m[1]], 0, Number(m[2]), 0, num(m[3]))]],
  [/^\*\((u8|u16|u32|u64) \*\)\(r(\d+) ?([+-]\d+)\) = r(\d+)$/, (m) => [ebpfInsn(BPF_STX | BPF_MEM | SIZE_BY_NAME[m[1]], Number(m[2]), Number(m[4]), num(m[3]), 0)]],
  [new RegExp(`^\\*\\((u8|u16|u32|u64) \\*\\)\\(r(\\d+) ?([+-]\\d+)\\) = ${NUM}$`), (m) => [ebpfInsn(BPF_ST | BPF_MEM | SIZE_BY_NAME[m[1]], Number(m[2]), 0, num(m[3]), num(m[4]))]],
  [/^r(\d+) = map\[(?:fd|id):(\d+)\]$/, (m) => ldImm64(Number(m[1]), BigInt(m[2]), BPF_PSEUDO_MAP_FD)],
  // The kernel prints a 64-bit immediate load in hex (llvm adds ` ll`); a 32-bit move in decimal.
  [/^r(\d+) = (0x[0-9a-fA-F]+)(?: ll)?$|^r(\d+) = (-?\d+) ll$/, (m) => ldImm64(Number(m[1] ?? m[3]), BigInt.asUintN(64, BigInt(m[2] ?? m[4])))],
  [/^r(\d+) = (be|le)(16|32|64) r(\d+)$/, (m) => [ebpfInsn(BPF_ALU | BPF_END | (m[2] === 'be' ? BPF_TO_BE : 0), Number(m[1]), 0, 0, Number(m[3]))]],
  [/^r(\d+) = bswap(16|32|64) r(\d+)$/, (m) => [ebpfInsn(BPF_ALU64 | BPF_END, Number(m[1]), 0, 0, Number(m[2]))]],
  [new RegExp(`^${REG} = -([rw])(\\d+)$`), (m) => [ebpfInsn(alu(m[1]) | BPF_NEG, Number(m[2]), 0, 0, 0)]],
  [new RegExp(`^${REG} = \\(s(8|16|32)\\)([rw])(\\d+)$`), (m) => [ebpfInsn(alu(m[1]) | BPF_MOV | BPF_X, Number(m[2]), Number(m[5]), Number(m[3]), 0)]],
  [new RegExp(`^${REG} (s?/=|s?%=|\\+=|-=|\\*=|\\|=|&=|<<=|>>=|s>>=|\\^=|=) (?:([rw])(\\d+)|${NUM})$`), (m) => {
    const sdiv = m[3] === 's/=' || m[3] === 's%=';
    const op = ALU_BY_NAME.get(sdiv ? m[3].slice(1) : m[3])!;
    const off = sdiv ? 1 : 0;
    if (m[4] !== undefined) return [ebpfInsn(alu(m[1]) | op | BPF_X, Number(m[2]), Number(m[5]), off, 0)];
    return [ebpfInsn(alu(m[1]) | op | BPF_K, Number(m[2]), 0, off, num(m[6]))];
  }],
  [/^\.insn 0x([0-9a-f]{2}), r(\d+), r(\d+), (-?\d+), (-?\d+)$/, (m) => [ebpfInsn(parseInt(m[1], 16), Number(m[2]), Number(m[3]), num(m[4]), num(m[5]))]],
];

/**
 * Parses one instruction's text into its slot(s) (two for an ld_imm64).
 * Throws an Error saying what is wrong; `parseEbpf` adds the line number.
 *
 * @example
 * parseEbpfInstruction('if w0 != 0x800 goto pc+3') // [jmp32Imm(BPF_JNE, 0, 0x800, 3)]
 */
export function parseEbpfInstruction(text: string): EbpfInstruction[] {
  const t = text.trim().replace(/\s+/g, ' ');
  for (const [re, make] of FORMS) {
    const m = t.match(re);
    if (m) return make(m);
  }
  throw new Error('not an eBPF instruction');
}

/**
 * Parses a program from verifier-log style text: one instruction per line,
 * optionally prefixed `index: (code)`; `;` starts a comment (the verifier's
 * register state after an instruction). With `lenient`, lines that are not
 * instructions (`func#0 @0`, `processed 9 insns ...`) are skipped, so a whole
 * verifier log can be read back.
 *
 * @example
 * parseEbpf('0: (b7) r0 = 2\n1: (95) exit') // [mov64Imm(0, 2), exit()]
 */
export function parseEbpf(text: string, options: { lenient?: boolean } = {}): EbpfProgram {
  const out: EbpfInstruction[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, n) => {
    let line = raw.replace(/;.*$/, '').trim();
    const prefixed = line.match(/^\d+: \(([0-9a-f]{2})\) (.*)$/);
    if (prefixed) line = prefixed[2];
    else if (options.lenient) return;
    if (line === '' || line.startsWith('#') || line.startsWith('//')) return;
    try {
      out.push(...parseEbpfInstruction(line));
    } catch (e) {
      if (options.lenient) return;
      throw new EbpfParseError(n + 1, raw, (e as Error).message);
    }
  });
  return Object.freeze(out);
}
