/**
 * The three program texts tcpdump prints, printed byte for byte as libpcap
 * 1.10's bpf_dump() does and parsed back: `-d` (bpf_image lines), `-dd` (C
 * array initializers) and `-ddd` (a count, then decimal `code jt jf k`).
 */
import { insn, type Instruction, type Program } from './program.js';
import { BPF_MAXINSNS, SKF_AD_OFF } from './opcodes.js';
import { AssembleError } from './assemble-error.js';
import { IMAGE_ANCILLARY_NAMES, IMAGE_FORMS, instructionImage, isConditionalJumpCode } from './image.js';
import { parseNumber32 } from './text-number.js';

/**
 * `tcpdump -d` text: one bpf_image() line per instruction.
 *
 * @example
 * printImage(prog) // '(000) ldh      [12]\n(001) jeq      #0x800           jt 2\tjf 3\n...'
 */
export function printImage(prog: Program): string {
  return prog.map((x, i) => instructionImage(x, i) + '\n').join('');
}

/**
 * `tcpdump -dd` text: `{ 0x28, 0, 0, 0x0000000c },` per instruction.
 *
 * @example
 * printC(prog) // '{ 0x28, 0, 0, 0x0000000c },\n...'
 */
export function printC(prog: Program): string {
  return prog.map((x) => `{ 0x${x.code.toString(16)}, ${x.jt}, ${x.jf}, 0x${x.k.toString(16).padStart(8, '0')} },\n`).join('');
}

/**
 * `tcpdump -ddd` text: the instruction count, then `code jt jf k` in decimal.
 *
 * @example
 * printDecimal(prog) // '4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n'
 */
export function printDecimal(prog: Program): string {
  return `${prog.length}\n` + prog.map((x) => `${x.code} ${x.jt} ${x.jf} ${x.k}\n`).join('');
}

/** A non-blank line of input with its 1-based number and where its text starts. */
interface SourceLine {
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

/**
 * Splits text into trimmed non-blank lines, keeping positions for errors.
 *
 * @example
 * sourceLines('\n  ret #0\n') // [{ text: 'ret #0', line: 2, column: 3 }]
 */
export function sourceLines(text: string): SourceLine[] {
  const out: SourceLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const start = raw.search(/\S/);
    if (start >= 0) out.push({ text: raw.trimEnd().slice(start), line: i + 1, column: start + 1 });
  });
  return out;
}

function tooLong(l: SourceLine): AssembleError {
  return new AssembleError(l.line, l.column, `more than ${BPF_MAXINSNS} instructions (the limit of a classic BPF program)`);
}

function noInstructions(): AssembleError {
  return new AssembleError(1, 1, 'empty input: no instructions');
}

/** Reads a field of an instruction, checking it fits its C type. */
function field(text: string, max: number, what: string, l: SourceLine, column: number, signedOk = false): number {
  const v = parseNumber32(text);
  const raw = Number(text);
  if (v === undefined || (!signedOk && (raw < 0 || v > max)) || (signedOk && v > max)) {
    throw new AssembleError(l.line, column, `bad ${what} '${text}' (expected a number from 0 to ${max})`);
  }
  return v;
}

/**
 * Parses `tcpdump -dd` text (and bpf_asm -c output, which has the same shape):
 * lines `{ code, jt, jf, k },` with decimal or 0x numbers.
 *
 * @example
 * parseC('{ 0x6, 0, 0, 0x0000ffff },') // [{ code: 6, jt: 0, jf: 0, k: 65535 }]
 */
