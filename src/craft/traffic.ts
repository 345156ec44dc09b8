/**
 * The network-layer mix of the corpus: realistic IPv4/IPv6 conversations
 * (TCP, UDP with DNS and tunnels, ICMP, IGMP, SCTP, GRE, fragments, options,
 * extension headers) and the non-IP protocols LANs carry (ARP, VLAN, MPLS,
 * PPPoE, IPX, AppleTalk, DECnet, STP, OSI). Values come from POOLS most of the
 * time so filters written from the pools match.
 *
 * Every generated packet records where its headers end (`ends`), so the
 * corpus can cut truncated copies exactly at header boundaries.
 */
import { formatIpv4, ipv6Bytes } from './address.js';
import { concat } from './bytes.js';
import { arp } from './arp.js';
import { dns, DNS_TYPE } from './dns.js';
import { ethernet, qinq, vlan } from './ethernet.js';
import { gre } from './gre.js';
import { icmp } from './icmp.js';
import { icmpv6, neighborAdvertisement, neighborSolicitation, routerAdvertisement, routerSolicitation } from './icmpv6.js';
import { igmp, igmpv3Report } from './igmp.js';
import { ipv4, ipv4Fragments, IPV4_OPTION } from './ipv4.js';
import { destinationOptions, fragmentHeader, hopByHop, ipv6, routingHeader, type Ipv6Extension } from './ipv6.js';
import { clnp, esis, isis, ISIS_PDU } from './iso.js';
import { aarp, ddp, decnet, ipx, stp, type IpxEncapsulation } from './legacy.js';
import { IPPROTO, segment, type Datagram, type Segment } from './layers.js';
import { mpls } from './mpls.js';
import { pppoeDiscovery, pppoeSession, PPPOE_CODE, PPPOE_TAG } from './pppoe.js';
import { POOLS } from './pools.js';
import type { Random } from './random.js';
import { sctp, sctpData, sctpInit } from './sctp.js';
import { tcp } from './tcp.js';
import { geneve, vxlan } from './tunnels.js';
import { udp } from './udp.js';

/** A generated network-layer packet, where its headers end, and what it is. */
export interface GeneratedDatagram {
  datagram: Datagram;
  /** Offsets in `datagram.bytes` where each header ends (ascending). */
  ends: number[];
  /** A short human description, e.g. `IPv4 10.0.0.1.40000 > 10.0.0.2.80 TCP [S]`. */
  text: string;
  /** Link-layer destination that suits the packet: 'broadcast', a multicast MAC, or undefined for unicast. */
  linkDst?: string;
}

interface GeneratedSegment {
  segment: Segment;
  headerLength: number;
  text: string;
}

const IPV4_NETS = POOLS.ipv4Nets.map((cidr) => {
  const [addr, len] = cidr.split('/');
  return { base: addr.split('.').reduce((n, p) => (n << 8) | Number(p), 0) >>> 0, prefix: Number(len) };
});

/** Which families and protocol groups a link type can carry. */
export interface TrafficScope {
  ipv4: boolean;
  ipv6: boolean;
  /** ARP, VLAN, MPLS, PPPoE and other EtherType protocols. */
  etherTypes: boolean;
  /** LLC protocols (STP, OSI, IPX/AppleTalk over 802.2). */
  llc: boolean;
  /** VLAN tags and PPPoE (Ethernet only). */
  ethernetOnly: boolean;
}

/**
 * Draws network-layer packets from a seeded Random.
 *
 * @example
 * const gen = new TrafficGenerator(new Random(1));
 * const { datagram, text } = gen.next({ ipv4: true, ipv6: true, etherTypes: true, llc: true, ethernetOnly: true });
 */
export class TrafficGenerator {
  constructor(private readonly rng: Random) {}

  /**
   * An IPv4 address: pool host, host inside a pool net, or (rarely) anywhere.
   *
   * @example
   * gen.ipv4Host() // e.g. '192.168.1.10'
   */
  ipv4Host(): string {
    const r = this.rng;
    const x = r.int(100);
    if (x < 58) return r.pick(POOLS.ipv4Hosts);
    if (x < 92) {
      const net = r.pick(IPV4_NETS);
      const hostBits = 32 - net.prefix;
      const host = hostBits >= 32 ? r.next() : r.int(2 ** hostBits - 2) + 1;
      return formatIpv4(u32((net.base | host) >>> 0));
    }
    return `${r.range(1, 223)}.${r.int(256)}.${r.int(256)}.${r.range(1, 254)}`;
  }

