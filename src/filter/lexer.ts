/**
 * The lexer: filter text → tokens, each with its 1-based column.
 *
 * Tokenization follows libpcap's scanner: the longest match wins, and among
 * equally long matches the earlier rule (keyword, number, IPv4 host, IPv6
 * host, MAC address, named constant, name). Keywords are lower case only, as
 * in libpcap (`TCP` is a name, not a keyword).
 */
import { isIPv6 } from 'node:net';
import { FilterSyntaxError } from './errors.js';

/** Token kinds. Keywords have their own kind (the canonical keyword); numbers are 'num'. */
export type TokenKind =
  | 'num' | 'id' | 'hid' | 'hid6' | 'eid' | 'eof'
  | '(' | ')' | '[' | ']' | ':' | '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '!'
  | '<' | '>' | '=' | '>=' | '<=' | '!=' | '<<' | '>>'
  | Keyword;

/** One token: its kind, its exact text, its 1-based column, and for numbers the value. */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly column: number;
  readonly value: number;
}

/** The protocol names that can qualify a primitive (libpcap's `pname`), by keyword. */
export const PROTOCOL_KEYWORDS = [
  'link', 'ip', 'arp', 'rarp', 'sctp', 'tcp', 'udp', 'icmp', 'igmp', 'igrp', 'pim', 'vrrp', 'carp',
  'atalk', 'aarp', 'decnet', 'lat', 'sca', 'moprc', 'mopdl', 'ip6', 'icmp6', 'ah', 'esp', 'iso',
  'esis', 'isis', 'l1', 'l2', 'iih', 'lsp', 'snp', 'csnp', 'psnp', 'clnp', 'stp', 'ipx', 'netbeui', 'radio',
] as const;

const OTHER_KEYWORDS = [
  'src', 'dst', 'host', 'net', 'mask', 'port', 'portrange', 'proto', 'protochain', 'gateway',
  'type', 'subtype', 'dir', 'addr1', 'addr2', 'addr3', 'addr4', 'ra', 'ta',
  'less', 'greater', 'byte', 'broadcast', 'multicast', 'and', 'or', 'not', 'len',
  'inbound', 'outbound', 'ifindex', 'vlan', 'mpls', 'pppoed', 'pppoes', 'geneve',
  'lane', 'llc', 'metac', 'bcc', 'oam', 'oamf4', 'oamf4ec', 'oamf4sc', 'sc', 'ilmic', 'vpi', 'vci',
  'connectmsg', 'metaconnect', 'on', 'rset', 'rnr', 'srnr', 'reason', 'action',
  'fisu', 'lssu', 'msu', 'hfisu', 'hlssu', 'hmsu', 'sio', 'opc', 'dpc', 'sls', 'hsio', 'hopc', 'hdpc', 'hsls',
] as const;

/** Every keyword kind. */
export type Keyword = (typeof PROTOCOL_KEYWORDS)[number] | (typeof OTHER_KEYWORDS)[number];

/** Spellings that mean a keyword (libpcap's synonyms map onto one kind). */
const KEYWORDS = new Map<string, Keyword>([
  ...PROTOCOL_KEYWORDS.map((k) => [k, k] as [string, Keyword]),
  ...OTHER_KEYWORDS.map((k) => [k, k] as [string, Keyword]),
  ['ether', 'link'], ['ppp', 'link'], ['slip', 'link'], ['fddi', 'link'], ['tr', 'link'], ['wlan', 'link'],
  ['es-is', 'esis'], ['lsu', 'lssu'], ['is-is', 'isis'], ['direction', 'dir'],
  ['address1', 'addr1'], ['address2', 'addr2'], ['address3', 'addr3'], ['address4', 'addr4'],
  ['length', 'len'], ['ifname', 'on'], ['ruleset', 'rset'], ['rulenum', 'rnr'], ['subrulenum', 'srnr'],
]);

