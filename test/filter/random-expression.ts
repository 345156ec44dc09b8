/**
 * A grammar-driven random generator of pcap-filter expressions, deterministic
 * for a seed. It draws operands from the corpus pools (src/craft/pools.ts) so
 * that filters match a useful share of the corpus, and covers the grammar:
 * qualifiers and their inheritance, addresses in every notation, ports and
 * ranges, protocol abbreviations, byte-offset arithmetic, encapsulations,
 * and/or/not with parentheses. Shared with the optimizer, eBPF and demux tests.
 *
 * @example
 * const gen = new RandomExpressions(42);
 * gen.expression(1) // e.g. 'tcp dst port 443 or not (vlan 100 and ip)'
 */
import { POOLS } from '../../src/craft/pools.js';

/** Link types the generator knows, by DLT, with the families of primitives that make sense on them. */
export const RANDOM_LINK_TYPES: readonly number[] = [1, 0, 6, 9, 10, 12, 50, 51, 104, 105, 108, 109, 113, 117, 127, 228, 229, 276];

/**
 * A small, fast, deterministic PRNG (mulberry32).
 *
 * @example
 * new Rng(1).int(10)
 */
export class Rng {
  private state: number;
  /** @example new Rng(1).next() */
  constructor(seed: number) { this.state = seed >>> 0; }
  /** A float in [0, 1). @example rng.next() */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). @example rng.int(6) */
  int(n: number): number { return Math.floor(this.next() * n); }
  /** One element. @example rng.pick(['a', 'b']) */
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }
  /** True with probability p. @example rng.chance(0.3) */
  chance(p: number): boolean { return this.next() < p; }
}

const ABBREVS = ['ip', 'ip6', 'arp', 'rarp', 'tcp', 'udp', 'icmp', 'icmp6', 'igmp', 'sctp', 'pim', 'vrrp', 'carp', 'ah', 'esp',
  'atalk', 'aarp', 'decnet', 'iso', 'esis', 'isis', 'clnp', 'stp', 'ipx', 'netbeui', 'l1', 'l2', 'iih', 'lsp', 'snp',
  'csnp', 'psnp', 'lat', 'sca', 'moprc', 'mopdl', 'igrp'];
const DIRS = ['', '', '', 'src ', 'dst ', 'src or dst ', 'src and dst ', 'dst or src '];
const RELOPS = ['=', '!=', '<', '<=', '>', '>=', '=='];
const ARITH_OPS = ['+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>'];
const LOAD_PROTOS = ['ether', 'link', 'ip', 'ip6', 'tcp', 'udp', 'icmp', 'icmp6', 'arp', 'sctp', 'igmp', 'rarp'];
const NAMED = ['tcpflags', 'tcp-syn', 'tcp-ack', 'tcp-fin', 'tcp-rst', 'tcp-push', 'icmptype', 'icmp-echo', 'icmp-echoreply', 'icmp6type', 'icmp6-echo'];
const SERVICES = ['http', 'domain', 'ssh', 'https', 'smtp', 'ntp', 'telnet', 'bootps'];

/**
 * Generates random expressions; one instance per seed.
 *
 * @example
 * new RandomExpressions(5).expression(1)
 */
export class RandomExpressions {
  readonly rng: Rng;
  /** @example new RandomExpressions(7) */
  constructor(seed: number) { this.rng = new Rng(seed); }

  /**
   * One random expression meant for link type `dlt`.
   *
   * @example
   * gen.expression(113)
   */
  expression(dlt: number, depth = 3): string {
    const r = this.rng;
    if (depth <= 0 || r.chance(0.35)) return this.primitive(dlt);
    switch (r.int(6)) {
      case 0: case 1: return `${this.expression(dlt, depth - 1)} and ${this.expression(dlt, depth - 1)}`;
      case 2: return `${this.expression(dlt, depth - 1)} or ${this.expression(dlt, depth - 1)}`;
      case 3: return `not ${this.wrapped(dlt, depth - 1)}`;
      case 4: return `(${this.expression(dlt, depth - 1)}) ${r.pick(['and', 'or', '&&', '||'])} ${this.wrapped(dlt, depth - 1)}`;
      default: return `${r.pick(['!', 'not '])}${this.wrapped(dlt, depth - 1)}`;
    }
  }

  private wrapped(dlt: number, depth: number): string {
    const e = this.expression(dlt, depth);
    return /\s/.test(e) ? `(${e})` : e;
  }

  private ipv4(): string { return this.rng.pick(POOLS.ipv4Hosts); }
  private ipv6(): string { return this.rng.pick(POOLS.ipv6Hosts); }

