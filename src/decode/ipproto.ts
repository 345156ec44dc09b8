/**
 * IP protocol numbers: the names -v prints, and the dispatch from a protocol
 * number to the transport decoder (shared by IPv4 and IPv6).
 */
import type { Dissector } from './dissector.js';
import { printIcmp } from './icmp.js';
import { printIcmp6 } from './icmp6.js';
import { printIgmp } from './igmp.js';
import { printEsp, printGre } from './tunnels.js';
import { printTcp } from './tcp.js';
import { printUdp } from './udp.js';

const NAMES = new Map<number, string>([
  [0, 'Options'], [1, 'ICMP'], [2, 'IGMP'], [4, 'IPIP'], [6, 'TCP'], [8, 'EGP'], [9, 'IGRP'], [17, 'UDP'],
  [33, 'DCCP'], [41, 'IPv6'], [43, 'Routing'], [44, 'Fragment'], [46, 'RSVP'], [47, 'GRE'], [50, 'ESP'],
  [51, 'AH'], [55, 'Mobile IP'], [58, 'ICMPv6'], [60, 'Destination Options'], [62, 'Mobile IP (old)'], [88, 'EIGRP'],
  [89, 'OSPF'], [103, 'PIM'], [108, 'Compressed IP'], [112, 'VRRP'], [113, 'PGM'], [132, 'SCTP'], [135, 'Mobility'],
  [59, 'NONE'],
]);

/**
 * tcpdump's name for an IP protocol number, or "unknown".
 *
 * @example
 * ipProtoName(17) // 'UDP'
 */
export function ipProtoName(proto: number): string {
  return NAMES.get(proto) ?? 'unknown';
}

/** The addresses of the enclosing IP header, for transport decoders and checksums. */
export interface IpContext {
  readonly version: 4 | 6;
  readonly src: string;
  readonly dst: string;
  readonly srcBytes: Uint8Array;
  readonly dstBytes: Uint8Array;
  /** True for a fragment: the transport checksum cannot be checked. */
  readonly fragmented: boolean;
  /** True when the addresses were already printed (IPv6 extension headers came first): ports only. */
  readonly addressesPrinted?: boolean;
}

/**
 * The `src.port > dst.port: ` prefix of TCP and UDP lines, or only the ports
 * when the IP layer already printed the addresses.
 *
 * @example
 * endpoints(ip, 1234, 80) // '10.0.0.1.1234 > 10.0.0.2.80: '
 */
export function endpoints(ip: IpContext, sport: number, dport: number): string {
  return ip.addressesPrinted ? `${sport} > ${dport}: ` : `${ip.src}.${sport} > ${ip.dst}.${dport}: `;
}

/**
 * Decodes a transport payload; returns false when the protocol has no
 * decoder here (the caller then prints the protocol number and length).
 *
 * @example
 * printTransport(d, ip, 6, segment, segment.length) // TCP
 */
export function printTransport(d: Dissector, ip: IpContext, proto: number, buf: Uint8Array, length: number): boolean {
  switch (proto) {
    case 6: printTcp(d, ip, buf, length); return true;
    case 17: printUdp(d, ip, buf, length); return true;
    case 1: if (ip.version !== 4) return false; printIcmp(d, ip, buf, length); return true;
    case 2: if (ip.version !== 4) return false; printIgmp(d, buf, length); return true;
    case 47: printGre(d, buf, length); return true;
    case 50: printEsp(d, buf, length); return true;
    case 58: if (ip.version !== 6) return false; printIcmp6(d, ip, buf, length); return true;
    default: return false;
  }
}

/** Protocols whose decoder prints the addresses itself, with ports. */
export const PRINTS_OWN_ADDRESSES = new Set([6, 17]);
