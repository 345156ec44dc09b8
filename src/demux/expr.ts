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

/** Packet loads for the helpers below: big-endian, -1 when out of the captured bytes. */
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

/**
 * Names and values of every helper the emitted code may call, for
 * `new Function(...names, body)`: the indirect loads' rare cases (a negative
 * or wrapping offset), which the inline code leaves to them.
 */
export const RUNTIME: Readonly<Record<string, unknown>> = Object.freeze({
  ...LOADERS,
  ldi1: linuxIndirect(1), ldi2: linuxIndirect(2), ldi4: linuxIndirect(4),
  ldb1: bsdIndirect(1), ldb2: bsdIndirect(2), ldb4: bsdIndirect(4),
});

/**
 * Emits JavaScript for values and conditions inside nested blocks, for the
 * hierarchical dispatcher and the per-path checks. A value is computed once
 * per block and seen by every block inside it, so a load that the guards of
 * many tables test (the EtherType, the IP header length) is read once per
 * packet. Failure travels as -1 through the values (a load past the captured
 * bytes, a division by zero) and makes every condition on them false, so a
 * failing value needs no jump of its own. Direct loads are written out inline
 * (not calls to shared helpers) so that each generated function keeps its own
 * type feedback in V8.
 *
 * @example
 * const em = new ScopedEmitter(true);
 * const cond = em.condition(atom);      // e.g. `v0 === 2048`
 * em.open(`if (${cond})`); ...; em.close();
 */
export class ScopedEmitter {
  readonly lines: string[] = [];
  private readonly scopes: Array<Map<string, string>> = [new Map()];
  private next = 0;

  constructor(private readonly linux: boolean) {}

  /**
   * Opens a block (`header {`); values computed inside it are forgotten when it closes.
   *
   * @example
   * em.open(`if (${em.condition(atom)})`);
   */
  open(header: string): void {
    this.lines.push(`${header} {`);
    this.scopes.push(new Map());
  }

  /**
   * Closes the innermost block, optionally continuing it (`} else if (…) {`).
   *
   * @example
   * em.close(`else if (${v} === 34525)`); // then later em.close()
   */
  close(continuation = ''): void {
    this.scopes.pop();
    if (continuation) {
      this.lines.push(`} ${continuation} {`);
      this.scopes.push(new Map());
    } else {
      this.lines.push('}');
    }
  }

