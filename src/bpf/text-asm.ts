/**
 * The Linux `bpf_asm` language (tools/bpf): printed from a Program and parsed
 * into one. Mnemonics, operand forms, extensions (`#proto`, `#len`...),
 * labels, `;` and C comments follow bpf_asm's lexer and grammar; jumps name
 * labels, with one target (the other falls through) or two.
 */
import { insn, ProgramError, type Instruction, type Program } from './program.js';
import {
  BPF_MAXINSNS, SKF_AD_ALU_XOR_X, SKF_AD_CPU, SKF_AD_HATYPE, SKF_AD_IFINDEX, SKF_AD_MARK,
  SKF_AD_NLATTR, SKF_AD_NLATTR_NEST, SKF_AD_OFF, SKF_AD_PAY_OFFSET, SKF_AD_PKTTYPE, SKF_AD_PROTOCOL,
  SKF_AD_QUEUE, SKF_AD_RANDOM, SKF_AD_RXHASH, SKF_AD_VLAN_TAG, SKF_AD_VLAN_TAG_PRESENT, SKF_AD_VLAN_TPID,
} from './opcodes.js';
import { AssembleError } from './assemble-error.js';
import { ancillaryField } from './context.js';
import { parseNumber32 } from './text-number.js';

/**
 * bpf_asm's extension names, by offset from SKF_AD_OFF. bpf_asm has no name
 * for SKF_AD_ALU_XOR_X; we also accept `xor_x` (libpcap's name) for it.
 */
const EXTENSIONS: ReadonlyMap<string, number> = new Map([
  ['proto', SKF_AD_PROTOCOL], ['type', SKF_AD_PKTTYPE], ['poff', SKF_AD_PAY_OFFSET],
  ['ifidx', SKF_AD_IFINDEX], ['nla', SKF_AD_NLATTR], ['nlan', SKF_AD_NLATTR_NEST],
  ['mark', SKF_AD_MARK], ['queue', SKF_AD_QUEUE], ['hatype', SKF_AD_HATYPE],
  ['rxhash', SKF_AD_RXHASH], ['cpu', SKF_AD_CPU], ['vlan_tci', SKF_AD_VLAN_TAG],
  ['vlan_pr', SKF_AD_VLAN_TAG_PRESENT], ['vlan_avail', SKF_AD_VLAN_TAG_PRESENT],
  ['vlan_tpid', SKF_AD_VLAN_TPID], ['rand', SKF_AD_RANDOM], ['xor_x', SKF_AD_ALU_XOR_X],
]);

/** The name printed for each extension: the first bpf_asm name. */
const EXTENSION_NAMES: ReadonlyMap<number, string> = (() => {
  const m = new Map<number, string>();
  for (const [name, off] of EXTENSIONS) if (!m.has(off)) m.set(off, name);
  return m;
})();

const ALU_OPS: ReadonlyMap<string, number> = new Map([
  ['add', 0x00], ['sub', 0x10], ['mul', 0x20], ['div', 0x30], ['or', 0x40], ['and', 0x50],
  ['lsh', 0x60], ['rsh', 0x70], ['mod', 0x90], ['xor', 0xa0],
]);
const ALU_NAMES: ReadonlyMap<number, string> = new Map([...ALU_OPS].map(([name, op]) => [op, name]));

/** Conditional jumps: the opcode, and whether the one-target form names the false branch (jneq, jlt, jle). */
const JUMP_OPS: ReadonlyMap<string, { op: number; negated: boolean }> = new Map([
  ['jeq', { op: 0x10, negated: false }], ['jgt', { op: 0x20, negated: false }],
  ['jge', { op: 0x30, negated: false }], ['jset', { op: 0x40, negated: false }],
  ['jneq', { op: 0x10, negated: true }], ['jne', { op: 0x10, negated: true }],
  ['jlt', { op: 0x30, negated: true }], ['jle', { op: 0x20, negated: true }],
]);
const JUMP_NAMES: ReadonlyMap<number, [string, string | undefined]> = new Map([
  [0x10, ['jeq', 'jneq']], [0x20, ['jgt', 'jle']], [0x30, ['jge', 'jlt']], [0x40, ['jset', undefined]],
]);