  /**
   * An IPv4 destination: mostly hosts, sometimes multicast or broadcast.
   *
   * @example
   * gen.ipv4Dst() // e.g. '192.168.1.10'
   */
  ipv4Dst(): string {
    return this.rng.chance(0.07) ? this.rng.pick(POOLS.ipv4Groups) : this.ipv4Host();
  }

  /**
   * An IPv6 address: pool host, host inside a pool net, or (rarely) anywhere.
   *
   * @example
   * gen.ipv6Host() // e.g. '2001:db8::1'
   */
  ipv6Host(): string {
    const r = this.rng;
    const x = r.int(100);
    if (x < 58) return r.pick(POOLS.ipv6Hosts);
    const h = (): string => r.int(0x10000).toString(16);
    if (x < 75) return `2001:db8:${h()}:${h()}::${h()}`;
    if (x < 85) return `2001:db8:1:${h()}:${h()}:${h()}:${h()}:${h()}`;
    if (x < 95) return `fe80::${h()}:${h()}:${h()}:${h()}`;
    return `${(0x2000 + r.int(0x1000)).toString(16)}:${h()}:${h()}::${h()}`;
  }

  /**
   * An IPv6 destination: mostly hosts, sometimes multicast.
   *
   * @example
   * gen.ipv6Dst() // e.g. '2001:db8::1'
   */
  ipv6Dst(): string {
    return this.rng.chance(0.08) ? this.rng.pick(POOLS.ipv6Groups) : this.ipv6Host();
  }

  /** A server port: the busiest services most often (as on real networks), then the rest of the pool, then anything. */
  private serverPort(pool: readonly number[]): number {
    const r = this.rng;
    const x = r.int(100);
    if (x < 50) return pool[Math.min(pool.length - 1, r.int(3))];
    if (x < 75) return r.pick(pool);
    if (x < 85) return r.range(1, 1023);
    return r.range(1024, 65535);
  }

  private clientPort(): number {
    return this.rng.chance(0.35) ? this.rng.pick(POOLS.clientPorts) : this.rng.range(1024, 65535);
  }

  /** Payload sizes as captures show them: many empty or small, a hump near the MTU. */
  private payloadSize(max: number): number {
    const x = this.rng.int(100);
    if (x < 45) return 0;
    if (x < 75) return this.rng.range(1, 120);
    if (x < 88) return this.rng.range(121, 900);
    return Math.min(max, this.rng.range(901, 1460));
  }

  private ports(pool: readonly number[]): { sport: number; dport: number; server: number; client: number } {
    const server = this.serverPort(pool);
    const client = this.clientPort();
    return this.rng.chance(0.5) ? { sport: client, dport: server, server, client } : { sport: server, dport: client, server, client };
  }

  private tcpSegment(max: number): GeneratedSegment {
    const r = this.rng;
    const { sport, dport } = this.ports(POOLS.tcpPorts);
    const flags = r.weighted({ S: 14, SA: 10, A: 36, PA: 20, FA: 7, R: 4, RA: 4, F: 1, SEW: 1, U: 1, SF: 1, NONE: 1 });
    const syn = flags.includes('S');
    const options = syn ? { mss: r.pick([536, 1360, 1440, 1460]), sackPermitted: r.chance(0.8), timestamp: r.chance(0.7) ? [r.next(), syn && flags.includes('A') ? r.next() : 0] as [number, number] : undefined, windowScale: r.chance(0.7) ? r.int(15) : undefined }
      : r.chance(0.3) ? { timestamp: [r.next(), r.next()] as [number, number] } : undefined;
    const size = syn || flags.includes('R') ? 0 : this.payloadSize(max);
    const seg = tcp({
      sport, dport, seq: r.next(), ack: flags.includes('A') ? r.next() : 0,
      flags: flags === 'NONE' ? 0 : flags, window: r.pick([0, 502, 29200, 64240, 65535]), urgent: flags.includes('U') ? r.int(100) : 0, options,
    }, new Uint8Array(size));
    return { segment: seg, headerLength: seg.bytes.length - size, text: `TCP ${sport} > ${dport} [${flags === 'NONE' ? '' : flags}]${size ? ` len ${size}` : ''}` };
  }

