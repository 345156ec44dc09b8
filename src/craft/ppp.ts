/**
 * Point-to-point framings: DLT_PPP (HDLC-like address/control + protocol),
 * Cisco HDLC (DLT_C_HDLC), and the PPP protocol numbers that map EtherTypes.
 */
import { concat, put16 } from './bytes.js';
import { CraftError, checkUint } from './errors.js';
import { ETHERTYPE, payloadBytes, type Payload } from './layers.js';

/** PPP protocol numbers (RFC 1661 and the assigned numbers). */
export const PPP_PROTOCOL = Object.freeze({
  IP: 0x0021, OSI: 0x0023, DECNET: 0x0027, APPLETALK: 0x0029, IPX: 0x002b, VJC: 0x002d, VJNC: 0x002f,
  IPV6: 0x0057, MPLS_UNICAST: 0x0281, MPLS_MULTICAST: 0x0283, IPCP: 0x8021, IPV6CP: 0x8057, LCP: 0xc021, PAP: 0xc023, CHAP: 0xc223,
});

const FROM_ETHERTYPE = new Map<number, number>([
  [ETHERTYPE.IPV4, PPP_PROTOCOL.IP], [ETHERTYPE.IPV6, PPP_PROTOCOL.IPV6], [ETHERTYPE.IPX, PPP_PROTOCOL.IPX],
  [ETHERTYPE.ATALK, PPP_PROTOCOL.APPLETALK], [ETHERTYPE.DECNET, PPP_PROTOCOL.DECNET],
  [ETHERTYPE.MPLS, PPP_PROTOCOL.MPLS_UNICAST], [ETHERTYPE.MPLS_MULTICAST, PPP_PROTOCOL.MPLS_MULTICAST],
]);

/**
 * The PPP protocol number for a payload (from its EtherType), or `given` when set.
 *
 * @example
 * pppProtocolOf(ipv6({ src: '::1', dst: '::1' }), 'ppp') // 0x0057
 */
export function pppProtocolOf(payload: Payload, builder: string, given?: number): number {
  if (given !== undefined) return checkUint(builder, 'protocol', given, 0xffff);
  const etherType = payload instanceof Uint8Array || payload.kind === 'segment' ? undefined : payload.etherType;
  const found = etherType === undefined ? undefined : FROM_ETHERTYPE.get(etherType);
  if (found === undefined) throw new CraftError(builder, 'protocol', undefined, 'is required: the payload has no PPP protocol number');
  return found;
}

/**
 * A DLT_PPP frame: address 0xff, control 0x03, 2-byte protocol, payload.
 *
 * @example
 * ppp({}, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 1, dport: 22 })))
 * ppp({ protocol: PPP_PROTOCOL.LCP }, Uint8Array.of(1, 1, 0, 4)) // LCP Configure-Request
 */
export function ppp(options: { protocol?: number; address?: number; control?: number }, payload: Payload): Uint8Array {
  const head = Uint8Array.of(checkUint('ppp', 'address', options.address ?? 0xff, 0xff), checkUint('ppp', 'control', options.control ?? 0x03, 0xff), 0, 0);
  put16(head, 2, pppProtocolOf(payload, 'ppp', options.protocol));
  return concat(head, payloadBytes(payload));
}

/**
 * A DLT_C_HDLC (Cisco HDLC) frame: address (0x0f unicast, 0x8f broadcast), control 0, EtherType.
 *
 * @example
 * chdlc({}, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, udp({ sport: 1, dport: 2 })))
 */
export function chdlc(options: { address?: number; protocol?: number }, payload: Payload): Uint8Array {
  const head = Uint8Array.of(checkUint('chdlc', 'address', options.address ?? 0x0f, 0xff), 0, 0, 0);
  const etherType = options.protocol ?? (payload instanceof Uint8Array || payload.kind === 'segment' ? undefined : payload.etherType);
  if (etherType === undefined) throw new CraftError('chdlc', 'protocol', undefined, 'is required for a payload without an EtherType');
  put16(head, 2, checkUint('chdlc', 'protocol', etherType, 0xffff));
  return concat(head, payloadBytes(payload));
}