  /**
   * The local (or literal) holding the expression's value, -1 when it fails; emits what computes it.
   *
   * @example
   * const v = em.value(table.load(2, 12, null)); // 'v0', after `const v0 = 14 <= p.length ? … : -1;`
   */
  value(e: Expr): string {
    if (e.kind === 'const') return String(e.value);
    if (e.kind === 'len') return 'wl';
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const have = this.scopes[i].get(e.key);
      if (have) return have;
    }
    const code = this.compute(e);
    const name = `v${this.next++}`;
    this.scopes[this.scopes.length - 1].set(e.key, name);
    this.lines.push(`const ${name} = ${code};`);
    return name;
  }

  /**
   * A boolean JavaScript expression for an atom: false whenever an operand
   * fails. `right`, when given, is the JavaScript for the right operand (a
   * constant passed in at run time instead of written into the code).
   *
   * @example
   * em.condition(atom)          // '(v0 === 2048)'
   * em.condition(atom, 'K[0]')  // '(v0 >= 0 && !(v0 === K[0]))' for a negated test
   */
  condition(atom: Atom, right?: string): string {
    const a = this.value(atom.left);
    const b = right ?? this.value(atom.right);
    const test = atom.op === 'eq' ? `${a} === ${b}` : atom.op === 'gt' ? `${a} > ${b}` : atom.op === 'ge' ? `${a} >= ${b}` : `(${a} & ${b}) !== 0`;
    const rightFails = right === undefined && canFail(atom.right);
    const leftFails = canFail(atom.left);
    // -1 (failed) on the left never equals, exceeds or reaches a constant >= 0: a true eq/gt/ge test needs no check.
    const checks: string[] = [];
    if (leftFails && !(atom.truth && atom.op !== 'set' && !rightFails)) checks.push(`${a} >= 0`);
    if (rightFails) checks.push(`${b} >= 0`);
    const core = atom.truth ? test : `!(${test})`;
    return checks.length ? `(${checks.join(' && ')} && ${core})` : `(${core})`;
  }

  private compute(e: Expr): string {
    switch (e.kind) {
      case 'const': return String(e.value);
      case 'len': return 'wl';
      case 'neg': {
        const a = this.value(e.arg);
        return canFail(e.arg) ? `${a} < 0 ? -1 : (-${a}) >>> 0` : `(-${a}) >>> 0`;
      }
      case 'load': {
        if (!e.index) return directLoad(e.size, `${e.k}`, e.k + e.size);
        const x = this.value(e.index);
        // The offset gets a local of its own so that the common case (in range) is an inline load.
        const o = `o${this.next++}`;
        let load: string;
        if (this.linux) {
          // Linux adds X and k as signed 32-bit; a negative sum is one of SKF_LL_OFF's special offsets.
          this.lines.push(`const ${o} = (${x} + ${e.k}) | 0;`);
          load = `${o} >= 0 ? (${directLoad(e.size, o, `${o} + ${e.size}`)}) : ldi${e.size}(p, ${o})`;
        } else {
          // libpcap checks k and X separately, so X + k never wraps to a small offset.
          this.lines.push(`const ${o} = ${x} + ${e.k};`);
          load = `${e.k} > p.length || ${x} > p.length - ${e.k} ? -1 : (${directLoad(e.size, o, `${o} + ${e.size}`)})`;
        }
        return canFail(e.index) ? `${x} < 0 ? -1 : ${load}` : load;
      }
      case 'alu': {
        const a = this.value(e.left), b = this.value(e.right);
        const fails = [canFail(e.left) ? `${a} < 0` : '', canFail(e.right) ? `${b} < 0` : ''].filter(Boolean);
        let op: string;
        switch (e.op) {
          case 'add': op = `(${a} + ${b}) >>> 0`; break;
          case 'sub': op = `(${a} - ${b}) >>> 0`; break;
          case 'mul': op = `Math.imul(${a}, ${b}) >>> 0`; break;
          case 'div': op = `${b} === 0 ? -1 : Math.floor(${a} / ${b})`; break;
          case 'mod': op = `${b} === 0 ? -1 : ${a} % ${b}`; break;
          case 'and': op = `(${a} & ${b}) >>> 0`; break;
          case 'or': op = `(${a} | ${b}) >>> 0`; break;
          case 'xor': op = `(${a} ^ ${b}) >>> 0`; break;
          case 'lsh': op = this.linux ? `(${a} << (${b} & 31)) >>> 0` : `${b} >= 32 ? 0 : (${a} << ${b}) >>> 0`; break;
          case 'rsh': op = this.linux ? `${a} >>> (${b} & 31)` : `${b} >= 32 ? 0 : ${a} >>> ${b}`; break;
        }
        return fails.length ? `${fails.join(' || ')} ? -1 : ${op}` : op;
      }
    }
  }
}

/** A big-endian load written out inline: `at` is the offset (JavaScript), `end` the offset past it; -1 past the captured bytes. */
function directLoad(size: 1 | 2 | 4, at: string, end: number | string): string {
  const byte = (i: number) => (i === 0 ? `p[${at}]` : /^\d+$/.test(at) ? `p[${Number(at) + i}]` : `p[${at} + ${i}]`);
  if (size === 1) return `${end} <= p.length ? ${byte(0)} : -1`;
  if (size === 2) return `${end} <= p.length ? (${byte(0)} << 8) | ${byte(1)} : -1`;
  return `${end} <= p.length ? ((${byte(0)} << 24) | (${byte(1)} << 16) | (${byte(2)} << 8) | ${byte(3)}) >>> 0 : -1`;
}
