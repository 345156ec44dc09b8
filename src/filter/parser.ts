/**
 * The parser: tokens → syntax tree, for the whole pcap-filter(7) grammar.
 *
 * It follows libpcap's grammar, including its qualifier inheritance: an
 * operand without qualifiers after `and`/`or` (or inside parentheses made
 * only of operands) takes the qualifiers of the primitive before it, so
 * `host a or b` is `host a or host b` and `port 80 or 443` is two ports. A
 * term that is not a qualified primitive (`tcp`, `ip[0] = 1`, `vlan`) leaves
 * nothing to inherit, and an operand after it is an error, as in libpcap.
 */
import type { AddrQual, Arith, ArithOp, DirQual, Expr, Operand, ProtoQual, Qualifiers, RelOp } from './ast.js';
import { CompileError, FilterSyntaxError } from './errors.js';
import { PROTOCOL_KEYWORDS, tokenize, type Token, type TokenKind } from './lexer.js';

/** 'none' is libpcap's `qerr`: the previous term gives nothing to inherit. */
type Inherited = Qualifiers | 'none';

const PROTOCOLS = new Set<string>(PROTOCOL_KEYWORDS);
const ADDR_QUALS = new Set<string>(['host', 'net', 'port', 'portrange', 'gateway', 'proto', 'protochain']);
const DIR_SINGLE = new Set<string>(['addr1', 'addr2', 'addr3', 'addr4', 'ra', 'ta']);
const RELOPS = new Set<string>(['>', '>=', '=', '<=', '<', '!=']);
const ARITH_OPS = new Set<string>(['+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>']);
/**
 * Binding strength of binary arithmetic operators, as libpcap's grammar
 * declares them. `%` and `^` are not declared there, so yacc always shifts
 * them: each takes the operand just before it and everything after it (see
 * arithOperand).
 */
const PRECEDENCE: Readonly<Record<string, number>> = { '|': 1, '&': 2, '<<': 3, '>>': 3, '+': 4, '-': 4, '*': 5, '/': 5 };
const ATM_TYPES = new Set<string>(['lane', 'metac', 'bcc', 'oam', 'oamf4', 'oamf4ec', 'oamf4sc', 'sc', 'ilmic', 'connectmsg', 'metaconnect']);
const MTP2_TYPES = new Set<string>(['fisu', 'lssu', 'msu', 'hfisu', 'hlssu', 'hmsu']);
const MTP3_FIELDS = new Set<string>(['sio', 'opc', 'dpc', 'sls', 'hsio', 'hopc', 'hdpc', 'hsls']);
const DEFAULT_QUAL: Qualifiers = Object.freeze({ proto: 'default', dir: 'default', addr: 'default' });

/** Thrown internally when a speculative parse fails; never escapes the parser (not an Error: no stack to capture). */
class Backtrack {}

class Parser {
  private pos = 0;
  private speculating = 0;

  constructor(private readonly expression: string, private readonly tokens: Token[]) {}

  private get tok(): Token { return this.tokens[this.pos]; }
  private peek(n = 1): Token { return this.tokens[Math.min(this.pos + n, this.tokens.length - 1)]; }
  private is(kind: TokenKind): boolean { return this.tok.kind === kind; }
  private next(): Token { return this.tokens[this.pos < this.tokens.length - 1 ? this.pos++ : this.pos]; }

  private fail(token: Token, expected: string): never {
    if (this.speculating > 0) throw new Backtrack();
    const found = token.kind === 'eof' ? 'end of expression' : JSON.stringify(token.text);
    throw new FilterSyntaxError(this.expression, token.column, `syntax error: expected ${expected}, found ${found}`);
  }

  private expect(kind: TokenKind, expected: string): Token {
    if (!this.is(kind)) this.fail(this.tok, expected);
    return this.next();
  }