const MNEMONICS = new Set([
  'ldb', 'ldh', 'ld', 'ldi', 'ldx', 'ldxi', 'ldxb', 'st', 'stx', 'jmp', 'ja', 'neg', 'ret', 'tax', 'txa',
  ...ALU_OPS.keys(), ...JUMP_OPS.keys(),
]);

const hex = (k: number) => `0x${k.toString(16)}`;

/**
 * Prints a Program in bpf_asm's language, with labels `L<n>` on jump targets.
 * Fields an instruction ignores are not printed (see `canonical`). Throws
 * ProgramError for what bpf_asm cannot express: opcodes it has no mnemonic
 * for, jumps that leave the program.
 *
 * @example
 * printAsm(prog) // '\tldh [12]\n\tjneq #0x800, L3\n\tret #65535\nL3:\tret #0\n'
 */
export function printAsm(prog: Program): string {
  const targets = new Set<number>();
  const label = (i: number, target: number): string => {
    if (target < 0 || target >= prog.length) {
      throw new ProgramError(i, `jump target ${target} is outside the program; bpf_asm cannot express it (print it with -dd or -ddd instead)`);
    }
    targets.add(target);
    return `L${target}`;
  };
  const bodies = prog.map((x, i) => asmInstruction(x, i, (target) => label(i, target)));
  return bodies.map((body, i) => `${targets.has(i) ? `L${i}:` : ''}\t${body}\n`).join('');
}

function asmInstruction(x: Instruction, i: number, label: (target: number) => string): string {
  const bad = (why: string): never => {
    throw new ProgramError(i, `${why}; bpf_asm cannot express it (print it with -dd or -ddd instead)`);
  };
  const cls = x.code & 0x07;
  // Fields an instruction ignores (libpcap leaves junk in tax's k) are not printed, as in -d.
  const noK = (text: string) => text;
  switch (x.code) {
    case 0x20: case 0x28: case 0x30: {
      const op = x.code === 0x20 ? 'ld' : x.code === 0x28 ? 'ldh' : 'ldb';
      const field = ancillaryField(x.k);
      if (field >= 0) {
        const name = EXTENSION_NAMES.get(field)!;
        return `${op} #${name}`;
      }
      return `${op} [${x.k >= 0x80000000 ? hex(x.k) : x.k}]`;
    }
    case 0x40: return `ld [x + ${x.k}]`;
    case 0x48: return `ldh [x + ${x.k}]`;
    case 0x50: return `ldb [x + ${x.k}]`;
    case 0x00: return `ld #${hex(x.k)}`;
    case 0x01: return `ldx #${hex(x.k)}`;
    case 0x80: return noK('ld #len');
    case 0x81: return noK('ldx #len');
    case 0x60: return `ld M[${x.k}]`;
    case 0x61: return `ldx M[${x.k}]`;
    case 0x02: return `st M[${x.k}]`;
    case 0x03: return `stx M[${x.k}]`;
    case 0xb1: return `ldxb 4*([${x.k}]&0xf)`;
    case 0x06: return `ret #${x.k}`;
    case 0x16: return noK('ret a');
    case 0x0e: return noK('ret x');
    case 0x07: return noK('tax');
    case 0x87: return noK('txa');
    case 0x84: return noK('neg');
    // A negative k is a backward jump (libpcap uses them for protochain).
    case 0x05: return `jmp ${label(i + 1 + (x.k | 0))}`;
  }
  if (cls === 0x04 && ALU_NAMES.has(x.code & 0xf0) && x.code < 0x100) {
    const name = ALU_NAMES.get(x.code & 0xf0)!;
    return (x.code & 0x08) ? noK(`${name} x`) : `${name} #${['and', 'or', 'xor'].includes(name) ? hex(x.k) : x.k}`;
  }
  if (cls === 0x05 && JUMP_NAMES.has(x.code & 0xf0) && x.code < 0x100) {
    const [name, negated] = JUMP_NAMES.get(x.code & 0xf0)!;
    const operand = (x.code & 0x08) ? noK('x') : `#${hex(x.k)}`;
    if (x.jf === 0) return `${name} ${operand}, ${label(i + 1 + x.jt)}`;
    if (x.jt === 0 && negated) return `${negated} ${operand}, ${label(i + 1 + x.jf)}`;
    return `${name} ${operand}, ${label(i + 1 + x.jt)}, ${label(i + 1 + x.jf)}`;
  }
  return bad(`opcode 0x${x.code.toString(16)} has no bpf_asm mnemonic`);
}

