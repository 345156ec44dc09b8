/**
 * The expressions the optimizer is measured and checked on, per link type:
 * the compiler's random generator, test/bpf's 240 Ethernet expressions,
 * pcap-filter(7)'s examples (with addresses for names) and issue 3's
 * benchmark filters. Shared by the optimizer's tests and its benchmark.
 *
 * @example
 * for (const { expression, dlt } of optimizerCorpus(10)) …
 */
import { EXPRESSIONS } from '../../bpf/expressions.js';
import { RANDOM_LINK_TYPES, RandomExpressions } from '../random-expression.js';

/** pcap-filter(7)'s EXAMPLES section, names replaced by addresses. */
export const MAN_EXAMPLES: readonly string[] = [
  'host 10.0.0.1',
  'host 10.0.0.1 and (10.0.0.2 or 192.168.1.1)',
  'ip host 10.0.0.2 and not 10.0.0.1',
  'net 10',
  'ether host 02:00:00:00:00:01 and not host 10.0.0.1 and (port ftp or ftp-data)',
  'ip and not net 192.168.0.0/16',
  'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0 and not src and dst net 192.168.0.0/16',
  'tcp port 80 and (((ip[2:2] - ((ip[0]&0xf)<<2)) - ((tcp[12]&0xf0)>>2)) != 0)',
  'ether host 02:00:00:00:00:01 and ip[2:2] > 576',
  'ether[0] & 1 = 0 and ip[16] >= 224',
  'icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply',
  'tcp[tcpflags] & (tcp-rst|tcp-ack) == (tcp-rst|tcp-ack)',
];

/** Issue 3's benchmark filters (bench/jit.bench.ts). */
export const BENCHMARK_FILTERS: readonly string[] = [
  'ip', 'tcp', 'host 10.0.0.1', 'tcp port 80', 'udp and dst port 53', 'net 192.168.0.0/16 and not port 22',
  'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0', 'ip6 and tcp', 'vlan and tcp port 443', '(tcp port 80 or tcp port 443) and host 10.1.2.3',
  Array.from({ length: 20 }, (_, i) => `host 10.0.0.${i * 2 + 1}`).join(' or '), 'portrange 1000-2000',
];

/** One expression for one link type, and where it came from. */
export interface CorpusExpression {
  expression: string;
  dlt: number;
  source: 'random' | 'expressions' | 'man' | 'benchmark';
}

/**
 * The fixed expressions (Ethernet) plus `perLinkType` random ones for each
 * of the generator's link types.
 *
 * @example
 * optimizerCorpus(120).length // ≥ 2,000
 */
export function optimizerCorpus(perLinkType: number): CorpusExpression[] {
  const out: CorpusExpression[] = [
    ...EXPRESSIONS.map((expression) => ({ expression, dlt: 1, source: 'expressions' as const })),
    ...MAN_EXAMPLES.map((expression) => ({ expression, dlt: 1, source: 'man' as const })),
    ...BENCHMARK_FILTERS.map((expression) => ({ expression, dlt: 1, source: 'benchmark' as const })),
  ];
  for (const dlt of RANDOM_LINK_TYPES) {
    const gen = new RandomExpressions(dlt * 104729 + 3);
    for (let i = 0; i < perLinkType; i++) out.push({ expression: gen.expression(dlt), dlt, source: 'random' });
  }
  return out;
}