  private dnsMessage(): Uint8Array {
    const r = this.rng;
    const name = r.pick(POOLS.dnsNames);
    const type = r.pick([DNS_TYPE.A, DNS_TYPE.A, DNS_TYPE.AAAA, DNS_TYPE.PTR, DNS_TYPE.MX, DNS_TYPE.TXT]);
    const id = r.int(0x10000);
    if (r.chance(0.5)) return dns({ id, recursionDesired: true, questions: [{ name, type }] });
    const data = type === DNS_TYPE.A ? this.ipv4Host() : type === DNS_TYPE.AAAA ? this.ipv6Host() : type === DNS_TYPE.MX ? { preference: 10, exchange: `mx.${name}` } : type === DNS_TYPE.TXT ? 'v=spf1 -all' : r.pick(POOLS.dnsNames);
    return dns({ id, response: true, recursionDesired: true, recursionAvailable: true, rcode: r.chance(0.1) ? 3 : 0, questions: [{ name, type }], answers: [{ name, type, ttl: r.int(86400), data }] });
  }

  private innerEthernet(): Uint8Array {
    const inner = ipv4({ src: this.ipv4Host(), dst: this.ipv4Host() }, this.rng.chance(0.5) ? icmp({ type: 8, id: 1, seq: this.rng.int(100) }, new Uint8Array(16)) : this.tcpSegment(200).segment);
    return ethernet({ src: this.rng.pick(POOLS.macs), dst: this.rng.pick(POOLS.macs) }, inner);
  }

  private udpSegment(max: number): GeneratedSegment {
    const r = this.rng;
    const { sport, dport, server } = this.ports(POOLS.udpPorts);
    let body: Uint8Array;
    let what = '';
    if (server === 53 || server === 5353) { body = this.dnsMessage(); what = ' DNS'; }
    else if (server === 4789) { body = vxlan({ vni: r.pick(POOLS.vnis) }, this.innerEthernet()); what = ' VXLAN'; }
    else if (server === 6081) { body = geneve({ vni: r.pick(POOLS.vnis), options: r.chance(0.3) ? new Uint8Array(8) : undefined }, this.innerEthernet()); what = ' GENEVE'; }
    else if (server === 67 || server === 68) body = new Uint8Array(300);
    else if (server === 123) body = new Uint8Array(48);
    else body = new Uint8Array(this.payloadSize(max));
    const seg = udp({ sport, dport }, body);
    return { segment: seg, headerLength: 8, text: `UDP ${sport} > ${dport}${what} len ${body.length}` };
  }

  private icmpSegment(): GeneratedSegment {
    const r = this.rng;
    const kind = r.weighted({ echo: 40, reply: 35, unreach: 10, timxceed: 7, other: 8 });
    let seg: Segment;
    if (kind === 'echo' || kind === 'reply') seg = icmp({ type: kind === 'echo' ? 8 : 0, id: r.int(0x10000), seq: r.int(0x10000) }, new Uint8Array(r.pick([0, 32, 56, 56, 1472])));
    else if (kind === 'unreach' || kind === 'timxceed') {
      const quoted = ipv4({ src: this.ipv4Host(), dst: this.ipv4Host() }, udp({ sport: this.clientPort(), dport: 33434 })).bytes;
      seg = icmp(kind === 'unreach' ? { type: 3, code: r.pick([0, 1, 3, 3, 4, 13]), rest: r.chance(0.2) ? 1400 : 0 } : { type: 11, code: r.int(2) }, quoted);
    } else {
      const type = r.pick([4, 5, 9, 10, 12, 13, 14, 15, 16, 17, 18]);
      seg = icmp({ type, code: 0, id: r.int(0x10000) }, new Uint8Array(type === 13 || type === 14 ? 12 : type === 17 || type === 18 ? 4 : 8));
    }
    return { segment: seg, headerLength: 8, text: `ICMP type ${seg.bytes[0]} code ${seg.bytes[1]}` };
  }

