/**
 * Link-layer decoders: Ethernet (with 802.1Q tags), Linux cooked v1 and v2
 * (what `-i any` captures), BSD NULL/LOOP and raw IP. Each prints its header
 * with -e, as tcpdump does, then hands the payload to the network layer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fromFileLinkType, LINK_TYPES } from '../bpf/linktypes.js';
import { hex2, hex4, macText, u16, u32, u8 } from './bytes.js';
import type { Dissector } from './dissector.js';
import { etherTypeName, printNetwork } from './ethertype.js';

const VLAN_TAG_TYPES = new Set([0x8100, 0x88a8, 0x9100]);

/**
 * Decodes one frame of the given DLT (or LINKTYPE) number. Unknown link types
 * print their name and length.
 *
 * @example
 * printLink(d, 1, frame, frame.length) // Ethernet
 */
export function printLink(d: Dissector, dlt: number, buf: Uint8Array, length: number): void {
  switch (dlt) {
    case 1: return printEthernet(d, buf, length);
    case 113: return printSll(d, buf, length);
    case 276: return printSll2(d, buf, length);
    case 0: case 108: return printNull(d, buf, length, dlt);
    case 12: case 14: case 101: return printRawIp(d, buf, length);
    case 228: return printRawIp(d, buf, length, 4);
    case 229: return printRawIp(d, buf, length, 6);
    default: {
      const name = LINK_TYPES.find((t) => t.dlt === dlt)?.name ?? fromFileLinkType(dlt)?.name ?? `DLT ${dlt}`;
      d.print(`[${name}: not decoded], length ${length}`);
    }
  }
}

/**
 * Ethernet II and 802.3 frames, with any stack of 802.1Q/802.1ad tags.
 *
 * @example
 * printEthernet(d, frame, frame.length) // 'IP 10.0.0.1 > 10.0.0.2: ...'
 */
export function printEthernet(d: Dissector, buf: Uint8Array, length: number): void {
  d.protocol = 'ether';
  const dst = macText(buf, 0), src = macText(buf, 6);
  let type = u16(buf, 12);
  const header = `${src} > ${dst}, `;
  if (d.opts.linkHeader) {
    d.print(header);
    d.print(type < 0x600 ? `802.3, length ${length}: ` : `ethertype ${etherTypeName(type)} (0x${hex4(type)}), length ${length}: `);
  }
  if (type < 0x600) {
    if (!d.opts.linkHeader) d.print(`${header}802.3, length ${length}: `);
    printLlc(d, buf.subarray(14, 14 + type), type);
    return;
  }
  let off = 14;
  while (VLAN_TAG_TYPES.has(type)) {
    d.protocol = 'vlan';
    const tci = u16(buf, off);
    const inner = u16(buf, off + 2);
    if (d.opts.linkHeader) {
      d.print(`vlan ${tci & 0xfff}, p ${tci >> 13}${tci & 0x1000 ? ', DEI' : ''}, ethertype ${etherTypeName(inner)} (0x${hex4(inner)}), `);
    }
    type = inner;
    off += 4;
  }
  if (!printNetwork(d, type, buf.subarray(off), length - off)) {
    if (!d.opts.linkHeader) d.print(`${header}ethertype ${etherTypeName(type)} (0x${hex4(type)}), length ${length}: `);
  }
}

function printLlc(d: Dissector, buf: Uint8Array, length: number): void {
  d.protocol = 'llc';
  const dsap = u8(buf, 0), ssap = u8(buf, 1), control = u8(buf, 2);
  d.print(`LLC, dsap 0x${hex2(dsap)}, ssap 0x${hex2(ssap)}, ctrl 0x${hex2(control)}, length ${length}`);
}

const SLL_PACKET_TYPES = ['In', 'B', 'M', 'P', 'Out'];

let interfaceNames: Map<number, string> | undefined;

/** This machine's name for an interface index, as if_indextoname() gives it (read once from /sys). */
function interfaceName(index: number): string | undefined {
  if (!interfaceNames) {
    interfaceNames = new Map();
    try {
      for (const name of readdirSync('/sys/class/net')) {
        const n = Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'));
        if (Number.isInteger(n)) interfaceNames.set(n, name);
      }
    } catch { /* not Linux, or no sysfs: no names, as tcpdump without if_indextoname */ }
  }
  return interfaceNames.get(index);
}