  /** One primitive (possibly with inherited operands). */
  primitive(dlt: number): string {
    const r = this.rng;
    const ethernet = dlt === 1;
    const wlan = dlt === 105 || dlt === 127 || dlt === 119 || dlt === 163 || dlt === 192;
    switch (r.int(22)) {
      case 0: case 1: return r.pick(ABBREVS);
      case 2: {
        const head = `${r.pick(['', '', 'ip ', 'arp ', 'rarp '])}${r.pick(DIRS)}${r.pick(['host ', 'host ', ''])}`;
        const more = r.chance(0.3) ? ` ${r.pick(['or', 'and'])} ${this.ipv4()}` : '';
        return `${head || 'host '}${this.ipv4()}${more}`;
      }
      case 3: return `${r.pick(['', 'ip6 '])}${r.pick(DIRS)}host ${this.ipv6()}`;
      case 4: {
        switch (r.int(5)) {
          case 0: return `${r.pick(DIRS)}net ${r.pick(POOLS.ipv4Nets)}`;
          case 1: return `net ${r.pick(['10.0.0.0 mask 255.0.0.0', '192.168.1.0 mask 255.255.255.0', '172.16.0.0 mask 255.240.0.0'])}`;
          case 2: return `${r.pick(DIRS)}net ${r.pick(['10', '192.168', '172.16', '10.0.0', '127'])}`;
          case 3: return `${r.pick(['', 'ip6 '])}${r.pick(DIRS)}net ${r.pick(POOLS.ipv6Nets)}`;
          default: return `${r.pick(['', 'ip ', 'arp '])}net ${r.pick(POOLS.ipv4Nets)}`;
        }
      }
      case 5: case 6: {
        const proto = r.pick(['', '', 'tcp ', 'udp ', 'sctp ']);
        const port = String(r.pick([...POOLS.tcpPorts, ...POOLS.udpPorts, ...POOLS.clientPorts]));
        const more = r.chance(0.3) ? ` or ${r.pick([...POOLS.tcpPorts, ...POOLS.udpPorts])}` : '';
        const name = r.chance(0.15) ? r.pick(SERVICES) : port;
        return `${proto}${r.pick(DIRS)}port ${name}${more}`;
      }
      case 7: {
        const a = r.int(2000), b = a + r.int(3000);
        return `${r.pick(['', 'tcp ', 'udp '])}${r.pick(DIRS)}portrange ${r.chance(0.2) ? `${b}-${a}` : `${a}-${b}`}`;
      }
      case 8: return `${r.pick(['ip', 'ip6', ''])} proto ${r.pick(['6', '17', '1', '58', '132', '\\tcp', '\\udp', '\\icmp', '50'])}`.trim().replace(/^proto/, 'proto');
      case 9:
        if (!ethernet && !wlan && !r.chance(0.2)) return this.relation(dlt);
        return `ether ${r.pick(DIRS)}${r.pick(['host ', ''])}${r.pick(POOLS.macs)}`.replace('ether src and dst ', 'ether src and dst ');
      case 10: return r.pick(['ether broadcast', 'broadcast', 'ether multicast', 'multicast', 'ip multicast', 'ip6 multicast', 'ip broadcast']);
      case 11: return `${r.pick(['less', 'greater'])} ${r.pick([40, 60, 64, 100, 128, 576, 1000, 1500])}`;
      case 12: case 13: case 14: return this.relation(dlt);
      case 15:
        if (!ethernet) return this.primitive(dlt);
        switch (r.int(6)) {
          case 0: case 1: return `vlan${r.chance(0.5) ? ` ${r.pick(POOLS.vlanIds)}` : ''}`;
          case 2: return `mpls${r.chance(0.5) ? ` ${r.pick(POOLS.mplsLabels)}` : ''}`;
          case 3: return `geneve${r.chance(0.5) ? ` ${r.pick(POOLS.vnis)}` : ''}`;
          case 4: return `geneve${r.chance(0.5) ? ` ${r.pick(POOLS.vnis)}` : ''} and ${r.pick(['ether host ' + r.pick(POOLS.macs), 'ether broadcast', 'multicast', 'ip', 'vlan and ip', 'ether proto \\arp'])}`;
          default: return `${r.pick(['', 'ip ', 'ip6 '])}protochain ${r.pick(['6', '17', '58', '\\tcp', '44', '51'])}`;
        }
      case 16:
        if (!ethernet) return this.primitive(dlt);
        return r.pick(['pppoed', 'pppoes', `pppoes ${r.pick(POOLS.pppoeSessions)}`, 'llc', `llc ${r.pick(['i', 's', 'u', 'rr', 'rnr', 'ui', 'xid', 'test'])}`]);
      case 17: return `ether proto ${r.pick(['\\ip', '\\ip6', '\\arp', '\\rarp', '\\atalk', '\\aarp', '\\decnet', '\\iso', '\\stp', '\\ipx', '\\netbeui', '0x800', '0x86dd', '2054', '0x8100', '66'])}`;
      case 18: return `decnet ${r.pick(['', 'src ', 'dst '])}host ${r.pick(POOLS.decnetHosts)}`;
      case 19: return `${r.pick(['tcp', 'udp', 'sctp', ''])} ${r.pick(['src', 'dst'])} port ${r.pick(POOLS.tcpPorts)} and ${r.pick(['ip', 'ip6', 'tcp', 'udp'])}`.trim();
      case 20:
        if (dlt === 117) {
          return r.pick([`on ${r.pick(POOLS.pflogInterfaces)}`, `rnr ${r.pick(POOLS.pflogRules)}`, `srnr ${r.int(3)}`, `action ${r.pick(['pass', 'block', 'drop', 'nat'])}`,
            `reason ${r.pick(['match', 'short', 'fragment', 'memory'])}`, 'rset anchor1', 'inbound', 'outbound']);
        }
        if (dlt === 113 || dlt === 276) return r.pick(['inbound', 'outbound', 'ifindex 2']);
        if (dlt === 123) {
          return r.pick([`vpi ${r.pick(['', '> ', '<= ', '!= '])}${r.int(3)}`, `vci ${r.pick(['', '>= ', '< '])}${r.pick([1, 2, 3, 5, 16])}`, 'lane', 'llc',
            'metac', 'bcc', 'oam', 'oamf4', 'oamf4ec', 'oamf4sc', 'sc', 'ilmic', 'connectmsg', 'metaconnect', 'lane and ether host 02:00:00:00:00:01', 'lane and ip']);
        }
        if (dlt === 139 || dlt === 140 || dlt === 197) {
          return r.pick(['fisu', 'lssu', 'lsu', 'msu', 'hfisu', 'hlssu', 'hmsu', `sio ${r.int(256)}`, `opc ${r.pick(['', '> ', '< '])}${r.int(16384)}`,
            `dpc ${r.int(16384)}`, `sls ${r.pick(['', '>= '])}${r.int(16)}`, `hsio ${r.int(4)}`, `hopc ${r.int(100)}`, `hdpc ${r.int(100)}`, `hsls ${r.int(16)}`]);
        }
        if (wlan) {
          return r.pick([`wlan ${r.pick(['host', 'src', 'dst', 'addr1', 'addr2', 'addr3', 'addr4', 'ra', 'ta', 'src or dst', 'src and dst'])} ${r.pick([...POOLS.bssids, ...POOLS.macs])}`,
            `type ${r.pick(['mgt', 'ctl', 'data'])}`, `type data subtype ${r.pick(['qos-data', 'data', 'null'])}`, `subtype ${r.pick(['beacon', 'probe-req', 'ack', 'rts'])}`,
            `dir ${r.pick(['nods', 'tods', 'fromds', 'dstods', '1'])}`, 'llc', 'vlan', `wlan[${r.int(30)}] = ${r.int(256)}`, dlt === 127 || dlt === 119 || dlt === 163 ? `radio[${r.int(20)}:2] > ${r.int(3000)}` : 'wlan broadcast']);
        }
        return this.primitive(dlt);
      default: return `${r.pick(['iso', 'isis', 'l1', 'l2', 'clnp', 'esis'])} or ${r.pick(['ip6', 'arp', 'ipx', 'stp', 'netbeui'])}`;
    }
  }

