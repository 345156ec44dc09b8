/**
 * Ethernet framing: Ethernet II, IEEE 802.3 with a length field, 802.2 LLC
 * and SNAP headers, and 802.1Q / 802.1ad VLAN tags.
 */
import { concat, put16 } from './bytes.js';
import { macBytes, type Address } from './address.js';
import { CraftError, checkUint } from './errors.js';
import { ETHERTYPE, payloadBytes, type Datagram, type Payload } from './layers.js';

export interface EthernetOptions {
  dst: Address;
  src: Address;
  /** The type/length field; by default the payload's EtherType, or its length for LLC and Novell-raw payloads. */
  type?: number;
  /** Pad the frame with zeros to the 60-byte Ethernet minimum (as frames received from a NIC are). */
  pad?: boolean;
}

/**
 * How a payload is announced in an Ethernet-style type/length field.
 *
 * @example
 * typeOrLength(ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), 'ethernet') // 0x0800
 */
export function typeOrLength(payload: Payload, builder: string, given?: number): number {
  if (given !== undefined) return checkUint(builder, 'type', given, 0xffff);
  if (payload instanceof Uint8Array || payload.kind === 'segment') {
    throw new CraftError(builder, 'type', undefined, 'is required for a payload that is not a Datagram');
  }
  if (payload.etherType !== undefined) return payload.etherType;
  if (payload.llc || payload.novellRaw) return payload.bytes.length;
  throw new CraftError(builder, 'type', undefined, 'cannot be inferred from this Datagram');
}

/**
 * An Ethernet frame (without FCS). The type comes from the payload unless given.
 *
 * @example
 * ethernet({ src: '02:00:00:00:00:01', dst: 'ff:ff:ff:ff:ff:ff' }, arp({ op: 1, senderIp: '10.0.0.1', targetIp: '10.0.0.2' }))
 * ethernet({ src, dst, type: 0x05dc }, new Uint8Array(10)) // an odd 802.3 length
 */
export function ethernet(options: EthernetOptions, payload: Payload): Uint8Array {
  const body = payloadBytes(payload);
  const type = typeOrLength(payload, 'ethernet', options.type);
  const length = options.pad ? Math.max(60, 14 + body.length) : 14 + body.length;
  const out = new Uint8Array(length);
  out.set(macBytes(options.dst, 'dst'), 0);
  out.set(macBytes(options.src, 'src'), 6);
  put16(out, 12, type);
  out.set(body, 14);
  return out;
}

export interface VlanOptions {
  /** VLAN identifier, 0..4095. */
  vid: number;
  /** Priority code point, 0..7. */
  pcp?: number;
  /** Drop eligible indicator. */
  dei?: boolean;
  /** Tag protocol identifier of this tag: 0x8100 (802.1Q, default), 0x88a8 (802.1ad), 0x9100. */
  tpid?: number;
  /** Type/length field after the tag; by default from the payload. */
  type?: number;
}

/**
 * An 802.1Q tag around a payload, as a Datagram whose EtherType is the TPID: put it in ethernet().
 *
 * @example
 * ethernet({ src, dst }, vlan({ vid: 100 }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, udp({ sport: 1, dport: 53 }))))
 */
export function vlan(options: VlanOptions, payload: Payload): Datagram {
  const vid = checkUint('vlan', 'vid', options.vid, 4095);
  const pcp = checkUint('vlan', 'pcp', options.pcp ?? 0, 7);
  const body = payloadBytes(payload);
  const out = new Uint8Array(4 + body.length);
  put16(out, 0, (pcp << 13) | (options.dei ? 0x1000 : 0) | vid);
  put16(out, 2, typeOrLength(payload, 'vlan', options.type));
  out.set(body, 4);
  return { kind: 'datagram', bytes: out, etherType: checkUint('vlan', 'tpid', options.tpid ?? ETHERTYPE.VLAN, 0xffff) };
}

/**
 * Two VLAN tags (802.1ad QinQ): an outer service tag (TPID 0x88a8 unless given) around an inner 802.1Q tag.
 *
 * @example
 * ethernet({ src, dst }, qinq({ outer: 200, inner: 10 }, ipv6({ src: '2001:db8::1', dst: '2001:db8::2' })))
 */
export function qinq(options: { outer: number; inner: number; outerTpid?: number }, payload: Payload): Datagram {
  return vlan({ vid: options.outer, tpid: options.outerTpid ?? ETHERTYPE.QINQ }, vlan({ vid: options.inner }, payload));
}

/**
 * An IEEE 802.3 frame: the type/length field holds the length of the payload (LLC header included).
 *
 * @example
 * ieee8023({ src, dst }, llc({ dsap: 0x42, ssap: 0x42 }, bpdu))
 */
export function ieee8023(options: Omit<EthernetOptions, 'type'>, payload: Payload): Uint8Array {
  return ethernet({ ...options, type: payloadBytes(payload).length }, payload);
}

export interface LlcOptions {
  dsap: number;
  ssap?: number;
  /** Control field; 0x03 (UI) by default. Values above 0xff are written as the 2-byte I/S format. */
  control?: number;
}

/**
 * An 802.2 LLC header before a payload (SSAP defaults to DSAP, control to UI).
 *
 * @example
 * ieee8023({ src, dst }, llc({ dsap: 0xe0 }, ipxBytes))
 */
export function llc(options: LlcOptions, payload: Payload): Datagram {
  const dsap = checkUint('llc', 'dsap', options.dsap, 0xff);
  const ssap = checkUint('llc', 'ssap', options.ssap ?? dsap, 0xff);
  const control = checkUint('llc', 'control', options.control ?? 0x03, 0xffff);
  const head = control > 0xff ? Uint8Array.of(dsap, ssap, control >>> 8, control & 0xff) : Uint8Array.of(dsap, ssap, control);
  return { kind: 'datagram', bytes: concat(head, payloadBytes(payload)), llc: true };
}

/**
 * An LLC/SNAP header (AA AA 03, OUI, type) before a payload.
 *
 * @example
 * ieee8023({ src, dst }, snap({ oui: 0x080007, type: 0x809b }, ddpBytes)) // AppleTalk phase 2
 */
export function snap(options: { oui?: number; type: number }, payload: Payload): Datagram {
  const oui = checkUint('snap', 'oui', options.oui ?? 0, 0xffffff);
  const head = Uint8Array.of(0xaa, 0xaa, 0x03, oui >>> 16, (oui >>> 8) & 0xff, oui & 0xff, 0, 0);
  put16(head, 6, checkUint('snap', 'type', options.type, 0xffff));
  return { kind: 'datagram', bytes: concat(head, payloadBytes(payload)), llc: true };
}

/**
 * The bytes an IEEE 802 link (FDDI, Token Ring, 802.11) carries for a payload:
 * LLC payloads as they are, EtherType payloads behind an RFC 1042 SNAP header.
 *
 * @example
 * llcEncapsulate(ipv4({ src: '10.0.0.1', dst: '10.0.0.2' })) // AA AA 03 00 00 00 08 00 45 …
 */
export function llcEncapsulate(payload: Payload, builder = 'llc'): Uint8Array {
  if (payload instanceof Uint8Array) return payload;
  if (payload.kind === 'segment') throw new CraftError(builder, 'payload', payload.protocol, 'is a transport segment: wrap it in ipv4() or ipv6() first');
  if (payload.llc || payload.novellRaw) return payload.bytes;
  if (payload.etherType === undefined) throw new CraftError(builder, 'payload', undefined, 'has neither an EtherType nor an LLC header');
  return snap({ type: payload.etherType }, payload.bytes).bytes;
}
