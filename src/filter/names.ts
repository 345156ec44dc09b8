/**
 * Name resolution as libpcap does it: host names to addresses (the hosts
 * file; see docs/filter.md for why not DNS), service names to ports
 * (/etc/services), protocol names to numbers (/etc/protocols), Ethernet host
 * names to MAC addresses (/etc/ethers), plus libpcap's own tables of
 * Ethernet-type and LLC names.
 *
 * The system files are read once, lazily, and cached for the process.
 */
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';

/** Where the system files are; tests may point these elsewhere. */
export const NAME_FILES = { hosts: '/etc/hosts', services: '/etc/services', protocols: '/etc/protocols', ethers: '/etc/ethers' };

function readLines(path: string): string[][] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter((l) => l.length > 0).map((l) => l.split(/\s+/));
}

let hosts: Map<string, string[]> | undefined;
let services: Map<string, { tcp?: number; udp?: number }> | undefined;
let protocols: Map<string, number> | undefined;
let ethers: Map<string, Uint8Array> | undefined;

/** An address a host name resolved to. */
export type ResolvedAddress = { family: 4; value: number } | { family: 6; bytes: Uint8Array };

/**
 * Parses an IPv6 address to 16 bytes; undefined when it is not one.
 *
 * @example
 * ipv6Bytes('::1') // Uint8Array [0, …, 0, 1]
 */
export function ipv6Bytes(text: string): Uint8Array | undefined {
  if (!isIPv6(text)) return undefined;
  let s = text;
  const out = new Uint8Array(16);
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  let tail: number[] = [];
  if (v4) {
    const parts = v4[1].split('.').map(Number);
    tail = [(parts[0] << 8) | parts[1], (parts[2] << 8) | parts[3]];
    s = s.slice(0, s.length - v4[1].length) + '0:0';
  }
  const [head, rest] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':').map((x) => parseInt(x, 16)) : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':').map((x) => parseInt(x, 16)) : [];
  const groups = rest === undefined ? h : [...h, ...new Array(8 - h.length - r.length).fill(0), ...r];
  if (tail.length) groups.splice(6, 2, ...tail);
  groups.forEach((g, i) => { out[2 * i] = g >> 8; out[2 * i + 1] = g & 0xff; });
  return out;
}

/**
 * Resolves a host name as libpcap's pcap_nametoaddrinfo would, from the
 * hosts file (numeric IPv4/IPv6 text resolves to itself). Empty when unknown.
 *
 * @example
 * resolveHost('localhost') // [{ family: 4, value: 0x7f000001 }]
 */
export function resolveHost(name: string): ResolvedAddress[] {
  if (isIPv4(name)) return [{ family: 4, value: ipv4Value(name) }];
  const b6 = ipv6Bytes(name);
  if (b6) return [{ family: 6, bytes: b6 }];
  if (!hosts) {
    hosts = new Map();
    for (const [addr, ...names] of readLines(NAME_FILES.hosts)) {
      for (const n of names) {
        const list = hosts.get(n.toLowerCase()) ?? [];
        if (!list.includes(addr)) list.push(addr);
        hosts.set(n.toLowerCase(), list);
      }
    }
  }
  const out: ResolvedAddress[] = [];
  for (const a of hosts.get(name.toLowerCase()) ?? []) {
    if (isIPv4(a)) out.push({ family: 4, value: ipv4Value(a) });
    else {
      const b = ipv6Bytes(a);
      if (b) out.push({ family: 6, bytes: b });
    }
  }
  return out;
}

function ipv4Value(text: string): number {
  return text.split('.').reduce((v, p) => v * 256 + Number(p), 0) >>> 0;
}

/**
 * Parses dotted IPv4 text of 1 to 4 decimal parts as libpcap's __pcap_atoin:
 * the value left-aligned in the low bits and the number of bits given, or
 * undefined when a part is above 255.
 *
 * @example
 * parseDottedIPv4('10.1') // { value: 0x0a01, bits: 16 }
 */
