/**
 * Filter expressions for the eBPF differential tests: a fixed list that
 * touches every kind of load and test the compiler emits, and a
 * deterministic sample of combinations of primitives (and/or/not, nested),
 * each compiled by bpfkit's compiler and by libpcap.
 */
import { compile, FilterError } from '../../src/filter/index.js';
import type { Program } from '../../src/bpf/program.js';
import { Oracle, OracleCompileError } from '../oracle/oracle.js';
import { seeded } from '../bpf/jit-random.js';

/** Expressions every target must translate faithfully (Ethernet), beside the random ones. */
export const FIXED_EXPRESSIONS: readonly string[] = [
  'udp port 7777', 'udp port 9999', 'tcp port 80', 'tcp', 'udp', 'icmp', 'arp', 'ip', 'ip6', 'vlan',
  'host 10.0.0.1', 'src host 10.0.0.2 and dst port 53', 'net 192.168.0.0/16', 'portrange 1000-2000',
  'tcp[tcpflags] & tcp-syn != 0', 'tcp[13] & 2 != 0 and not tcp[13] & 16 != 0', 'ip[8] > 64', 'len > 100',
  'less 64', 'greater 200', 'ether broadcast', 'ether multicast', 'ip multicast', 'ip broadcast',
  'ip6 and udp port 53', 'vlan and udp', 'ip[6:2] & 0x1fff != 0', 'icmp[icmptype] == icmp-echo',
  'udp[8:4] = 0', 'tcp[(tcp[12] >> 4) * 4 : 1] = 0x47', 'ip proto 17 or ip6 proto 6', 'ether src 02:00:00:00:00:01',
  'not ip and not ip6', 'udp dst port 7777 or tcp src port 443', 'ip and (tcp or udp) and port 22',
  'ip[0] % 3 = 1', 'ip[0] & 0xf * 4 = 20', 'ether[0] & 1 = 1 or ip[16] >= 224',
];

const PRIMITIVES = [
  'tcp', 'udp', 'icmp', 'arp', 'ip', 'ip6', 'vlan', 'port 53', 'port 7777', 'dst port 80', 'src port 443',
  'host 10.0.0.1', 'net 10.0.0.0/8', 'ether broadcast', 'ip multicast', 'len > 128', 'less 100',
  'tcp[tcpflags] & tcp-ack != 0', 'ip[8] < 32', 'udp[4:2] > 40', 'portrange 20-25', 'ip6 and tcp',
  'icmp6', 'ip proto 47', 'src net 192.168.0.0/16', 'ether src 02:00:00:00:00:01', 'ip[1] & 0xfc = 0xb8',
];

/**
 * `count` expressions made of two or three primitives joined by and/or, some negated, deterministic for a seed.
 *
 * @example
 * sampleExpressions(3, 1) // e.g. ['tcp and not port 53', '(udp or vlan) and len > 128', ...]
 */
export function sampleExpressions(count: number, seed: number): string[] {
  const r = seeded(seed);
  const pick = () => PRIMITIVES[Math.floor(r() * PRIMITIVES.length)];
  const term = () => (r() < 0.25 ? `not ${pick()}` : pick());
  const join = () => (r() < 0.5 ? 'and' : 'or');
  return Array.from({ length: count }, () => (r() < 0.5 ? `${term()} ${join()} ${term()}` : `(${term()} ${join()} ${term()}) ${join()} ${term()}`));
}

/** A classic Program for a test, with where it came from. */
export interface LabelledProgram {
  readonly label: string;
  readonly prog: Program;
}

/**
 * Each expression compiled for Ethernet by bpfkit's compiler and by libpcap
 * (the two Programs differ in shape; both must translate faithfully). A
 * combination both compilers refuse (libpcap: "expression rejects all
 * packets", e.g. `tcp and arp`) is left out; every fixed expression must compile.
 *
 * @example
 * for (const { label, prog } of await compiledPrograms(oracle, FIXED_EXPRESSIONS)) { ... }
 */
export async function compiledPrograms(oracle: Oracle, expressions: readonly string[]): Promise<LabelledProgram[]> {
  const out: LabelledProgram[] = [];
  for (const expr of expressions) {
    const mustCompile = FIXED_EXPRESSIONS.includes(expr);
    try {
      out.push({ label: `bpfkit: ${expr}`, prog: compile(expr, { linkType: 'EN10MB' }) });
    } catch (e) {
      if (mustCompile || !(e instanceof FilterError)) throw e;
    }
    try {
      out.push({ label: `libpcap: ${expr}`, prog: await oracle.compile(expr, { linkType: 1 }) });
    } catch (e) {
      if (mustCompile || !(e instanceof OracleCompileError)) throw e;
    }
  }
  return out;
}
