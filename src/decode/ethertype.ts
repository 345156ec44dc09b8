/**
 * The dispatch from an EtherType to the network-layer decoder.
 */
import { printArp } from './arp.js';
import type { Dissector } from './dissector.js';
import { printIpv4 } from './ipv4.js';
import { printIpv6 } from './ipv6.js';
import { printMpls } from './mpls.js';
import { printPppoe } from './pppoe.js';
import { etherTypeName } from './ethertype-names.js';

export { etherTypeName };

/**
 * Decodes a network-layer payload by EtherType; false when the type has no
 * decoder here (the caller prints what it knows).
 *
 * @example
 * printNetwork(d, 0x0806, arpBytes, 28) // true, 'ARP, Request who-has ...'
 */
export function printNetwork(d: Dissector, type: number, buf: Uint8Array, length: number): boolean {
  switch (type) {
    case 0x0800: printIpv4(d, buf, length); return true;
    case 0x86dd: printIpv6(d, buf, length); return true;
    case 0x0806: case 0x8035: printArp(d, buf, length, type === 0x8035); return true;
    case 0x8847: case 0x8848: printMpls(d, buf, length); return true;
    case 0x8863: case 0x8864: printPppoe(d, buf, length); return true;
    default: return false;
  }
}