/** Named constants the language defines (they lex as numbers). */
export const NAMED_CONSTANTS: ReadonlyMap<string, number> = new Map([
  ['icmptype', 0], ['icmpcode', 1],
  ['icmp-echoreply', 0], ['icmp-unreach', 3], ['icmp-sourcequench', 4], ['icmp-redirect', 5], ['icmp-echo', 8],
  ['icmp-routeradvert', 9], ['icmp-routersolicit', 10], ['icmp-timxceed', 11], ['icmp-paramprob', 12],
  ['icmp-tstamp', 13], ['icmp-tstampreply', 14], ['icmp-ireq', 15], ['icmp-ireqreply', 16],
  ['icmp-maskreq', 17], ['icmp-maskreply', 18],
  ['icmp6type', 0], ['icmp6code', 1],
  ['icmp6-destinationunreach', 1], ['icmp6-packettoobig', 2], ['icmp6-timeexceeded', 3], ['icmp6-parameterproblem', 4],
  ['icmp6-echo', 128], ['icmp6-echoreply', 129], ['icmp6-multicastlistenerquery', 130],
  ['icmp6-multicastlistenerreportv1', 131], ['icmp6-multicastlistenerdone', 132], ['icmp6-routersolicit', 133],
  ['icmp6-routeradvert', 134], ['icmp6-neighborsolicit', 135], ['icmp6-neighboradvert', 136], ['icmp6-redirect', 137],
  ['icmp6-routerrenum', 138], ['icmp6-nodeinformationquery', 139], ['icmp6-nodeinformationresponse', 140],
  ['icmp6-ineighbordiscoverysolicit', 141], ['icmp6-ineighbordiscoveryadvert', 142],
  ['icmp6-multicastlistenerreportv2', 143], ['icmp6-homeagentdiscoveryrequest', 144],
  ['icmp6-homeagentdiscoveryreply', 145], ['icmp6-mobileprefixsolicit', 146], ['icmp6-mobileprefixadvert', 147],
  ['icmp6-certpathsolicit', 148], ['icmp6-certpathadvert', 149], ['icmp6-multicastrouteradvert', 151],
  ['icmp6-multicastroutersolicit', 152], ['icmp6-multicastrouterterm', 153],
  ['tcpflags', 13], ['tcp-fin', 0x01], ['tcp-syn', 0x02], ['tcp-rst', 0x04], ['tcp-push', 0x08],
  ['tcp-ack', 0x10], ['tcp-urg', 0x20], ['tcp-ece', 0x40], ['tcp-cwr', 0x80],
]);

const OPERATORS: readonly string[] = ['>=', '<=', '!=', '==', '<<', '>>', '&&', '||',
  '(', ')', '[', ']', ':', '+', '-', '*', '/', '%', '&', '|', '^', '!', '<', '>', '='];

const OPERATOR_START: ReadonlySet<string> = new Set(OPERATORS.map((o) => o[0]));
const NUMBER = /(?:0[xX][0-9A-Fa-f]+|[0-9]+)/y;
const N = '(?:0[xX][0-9A-Fa-f]+|[0-9]+)';
const HOST4 = new RegExp(`${N}\\.${N}(?:\\.${N}(?:\\.${N})?)?`, 'y');
const B = '[0-9A-Fa-f][0-9A-Fa-f]?';
const B2 = '[0-9A-Fa-f]{4}';
const MAC = new RegExp(`(?:${B}:${B}:${B}:${B}:${B}:${B}|${B}-${B}-${B}-${B}-${B}-${B}|${B}\\.${B}\\.${B}\\.${B}\\.${B}\\.${B}|${B2}\\.${B2}\\.${B2}|[0-9A-Fa-f]{12})`, 'y');
const NAME = /[A-Za-z0-9](?:[-_.A-Za-z0-9]*[.A-Za-z0-9])?/y;
const ESCAPED_NAME = /\\[^ !()\n\t]+/y;
const HEXRUN = /[0-9A-Fa-f:.]+/y;

/**
 * Converts a number token as libpcap does: 0x… hex, a leading 0 octal, else
 * decimal; anything that does not fit 32 bits is an error.
 *
 * @example
 * parseNumber('0x1f', 'ip[0x1f] = 1', 4) // 31
 * parseNumber('010', 'ip[010] = 1', 4)  // 8
 */
export function parseNumber(text: string, expression: string, column: number): number {
  let value: bigint;
  if (/^0[xX]/.test(text)) value = BigInt(text);
  else if (text.length > 1 && text[0] === '0') {
    if (/[89]/.test(text)) throw new FilterSyntaxError(expression, column, `number ${text} contains non-octal digit`);
    value = BigInt('0o' + text.slice(1));
  } else value = BigInt(text);
  if (value > 0xffffffffn) throw new FilterSyntaxError(expression, column, `number ${text} overflows 32 bits`);
  return Number(value);
}