/**
 * Linux cooked capture v1 (DLT_LINUX_SLL): 16-byte header, then an EtherType payload.
 *
 * @example
 * printSll(d, frame, frame.length)
 */
export function printSll(d: Dissector, buf: Uint8Array, length: number): void {
  d.protocol = 'sll';
  const pkttype = u16(buf, 0), halen = u16(buf, 4), proto = u16(buf, 14);
  if (d.opts.linkHeader) {
    d.print(`${(SLL_PACKET_TYPES[pkttype] ?? '?').padStart(3)} `);
    if (halen > 0 && halen <= 8) d.print(`${macText(buf, 6, halen)} `);
    d.print(`ethertype ${etherTypeName(proto)} (0x${hex4(proto)}), length ${length}: `);
  }
  if (!printNetwork(d, proto, buf.subarray(16), length - 16) && !d.opts.linkHeader) {
    d.print(`ethertype ${etherTypeName(proto)} (0x${hex4(proto)}), length ${length}: `);
  }
}

/**
 * Linux cooked capture v2 (DLT_LINUX_SLL2): 20-byte header with the interface index.
 *
 * @example
 * printSll2(d, frame, frame.length)
 */
export function printSll2(d: Dissector, buf: Uint8Array, length: number): void {
  d.protocol = 'sll2';
  const proto = u16(buf, 0), ifindex = u32(buf, 4), pkttype = u8(buf, 10), halen = u8(buf, 11);
  // tcpdump names the interface as this machine knows the index (if_indextoname), then the direction.
  const ifname = interfaceName(ifindex);
  if (ifname !== undefined) d.print(`${ifname.padEnd(5)} `);
  d.print(`${(SLL_PACKET_TYPES[pkttype] ?? '?').padEnd(3)} `);
  if (d.opts.linkHeader) {
    d.print(`ifindex ${ifindex} `);
    if (halen > 0 && halen <= 8) d.print(`${macText(buf, 12, halen)} `);
    d.print(`ethertype ${etherTypeName(proto)} (0x${hex4(proto)}), length ${length}: `);
  }
  if (!printNetwork(d, proto, buf.subarray(20), length - 20) && !d.opts.linkHeader) {
    d.print(`ethertype ${etherTypeName(proto)} (0x${hex4(proto)}), length ${length}: `);
  }
}

/**
 * BSD loopback: a 4-byte address family, host order for NULL, network order for LOOP.
 *
 * @example
 * printNull(d, frame, frame.length, 0)
 */
export function printNull(d: Dissector, buf: Uint8Array, length: number, dlt: number): void {
  d.protocol = 'null';
  const be = u32(buf, 0);
  const le = (buf[0] | (buf[1] << 8) | (buf[2] << 16) | (buf[3] << 24)) >>> 0;
  // A NULL file written on a big-endian host has the family in the other order.
  const family = dlt === 108 ? be : (le > 0xffff ? be : le);
  const isV6 = family === 10 || family === 24 || family === 28 || family === 30;
  if (d.opts.linkHeader) d.print(`AF ${family === 2 ? 'IPv4' : isV6 ? 'IPv6' : 'Unknown'} (${family}), length ${length}: `);
  const type = family === 2 ? 0x0800 : isV6 ? 0x86dd : -1;
  if (type < 0 || !printNetwork(d, type, buf.subarray(4), length - 4)) {
    if (!d.opts.linkHeader) d.print(`AF Unknown (${family}), length ${length}: `);
  }
}

/**
 * Raw IP (no link header): the version nibble picks IPv4 or IPv6.
 *
 * @example
 * printRawIp(d, packet, packet.length)
 */
export function printRawIp(d: Dissector, buf: Uint8Array, length: number, version?: 4 | 6): void {
  d.protocol = 'raw';
  const v = version ?? (u8(buf, 0) >> 4);
  if (d.opts.linkHeader) d.print('ip: ');
  if (v === 4) printNetwork(d, 0x0800, buf, length);
  else if (v === 6) printNetwork(d, 0x86dd, buf, length);
  else d.print(`IP${v}`);
}
