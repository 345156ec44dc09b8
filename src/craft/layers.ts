/**
 * What builders hand to the layer below them. A transport builder returns a
 * Segment, so the IP layer around it can fill in the pseudo-header checksum;
 * a network builder returns a Datagram, so each link layer can announce it
 * in its own terms (EtherType, LLC SAP, PPP protocol, AF_ value, ...).
 */

/** A transport-layer unit (TCP, UDP, ICMPv6, ...) waiting for the IP header around it. */
export interface Segment {
  readonly kind: 'segment';
  /** IP protocol number (6 = TCP, 17 = UDP, ...). */
  readonly protocol: number;
  readonly bytes: Uint8Array;
  /** Where the pseudo-header checksum goes (the IP layer computes it); undefined when the segment needs none or it was given explicitly. */
  readonly checksumAt?: number;
}

/** A network-layer unit (IPv4, IPv6, ARP, MPLS, CLNP, ...) and how link layers announce it. */
export interface Datagram {
  readonly kind: 'datagram';
  readonly bytes: Uint8Array;
  /** EtherType, for Ethernet II, SNAP, SLL and the like. */
  readonly etherType?: number;
  /** True when `bytes` begins with its own IEEE 802.2 LLC header (STP, ISO, IPX-over-LLC, SNAP): Ethernet sends it as 802.3 with a length field. */
  readonly llc?: boolean;
  /** Set for IPX "raw 802.3" (Novell) frames, which carry no LLC header at all. */
  readonly novellRaw?: boolean;
}

/**
 * Makes a Segment from bytes you built yourself.
 *
 * @example
 * segment(89, ospfBytes) // an OSPF payload for ipv4()
 */
export function segment(protocol: number, bytes: Uint8Array, checksumAt?: number): Segment {
  return { kind: 'segment', protocol, bytes, checksumAt };
}

/**
 * Makes a Datagram from bytes you built yourself, announced by EtherType.
 *
 * @example
 * datagram(0x88cc, lldpBytes) // LLDP for ethernet()
 */
export function datagram(etherType: number, bytes: Uint8Array): Datagram {
  return { kind: 'datagram', bytes, etherType };
}

/** Anything a builder takes as its payload: raw bytes or the result of another builder. */
export type Payload = Uint8Array | Segment | Datagram;

/**
 * The bytes of any payload.
 *
 * @example
 * payloadBytes(tcp({ sport: 1, dport: 2 })).length // 20
 */
export function payloadBytes(payload: Payload | undefined): Uint8Array {
  if (payload === undefined) return EMPTY;
  return payload instanceof Uint8Array ? payload : payload.bytes;
}

const EMPTY = new Uint8Array(0);

/** EtherTypes the builders use. */
export const ETHERTYPE = Object.freeze({
  IPV4: 0x0800, ARP: 0x0806, REVARP: 0x8035, VLAN: 0x8100, QINQ: 0x88a8, QINQ_OLD: 0x9100,
  IPV6: 0x86dd, MPLS: 0x8847, MPLS_MULTICAST: 0x8848, PPPOE_DISCOVERY: 0x8863, PPPOE_SESSION: 0x8864,
  IPX: 0x8137, ATALK: 0x809b, AARP: 0x80f3, DECNET: 0x6003, LAT: 0x6004, MOPRC: 0x6002, MOPDL: 0x6001,
  SCA: 0x6007, LOOPBACK: 0x9000, TEB: 0x6558, LLDP: 0x88cc,
});

/** IP protocol numbers the builders use. */
export const IPPROTO = Object.freeze({
  HOPOPTS: 0, ICMP: 1, IGMP: 2, IPIP: 4, TCP: 6, UDP: 17, IPV6: 41, ROUTING: 43, FRAGMENT: 44,
  GRE: 47, ESP: 50, AH: 51, ICMPV6: 58, NONE: 59, DSTOPTS: 60, PIM: 103, VRRP: 112, SCTP: 132,
});