  private otherIpv4Segment(): GeneratedSegment {
    const r = this.rng;
    const kind = r.weighted({ sctp: 3, gre: 3, esp: 2, ah: 1, ospf: 1, pim: 1, vrrp: 1, ipip: 1, ip6in4: 1 });
    switch (kind) {
      case 'sctp': {
        const { sport, dport } = this.ports([36412, 2905, 3868, 5060]);
        const seg = sctp({ sport, dport, tag: r.next() }, [r.chance(0.5) ? sctpInit({ initiateTag: r.next() }) : sctpData({ tsn: r.next(), ppid: 46 }, new Uint8Array(r.range(1, 200)))]);
        return { segment: seg, headerLength: 12, text: `SCTP ${sport} > ${dport}` };
      }
      case 'gre': {
        const inner = r.chance(0.6) ? ipv4({ src: this.ipv4Host(), dst: this.ipv4Host() }, icmp({ type: 8, id: 7, seq: 1 })) : ipv6({ src: this.ipv6Host(), dst: this.ipv6Host() }, icmpv6({ type: 128, id: 7, seq: 1 }));
        const key = r.chance(0.4) ? r.pick(POOLS.vnis) : undefined;
        const seg = gre({ key, checksum: r.chance(0.2) }, inner);
        return { segment: seg, headerLength: seg.bytes.length - inner.bytes.length, text: `GRE key ${key ?? '-'}` };
      }
      case 'ipip':
      case 'ip6in4': {
        const inner = kind === 'ipip' ? ipv4({ src: this.ipv4Host(), dst: this.ipv4Host() }, this.udpSegment(200).segment) : ipv6({ src: this.ipv6Host(), dst: this.ipv6Host() }, this.udpSegment(200).segment);
        return { segment: segment(kind === 'ipip' ? IPPROTO.IPIP : IPPROTO.IPV6, inner.bytes), headerLength: 0, text: kind === 'ipip' ? 'IPIP' : 'IPv6-in-IPv4' };
      }
      default: {
        const proto = { esp: IPPROTO.ESP, ah: IPPROTO.AH, ospf: 89, pim: IPPROTO.PIM, vrrp: IPPROTO.VRRP }[kind];
        return { segment: segment(proto, r.bytes(r.range(8, 120))), headerLength: 0, text: `proto ${proto}` };
      }
    }
  }

  private ipv4Packet(): GeneratedDatagram {
    const r = this.rng;
    const src = this.ipv4Host();
    let dst = this.ipv4Dst();
    const kind = r.weighted({ tcp: 44, udp: 27, icmp: 9, igmp: 4, other: 9, fragment: 7 });
    const common = { src, ttl: r.pick([1, 32, 63, 64, 64, 128, 255]), tos: r.chance(0.1) ? r.pick([0x10, 0x28, 0xb8]) : 0, id: r.int(0x10000), df: r.chance(0.6) };
    const withOptions = r.chance(0.05);
    const options = withOptions ? r.pick([IPV4_OPTION.routerAlert(), IPV4_OPTION.recordRoute(2), IPV4_OPTION.timestamp(2), concat(IPV4_OPTION.nop(), IPV4_OPTION.nop(), IPV4_OPTION.recordRoute(1))]) : undefined;
    if (kind === 'igmp') {
      const group = r.pick(['239.1.1.1', '224.0.0.251', '239.255.255.250']);
      const which = r.int(4);
      const seg = which === 3 ? igmpv3Report([{ type: 4, group }]) : igmp({ type: [0x11, 0x16, 0x17][which], group: which === 0 ? '0.0.0.0' : group, maxResponse: which === 0 ? 100 : 0 });
      dst = which === 0 ? '224.0.0.1' : which === 2 ? '224.0.0.2' : which === 3 ? '224.0.0.22' : group;
      const d = ipv4({ ...common, dst, ttl: 1, options: IPV4_OPTION.routerAlert() }, seg);
      return { datagram: d, ends: [24, d.bytes.length], text: `IPv4 ${src} > ${dst} IGMP type 0x${seg.bytes[0].toString(16)}`, linkDst: multicastMac4(dst) };
    }
    if (kind === 'fragment') {
      const inner = r.weighted({ udp: 5, icmp: 3, tcp: 2 });
      const big = new Uint8Array(r.range(1500, 4000));
      const seg = inner === 'udp' ? udp({ sport: this.clientPort(), dport: r.pick(POOLS.udpPorts) }, big) : inner === 'icmp' ? icmp({ type: 8, id: 1, seq: 1 }, big) : tcp({ sport: this.clientPort(), dport: r.pick(POOLS.tcpPorts), flags: 'PA' }, big);
      const frags = ipv4Fragments({ ...common, dst, df: false, options }, seg, r.pick([1480, 1480, 576, 1280]));
      const i = r.int(frags.length);
      const d = frags[i];
      const hl = (d.bytes[0] & 0x0f) * 4;
      const ends = i === 0 ? [hl, hl + (inner === 'tcp' ? 20 : 8)] : [hl];
      return { datagram: d, ends, text: `IPv4 ${src} > ${dst} fragment ${i + 1}/${frags.length} of ${inner} (offset ${((d.bytes[6] & 0x1f) << 8 | d.bytes[7]) * 8})`, linkDst: multicastMac4(dst) };
    }
    const max = 1480 - (options ? 40 : 0);
    const g = kind === 'tcp' ? this.tcpSegment(max - 20) : kind === 'udp' ? this.udpSegment(max - 8) : kind === 'icmp' ? this.icmpSegment() : this.otherIpv4Segment();
    const d = ipv4({ ...common, dst, options }, g.segment);
    const hl = (d.bytes[0] & 0x0f) * 4;
    return { datagram: d, ends: g.headerLength ? [hl, hl + g.headerLength] : [hl], text: `IPv4 ${src} > ${dst} ${g.text}`, linkDst: multicastMac4(dst) };
  }