function stickyMatch(re: RegExp, text: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(text)?.[0];
}

/** Longest prefix of a run of hex digits, colons and dots that is an IPv6 address. */
function longestIPv6(expression: string, at: number): number {
  const run = stickyMatch(HEXRUN, expression, at) ?? '';
  if (!run.includes(':')) return 0;
  for (let n = run.length; n >= 2; n--) {
    if (isIPv6(run.slice(0, n))) return n;
  }
  return 0;
}

/**
 * Splits a filter expression into tokens; throws FilterSyntaxError at the
 * first character that starts no token.
 *
 * @example
 * tokenize('tcp port 80').map((t) => t.kind) // ['tcp', 'port', 'num', 'eof']
 */
export function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < expression.length) {
    const c = expression[at];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { at++; continue; }
    const column = at + 1;
    const op = OPERATOR_START.has(c) ? OPERATORS.find((o) => expression.startsWith(o, at)) : undefined;
    // Candidates in libpcap's rule order; the longest wins, ties go to the earlier.
    const candidates: Array<[TokenKind | 'name' | 'const', number]> = [];
    const name = stickyMatch(NAME, expression, at);
    if (name !== undefined && KEYWORDS.has(name)) candidates.push([KEYWORDS.get(name)!, name.length]);
    if (op !== undefined) candidates.push(['op' as TokenKind, op.length]);
    // libpcap's MAC rule precedes the number rules: 0102.0304.0506 is a MAC, not a dotted number.
    const mac = /[0-9A-Fa-f]/.test(c) ? stickyMatch(MAC, expression, at) : undefined;
    if (mac !== undefined) candidates.push(['eid', mac.length]);
    const num = stickyMatch(NUMBER, expression, at);
    if (num !== undefined) candidates.push(['num', num.length]);
    const host4 = num !== undefined ? stickyMatch(HOST4, expression, at) : undefined;
    if (host4 !== undefined) candidates.push(['hid', host4.length]);
    const v6 = /[0-9A-Fa-f:]/.test(c) ? longestIPv6(expression, at) : 0;
    if (v6 > 0) candidates.push(['hid6', v6]);
    if (name !== undefined && NAMED_CONSTANTS.has(name)) candidates.push(['const', name.length]);
    if (name !== undefined) candidates.push(['name', name.length]);
    const escaped = c === '\\' ? stickyMatch(ESCAPED_NAME, expression, at) : undefined;
    if (escaped !== undefined) candidates.push(['name', escaped.length]);
    if (candidates.length === 0) {
      throw new FilterSyntaxError(expression, column, `illegal character ${JSON.stringify(c)}`);
    }
    let [kind, length] = candidates[0];
    for (const [k, n] of candidates) if (n > length) { kind = k; length = n; }
    const text = expression.slice(at, at + length);
    if (kind === ('op' as TokenKind)) {
      const mapped = text === '&&' ? 'and' : text === '||' ? 'or' : text === '==' ? '=' : text;
      tokens.push({ kind: mapped as TokenKind, text, column, value: 0 });
    } else if (kind === 'num') {
      tokens.push({ kind: 'num', text, column, value: parseNumber(text, expression, column) });
    } else if (kind === 'const') {
      tokens.push({ kind: 'num', text, column, value: NAMED_CONSTANTS.get(text)! });
    } else if (kind === 'name') {
      tokens.push({ kind: 'id', text: text.startsWith('\\') ? text.slice(1) : text, column, value: 0 });
    } else if (kind === 'hid6' && /^[0-9A-Fa-f]{1,2}(:[0-9A-Fa-f]{1,2}){5}$/.test(text) === false && !isIPv6(text)) {
      throw new FilterSyntaxError(expression, column, `bogus IPv6 address ${text}`);
    } else {
      tokens.push({ kind: kind as TokenKind, text, column, value: 0 });
    }
    at += length;
  }
  tokens.push({ kind: 'eof', text: '', column: expression.length + 1, value: 0 });
  return tokens;
}
