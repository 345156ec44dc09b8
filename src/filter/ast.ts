/**
 * The syntax tree of a filter expression. Every node carries the 1-based
 * column where its text starts, so code generation can report semantic errors
 * at the right place.
 *
 * The tree keeps libpcap's order of evaluation: code generation walks it left
 * to right, which matters because `vlan`, `mpls`, `pppoes` and `geneve` shift
 * the offsets of everything generated after them.
 */

/** Protocol qualifier (libpcap's Q_* protocol values); 'default' when none was given. */
export type ProtoQual =
  | 'default' | 'link' | 'ip' | 'arp' | 'rarp' | 'sctp' | 'tcp' | 'udp' | 'icmp' | 'igmp' | 'igrp' | 'pim'
  | 'vrrp' | 'carp' | 'atalk' | 'aarp' | 'decnet' | 'lat' | 'sca' | 'moprc' | 'mopdl' | 'ip6' | 'icmp6'
  | 'ah' | 'esp' | 'iso' | 'esis' | 'isis' | 'l1' | 'l2' | 'iih' | 'lsp' | 'snp' | 'csnp' | 'psnp' | 'clnp'
  | 'stp' | 'ipx' | 'netbeui' | 'radio';

/** Direction qualifier. 'or'/'and' are `src or dst` / `src and dst`. */
export type DirQual = 'default' | 'src' | 'dst' | 'or' | 'and' | 'addr1' | 'addr2' | 'addr3' | 'addr4' | 'ra' | 'ta';

/** Address-type qualifier. */
export type AddrQual = 'default' | 'host' | 'net' | 'port' | 'portrange' | 'gateway' | 'proto' | 'protochain';

/** The qualifiers in force for a primitive, as libpcap's `struct qual`. */
export interface Qualifiers {
  readonly proto: ProtoQual;
  readonly dir: DirQual;
  readonly addr: AddrQual;
}

/** The operand of a qualified primitive, as the lexer saw it. */
export type Operand =
  | { readonly kind: 'name'; readonly text: string }
  | { readonly kind: 'number'; readonly value: number; readonly text: string }
  | { readonly kind: 'ipv4'; readonly text: string; readonly maskText?: string; readonly prefix?: number }
  | { readonly kind: 'ipv6'; readonly text: string; readonly prefix?: number }
  | { readonly kind: 'mac'; readonly text: string };

/** An arithmetic expression (libpcap's `arth`). */
export type Arith =
  | { readonly kind: 'const'; readonly value: number; readonly column: number }
  | { readonly kind: 'len'; readonly column: number }
  | { readonly kind: 'load'; readonly proto: ProtoQual; readonly index: Arith; readonly size: number; readonly column: number }
  | { readonly kind: 'binary'; readonly op: ArithOp; readonly left: Arith; readonly right: Arith; readonly column: number }
  | { readonly kind: 'negate'; readonly operand: Arith; readonly column: number };

export type ArithOp = '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '<<' | '>>';
export type RelOp = '>' | '>=' | '=' | '<=' | '<' | '!=';

