/**
 * MPLS label stacks (RFC 3032) as tcpdump prints them, then the payload,
 * recognised by the reserved labels or by the IP version nibble.
 */
import { u8 } from './bytes.js';
import type { Dissector } from './dissector.js';
import { printIpv4 } from './ipv4.js';
import { printIpv6 } from './ipv6.js';

/**
 * Prints an MPLS packet of `length` bytes.
 *
 * @example
 * printMpls(d, packet, packet.length) // 'MPLS (label 16, tc 0, [S], ttl 64) IP 10.0.0.1 > ...'
 */
export function printMpls(d: Dissector, buf: Uint8Array, length: number): void {
  d.protocol = 'mpls';
  d.print('MPLS');
  // With -v each label, and the payload, go on a line of their own.
  const sep = d.opts.verbose > 0 ? '\n\t' : ' ';
  let at = 0, label = 0;
  for (;;) {
    const entry = ((u8(buf, at) << 24) | (u8(buf, at + 1) << 16) | (u8(buf, at + 2) << 8) | u8(buf, at + 3)) >>> 0;
    label = entry >>> 12;
    const bottom = (entry >> 8) & 1;
    d.print(`${at === 0 ? ' ' : sep}(label ${label}${label < 16 ? ` (${RESERVED[label] ?? 'reserved'})` : ''}, tc ${(entry >> 9) & 7}${bottom ? ', [S]' : ''}, ttl ${entry & 0xff})`);
    at += 4;
    if (bottom) break;
  }
  const payload = buf.subarray(at);
  const rest = length - at;
  // Explicit-null labels say what follows; otherwise the first nibble is the best guess, as tcpdump makes it.
  if (label === 0 || label === 1 && (payload[0] ?? 0) >> 4 === 4) { d.print(sep); printIpv4(d, payload, rest); return; }
  if (label === 2) { d.print(sep); printIpv6(d, payload, rest); return; }
  if (payload.length === 0) return;
  const first = payload[0];
  if (first >= 0x45 && first <= 0x4f) { d.print(sep); printIpv4(d, payload, rest); }
  else if (first >= 0x60 && first <= 0x6f) { d.print(sep); printIpv6(d, payload, rest); }
}

const RESERVED: Record<number, string> = {
  0: 'IPv4 explicit NULL', 1: 'router alert', 2: 'IPv6 explicit NULL', 3: 'implicit NULL', 7: 'ELI', 13: 'OAM alert', 14: 'OAM alert',
};
