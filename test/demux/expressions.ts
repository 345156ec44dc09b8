/**
 * Filters of the kinds a FilterSet meets in practice (per host, per net, per
 * port, per flow, protocol rules), drawn from the packet corpus's pools so
 * that they match a useful share of its packets.
 */
import { POOLS } from '../../src/craft/index.js';
import type { Rng } from '../bpf/random-program.js';

const PROTOCOL_RULES = ['ip', 'ip6', 'arp', 'tcp', 'udp', 'icmp', 'icmp6', 'vlan', 'ip and tcp', 'udp and not port 53',
  'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0', 'greater 200', 'less 100', 'ether broadcast', 'ip multicast', 'ip6 multicast',
  'icmp[icmptype] == icmp-echo', 'ip[8] < 64', 'portrange 1000-2000', 'tcp portrange 8000-9000'];

/** A host filter. */
export function hostFilter(rng: Rng): string {
  return rng.chance(0.8) ? `host ${rng.pick(POOLS.ipv4Hosts)}` : `${rng.pick(['src', 'dst'])} host ${rng.pick(POOLS.ipv4Hosts)}`;
}

/** A port filter. */
export function portFilter(rng: Rng): string {
  const proto = rng.pick(['', 'tcp ', 'udp ']);
  const port = rng.chance(0.5) ? rng.pick([...POOLS.tcpPorts, ...POOLS.udpPorts]) : rng.pick(POOLS.clientPorts);
  return `${proto}${rng.pick(['', 'src ', 'dst '])}port ${port}`;
}

/** A flow (5-tuple) filter. */
export function flowFilter(rng: Rng): string {
  const proto = rng.pick(['tcp', 'udp']);
  const ports = proto === 'tcp' ? POOLS.tcpPorts : POOLS.udpPorts;
  return `${proto} and src host ${rng.pick(POOLS.ipv4Hosts)} and dst host ${rng.pick(POOLS.ipv4Hosts)} and src port ${rng.pick(POOLS.clientPorts)} and dst port ${rng.pick(ports)}`;
}

/** A network filter. */
export function netFilter(rng: Rng): string {
  return rng.chance(0.7) ? `net ${rng.pick(POOLS.ipv4Nets)}` : `ip6 net ${rng.pick(POOLS.ipv6Nets)}`;
}

/** A mixed bag of distinct filter expressions, `count` at most. */
export function poolExpressions(rng: Rng, count: number): string[] {
  const out = new Set<string>(PROTOCOL_RULES);
  const makers = [hostFilter, portFilter, flowFilter, netFilter, (r: Rng) => `ip6 host ${r.pick(POOLS.ipv6Hosts)}`, (r: Rng) => `vlan ${r.pick(POOLS.vlanIds)}`];
  for (let tries = 0; out.size < count && tries < count * 20; tries++) out.add(rng.pick(makers)(rng));
  return [...out].slice(0, count);
}
