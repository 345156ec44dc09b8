/**
 * UDP (RFC 768): ports, length, the -vv checksum verdict, and DNS on port 53.
 */
import { need, Truncated, u16 } from './bytes.js';
import { expectedChecksum, internetChecksum, pseudoHeader } from './checksum.js';
import type { Dissector } from './dissector.js';
import { printDns } from './dns.js';
import { printVxlan } from './tunnels.js';
import { endpoints, type IpContext } from './ipproto.js';

/**
 * Prints a UDP datagram of `length` bytes (header included).
 *
 * @example
 * printUdp(d, ip, datagram, 13) // '10.0.0.1.5000 > 10.0.0.2.9999: UDP, length 5'
 */
export function printUdp(d: Dissector, ip: IpContext, buf: Uint8Array, length: number): void {
  d.protocol = 'udp';
  const addresses = (sport: number, dport: number) => d.print(endpoints(ip, sport, dport));
  if (buf.length < 4) {
    d.print(ip.addressesPrinted ? '' : `${ip.src} > ${ip.dst}: `);
    throw new Truncated();
  }
  const sport = u16(buf, 0), dport = u16(buf, 2);
  if (length < 8) {
    addresses(sport, dport);
    d.print(`truncated-udp ${length}`);
    return;
  }
  if (buf.length < 6) {
    addresses(sport, dport);
    throw new Truncated();
  }
  let ulen = u16(buf, 4);
  if (ulen === 0 && length > 65535) ulen = length;
  if (ulen < 8) {
    addresses(sport, dport);
    d.print(`truncated-udplength ${ulen}`);
    return;
  }
  ulen -= 8;
  length -= 8;
  if (ulen < length) length = ulen;
  addresses(sport, dport);
  need(buf, 0, 8);
  if (d.opts.verbose > 0 && !d.opts.noChecksum && !ip.fragmented && (ip.version === 6 || d.opts.verbose > 1)) {
    const field = u16(buf, 6);
    if (ip.version === 4 && field === 0) {
      d.print('[no cksum] ');
    } else if (buf.length >= length + 8) {
      const pseudo = pseudoHeader(ip.srcBytes, ip.dstBytes, 17, length + 8);
      const datagram = buf.subarray(0, length + 8);
      d.print(internetChecksum([pseudo, datagram]) !== 0
        ? `[bad udp cksum 0x${field.toString(16).padStart(4, '0')} -> 0x${expectedChecksum(pseudo, datagram, 6).toString(16).padStart(4, '0')}!] `
        : '[udp sum ok] ');
    }
  }
  if (!d.opts.quiet && (sport === 53 || dport === 53)) {
    printDns(d, buf.subarray(8), length);
    return;
  }
  if (!d.opts.quiet && (sport === 4789 || dport === 4789)) {
    printVxlan(d, buf.subarray(8), length);
    return;
  }
  d.print(ulen > length && !ip.fragmented ? `UDP, bad length ${ulen} > ${length}` : `UDP, length ${ulen}`);
}