export function parseC(text: string): Program {
  const out: Instruction[] = [];
  for (const l of sourceLines(text)) {
    const m = /^\{\s*([^,\s]+)\s*,\s*([^,\s]+)\s*,\s*([^,\s]+)\s*,\s*([^,\s}]+)\s*\}\s*,?$/.exec(l.text);
    if (!m) throw new AssembleError(l.line, l.column, `expected '{ code, jt, jf, k },' but found '${l.text}'`);
    if (out.length === BPF_MAXINSNS) throw tooLong(l);
    const col = (group: number) => l.column + l.text.indexOf(m[group], m.index + 1);
    out.push(insn(
      field(m[1], 0xffff, 'opcode', l, col(1)),
      field(m[2], 0xff, 'jt', l, col(2)),
      field(m[3], 0xff, 'jf', l, col(3)),
      field(m[4], 0xffffffff, 'k', l, col(4), true),
    ));
  }
  if (out.length === 0) throw noInstructions();
  return Object.freeze(out);
}

/**
 * Parses `tcpdump -ddd` text: a count line, then that many `code jt jf k`
 * lines. Also reads the one-line comma form that bpf_asm and iptables' xt_bpf
 * use (`4,40 0 0 12,21 0 1 2048,6 0 0 65535,6 0 0 0`).
 *
 * @example
 * parseDecimal('1\n6 0 0 65535\n') // [{ code: 6, jt: 0, jf: 0, k: 65535 }]
 */
export function parseDecimal(text: string): Program {
  let records = sourceLines(text);
  if (records.length === 1 && records[0].text.includes(',')) {
    const l = records[0];
    records = [];
    let at = 0;
    for (const part of l.text.split(',')) {
      const lead = part.search(/\S/);
      if (lead >= 0) records.push({ text: part.trim(), line: l.line, column: l.column + at + lead });
      at += part.length + 1;
    }
  }
  if (records.length === 0) throw noInstructions();
  const head = records[0];
  if (!/^\d+$/.test(head.text)) throw new AssembleError(head.line, head.column, `expected the instruction count but found '${head.text}'`);
  const count = Number(head.text);
  const body = records.slice(1);
  if (count === 0 && body.length === 0) throw new AssembleError(head.line, head.column, 'empty program: the count is 0');
  const out: Instruction[] = [];
  for (const l of body) {
    if (out.length === BPF_MAXINSNS) throw tooLong(l);
    const parts = l.text.split(/\s+/);
    if (parts.length !== 4) throw new AssembleError(l.line, l.column, `expected 'code jt jf k' but found '${l.text}'`);
    let at = 0;
    const cols = parts.map((p) => { const c = l.text.indexOf(p, at); at = c + p.length; return l.column + c; });
    out.push(insn(
      field(parts[0], 0xffff, 'opcode', l, cols[0]),
      field(parts[1], 0xff, 'jt', l, cols[1]),
      field(parts[2], 0xff, 'jf', l, cols[2]),
      field(parts[3], 0xffffffff, 'k', l, cols[3], true),
    ));
  }
  if (out.length !== count) {
    const where = body[count] ?? body[body.length - 1] ?? head;
    throw new AssembleError(where.line, where.column, `the count line says ${count} instructions but ${out.length} follow`);
  }
  return Object.freeze(out);
}

/** Opcodes by mnemonic, from the printer's own table, so that parsing is its exact inverse. */
const CODES_BY_OP: ReadonlyMap<string, number[]> = (() => {
  const m = new Map<string, number[]>();
  for (const [code, form] of IMAGE_FORMS) m.set(form.op, [...(m.get(form.op) ?? []), code]);
  return m;
})();

const ANCILLARY_BY_NAME: ReadonlyMap<string, number> = new Map([...IMAGE_ANCILLARY_NAMES].map(([off, name]) => [name, off]));