  /** Runs `f` speculatively: on failure the position is restored and undefined returned. */
  private attempt<T>(f: () => T): T | undefined {
    const saved = this.pos;
    this.speculating++;
    try {
      return f();
    } catch (e) {
      if (!(e instanceof Backtrack) && !(e instanceof FilterSyntaxError)) throw e;
      this.pos = saved;
      return undefined;
    } finally {
      this.speculating--;
    }
  }

  program(): Expr {
    if (this.is('eof')) return { kind: 'true', column: 0 };
    const { expr } = this.expr('none');
    if (!this.is('eof')) this.fail(this.tok, '"and", "or" or end of expression');
    return expr;
  }

  private expr(context: Inherited): { expr: Expr; qual: Inherited } {
    let { expr, qual } = this.term(context);
    while (this.is('and') || this.is('or')) {
      const op = this.next();
      const kind = op.kind as 'and' | 'or';
      if (this.idFollows(qual)) {
        const right = this.id(qual);
        expr = { kind, left: expr, right, column: op.column };
      } else {
        const t = this.term(qual);
        expr = { kind, left: expr, right: t.expr, column: op.column };
        qual = t.qual;
      }
    }
    return { expr, qual };
  }

  /** At '(': could this start arithmetic? (Looks past the parentheses at the first real token.) */
  private mayBeArith(): boolean {
    let i = this.pos;
    while (this.tokens[i].kind === '(') i++;
    const t = this.tokens[i];
    return t.kind === 'num' || t.kind === 'len' || t.kind === '-' || (PROTOCOLS.has(t.kind) && this.tokens[i + 1].kind === '[');
  }

  /** After and/or: does an operand (inheriting qualifiers) follow, rather than a term? */
  private idFollows(qual: Inherited): boolean {
    let i = this.pos;
    while (this.tokens[i].kind === 'not' || this.tokens[i].kind === '!') i++;
    const t = this.tokens[i];
    if (t.kind === 'id' || t.kind === 'hid' || t.kind === 'hid6' || t.kind === 'eid') return true;
    if (t.kind === 'num') {
      const after = this.tokens[i + 1].kind;
      return !RELOPS.has(after) && !ARITH_OPS.has(after);
    }
    if (t.kind === '(') {
      const saved = this.pos;
      this.pos = i;
      const ok = this.attempt(() => { this.id(qual === 'none' ? DEFAULT_QUAL : qual); return true; });
      const after = this.tok.kind;
      this.pos = saved;
      return ok === true && !RELOPS.has(after) && !ARITH_OPS.has(after);
    }
    return false;
  }

  private term(context: Inherited): { expr: Expr; qual: Inherited } {
    if (this.is('not') || this.is('!')) {
      const not = this.next();
      const inner = this.term(context);
      return { expr: { kind: 'not', operand: inner.expr, column: not.column }, qual: inner.qual };
    }
    return this.rterm(context);
  }