export function parseDottedIPv4(text: string): { value: number; bits: number } | undefined {
  const parts = text.split('.');
  let value = 0;
  for (const p of parts) {
    if (!/^\d+$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return { value: value >>> 0, bits: parts.length * 8 };
}

/** IP protocol numbers of the transport protocols libpcap distinguishes. */
export const IPPROTO = { ICMP: 1, IGMP: 2, TCP: 6, UDP: 17, IGRP: 9, PIM: 103, VRRP: 112, ICMPV6: 58, AH: 51, ESP: 50, SCTP: 132, FRAGMENT: 44 } as const;
/** libpcap's PROTO_UNDEF: a port that may be TCP, UDP or SCTP. */
export const PROTO_UNDEF = -1;

function loadServices(): Map<string, { tcp?: number; udp?: number }> {
  if (!services) {
    services = new Map();
    for (const [name, portProto, ...aliases] of readLines(NAME_FILES.services)) {
      const m = /^(\d+)\/(tcp|udp)$/.exec(portProto ?? '');
      if (!m) continue;
      for (const n of [name, ...aliases]) {
        const entry = services.get(n) ?? {};
        const proto = m[2] as 'tcp' | 'udp';
        if (entry[proto] === undefined) entry[proto] = Number(m[1]);
        services.set(n, entry);
      }
    }
  }
  return services;
}

/**
 * A port name (or decimal text) to its number and protocol, as
 * pcap_nametoport: TCP wins; when UDP has the same number the protocol is
 * PROTO_UNDEF (either). Undefined when unknown.
 *
 * @example
 * resolvePort('domain') // { port: 53, proto: PROTO_UNDEF }
 * resolvePort('http')   // { port: 80, proto: 6 }
 */
export function resolvePort(name: string): { port: number; proto: number } | undefined {
  let tcp: number | undefined, udp: number | undefined;
  if (/^\d+$/.test(name)) {
    tcp = udp = Number(name);
    if (tcp > 65535) return undefined;
  } else {
    const entry = loadServices().get(name);
    tcp = entry?.tcp;
    udp = entry?.udp;
  }
  if (tcp !== undefined) return { port: tcp, proto: udp === tcp ? PROTO_UNDEF : IPPROTO.TCP };
  if (udp !== undefined) return { port: udp, proto: IPPROTO.UDP };
  return undefined;
}

/**
 * `p1-p2` (numbers or names) as pcap_nametoportrange. Undefined when unknown.
 *
 * @example
 * resolvePortRange('6000-6010') // { port1: 6000, port2: 6010, proto: PROTO_UNDEF }
 */
export function resolvePortRange(name: string): { port1: number; port2: number; proto: number } | undefined {
  const numeric = /^\s*([-+]?\d+)-([-+]?\d+)/.exec(name);
  if (numeric) return { port1: Number(numeric[1]), port2: Number(numeric[2]), proto: PROTO_UNDEF };
  const dash = name.indexOf('-');
  if (dash < 0) return undefined;
  const a = resolvePort(name.slice(0, dash));
  if (!a) return undefined;
  const b = resolvePort(name.slice(dash + 1));
  if (!b) return undefined;
  return { port1: a.port, port2: b.port, proto: a.proto === b.proto ? b.proto : PROTO_UNDEF };
}

/**
 * An IP protocol name to its number from /etc/protocols (getprotobyname); undefined when unknown.
 *
 * @example
 * resolveProtocol('tcp') // 6
 */
export function resolveProtocol(name: string): number | undefined {
  if (!protocols) {
    protocols = new Map();
    for (const [n, num, ...aliases] of readLines(NAME_FILES.protocols)) {
      if (!/^\d+$/.test(num ?? '')) continue;
      for (const a of [n, ...aliases]) if (!protocols.has(a)) protocols.set(a, Number(num));
    }
  }
  return protocols.get(name);
}

const ETHER_PROTOCOLS = new Map<string, number>([
  ['aarp', 0x80f3], ['arp', 0x0806], ['atalk', 0x809b], ['decnet', 0x6003], ['ip', 0x0800], ['ip6', 0x86dd],
  ['lat', 0x6004], ['loopback', 0x9000], ['mopdl', 0x6001], ['moprc', 0x6002], ['rarp', 0x8035], ['sca', 0x6007],
]);
const LLC_PROTOCOLS = new Map<string, number>([['iso', 0xfe], ['stp', 0x42], ['ipx', 0xe0], ['netbeui', 0xf0]]);

/**
 * An Ethernet-type or LLC name (libpcap's tables for `ether proto NAME`); undefined when unknown.
 *
 * @example
 * resolveEtherProtocol('ip6') // 0x86dd
 */
export function resolveEtherProtocol(name: string): number | undefined {
  return ETHER_PROTOCOLS.get(name) ?? LLC_PROTOCOLS.get(name);
}

/**
 * An Ethernet host name to its MAC from /etc/ethers; undefined when unknown.
 *
 * @example
 * resolveEther('gateway') // Uint8Array(6) if /etc/ethers lists it
 */
export function resolveEther(name: string): Uint8Array | undefined {
  if (!ethers) {
    ethers = new Map();
    for (const [mac, host] of readLines(NAME_FILES.ethers)) {
      const bytes = parseMac(mac);
      if (bytes && host && !ethers.has(host)) ethers.set(host, bytes);
    }
  }
  return ethers.get(name);
}

/**
 * Parses a MAC address in any notation libpcap takes (`a:b:c:d:e:f`,
 * `a-b-c-d-e-f`, `a.b.c.d.e.f`, `aabb.ccdd.eeff`, `aabbccddeeff`).
 *
 * @example
 * parseMac('0:1:2:3:4:5') // Uint8Array [0, 1, 2, 3, 4, 5]
 */
export function parseMac(text: string): Uint8Array | undefined {
  let parts: string[];
  if (/^[0-9a-f]{12}$/i.test(text)) parts = text.match(/../g)!;
  else if (/^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/i.test(text)) parts = text.replace(/\./g, '').match(/../g)!;
  else parts = text.split(/[:.-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-f]{1,2}$/i.test(p))) return undefined;
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

let networks: Map<string, number> | undefined;

/**
 * A network name to its number from /etc/networks (getnetbyname), right-aligned
 * as the file writes it (`10` for 10.0.0.0/8); undefined when unknown.
 *
 * @example
 * resolveNetwork('loopback') // 127, where /etc/networks lists it
 */
export function resolveNetwork(name: string): number | undefined {
  if (!networks) {
    networks = new Map();
    for (const [n, num, ...aliases] of readLines('/etc/networks')) {
      const parsed = parseDottedIPv4(num ?? '');
      if (!parsed) continue;
      for (const a of [n, ...aliases]) if (!networks.has(a)) networks.set(a, parsed.value);
    }
  }
  return networks.get(name);
}