/** A token of bpf_asm source with its position. */
interface Token {
  readonly text: string;
  readonly kind: 'word' | 'number' | 'punct';
  readonly line: number;
  readonly column: number;
}

/** bpf_asm's lexer: words (mnemonics, labels, x/a/M, extensions), numbers, punctuation; comments and whitespace dropped. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const at = (start: number) => ({ line, column: start - lineStart + 1 });
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') { line++; i++; lineStart = i; continue; }
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    if (c === ';' || (c === '#' && i === lineStart)) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) { const p = at(i); throw new AssembleError(p.line, p.column, "unterminated comment '/*'"); }
      for (let j = i; j < end; j++) if (text[j] === '\n') { line++; lineStart = j + 1; }
      i = end + 2;
      continue;
    }
    const start = i;
    if (/[A-Za-z_]/.test(c)) {
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i])) i++;
      tokens.push({ text: text.slice(start, i), kind: 'word', ...at(start) });
    } else if (/[0-9]/.test(c) || ((c === '-' || c === '+') && /[0-9]/.test(text[i + 1] ?? ''))) {
      i++;
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i])) i++;
      tokens.push({ text: text.slice(start, i), kind: 'number', ...at(start) });
    } else if (':,#%[]()+*&'.includes(c)) {
      i++;
      tokens.push({ text: c, kind: 'punct', ...at(start) });
    } else {
      const p = at(start);
      throw new AssembleError(p.line, p.column, `unexpected character '${c}'`);
    }
  }
  return tokens;
}

/** A jump's label reference waiting for the label to be defined. */
interface LabelUse {
  readonly index: number;
  readonly slot: 'jt' | 'jf' | 'k';
  readonly token: Token;
}

/** Recursive-descent reader over the token list, one instruction at a time. */
class AsmParser {
  private pos = 0;
  readonly out: { code: number; jt: number; jf: number; k: number }[] = [];
  readonly labels = new Map<string, number>();
  readonly uses: LabelUse[] = [];
  private endLine = 1;

