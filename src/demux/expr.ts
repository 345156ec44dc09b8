/**
 * Values a classic BPF Program computes, as expression trees over the packet.
 *
 * Symbolic execution (paths.ts) turns every A, X and M[] value into one of
 * these. Equal expressions are interned to one object with one `key`, so that
 * a value computed by a thousand filters is recognised as the same value and
 * evaluated once per packet.
 */

export type AluOp = 'add' | 'sub' | 'mul' | 'div' | 'mod' | 'and' | 'or' | 'xor' | 'lsh' | 'rsh';

export type Expr =
  | { readonly kind: 'const'; readonly key: string; readonly value: number }
  | { readonly kind: 'len'; readonly key: string }
  | { readonly kind: 'load'; readonly key: string; readonly size: 1 | 2 | 4; readonly k: number; readonly index: Expr | null }
  | { readonly kind: 'alu'; readonly key: string; readonly op: AluOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'neg'; readonly key: string; readonly arg: Expr };

/** The comparison of a conditional jump; `set` is JSET's `(left & right) != 0`. */
export type CmpOp = 'eq' | 'gt' | 'ge' | 'set';

/** One condition on a path: `left op right` holds (`truth`) or does not; both sides must be computable. */
export interface Atom {
  readonly key: string;
  readonly op: CmpOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly truth: boolean;
}

/** Interns expressions and atoms so that equal ones are the same object. One table per FilterSet. */
export class ExprTable {
  private readonly exprs = new Map<string, Expr>();
  private readonly atoms = new Map<string, Atom>();

  constant(value: number): Expr {
    const v = value >>> 0;
    return this.intern({ kind: 'const', key: `#${v}`, value: v });
  }

  length(): Expr {
    return this.intern({ kind: 'len', key: 'len' });
  }

  load(size: 1 | 2 | 4, k: number, index: Expr | null): Expr {
    const sz = size === 1 ? 'b' : size === 2 ? 'h' : 'w';
    return this.intern({ kind: 'load', key: index ? `${sz}[${index.key}+${k >>> 0}]` : `${sz}[${k >>> 0}]`, size, k: k >>> 0, index });
  }

  alu(op: AluOp, left: Expr, right: Expr): Expr {
    return this.intern({ kind: 'alu', key: `(${op} ${left.key} ${right.key})`, op, left, right });
  }

  neg(arg: Expr): Expr {
    return this.intern({ kind: 'neg', key: `(neg ${arg.key})`, arg });
  }

  atom(op: CmpOp, left: Expr, right: Expr, truth: boolean): Atom {
    const key = `${truth ? '' : '!'}${op} ${left.key} ${right.key}`;
    let found = this.atoms.get(key);
    if (!found) {
      found = Object.freeze({ key, op, left, right, truth });
      this.atoms.set(key, found);
    }
    return found;
  }

  private intern(e: Expr): Expr {
    const found = this.exprs.get(e.key);
    if (found) return found;
    Object.freeze(e);
    this.exprs.set(e.key, e);
    return e;
  }
}

/** Folds an ALU operation on two constants; undefined when it divides by zero (the Program would return 0). */
export function foldAlu(op: AluOp, a: number, b: number, linux: boolean): number | undefined {
  switch (op) {
    case 'add': return (a + b) >>> 0;
    case 'sub': return (a - b) >>> 0;
    case 'mul': return Math.imul(a, b) >>> 0;
    case 'div': return b === 0 ? undefined : Math.floor(a / b) >>> 0;
    case 'mod': return b === 0 ? undefined : (a % b) >>> 0;
    case 'and': return (a & b) >>> 0;
    case 'or': return (a | b) >>> 0;
    case 'xor': return (a ^ b) >>> 0;
    case 'lsh': return !linux && b >= 32 ? 0 : (a << (b & 31)) >>> 0;
    case 'rsh': return !linux && b >= 32 ? 0 : a >>> (b & 31);
  }
}

/** Whether evaluating the expression can fail (a load past the packet, a division by a value that may be zero). */
export function canFail(e: Expr): boolean {
  switch (e.kind) {
    case 'const': case 'len': return false;
    case 'load': return true;
    case 'neg': return canFail(e.arg);
    case 'alu':
      if ((e.op === 'div' || e.op === 'mod') && !(e.right.kind === 'const' && e.right.value !== 0)) return true;
      return canFail(e.left) || canFail(e.right);
  }
}

/**
 * Emits JavaScript statements that compute expressions into numbered locals,
 * each computed once. A value of -1 means "failed" (out of bounds, division
 * by zero): computed values are unsigned 32-bit, so -1 is never a real one.
 * Every emitted literal is a number, so no text of the input reaches the code.
 */
export class ExprEmitter {
  private readonly names = new Map<string, string>();
  readonly lines: string[] = [];
  private next = 0;

