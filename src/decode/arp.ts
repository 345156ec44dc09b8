/**
 * ARP and RARP (RFC 826, RFC 903) as tcpdump prints them: who-has / is-at,
 * with the hardware and protocol types under -v.
 */
import { ipv4Text, macText, need, u16, u8 } from './bytes.js';
import type { Dissector } from './dissector.js';

const HARDWARE = new Map<number, string>([[1, 'Ethernet'], [6, 'IEEE 802'], [15, 'Frame Relay'], [16, 'ATM'], [19, 'ATM'], [24, 'IEEE 1394'], [32, 'InfiniBand']]);

/**
 * Prints an ARP or RARP packet of `length` bytes.
 *
 * @example
 * printArp(d, arp, 28, false) // 'ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28'
 */
export function printArp(d: Dissector, buf: Uint8Array, length: number, reverse: boolean): void {
  d.protocol = reverse ? 'rarp' : 'arp';
  const hrd = u16(buf, 0), pro = u16(buf, 2), hln = u8(buf, 4), pln = u8(buf, 5), op = u16(buf, 6);
  need(buf, 8, 2 * hln + 2 * pln);
  if (!d.opts.linkHeader) d.print(reverse ? 'RARP, ' : 'ARP, ');
  if (pro !== 0x0800 || pln !== 4 || hln === 0) {
    d.print(`${HARDWARE.get(hrd) ?? 'Unknown Hardware'} (${hrd}), proto 0x${pro.toString(16).padStart(4, '0')}, length ${length}`);
    return;
  }
  const sha = macText(buf, 8, hln), spa = ipv4Text(buf, 8 + hln);
  const tha = macText(buf, 12 + hln, hln), tpa = ipv4Text(buf, 12 + 2 * hln);
  if (d.opts.verbose > 0) {
    d.print(`${HARDWARE.get(hrd) ?? 'Unknown Hardware'} (len ${hln}), IPv4 (len ${pln}), `);
  }
  const zeroTarget = buf.subarray(12 + hln, 12 + 2 * hln).every((b) => b === 0);
  switch (op) {
    case 1: d.print(`Request who-has ${tpa}${zeroTarget ? '' : ` (${tha})`} tell ${spa}`); break;
    case 2: d.print(`Reply ${spa} is-at ${sha}`); break;
    case 3: d.print(`Reverse Request who-is ${tha} tell ${sha}`); break;
    case 4: d.print(`Reverse Reply ${tha} at ${tpa}`); break;
    case 8: d.print(`InARP Request who-is ${tha} tell ${sha}`); break;
    case 9: d.print(`InARP Reply ${tha} at ${tpa}`); break;
    default: d.print(`Unknown (${op})`);
  }
  d.print(`, length ${length}`);
}