  private rterm(context: Inherited): { expr: Expr; qual: Inherited } {
    const t = this.tok;
    if (t.kind === '(') {
      const relation = this.mayBeArith() ? this.attempt(() => this.relation()) : undefined;
      if (relation) return { expr: relation, qual: 'none' };
      this.next();
      const inner = this.expr(context);
      this.expect(')', '")"');
      return { expr: inner.expr, qual: context };
    }
    if (t.kind === 'num' || t.kind === 'len' || t.kind === '-' ) return { expr: this.relation(), qual: 'none' };
    if (PROTOCOLS.has(t.kind) && this.peek().kind === '[') return { expr: this.relation(), qual: 'none' };
    switch (t.kind) {
      case 'less': case 'greater': {
        this.next();
        const n = this.expect('num', 'a number');
        return { expr: { kind: t.kind, value: n.value, column: t.column }, qual: 'none' };
      }
      case 'byte': {
        this.next();
        const offset = this.expect('num', 'a byte offset').value;
        const op = this.tok;
        if (!['&', '|', '<', '>', '='].includes(op.kind)) this.fail(op, 'one of & | < > =');
        this.next();
        const value = this.expect('num', 'a number').value;
        return { expr: { kind: 'byte', offset, op: op.kind as '&', value, column: t.column }, qual: 'none' };
      }
      case 'inbound': case 'outbound':
        this.next();
        return { expr: { kind: t.kind, column: t.column }, qual: 'none' };
      case 'ifindex': {
        this.next();
        return { expr: { kind: 'ifindex', value: this.expect('num', 'an interface index').value, column: t.column }, qual: 'none' };
      }
      case 'vlan': case 'mpls': case 'pppoes': case 'geneve': {
        this.next();
        const value = this.optionalPnum();
        return { expr: value === undefined ? { kind: t.kind, column: t.column } : { kind: t.kind, value, column: t.column }, qual: 'none' };
      }
      case 'pppoed':
        this.next();
        return { expr: { kind: 'pppoed', column: t.column }, qual: 'none' };
      case 'on': case 'rset': case 'rnr': case 'srnr': case 'reason': case 'action':
        return { expr: this.pfField(), qual: 'none' };
      case 'llc': {
        this.next();
        if (this.is('id') || this.is('rnr')) {
          const v = this.next();
          return { expr: { kind: 'llc', subtype: v.text, column: t.column, valueColumn: v.column }, qual: 'none' };
        }
        return { expr: { kind: 'llc', column: t.column, valueColumn: t.column }, qual: 'none' };
      }
      default:
        break;
    }
    if (MTP2_TYPES.has(t.kind)) {
      this.next();
      return { expr: { kind: 'mtp2type', type: t.kind as 'fisu', column: t.column }, qual: 'none' };
    }
    if (ATM_TYPES.has(t.kind)) {
      this.next();
      return { expr: { kind: 'atmType', type: t.kind as 'lane', column: t.column }, qual: 'none' };
    }
    if (MTP3_FIELDS.has(t.kind) || t.kind === 'vpi' || t.kind === 'vci') {
      this.next();
      let op: RelOp = '=';
      if (RELOPS.has(this.tok.kind)) op = this.next().kind as RelOp;
      const n = this.expect('num', 'a number');
      if (t.kind === 'vpi' || t.kind === 'vci') return { expr: { kind: 'atmField', field: t.kind, op, value: n.value, column: t.column }, qual: 'none' };
      return { expr: { kind: 'mtp3field', field: t.kind as 'sio', op, value: n.value, column: t.column }, qual: 'none' };
    }
    return this.qualified();
  }

  /** `[pname] [dir] [addr] operand`, `pname` alone, `[pname] broadcast|multicast`, `[pname] type|subtype|dir …`. */
  private qualified(): { expr: Expr; qual: Inherited } {
    const start = this.tok;
    let proto: ProtoQual = 'default';
    if (PROTOCOLS.has(start.kind)) { proto = start.kind as ProtoQual; this.next(); }
    const t = this.tok;
    if (t.kind === 'broadcast' || t.kind === 'multicast') {
      this.next();
      return { expr: { kind: t.kind, proto, column: start.column }, qual: 'none' };
    }
    if (t.kind === 'type' || t.kind === 'subtype' || t.kind === 'dir') return { expr: this.wlan(proto, start), qual: 'none' };
    let dir: DirQual = 'default';
    if (t.kind === 'src' || t.kind === 'dst') {
      this.next();
      dir = t.kind;
      const other = t.kind === 'src' ? 'dst' : 'src';
      if ((this.is('or') || this.is('and')) && this.peek().kind === other) {
        dir = this.next().kind as 'or' | 'and';
        this.next();
      }
    } else if (DIR_SINGLE.has(t.kind)) {
      dir = this.next().kind as DirQual;
    }
    let addr: AddrQual = 'default';
    if (ADDR_QUALS.has(this.tok.kind)) {
      const a = this.tok;
      if (dir !== 'default' && (a.kind === 'proto' || a.kind === 'protochain' || a.kind === 'gateway')) {
        this.fail(a, 'host, net, port, portrange or an address');
      }
      addr = this.next().kind as AddrQual;
    }
    if (proto !== 'default' && dir === 'default' && addr === 'default') {
      return { expr: { kind: 'protoAbbrev', proto, column: start.column }, qual: 'none' };
    }
    if (proto === 'default' && dir === 'default' && addr === 'default') {
      this.fail(start, 'a primitive (such as host, net, port, a protocol name, or an expression in parentheses)');
    }
    const qual: Qualifiers = { proto, dir, addr };
    return { expr: this.id(qual), qual };
  }