  private ipv6Extensions(): Ipv6Extension[] {
    const r = this.rng;
    switch (r.int(6)) {
      case 0: return [hopByHop([0x05, 0x02, 0x00, 0x00])];
      case 1: return [destinationOptions()];
      case 2: return [routingHeader({ addresses: [this.ipv6Host()], segmentsLeft: 1 })];
      case 3: return [hopByHop(), destinationOptions(), routingHeader({ addresses: [this.ipv6Host(), this.ipv6Host()], segmentsLeft: 0 })];
      case 4: return [fragmentHeader({ id: r.next(), offset: 0, more: false })];
      default: return [hopByHop(), fragmentHeader({ id: r.next(), offset: 0, more: true })];
    }
  }

  private icmpv6Segment(dst: string): GeneratedSegment {
    const r = this.rng;
    const kind = r.weighted({ echo: 26, reply: 22, ns: 20, na: 10, rs: 4, ra: 5, unreach: 5, toobig: 3, mld: 5 });
    let seg: Segment;
    const mac = r.pick(POOLS.macs);
    switch (kind) {
      case 'echo':
      case 'reply': seg = icmpv6({ type: kind === 'echo' ? 128 : 129, id: r.int(0x10000), seq: r.int(0x10000) }, new Uint8Array(r.pick([0, 16, 56]))); break;
      case 'ns': seg = neighborSolicitation({ target: dst.startsWith('ff') ? this.ipv6Host() : dst, sourceLinkAddress: mac }); break;
      case 'na': seg = neighborAdvertisement({ target: this.ipv6Host(), solicited: r.chance(0.7), router: r.chance(0.2), targetLinkAddress: mac }); break;
      case 'rs': seg = routerSolicitation({ sourceLinkAddress: mac }); break;
      case 'ra': seg = routerAdvertisement({ prefixes: ['2001:db8:1::'], sourceLinkAddress: mac }); break;
      case 'mld': {
        const type = r.pick([130, 131, 132, 143]);
        // MLDv1 messages carry one address; an MLDv2 report counts its records (here one, change-to-exclude).
        seg = type === 143 ? icmpv6({ type, rest: 1 }, concat(Uint8Array.of(4, 0, 0, 0), ipv6Bytes('ff02::fb'))) : icmpv6({ type, rest: type === 130 ? 1000 << 16 : 0 }, ipv6Bytes(type === 130 ? '::' : 'ff02::fb'));
        break;
      }
      default: seg = icmpv6({ type: kind === 'unreach' ? 1 : 2, code: kind === 'unreach' ? r.pick([0, 3, 4]) : 0, rest: kind === 'toobig' ? 1280 : 0 }, ipv6({ src: this.ipv6Host(), dst: this.ipv6Host() }, udp({ sport: 1, dport: 2 })).bytes);
    }
    return { segment: seg, headerLength: 8, text: `ICMPv6 type ${seg.bytes[0]}` };
  }