  private arith(depth: number): string {
    const r = this.rng;
    if (depth <= 0 || r.chance(0.5)) {
      switch (r.int(5)) {
        case 0: return String(r.int(64));
        case 1: return r.pick(NAMED);
        case 2: return 'len';
        case 3: return `0x${r.int(256).toString(16)}`;
        default: return this.load(depth - 1);
      }
    }
    if (r.chance(0.1)) return `-${this.arith(depth - 1)}`;
    const op = r.pick(ARITH_OPS);
    const right = op === '/' || op === '%' ? String(1 + r.int(16)) : op === '<<' || op === '>>' ? String(r.int(8)) : this.arith(depth - 1);
    return r.chance(0.3) ? `(${this.arith(depth - 1)} ${op} ${right})` : `${this.arith(depth - 1)} ${op} ${right}`;
  }

  private load(depth: number): string {
    const r = this.rng;
    const proto = r.pick(LOAD_PROTOS);
    const index = depth > 0 && r.chance(0.2) ? this.arith(depth - 1) : String(r.int(proto === 'ether' || proto === 'link' ? 40 : 24));
    const size = r.pick(['', '', ':1', ':2', ':4']);
    return `${proto}[${index}${size}]`;
  }

  private relation(_dlt: number): string {
    const r = this.rng;
    const left = r.chance(0.6) ? this.load(1) : this.arith(2);
    const masked = r.chance(0.4) ? `${left} & 0x${(1 + r.int(255)).toString(16)}` : left;
    return `${masked} ${r.pick(RELOPS)} ${r.chance(0.7) ? String(r.int(256)) : this.arith(1)}`;
  }
}
