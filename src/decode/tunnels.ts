/**
 * Tunnels that carry packets bpfdump already decodes: GRE (RFC 2784/2890)
 * and VXLAN (RFC 7348), and the ESP header (RFC 4303), whose payload is
 * encrypted and so ends the line.
 */
import { hex4, u16, u32, u8 } from './bytes.js';
import type { Dissector } from './dissector.js';
import { etherTypeName } from './ethertype-names.js';
import { printIpv4 } from './ipv4.js';
import { printIpv6 } from './ipv6.js';
import { printEthernet } from './link.js';

const GRE_FLAGS: ReadonlyArray<[number, string]> = [[0x8000, 'checksum present'], [0x4000, 'routing present'], [0x2000, 'key present'], [0x1000, 'seq present']];

/**
 * Prints a GRE packet (version 0) and the packet it carries.
 *
 * @example
 * printGre(d, packet, packet.length) // 'GREv0, length 32: IP 10.0.0.1 > 10.0.0.2: ...'
 */
export function printGre(d: Dissector, buf: Uint8Array, length: number): void {
  d.protocol = 'gre';
  const flags = u16(buf, 0);
  const version = flags & 7;
  d.print(`GREv${version}`);
  if (version !== 0) {
    d.print(' ERROR: unknown-version');
    return;
  }
  if (d.opts.verbose > 0) {
    const names = GRE_FLAGS.filter(([bit]) => flags & bit).map(([, n]) => n);
    d.print(`, Flags [${names.length ? names.join(', ') : 'none'}]`);
  }
  const proto = u16(buf, 2);
  let at = 4;
  if (flags & 0xc000) {
    if (d.opts.verbose > 0) d.print(`, sum 0x${u16(buf, at).toString(16)}`);
    d.print(`, off 0x${u16(buf, at + 2).toString(16)}`);
    at += 4;
  }
  if (flags & 0x2000) { d.print(`, key=0x${u32(buf, at).toString(16)}`); at += 4; }
  if (flags & 0x1000) { d.print(`, seq ${u32(buf, at)}`); at += 4; }
  if (d.opts.linkHeader) d.print(`, proto ${etherTypeName(proto)} (0x${hex4(proto)})`);
  d.print(`, length ${length}`);
  d.print(d.opts.verbose < 1 ? ': ' : '\n\t');
  const payload = buf.subarray(at);
  if (proto === 0x0800) printIpv4(d, payload, length - at);
  else if (proto === 0x86dd) printIpv6(d, payload, length - at);
  else if (proto === 0x6558) printEthernet(d, payload, length - at);
  else d.print(`gre-proto-0x${proto.toString(16)}`);
}

/**
 * Prints a VXLAN header, then the Ethernet frame it carries on the next line.
 *
 * @example
 * printVxlan(d, datagram, 66) // 'VXLAN, flags [I] (0x08), vni 42\nIP 10.0.0.1 > ...'
 */
export function printVxlan(d: Dissector, buf: Uint8Array, length: number): void {
  d.protocol = 'vxlan';
  const flags = u8(buf, 0);
  const vni = (u8(buf, 4) << 16) | (u8(buf, 5) << 8) | u8(buf, 6);
  u8(buf, 7);
  d.print(`VXLAN, flags [${flags & 0x08 ? 'I' : 'invalid'}] (0x${flags.toString(16).padStart(2, '0')}), vni ${vni}\n`);
  printEthernet(d, buf.subarray(8), length - 8);
}

/**
 * Prints the ESP header: the SPI and sequence number; the rest is encrypted.
 *
 * @example
 * printEsp(d, packet, 64) // 'ESP(spi=0x16ea48a0,seq=0x39cb9fea), length 64'
 */
export function printEsp(d: Dissector, buf: Uint8Array, length: number): void {
  d.protocol = 'esp';
  d.print(`ESP(spi=0x${u32(buf, 0).toString(16).padStart(8, '0')},seq=0x${u32(buf, 4).toString(16)}), length ${length}`);
}