  constructor(private readonly tokens: Token[], text: string) {
    this.endLine = text.split('\n').length;
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  private error(token: Token | undefined, reason: string): AssembleError {
    return token ? new AssembleError(token.line, token.column, reason) : new AssembleError(this.endLine, 1, reason);
  }

  private describe(token: Token | undefined): string {
    return token ? `'${token.text}'` : 'end of input';
  }

  private next(): Token | undefined {
    return this.tokens[this.pos++];
  }

  private expect(text: string, context: string): Token {
    const t = this.next();
    if (!t || t.text.toLowerCase() !== text.toLowerCase()) throw this.error(t, `expected '${text}' ${context} but found ${this.describe(t)}`);
    return t;
  }

  private accept(text: string): boolean {
    const t = this.peek();
    if (t && t.text.toLowerCase() === text.toLowerCase()) { this.pos++; return true; }
    return false;
  }

  private number(context: string): number {
    const t = this.next();
    if (!t || t.kind !== 'number') throw this.error(t, `expected a number ${context} but found ${this.describe(t)}`);
    const v = parseNumber32(t.text);
    if (v === undefined) throw this.error(t, `bad number '${t.text}' (expected a 32-bit decimal, 0x hex, 0b binary or 0 octal number)`);
    return v;
  }

  private labelRef(index: number, slot: 'jt' | 'jf' | 'k'): void {
    const t = this.next();
    if (!t || t.kind !== 'word' || MNEMONICS.has(t.text.toLowerCase())) throw this.error(t, `expected a label but found ${this.describe(t)}`);
    this.uses.push({ index, slot, token: t });
  }

  /** Reads `#k`, `x` or `%x`: the operand of ALU operations and jumps. */
  private source(mnemonic: Token): { x: boolean; k: number } {
    if (this.accept('#')) return { x: false, k: this.number(`after '${mnemonic.text} #'`) };
    this.accept('%');
    const t = this.next();
    if (t?.text.toLowerCase() === 'x') return { x: true, k: 0 };
    throw this.error(t, `expected '#number' or 'x' after '${mnemonic.text}' but found ${this.describe(t)}`);
  }

  /** Reads the `[...]` of a packet load: `[k]` or `[x + k]`. */
  private packetAddress(m: Token): { indirect: boolean; k: number } {
    this.expect('[', `after '${m.text}'`);
    let indirect = false;
    if (this.accept('%') || this.peek()?.text.toLowerCase() === 'x') {
      this.expect('x', "in '[x + k]'");
      // 'x+5' lexes as 'x' and the signed number '+5'.
      if (!this.peek()?.text.startsWith('+')) this.expect('+', "in '[x + k]'");
      else if (this.peek()?.text === '+') this.pos++;
      indirect = true;
    }
    const k = this.number(`in '${m.text} [...]'`);
    this.expect(']', `to close '${m.text} [...]'`);
    return { indirect, k };
  }

  /** Reads an extension name after an optional '#', or returns undefined without consuming anything. */
  private extension(): { field: number; len: boolean } | undefined {
    const hash = this.peek()?.text === '#' ? 1 : 0;
    const t = this.peek(hash);
    if (!t || t.kind !== 'word') return undefined;
    const name = t.text.toLowerCase();
    if (name === 'len' || name === 'pktlen') { this.pos += hash + 1; return { field: -1, len: true }; }
    const field = EXTENSIONS.get(name);
    if (field === undefined) return undefined;
    this.pos += hash + 1;
    return { field, len: false };
  }

  private memIndex(m: Token): number {
    this.expect('M', `after '${m.text}'`);
    this.expect('[', "in 'M[k]'");
    const k = this.number("in 'M[k]'");
    this.expect(']', "to close 'M[k]'");
    return k;
  }

  /** `4*([k]&0xf)`, the IP header length load. */
  private msh(m: Token): number {
    const four = this.peek();
    if (this.number(`after '${m.text}'`) !== 4) throw this.error(four, `only '4*([k]&0xf)' is supported after '${m.text}'`);
    this.expect('*', "in '4*([k]&0xf)'");
    this.expect('(', "in '4*([k]&0xf)'");
    this.expect('[', "in '4*([k]&0xf)'");
    const k = this.number("in '4*([k]&0xf)'");
    this.expect(']', "in '4*([k]&0xf)'");
    this.expect('&', "in '4*([k]&0xf)'");
    const mask = this.peek();
    if (this.number("in '4*([k]&0xf)'") !== 0xf) throw this.error(mask, "only '4*([k]&0xf)' is supported (mask must be 0xf)");
    this.expect(')', "to close '4*([k]&0xf)'");
    return k;
  }

  parse(): void {
    while (this.pos < this.tokens.length) {
      let t = this.next()!;
      while (t.kind === 'word' && this.peek()?.text === ':') {
        const name = t.text;
        if (this.labels.has(name)) throw this.error(t, `label '${name}' is defined twice`);
        this.labels.set(name, this.out.length);
        this.pos++;
        const after = this.next();
        if (!after) throw this.error(t, `label '${name}' labels no instruction`);
        t = after;
      }
      if (t.kind !== 'word' || !MNEMONICS.has(t.text.toLowerCase())) {
        throw this.error(t, t.kind === 'word' ? `unknown mnemonic '${t.text}'` : `expected a mnemonic but found '${t.text}'`);
      }
      if (this.out.length === BPF_MAXINSNS) throw this.error(t, `more than ${BPF_MAXINSNS} instructions (the limit of a classic BPF program)`);
      this.instruction(t);
    }
  }

  private emit(code: number, k = 0): void {
    this.out.push({ code, jt: 0, jf: 0, k: k >>> 0 });
  }

  private instruction(m: Token): void {
    const op = m.text.toLowerCase();
    const index = this.out.length;
    switch (op) {
      case 'ldb': case 'ldh': case 'ld': {
        const size = op === 'ld' ? 0x00 : op === 'ldh' ? 0x08 : 0x10;
        const ext = this.extension();
        if (ext) {
          if (ext.len) {
            if (op !== 'ld') throw this.error(m, `'${op}' cannot load the packet length; use 'ld #len'`);
            return this.emit(0x80);
          }
          return this.emit(0x20 | size, SKF_AD_OFF + ext.field);
        }
        if (op === 'ld' && this.accept('#')) return this.emit(0x00, this.number("after 'ld #'"));
        if (op === 'ld' && this.peek()?.text === 'M') return this.emit(0x60, this.memIndex(m));
        const { indirect, k } = this.packetAddress(m);
        return this.emit((indirect ? 0x40 : 0x20) | size, k);
      }
      case 'ldi': case 'ldxi':
        this.accept('#');
        return this.emit(op === 'ldi' ? 0x00 : 0x01, this.number(`after '${m.text}'`));
      case 'ldx': {
        const ext = this.extension();
        if (ext) {
          if (!ext.len) throw this.error(this.tokens[this.pos - 1], `'ldx' cannot load an extension; use 'ld'`);
          return this.emit(0x81);
        }
        if (this.accept('#')) return this.emit(0x01, this.number("after 'ldx #'"));
        if (this.peek()?.text === 'M') return this.emit(0x61, this.memIndex(m));
        return this.emit(0xb1, this.msh(m));
      }
      case 'ldxb': return this.emit(0xb1, this.msh(m));
      case 'st': return this.emit(0x02, this.memIndex(m));
      case 'stx': return this.emit(0x03, this.memIndex(m));
      case 'jmp': case 'ja':
        this.labelRef(index, 'k');
        return this.emit(0x05);
      case 'neg': return this.emit(0x84);
      case 'tax': return this.emit(0x07);
      case 'txa': return this.emit(0x87);
      case 'ret': {
        if (this.accept('#')) return this.emit(0x06, this.number("after 'ret #'"));
        this.accept('%');
        const t = this.next();
        const reg = t?.text.toLowerCase();
        if (reg === 'a') return this.emit(0x16);
        if (reg === 'x') return this.emit(0x0e);
        throw this.error(t, `expected '#number', 'a' or 'x' after 'ret' but found ${this.describe(t)}`);
      }
    }
    const alu = ALU_OPS.get(op);
    if (alu !== undefined) {
      const src = this.source(m);
      return this.emit(0x04 | alu | (src.x ? 0x08 : 0), src.k);
    }
    const jump = JUMP_OPS.get(op)!;
    const src = this.source(m);
    this.expect(',', `after the operand of '${m.text}'`);
    if (jump.negated) {
      this.labelRef(index, 'jf');
    } else {
      this.labelRef(index, 'jt');
      if (this.accept(',')) this.labelRef(index, 'jf');
    }
    this.emit(0x05 | jump.op | (src.x ? 0x08 : 0), src.k);
  }

  /** Replaces label references by offsets, checking each jump lands inside the reach of its field. */
  resolve(): void {
    for (const use of this.uses) {
      const target = this.labels.get(use.token.text);
      if (target === undefined) throw this.error(use.token, `no such label '${use.token.text}'`);
      const offset = target - use.index - 1;
      const x = this.out[use.index];
      if (use.slot === 'k') {
        // Backward: only libpcap's userland runs these; the verifier has the last word.
        x.k = offset >>> 0;
      } else {
        if (offset < 0 || offset > 255) {
          throw this.error(use.token, `jump to '${use.token.text}' is out of range (instruction ${use.index} to ${target}; a conditional jump reaches 1 to 256 ahead)`);
        }
        x[use.slot] = offset;
      }
    }
  }
}

/**
 * Parses bpf_asm source into a Program.
 *
 * @example
 * parseAsm('ldh [12]\njneq #0x800, drop\nret #65535\ndrop: ret #0')
 */
export function parseAsm(text: string): Program {
  const parser = new AsmParser(tokenize(text), text);
  parser.parse();
  if (parser.out.length === 0) throw new AssembleError(1, 1, 'empty input: no instructions');
  parser.resolve();
  return Object.freeze(parser.out.map((x) => insn(x.code, x.jt, x.jf, x.k)));
}
