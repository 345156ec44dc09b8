/**
 * IPv6 (RFC 8200) with its extension headers (hop-by-hop, destination
 * options, routing, fragment), as tcpdump prints them.
 */
import { ipv6Text, need, u16, u32, u8 } from './bytes.js';
import type { Dissector } from './dissector.js';
import { ipProtoName, type IpContext, printTransport, PRINTS_OWN_ADDRESSES } from './ipproto.js';

/**
 * Prints an IPv6 packet whose captured bytes are `buf` and whose length past
 * the link header is `length`.
 *
 * @example
 * printIpv6(d, packet, packet.length) // 'IP6 fd00::1 > fd00::2: ICMP6, echo request, ...'
 */
export function printIpv6(d: Dissector, buf: Uint8Array, length: number): void {
  d.protocol = 'ip6';
  need(buf, 0, 40);
  if (!d.opts.linkHeader) d.print('IP6 ');
  if (length < 40) {
    d.print(`truncated-ip6 ${length}`);
    return;
  }
  const first = u32(buf, 0);
  if (first >>> 28 !== 6) {
    d.print(`version error: ${first >>> 28} != 6`);
    return;
  }
  const payloadLength = u16(buf, 4);
  let nh = u8(buf, 6);
  const hlim = u8(buf, 7);
  let len = payloadLength + 40;
  if (payloadLength !== 0 && len > length) d.print(`truncated-ip6 - ${len - length} bytes missing!`);
  if (payloadLength === 0) len = length;
  len = Math.min(len, length);
  const src = ipv6Text(buf, 8), dst = ipv6Text(buf, 24);
  if (d.opts.verbose > 0) {
    const cls = (first >>> 20) & 0xff, flow = first & 0xfffff;
    d.print(`(${cls ? `class 0x${cls.toString(16)}, ` : ''}${flow ? `flowlabel 0x${flow.toString(16).padStart(5, '0')}, ` : ''}hlim ${hlim}, next-header ${ipProtoName(nh)} (${nh}) payload length: ${payloadLength}) `);
  }
  const ip: IpContext & { fragmented: boolean } = { version: 6, src, dst, srcBytes: buf.slice(8, 24), dstBytes: buf.slice(24, 40), fragmented: false };
  const packet = buf.subarray(0, Math.min(len, buf.length));
  if (!PRINTS_OWN_ADDRESSES.has(nh)) d.print(`${src} > ${dst}: `);
  let at = 40;
  let ownAddresses = true;
  for (;;) {
    let advance: number;
    switch (nh) {
      case 0: advance = printOptions(d, 'hbhopt', 'HBH ', packet, at); break;
      case 60: advance = printOptions(d, 'dstopt', 'DSTOPT ', packet, at); break;
      case 43: advance = printRouting(d, packet, at); break;
      case 44: {
        const offlg = u16(packet, at + 2), offset = offlg & 0xfff8;
        const fragLength = payloadLength + 40 - at - 8;
        d.print(d.opts.verbose > 0 ? `frag (0x${u32(packet, at + 4).toString(16).padStart(8, '0')}:${offset}|${fragLength})` : `frag (${offset}|${fragLength})`);
        ip.fragmented = true;
        if (offset !== 0) return;
        d.print(' ');
        advance = 8;
        break;
      }
      case 59: d.print('no next header'); return;
      default: {
        const payload = packet.subarray(at);
        const rest = len - at;
        const transportIp = ownAddresses ? ip : { ...ip, addressesPrinted: true };
        if (!printTransport(d, transportIp, nh, payload, rest)) {
          d.protocol = 'ip6';
          d.print(`ip-proto-${nh} ${rest}`);
        }
        return;
      }
    }
    const next = u8(packet, at);
    at += advance;
    nh = next;
    ownAddresses = false;
  }
}

/** Hop-by-hop and destination options: with -v each option, in parentheses. */
function printOptions(d: Dissector, protocol: string, label: string, buf: Uint8Array, at: number): number {
  d.protocol = protocol;
  if (at + 1 >= buf.length) d.abandoned = true;
  const hdrLen = (u8(buf, at + 1) + 1) * 8;
  need(buf, at, hdrLen);
  d.print(label);
  if (d.opts.verbose > 0) {
    for (let i = at + 2; i < at + hdrLen;) {
      const type = u8(buf, i);
      if (type === 0) { d.print('(pad1)'); i++; continue; }
      const len = u8(buf, i + 1);
      switch (type) {
        case 1: d.print('(padn)'); break;
        case 5: d.print(`(rtalert: 0x${u16(buf, i + 2).toString(16).padStart(4, '0')}) `); break;
        case 0xc2: d.print(`(jumbo: ${u32(buf, i + 2)}) `); break;
        case 0xc9: d.print(`(homeaddr: ${ipv6Text(buf, i + 2)})`); break;
        default: d.print(`(opt_type 0x${type.toString(16).padStart(2, '0')}: len=${len})`);
      }
      i += len + 2;
    }
    d.print(' ');
  }
  return hdrLen;
}

/** Routing header: type 0 and 2 list their addresses, others show the common fields. */
function printRouting(d: Dissector, buf: Uint8Array, at: number): number {
  const hdrUnits = u8(buf, at + 1), type = u8(buf, at + 2), segleft = u8(buf, at + 3);
  d.print(`RT6 (len=${hdrUnits}, type=${type}${type === 0 ? ' [Deprecated]' : ''}, segleft=${segleft}`);
  if (type === 0 || type === 2) {
    const count = hdrUnits / 2;
    for (let i = 0; i < count; i++) d.print(`, [${i}]${ipv6Text(buf, at + 8 + 16 * i)}`);
  }
  d.print(') ');
  return (hdrUnits + 1) * 8;
}