  /** An operand with the given qualifiers: name, number, address, `not` operand, or a parenthesized list. */
  private id(qual: Inherited): Expr {
    const t = this.tok;
    if (t.kind === 'not' || t.kind === '!') {
      this.next();
      return { kind: 'not', operand: this.id(qual), column: t.column };
    }
    if (t.kind === '(') {
      this.next();
      let expr = this.operand(qual);
      while (this.is('and') || this.is('or')) {
        const op = this.next();
        expr = { kind: op.kind as 'and' | 'or', left: expr, right: this.id(qual), column: op.column };
      }
      this.expect(')', '")"');
      return expr;
    }
    return this.operand(qual);
  }

  private operand(qual: Inherited): Expr {
    const t = this.tok;
    let operand: Operand;
    switch (t.kind) {
      case 'id': this.next(); operand = { kind: 'name', text: t.text }; break;
      case 'num': this.next(); operand = { kind: 'number', value: t.value, text: t.text }; break;
      case 'eid': this.next(); operand = { kind: 'mac', text: t.text }; break;
      case 'hid': {
        this.next();
        if (this.is('/')) {
          this.next();
          operand = { kind: 'ipv4', text: t.text, prefix: this.expect('num', 'a prefix length').value };
        } else if (this.is('mask')) {
          this.next();
          const m = this.expect('hid', 'a netmask such as 255.255.0.0');
          operand = { kind: 'ipv4', text: t.text, maskText: m.text };
        } else operand = { kind: 'ipv4', text: t.text };
        break;
      }
      case 'hid6': {
        this.next();
        if (this.is('/')) {
          this.next();
          operand = { kind: 'ipv6', text: t.text, prefix: this.expect('num', 'a prefix length').value };
        } else operand = { kind: 'ipv6', text: t.text };
        break;
      }
      case 'not': case '!': case '(':
        return this.id(qual);
      default:
        this.fail(t, 'a host name, address, number or port');
    }
    if (qual === 'none') {
      if (this.speculating > 0) throw new Backtrack();
      throw new CompileError(this.expression, t.column,
        `syntax error: ${JSON.stringify(t.text)} has no qualifier (host, net, port, ...) and the term before it has none to inherit`);
    }
    return { kind: 'primitive', qual, operand, column: t.column };
  }

  private optionalPnum(): number | undefined {
    if (this.is('num')) return this.next().value;
    if (this.is('(')) {
      return this.attempt(() => {
        this.next();
        const v = this.optionalPnum();
        if (v === undefined) throw new Backtrack();
        this.expect(')', '")"');
        return v;
      });
    }
    return undefined;
  }

  private pfField(): Expr {
    const t = this.next();
    const v = this.tok;
    const field = t.kind as 'on' | 'rset' | 'rnr' | 'srnr' | 'reason' | 'action';
    if (field === 'rnr' || field === 'srnr') {
      const n = this.expect('num', 'a rule number');
      return { kind: 'pf', field, value: n.value, column: t.column, valueColumn: n.column };
    }
    if (field === 'reason' && v.kind === 'num') {
      this.next();
      return { kind: 'pf', field, value: v.value, column: t.column, valueColumn: v.column };
    }
    const name = this.expect('id', field === 'on' ? 'an interface name' : field === 'rset' ? 'a ruleset name' : `a ${field} name`);
    return { kind: 'pf', field, value: name.text, column: t.column, valueColumn: name.column };
  }

