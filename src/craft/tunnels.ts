/**
 * UDP tunnel headers: VXLAN (RFC 7348, port 4789) and GENEVE (RFC 8926, port 6081).
 */
import { concat, put16, toBytes, type ByteSource } from './bytes.js';
import { CraftError, checkUint } from './errors.js';
import { ETHERTYPE, payloadBytes, type Payload } from './layers.js';

/** Well-known UDP ports of the tunnels. */
export const TUNNEL_PORT = Object.freeze({ VXLAN: 4789, GENEVE: 6081 });

/**
 * A VXLAN header (I flag set) before an inner Ethernet frame; put it in udp({ dport: 4789 }).
 *
 * @example
 * udp({ sport: 50000, dport: 4789 }, vxlan({ vni: 42 }, ethernet({ src, dst }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, icmp({ type: 8 })))))
 */
export function vxlan(options: { vni: number; flags?: number }, innerFrame: ByteSource): Uint8Array {
  const head = new Uint8Array(8);
  head[0] = checkUint('vxlan', 'flags', options.flags ?? 0x08, 0xff);
  const vni = checkUint('vxlan', 'vni', options.vni, 0xffffff);
  head[4] = vni >>> 16; head[5] = vni >>> 8; head[6] = vni;
  return concat(head, toBytes(innerFrame));
}

/**
 * A GENEVE header before a payload (an Ethernet frame, protocol 0x6558, unless the payload is a Datagram with its own EtherType).
 *
 * @example
 * udp({ sport: 50000, dport: 6081 }, geneve({ vni: 5000 }, innerEthernetFrame))
 */
export function geneve(options: { vni: number; protocol?: number; oam?: boolean; critical?: boolean; options?: ByteSource }, payload: Payload): Uint8Array {
  const opts = toBytes(options.options ?? []);
  if (opts.length % 4 || opts.length > 252) throw new CraftError('geneve', 'options', opts, 'must be a multiple of 4 bytes, at most 252');
  const protocol = options.protocol ?? (payload instanceof Uint8Array || payload.kind === 'segment' ? ETHERTYPE.TEB : payload.etherType ?? ETHERTYPE.TEB);
  const head = new Uint8Array(8);
  head[0] = opts.length / 4; // version 0
  head[1] = (options.oam ? 0x80 : 0) | (options.critical ? 0x40 : 0);
  put16(head, 2, checkUint('geneve', 'protocol', protocol, 0xffff));
  const vni = checkUint('geneve', 'vni', options.vni, 0xffffff);
  head[4] = vni >>> 16; head[5] = vni >>> 8; head[6] = vni;
  return concat(head, opts, payloadBytes(payload));
}