  private ipv6Packet(): GeneratedDatagram {
    const r = this.rng;
    const src = this.ipv6Host();
    const dst = this.ipv6Dst();
    const kind = r.weighted({ tcp: 40, udp: 28, icmpv6: 20, other: 4, fragment: 4 });
    const extensions = r.chance(0.12) ? this.ipv6Extensions() : [];
    const common = { src, dst, hopLimit: r.pick([1, 64, 64, 255]), flowLabel: r.chance(0.5) ? r.int(0x100000) : 0, trafficClass: r.chance(0.1) ? 0xb8 : 0, extensions };
    if (kind === 'fragment') {
      const piece = r.int(3);
      const d = ipv6({ ...common, nextHeader: IPPROTO.UDP, extensions: [fragmentHeader({ id: r.next(), offset: piece * 181, more: piece < 2 })] }, piece === 0 ? udp({ sport: this.clientPort(), dport: 53 }, new Uint8Array(1440)).bytes : new Uint8Array(r.range(8, 1448) & ~7));
      return { datagram: d, ends: piece === 0 ? [40, 48, 56] : [40, 48], text: `IPv6 ${src} > ${dst} fragment ${piece}`, linkDst: multicastMac6(dst) };
    }
    const g = kind === 'tcp' ? this.tcpSegment(1400) : kind === 'udp' ? this.udpSegment(1400) : kind === 'icmpv6' ? this.icmpv6Segment(dst) : this.otherIpv6Segment();
    const d = ipv6(common, g.segment);
    const upper = d.bytes.length - g.segment.bytes.length;
    const ends = [40];
    let at = 40;
    for (const e of extensions) { at += e.encode(0).length; ends.push(at); }
    if (g.headerLength) ends.push(upper + g.headerLength);
    return { datagram: d, ends, text: `IPv6 ${src} > ${dst}${extensions.length ? ` ext×${extensions.length}` : ''} ${g.text}`, linkDst: multicastMac6(dst) };
  }

  private otherIpv6Segment(): GeneratedSegment {
    const r = this.rng;
    if (r.chance(0.5)) {
      const { sport, dport } = this.ports([36412, 2905]);
      return { segment: sctp({ sport, dport, tag: r.next() }, [sctpInit({ initiateTag: r.next() })]), headerLength: 12, text: `SCTP ${sport} > ${dport}` };
    }
    const proto = r.pick([IPPROTO.ESP, 89, IPPROTO.PIM, IPPROTO.NONE]);
    return { segment: segment(proto, proto === IPPROTO.NONE ? new Uint8Array(0) : r.bytes(r.range(8, 64))), headerLength: 0, text: `proto ${proto}` };
  }

  /**
   * One IP packet, IPv4 or IPv6 as the scope allows.
   *
   * @example
   * gen.ip({ ipv4: true, ipv6: false, etherTypes: false, llc: false, ethernetOnly: false }).text // 'IPv4 …'
   */
  ip(scope: TrafficScope): GeneratedDatagram {
    if (scope.ipv4 && (!scope.ipv6 || this.rng.chance(0.7))) return this.ipv4Packet();
    return this.ipv6Packet();
  }

  private arpPacket(): GeneratedDatagram {
    const r = this.rng;
    const op = r.weighted({ 1: 55, 2: 35, 3: 5, 4: 5 });
    const senderIp = this.ipv4Host();
    const targetIp = r.chance(0.1) ? senderIp : this.ipv4Host();
    const d = arp({ op: Number(op), senderMac: r.pick(POOLS.macs), senderIp, targetMac: op === '1' ? '00:00:00:00:00:00' : r.pick(POOLS.macs), targetIp });
    return { datagram: d, ends: [8, 28], text: `${op === '3' || op === '4' ? 'RARP' : 'ARP'} op ${op} ${senderIp} > ${targetIp}`, linkDst: op === '1' || op === '3' ? 'ff:ff:ff:ff:ff:ff' : undefined };
  }