  private wlan(proto: ProtoQual, start: Token): Expr {
    const t = this.next();
    const v = this.tok;
    if (v.kind !== 'num' && v.kind !== 'id') this.fail(v, `an 802.11 ${t.kind === 'dir' ? 'direction' : t.kind}`);
    this.next();
    const value = v.kind === 'num' ? v.value : v.text;
    if (t.kind === 'type') {
      if (this.is('subtype')) {
        this.next();
        const s = this.tok;
        if (s.kind !== 'num' && s.kind !== 'id') this.fail(s, 'an 802.11 subtype');
        this.next();
        return { kind: 'wlanType', proto, type: value, subtype: s.kind === 'num' ? s.value : s.text, column: start.column, valueColumn: s.column };
      }
      return { kind: 'wlanType', proto, type: value, column: start.column, valueColumn: v.column };
    }
    if (t.kind === 'subtype') {
      if (v.kind !== 'id') this.fail(v, 'an 802.11 subtype name');
      return { kind: 'wlanSubtype', proto, subtype: v.text, column: start.column, valueColumn: v.column };
    }
    return { kind: 'wlanDir', proto, dir: value, column: start.column, valueColumn: v.column };
  }

  private relation(): Expr {
    const left = this.arith(0);
    const op = this.tok;
    if (!RELOPS.has(op.kind)) this.fail(op, 'a comparison (= != < <= > >=) or an arithmetic operator');
    this.next();
    const right = this.arith(0);
    return { kind: 'relation', op: op.kind as RelOp, left, right, column: left.column };
  }

  private arith(minPrecedence: number): Arith {
    let left = this.arithOperand();
    for (;;) {
      const op = this.tok;
      const p = PRECEDENCE[op.kind];
      if (p === undefined || p < minPrecedence) break;
      this.next();
      const right = this.arith(p + 1);
      left = { kind: 'binary', op: op.kind as ArithOp, left, right, column: left.column };
    }
    return left;
  }

  /** An operand, and when `%` or `^` follows it, `operand op (the rest of the arithmetic expression)`. */
  private arithOperand(): Arith {
    const left = this.arithPrimary();
    if (!this.is('^') && !this.is('%')) return left;
    const op = this.next().kind as '^' | '%';
    const right = this.arith(0);
    return { kind: 'binary', op, left, right, column: left.column };
  }

  private arithPrimary(): Arith {
    const t = this.tok;
    switch (t.kind) {
      case 'num': this.next(); return { kind: 'const', value: t.value, column: t.column };
      case 'len': this.next(); return { kind: 'len', column: t.column };
      case '-': this.next(); return { kind: 'negate', operand: this.arithOperand(), column: t.column };
      case '(': {
        this.next();
        const inner = this.arith(0);
        this.expect(')', '")"');
        return inner;
      }
      default: break;
    }
    if (PROTOCOLS.has(t.kind) && this.peek().kind === '[') {
      this.next();
      this.next();
      const index = this.arith(0);
      let size = 1;
      if (this.is(':')) {
        this.next();
        const s = this.expect('num', 'a size (1, 2 or 4)');
        if (s.value !== 1 && s.value !== 2 && s.value !== 4) {
          if (this.speculating > 0) throw new Backtrack();
          throw new CompileError(this.expression, s.column, 'data size must be 1, 2, or 4');
        }
        size = s.value;
      }
      this.expect(']', '"]"');
      return { kind: 'load', proto: t.kind as ProtoQual, index, size, column: t.column };
    }
    return this.fail(t, 'a number, "len", "(" or proto[offset]');
  }
}

/**
 * Parses a filter expression into its syntax tree. An empty expression is
 * `{kind: 'true'}` (accept everything), as in libpcap.
 *
 * @example
 * parse('port 80 or 443') // or(primitive port 80, primitive port 443)
 */
export function parse(expression: string): Expr {
  const tokens = tokenize(expression);
  try {
    return new Parser(expression, tokens).program();
  } catch (e) {
    if (e instanceof RangeError) throw new FilterSyntaxError(expression, 1, 'expression nested too deeply for the parser');
    throw e;
  }
}
