/**
 * PPPoE (RFC 2516) as tcpdump prints it: discovery packets with their tags,
 * session packets with the PPP protocol and the IP packet inside.
 */
import { hex4, u16, u8 } from './bytes.js';
import type { Dissector } from './dissector.js';
import { printIpv4 } from './ipv4.js';
import { printIpv6 } from './ipv6.js';

const CODES = new Map<number, string>([[0x09, 'PADI'], [0x07, 'PADO'], [0x19, 'PADR'], [0x65, 'PADS'], [0xa7, 'PADT'], [0xd3, 'PADM'], [0xd4, 'PADN'], [0, '']]);
const TAGS = new Map<number, string>([
  [0, 'EOL'], [0x0101, 'Service-Name'], [0x0102, 'AC-Name'], [0x0103, 'Host-Uniq'], [0x0104, 'AC-Cookie'],
  [0x0105, 'Vendor-Specific'], [0x0110, 'Relay-Session-ID'], [0x0120, 'PPP-Max-Payload'], [0x0201, 'Service-Name-Error'],
  [0x0202, 'AC-System-Error'], [0x0203, 'Generic-Error'],
]);
const PPP_PROTOCOLS = new Map<number, string>([[0x0021, 'IP'], [0x0057, 'IP6'], [0xc021, 'LCP'], [0x8021, 'IPCP'], [0x8057, 'IP6CP'], [0xc023, 'PAP'], [0xc223, 'CHAP']]);
const MAX_TAG_TEXT = 79;

/**
 * Prints a PPPoE discovery or session packet of `length` bytes.
 *
 * @example
 * printPppoe(d, packet, packet.length) // 'PPPoE PADI [Service-Name]'
 */
export function printPppoe(d: Dissector, buf: Uint8Array, length: number): void {
  d.protocol = 'pppoe';
  const code = u8(buf, 1), session = u16(buf, 2);
  let payloadLength = u16(buf, 4);
  d.print(`PPPoE ${CODES.get(code) ?? `PAD-${code.toString(16)}`}`);
  if (code === 0x09 && payloadLength > 1484 - 6) d.print(` [len ${payloadLength}!]`);
  if (payloadLength > length - 6) {
    d.print(` [len ${payloadLength} > ${length - 6}!]`);
    payloadLength = length - 6;
  }
  if (session) d.print(` [ses 0x${session.toString(16)}]`);
  const payload = buf.subarray(6);
  if (code) {
    let type = 0xffff;
    for (let p = 0; type && p < payloadLength;) {
      type = u16(payload, p);
      const tagLength = u16(payload, p + 2);
      p += 4;
      const name = TAGS.get(type) ?? `TAG-0x${type.toString(16)}`;
      if (tagLength) {
        let text = '', printable = 0;
        for (let v = p; v < p + tagLength && text.length < MAX_TAG_TEXT; v++) {
          const c = u8(payload, v);
          if (c >= 0x20 && c <= 0x7e) { text += String.fromCharCode(c); printable++; } else text += '.';
        }
        if (printable > text.length - printable) d.print(` [${name} "${text}"]`);
        else {
          let hex = '';
          for (let v = p; v < p + tagLength; v++) hex += u8(payload, v).toString(16).toUpperCase().padStart(2, '0');
          d.print(` [${name} 0x${hex}]`);
        }
      } else {
        d.print(` [${name}]`);
      }
      p += tagLength;
    }
    return;
  }
  d.print(' ');
  printPpp(d, payload, payloadLength);
}

/** A PPP frame without address and control (as PPPoE carries it): the protocol, then IP or IPv6. */
function printPpp(d: Dissector, buf: Uint8Array, length: number): void {
  d.protocol = 'ppp';
  const proto = u16(buf, 0);
  if (d.opts.linkHeader) d.print(`${PPP_PROTOCOLS.get(proto) ?? 'unknown'} (0x${hex4(proto)}), length ${length}: `);
  const rest = buf.subarray(2);
  if (proto === 0x0021) printIpv4(d, rest, length - 2);
  else if (proto === 0x0057) printIpv6(d, rest, length - 2);
}