/** Reads one `-d` operand for `op`; returns code and k, or undefined if no form of `op` matches. */
function parseImageOperand(op: string, operand: string, index: number): { code: number; k: number } | undefined {
  if (op === 'unimp') {
    const code = parseNumber32(operand);
    return code !== undefined && code <= 0xffff ? { code, k: 0 } : undefined;
  }
  if (op === 'ldx' && operand === '#pktlen') return { code: 0x81, k: 0 };
  for (const code of CODES_BY_OP.get(op) ?? []) {
    const form = IMAGE_FORMS.get(code)!;
    if (form.form === 'none') {
      if (operand === form.before) return { code, k: 0 };
      continue;
    }
    if (code === 0x05) {
      const target = parseNumber32(operand);
      if (target === undefined) continue;
      return { code, k: (target - index - 1) >>> 0 };
    }
    // Hex forms print '#0x'; accept any number after the '#'.
    const before = form.form === 'x' ? form.before.slice(0, -2) : form.before;
    if (!operand.startsWith(before) || !operand.endsWith(form.after) || operand.length <= before.length + form.after.length) continue;
    const middle = operand.slice(before.length, operand.length - form.after.length);
    if ((code === 0x20 || code === 0x28 || code === 0x30) && ANCILLARY_BY_NAME.has(middle)) {
      return { code, k: (SKF_AD_OFF + ANCILLARY_BY_NAME.get(middle)!) >>> 0 };
    }
    const k = parseNumber32(middle);
    if (k !== undefined) return { code, k };
  }
  return undefined;
}

function jumpOffset(target: string, index: number, which: string, l: SourceLine, column: number): number {
  const t = Number(target);
  const offset = t - index - 1;
  if (!/^\d+$/.test(target) || offset < 0 || offset > 255) {
    throw new AssembleError(l.line, column, `${which} target '${target}' is out of range (instruction ${index} can jump to ${index + 1} .. ${index + 256})`);
  }
  return offset;
}

/**
 * Parses `tcpdump -d` text (bpf_image lines) back into a Program. Jump
 * targets are absolute instruction numbers, as printed.
 *
 * @example
 * parseImage('(000) ret      #65535\n') // [{ code: 6, jt: 0, jf: 0, k: 65535 }]
 */
export function parseImage(text: string): Program {
  const out: Instruction[] = [];
  for (const l of sourceLines(text)) {
    const index = out.length;
    if (index === BPF_MAXINSNS) throw tooLong(l);
    const m = /^\((\d+)\)\s+(\S+)\s*(.*)$/.exec(l.text);
    if (!m) throw new AssembleError(l.line, l.column, `expected '(NNN) mnemonic operand' but found '${l.text}'`);
    if (Number(m[1]) !== index) {
      throw new AssembleError(l.line, l.column, `instruction number '(${m[1]})' should be (${String(index).padStart(3, '0')})`);
    }
    const op = m[2];
    const opColumn = l.column + l.text.indexOf(op, m[1].length + 2);
    let rest = m[3];
    let jt = 0, jf = 0;
    const jump = /^(.*?)\s*\bjt\s+(\S+)\s+jf\s+(\S+)$/.exec(rest);
    if (jump) {
      const jtColumn = l.column + l.text.lastIndexOf('jt ');
      const jfColumn = l.column + l.text.lastIndexOf('jf ');
      jt = jumpOffset(jump[2], index, 'true branch', l, jtColumn + 3);
      jf = jumpOffset(jump[3], index, 'false branch', l, jfColumn + 3);
      rest = jump[1];
    }
    const operand = rest.trim();
    const operandColumn = operand ? l.column + l.text.indexOf(operand, opColumn - l.column + op.length) : opColumn;
    if (op !== 'unimp' && !CODES_BY_OP.has(op)) throw new AssembleError(l.line, opColumn, `unknown mnemonic '${op}'`);
    const parsed = parseImageOperand(op, operand, index);
    if (!parsed) throw new AssembleError(l.line, operandColumn, `bad operand '${operand}' for '${op}'`);
    const conditional = isConditionalJumpCode(parsed.code);
    if (conditional && !jump) throw new AssembleError(l.line, operandColumn, `'${op}' needs 'jt N jf M' targets`);
    if (!conditional && jump) throw new AssembleError(l.line, operandColumn, `'${op}' takes no 'jt'/'jf' targets`);
    out.push(insn(parsed.code, jt, jf, parsed.k));
  }
  if (out.length === 0) throw noInstructions();
  return Object.freeze(out);
}