  /**
   * @param onFail the statement run when a value fails (e.g. `return false;` or `break t3;`)
   * @param linux Linux semantics for indirect loads and shifts (else libpcap's)
   */
  constructor(private readonly onFail: string, private readonly linux: boolean) {}

  /** Returns the local (or literal) holding the expression's value, emitting what computes it. */
  value(e: Expr): string {
    if (e.kind === 'const') return String(e.value);
    if (e.kind === 'len') return 'wl';
    const have = this.names.get(e.key);
    if (have) return have;
    const name = `v${this.next++}`;
    this.names.set(e.key, name);
    const fail = canFail(e);
    this.lines.push(`const ${name} = ${this.compute(e)};`);
    if (fail) this.lines.push(`if (${name} < 0) ${this.onFail}`);
    return name;
  }

  private compute(e: Expr): string {
    switch (e.kind) {
      case 'const': return String(e.value);
      case 'len': return 'wl';
      case 'neg': return `(-${this.value(e.arg)}) >>> 0`;
      case 'load': {
        if (!e.index) return `ld${e.size}(p, ${e.k})`;
        const x = this.value(e.index);
        return this.linux ? `ldi${e.size}(p, (${x} + ${e.k}) | 0)` : `ldb${e.size}(p, ${x}, ${e.k})`;
      }
      case 'alu': {
        const a = this.value(e.left), b = this.value(e.right);
        switch (e.op) {
          case 'add': return `(${a} + ${b}) >>> 0`;
          case 'sub': return `(${a} - ${b}) >>> 0`;
          case 'mul': return `Math.imul(${a}, ${b}) >>> 0`;
          case 'div': return `${b} === 0 ? -1 : Math.floor(${a} / ${b})`;
          case 'mod': return `${b} === 0 ? -1 : ${a} % ${b}`;
          case 'and': return `(${a} & ${b}) >>> 0`;
          case 'or': return `(${a} | ${b}) >>> 0`;
          case 'xor': return `(${a} ^ ${b}) >>> 0`;
          case 'lsh': return this.linux ? `(${a} << (${b} & 31)) >>> 0` : `${b} >= 32 ? 0 : (${a} << ${b}) >>> 0`;
          case 'rsh': return this.linux ? `${a} >>> (${b} & 31)` : `${b} >= 32 ? 0 : ${a} >>> ${b}`;
        }
      }
    }
  }

  /** A boolean JavaScript expression for an atom (its operands emitted first). */
  condition(atom: Atom): string {
    const a = this.value(atom.left), b = this.value(atom.right);
    const test = atom.op === 'eq' ? `${a} === ${b}` : atom.op === 'gt' ? `${a} > ${b}` : atom.op === 'ge' ? `${a} >= ${b}` : `(${a} & ${b}) !== 0`;
    return atom.truth ? `(${test})` : `!(${test})`;
  }
}

/** Packet loads shared by generated code: big-endian, -1 when out of the captured bytes. */
export const LOADERS = {
  ld1(p: Uint8Array, k: number): number {
    return k < p.length ? p[k] : -1;
  },
  ld2(p: Uint8Array, k: number): number {
    return k + 2 <= p.length ? (p[k] << 8) | p[k + 1] : -1;
  },
  ld4(p: Uint8Array, k: number): number {
    return k + 4 <= p.length ? ((p[k] << 24) | (p[k + 1] << 16) | (p[k + 2] << 8) | p[k + 3]) >>> 0 : -1;
  },
};

/** Indirect loads with Linux's signed X+k: a negative offset in SKF_LL_OFF's range reads from the start. */
function linuxIndirect(size: 1 | 2 | 4) {
  const load = size === 1 ? LOADERS.ld1 : size === 2 ? LOADERS.ld2 : LOADERS.ld4;
  return (p: Uint8Array, off: number): number => {
    if (off >= 0) return load(p, off);
    // SKF_NET_OFF needs the network header's position, which a FilterSet is not given: such loads fail.
    if (off >= -0x100000) return -1;
    if (off >= -0x200000) return load(p, off + 0x200000);
    return -1;
  };
}

/** Indirect loads as libpcap checks them: k and X separately, so X + k never wraps to a small offset. */
function bsdIndirect(size: 1 | 2 | 4) {
  const load = size === 1 ? LOADERS.ld1 : size === 2 ? LOADERS.ld2 : LOADERS.ld4;
  return (p: Uint8Array, x: number, k: number): number => (k > p.length || x > p.length - k ? -1 : load(p, x + k));
}

/** Names and values of every helper the emitted code may call, for `new Function(...names, body)`. */
export const RUNTIME: Readonly<Record<string, unknown>> = Object.freeze({
  ...LOADERS,
  ldi1: linuxIndirect(1), ldi2: linuxIndirect(2), ldi4: linuxIndirect(4),
  ldb1: bsdIndirect(1), ldb2: bsdIndirect(2), ldb4: bsdIndirect(4),
});