/** A filter expression (libpcap's `expr`/`term`/`rterm`/`other`). */
export type Expr =
  | { readonly kind: 'and' | 'or'; readonly left: Expr; readonly right: Expr; readonly column: number }
  | { readonly kind: 'not'; readonly operand: Expr; readonly column: number }
  | { readonly kind: 'primitive'; readonly qual: Qualifiers; readonly operand: Operand; readonly column: number }
  | { readonly kind: 'protoAbbrev'; readonly proto: ProtoQual; readonly column: number }
  | { readonly kind: 'relation'; readonly op: RelOp; readonly left: Arith; readonly right: Arith; readonly column: number }
  | { readonly kind: 'broadcast' | 'multicast'; readonly proto: ProtoQual; readonly column: number }
  | { readonly kind: 'less' | 'greater'; readonly value: number; readonly column: number }
  | { readonly kind: 'byte'; readonly offset: number; readonly op: '&' | '|' | '<' | '>' | '='; readonly value: number; readonly column: number }
  | { readonly kind: 'inbound' | 'outbound'; readonly column: number }
  | { readonly kind: 'ifindex'; readonly value: number; readonly column: number }
  | { readonly kind: 'vlan' | 'mpls' | 'pppoes' | 'geneve'; readonly value?: number; readonly column: number }
  | { readonly kind: 'pppoed'; readonly column: number }
  | { readonly kind: 'pf'; readonly field: 'on' | 'rset' | 'rnr' | 'srnr' | 'reason' | 'action'; readonly value: string | number; readonly column: number; readonly valueColumn: number }
  | { readonly kind: 'wlanType'; readonly proto: ProtoQual; readonly type: string | number; readonly subtype?: string | number; readonly column: number; readonly valueColumn: number }
  | { readonly kind: 'wlanSubtype'; readonly proto: ProtoQual; readonly subtype: string; readonly column: number; readonly valueColumn: number }
  | { readonly kind: 'wlanDir'; readonly proto: ProtoQual; readonly dir: string | number; readonly column: number; readonly valueColumn: number }
  | { readonly kind: 'llc'; readonly subtype?: string; readonly column: number; readonly valueColumn: number }
  | { readonly kind: 'mtp2type'; readonly type: 'fisu' | 'lssu' | 'msu' | 'hfisu' | 'hlssu' | 'hmsu'; readonly column: number }
  | { readonly kind: 'mtp3field'; readonly field: 'sio' | 'opc' | 'dpc' | 'sls' | 'hsio' | 'hopc' | 'hdpc' | 'hsls'; readonly op: RelOp; readonly value: number; readonly column: number }
  | { readonly kind: 'atmType'; readonly type: 'lane' | 'metac' | 'bcc' | 'oam' | 'oamf4' | 'oamf4ec' | 'oamf4sc' | 'sc' | 'ilmic' | 'connectmsg' | 'metaconnect'; readonly column: number }
  | { readonly kind: 'atmField'; readonly field: 'vpi' | 'vci'; readonly op: RelOp; readonly value: number; readonly column: number }
  | { readonly kind: 'true'; readonly column: number };

/**
 * Prints a tree in a compact, fully parenthesized form, for people debugging
 * how an expression parsed (qualifier inheritance made visible).
 *
 * @example
 * formatExpr(parse('host a or b')) // '(or [host a] [host b])'
 */
export function formatExpr(e: Expr): string {
  switch (e.kind) {
    case 'and': case 'or': return `(${e.kind} ${formatExpr(e.left)} ${formatExpr(e.right)})`;
    case 'not': return `(not ${formatExpr(e.operand)})`;
    case 'primitive': {
      const q = [e.qual.proto, e.qual.dir === 'or' ? 'src or dst' : e.qual.dir === 'and' ? 'src and dst' : e.qual.dir, e.qual.addr]
        .filter((x) => x !== 'default');
      const o = e.operand;
      const text = o.kind === 'ipv4' ? o.text + (o.prefix !== undefined ? `/${o.prefix}` : o.maskText ? ` mask ${o.maskText}` : '')
        : o.kind === 'ipv6' ? o.text + (o.prefix !== undefined ? `/${o.prefix}` : '') : o.text;
      return `[${[...q, text].join(' ')}]`;
    }
    case 'protoAbbrev': return e.proto;
    case 'relation': return `(${formatArith(e.left)} ${e.op} ${formatArith(e.right)})`;
    case 'broadcast': case 'multicast': return `${e.proto === 'default' ? '' : e.proto + ' '}${e.kind}`;
    case 'less': case 'greater': case 'ifindex': return `${e.kind} ${e.value}`;
    case 'byte': return `byte ${e.offset} ${e.op} ${e.value}`;
    case 'vlan': case 'mpls': case 'pppoes': case 'geneve': return e.value === undefined ? e.kind : `${e.kind} ${e.value}`;
    case 'pf': return `${e.field} ${e.value}`;
    case 'wlanType': return `type ${e.type}${e.subtype !== undefined ? ` subtype ${e.subtype}` : ''}`;
    case 'wlanSubtype': return `subtype ${e.subtype}`;
    case 'wlanDir': return `dir ${e.dir}`;
    case 'llc': return e.subtype ? `llc ${e.subtype}` : 'llc';
    case 'mtp2type': return e.type;
    case 'mtp3field': return `${e.field} ${e.op} ${e.value}`;
    case 'atmType': return e.type;
    case 'atmField': return `${e.field} ${e.op} ${e.value}`;
    default: return e.kind;
  }
}

/**
 * Prints an arithmetic expression, parenthesized.
 *
 * @example
 * formatArith({ kind: 'const', value: 4, column: 1 }) // '4'
 */
export function formatArith(a: Arith): string {
  switch (a.kind) {
    case 'const': return String(a.value);
    case 'len': return 'len';
    case 'load': return `${a.proto}[${formatArith(a.index)}:${a.size}]`;
    case 'binary': return `(${formatArith(a.left)} ${a.op} ${formatArith(a.right)})`;
    case 'negate': return `-${formatArith(a.operand)}`;
  }
}