  private legacyPacket(scope: TrafficScope): GeneratedDatagram {
    const r = this.rng;
    const kinds = scope.llc ? { ipx: 3, atalk: 2, aarp: 2, decnet: 3, stp: 3, clnp: 2, esis: 2, isis: 5 } : { ipx: 3, atalk: 2, aarp: 2, decnet: 3, stp: 0, clnp: 0, esis: 0, isis: 0 };
    const kind = r.weighted(kinds);
    switch (kind) {
      case 'ipx': {
        const encapsulation: IpxEncapsulation = scope.llc ? r.pick(['ethernet2', 'llc', 'snap', 'raw'] as const) : 'ethernet2';
        const d = ipx({ dst: { net: r.pick(POOLS.ipxNets), node: r.chance(0.3) ? 'ff:ff:ff:ff:ff:ff' : r.pick(POOLS.macs), socket: r.pick([0x451, 0x452, 0x453, 0x455]) }, src: { net: r.pick(POOLS.ipxNets), node: r.pick(POOLS.macs), socket: 0x4000 + r.int(0x100) }, type: r.pick([0, 1, 4, 5, 17]), encapsulation }, new Uint8Array(r.range(0, 64)));
        return { datagram: d, ends: [(encapsulation === 'llc' ? 3 : encapsulation === 'snap' ? 8 : 0) + 30], text: `IPX (${encapsulation})` };
      }
      case 'atalk': {
        const phase2 = scope.llc ? r.chance(0.7) : false;
        const d = ddp({ dstNet: r.pick(POOLS.atalkNets), dstNode: r.range(1, 254), dstSocket: r.pick([1, 2, 4, 6, 253]), srcNet: r.pick(POOLS.atalkNets), srcNode: r.range(1, 254), srcSocket: r.range(128, 254), type: r.pick([1, 2, 3, 4, 6]), phase2 }, new Uint8Array(r.range(0, 64)));
        return { datagram: d, ends: [(phase2 ? 8 : 0) + 13], text: `AppleTalk DDP phase ${phase2 ? 2 : 1}` };
      }
      case 'aarp': {
        const phase2 = scope.llc ? r.chance(0.7) : false;
        const d = aarp({ func: r.range(1, 3), senderMac: r.pick(POOLS.macs), senderNet: r.pick(POOLS.atalkNets), senderNode: r.range(1, 254), targetNet: r.pick(POOLS.atalkNets), targetNode: r.range(1, 254), phase2 });
        return { datagram: d, ends: [(phase2 ? 8 : 0) + 28], text: 'AARP', linkDst: 'ff:ff:ff:ff:ff:ff' };
      }
      case 'decnet': {
        const long = r.chance(0.5);
        const padding = r.pick([0, 0, 1, 3]);
        const d = decnet({ src: r.pick(POOLS.decnetHosts), dst: r.pick(POOLS.decnetHosts), long, padding }, new Uint8Array(r.range(0, 40)));
        return { datagram: d, ends: [2 + padding + (long ? 21 : 6)], text: `DECnet ${long ? 'long' : 'short'} pad ${padding}` };
      }
      case 'stp': {
        const d = stp({ kind: r.pick(['config', 'config', 'rstp', 'tcn'] as const), rootMac: r.pick(POOLS.macs), bridgeMac: r.pick(POOLS.macs), cost: r.pick([0, 4, 19, 100]) });
        return { datagram: d, ends: [3, d.bytes.length], text: 'STP BPDU', linkDst: '01:80:c2:00:00:00' };
      }
      case 'clnp': {
        const d = clnp({ src: [0x49, 0, 1, 2, 3, 4, 5, 6, r.int(256), 0], dst: [0x49, 0, 1, 6, 5, 4, 3, 2, r.int(256), 0] }, new Uint8Array(r.range(0, 64)));
        return { datagram: d, ends: [3, 3 + d.bytes[4]], text: 'CLNP' };
      }
      case 'esis': {
        const d = esis({ type: r.pick([2, 4] as const), address: [0x49, 0, 1, 2, 3, 4, 5, 6, r.int(256), 0] });
        return { datagram: d, ends: [3, d.bytes.length], text: 'ES-IS', linkDst: '09:00:2b:00:00:05' };
      }
      default: {
        const pduType = r.pick(Object.values(ISIS_PDU));
        const d = isis({ pduType, systemId: [0, 0, 0, 0, 0, r.range(1, 9)] });
        return { datagram: d, ends: [3, 3 + d.bytes[4]], text: `IS-IS PDU ${pduType}`, linkDst: pduType === 16 || pduType === 20 || pduType === 25 || pduType === 27 ? '01:80:c2:00:00:15' : '01:80:c2:00:00:14' };
      }
    }
  }

  private shift(inner: GeneratedDatagram, by: number): number[] {
    return [by, ...inner.ends.map((e) => e + by)];
  }

  /**
   * One network-layer packet from everything the scope allows.
   *
   * @example
   * gen.next({ ipv4: true, ipv6: true, etherTypes: true, llc: true, ethernetOnly: true }).datagram.etherType
   */
  next(scope: TrafficScope): GeneratedDatagram {
    const r = this.rng;
    if (!scope.etherTypes) return this.ip(scope);
    const kind = r.weighted({ ip: 64, arp: 6, vlan: scope.ethernetOnly ? 7 : 1, qinq: scope.ethernetOnly ? 2 : 0, mpls: 4, pppoe: scope.ethernetOnly ? 4 : 0, pppoed: scope.ethernetOnly ? 2 : 0, legacy: 12, odd: 1 });
    switch (kind) {
      case 'ip': return this.ip(scope);
      case 'arp': return this.arpPacket();
      case 'vlan':
      case 'qinq': {
        const inner = r.chance(0.85) ? this.ip(scope) : this.arpPacket();
        const vid = r.pick(POOLS.vlanIds);
        if (kind === 'vlan') return { ...inner, datagram: vlan({ vid, pcp: r.int(8) }, inner.datagram), ends: this.shift(inner, 4), text: `vlan ${vid} ${inner.text}` };
        const outer = r.pick(POOLS.vlanIds);
        return { ...inner, datagram: qinq({ outer, inner: vid, outerTpid: r.pick([0x88a8, 0x88a8, 0x8100, 0x9100]) }, inner.datagram), ends: this.shift(inner, 8), text: `vlan ${outer} vlan ${vid} ${inner.text}` };
      }
      case 'mpls': {
        const inner = this.ip(scope);
        const depth = r.pick([1, 1, 2, 3]);
        const labels = Array.from({ length: depth }, () => ({ label: r.pick(POOLS.mplsLabels), tc: r.int(8), ttl: r.range(1, 255) }));
        return { datagram: mpls({ labels }, inner.datagram), ends: this.shift(inner, 4 * depth), text: `MPLS ${labels.map((l) => l.label).join('/')} ${inner.text}` };
      }
      case 'pppoe': {
        const inner = this.ip(scope);
        const session = r.pick(POOLS.pppoeSessions);
        return { datagram: pppoeSession({ session }, inner.datagram), ends: this.shift(inner, 8), text: `PPPoE session 0x${session.toString(16)} ${inner.text}` };
      }
      case 'pppoed': {
        const code = r.pick([PPPOE_CODE.PADI, PPPOE_CODE.PADO, PPPOE_CODE.PADR, PPPOE_CODE.PADS, PPPOE_CODE.PADT]);
        const d = pppoeDiscovery({ code, session: code === PPPOE_CODE.PADS || code === PPPOE_CODE.PADT ? r.pick(POOLS.pppoeSessions) : 0, tags: [{ type: PPPOE_TAG.SERVICE_NAME, value: '' }, { type: PPPOE_TAG.HOST_UNIQ, value: r.bytes(4) }] });
        return { datagram: d, ends: [6, d.bytes.length], text: `PPPoE discovery code 0x${code.toString(16)}`, linkDst: code === PPPOE_CODE.PADI ? 'ff:ff:ff:ff:ff:ff' : undefined };
      }
      case 'legacy': return this.legacyPacket(scope);
      default: {
        const etherType = r.pick([0x0000, 0x05dc, 0x05dd, 0x0600, 0x88cc, 0x88e5, 0x88f7, 0x893a, 0xffff, 0x9000]);
        return { datagram: { kind: 'datagram', bytes: r.bytes(r.range(0, 46)), etherType }, ends: [], text: `EtherType 0x${etherType.toString(16).padStart(4, '0')}` };
      }
    }
  }
}

function u32(v: number): Uint8Array {
  return Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

/** The Ethernet multicast/broadcast MAC for an IPv4 destination, if it is one (RFC 1112 mapping). */
function multicastMac4(dst: string): string | undefined {
  if (dst === '255.255.255.255' || (dst.endsWith('.255') && POOLS.ipv4Groups.includes(dst))) return 'ff:ff:ff:ff:ff:ff';
  const [a, b, c, d] = dst.split('.').map(Number);
  if (a < 224 || a > 239) return undefined;
  return `01:00:5e:${(b & 0x7f).toString(16).padStart(2, '0')}:${c.toString(16).padStart(2, '0')}:${d.toString(16).padStart(2, '0')}`;
}

/** The Ethernet multicast MAC for an IPv6 destination, if it is one (RFC 2464: 33:33 + low 32 bits). */
function multicastMac6(dst: string): string | undefined {
  if (!dst.startsWith('ff')) return undefined;
  const tail = dst.split(':').slice(-2).map((w) => w.padStart(4, '0')).join('');
  return `33:33:${tail.slice(0, 2)}:${tail.slice(2, 4)}:${tail.slice(4, 6)}:${tail.slice(6, 8)}`;
}
