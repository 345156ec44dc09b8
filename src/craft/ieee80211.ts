/**
 * IEEE 802.11 MAC frames (DLT_IEEE802_11): data (with QoS and the four
 * To/From-DS address layouts), management and control frames.
 */
import { concat, put16le, toBytes, type ByteSource } from './bytes.js';
import { macBytes, type Address } from './address.js';
import { CraftError, checkUint } from './errors.js';
import { llcEncapsulate } from './ethernet.js';
import type { Payload } from './layers.js';

/** Frame types. */
export const WLAN_TYPE = Object.freeze({ MGMT: 0, CTL: 1, DATA: 2 });

/** Subtypes by frame type, as tcpdump's `wlan subtype` names them. */
export const WLAN_SUBTYPE = Object.freeze({
  ASSOC_REQ: 0, ASSOC_RESP: 1, REASSOC_REQ: 2, REASSOC_RESP: 3, PROBE_REQ: 4, PROBE_RESP: 5, BEACON: 8, ATIM: 9,
  DISASSOC: 10, AUTH: 11, DEAUTH: 12, ACTION: 13,
  BAR: 8, BA: 9, PS_POLL: 10, RTS: 11, CTS: 12, ACK: 13, CF_END: 14, CF_END_ACK: 15,
  DATA: 0, DATA_CF_ACK: 1, DATA_CF_POLL: 2, DATA_CF_ACK_POLL: 3, NULL: 4, CF_ACK: 5, CF_POLL: 6, CF_ACK_POLL: 7,
  QOS_DATA: 8, QOS_DATA_CF_ACK: 9, QOS_DATA_CF_POLL: 10, QOS_DATA_CF_ACK_POLL: 11, QOS_NULL: 12, QOS_CF_POLL: 14, QOS_CF_ACK_POLL: 15,
});

/** Frame-control flag bits (second byte). */
export const WLAN_FLAG = Object.freeze({ TO_DS: 0x01, FROM_DS: 0x02, MORE_FRAG: 0x04, RETRY: 0x08, PWR_MGT: 0x10, MORE_DATA: 0x20, PROTECTED: 0x40, ORDER: 0x80 });

export interface WlanHeaderOptions {
  type: number;
  subtype: number;
  /** Frame-control flags byte (WLAN_FLAG bits). */
  flags?: number;
  duration?: number;
  addr1: Address;
  addr2?: Address;
  addr3?: Address;
  /** Present only when both To-DS and From-DS are set. */
  addr4?: Address;
  /** Sequence number (12 bits) and fragment number (4 bits). */
  sequence?: number;
  fragment?: number;
  /** QoS control (TID in the low 4 bits); written for QoS data subtypes. */
  qos?: number;
}

/**
 * A raw 802.11 frame: header fields exactly as given, then `body` (no FCS).
 * Control frames carry only the addresses their subtype defines.
 *
 * @example
 * wlanFrame({ type: WLAN_TYPE.CTL, subtype: WLAN_SUBTYPE.ACK, addr1: '02:00:00:00:00:01' }, new Uint8Array(0))
 */
export function wlanFrame(options: WlanHeaderOptions, body: ByteSource = new Uint8Array(0)): Uint8Array {
  const type = checkUint('wlanFrame', 'type', options.type, 3);
  const subtype = checkUint('wlanFrame', 'subtype', options.subtype, 15);
  const flags = checkUint('wlanFrame', 'flags', options.flags ?? 0, 0xff);
  const parts: Uint8Array[] = [];
  const fc = new Uint8Array(4);
  fc[0] = (subtype << 4) | (type << 2);
  fc[1] = flags;
  put16le(fc, 2, checkUint('wlanFrame', 'duration', options.duration ?? 0, 0xffff));
  parts.push(fc, macBytes(options.addr1, 'addr1'));
  if (type === WLAN_TYPE.CTL) {
    // CTS and ACK carry one address; RTS, PS-Poll, BAR, BA, CF-End carry two.
    if (subtype !== WLAN_SUBTYPE.CTS && subtype !== WLAN_SUBTYPE.ACK) {
      if (options.addr2 === undefined) throw new CraftError('wlanFrame', 'addr2', undefined, `is required for control subtype ${subtype}`);
      parts.push(macBytes(options.addr2, 'addr2'));
    }
    return concat(...parts, toBytes(body));
  }
  if (options.addr2 === undefined || options.addr3 === undefined) throw new CraftError('wlanFrame', 'addr2/addr3', undefined, 'are required for data and management frames');
  const seq = new Uint8Array(2);
  put16le(seq, 0, (checkUint('wlanFrame', 'sequence', options.sequence ?? 0, 0xfff) << 4) | checkUint('wlanFrame', 'fragment', options.fragment ?? 0, 15));
  parts.push(macBytes(options.addr2, 'addr2'), macBytes(options.addr3, 'addr3'), seq);
  if (type === WLAN_TYPE.DATA && (flags & 0x03) === 0x03) {
    if (options.addr4 === undefined) throw new CraftError('wlanFrame', 'addr4', undefined, 'is required when both To-DS and From-DS are set');
    parts.push(macBytes(options.addr4, 'addr4'));
  }
  if (type === WLAN_TYPE.DATA && subtype & 0x08) {
    const qos = new Uint8Array(2);
    put16le(qos, 0, checkUint('wlanFrame', 'qos', options.qos ?? 0, 0xffff));
    parts.push(qos);
  }
  return concat(...parts, toBytes(body));
}

export interface WlanDataOptions {
  /** Final destination and original source of the MSDU. */
  dst: Address;
  src: Address;
  bssid: Address;
  /** Direction: to the AP (To-DS), from the AP (From-DS), both (WDS, needs ra/ta) or neither (ad hoc). */
  toDS?: boolean;
  fromDS?: boolean;
  /** Receiver and transmitter for WDS (both DS bits) frames. */
  ra?: Address;
  ta?: Address;
  /** Send as QoS data with this TID. */
  qosTid?: number;
  /** Extra flag bits (retry, protected, ...). */
  flags?: number;
  sequence?: number;
}

/**
 * An 802.11 data frame carrying a payload behind LLC/SNAP, with the addresses
 * placed as the To-DS/From-DS bits require.
 *
 * @example
 * wlanData({ toDS: true, bssid: '02:aa:00:00:00:01', src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, udp({ sport: 1, dport: 53 })))
 */
export function wlanData(options: WlanDataOptions, payload: Payload): Uint8Array {
  const toDS = options.toDS ?? false;
  const fromDS = options.fromDS ?? false;
  let addr: [Address, Address, Address, Address?];
  if (!toDS && !fromDS) addr = [options.dst, options.src, options.bssid];
  else if (toDS && !fromDS) addr = [options.bssid, options.src, options.dst];
  else if (!toDS && fromDS) addr = [options.dst, options.bssid, options.src];
  else addr = [options.ra ?? options.bssid, options.ta ?? options.bssid, options.dst, options.src];
  const qos = options.qosTid !== undefined;
  return wlanFrame({
    type: WLAN_TYPE.DATA,
    subtype: qos ? WLAN_SUBTYPE.QOS_DATA : WLAN_SUBTYPE.DATA,
    flags: (options.flags ?? 0) | (toDS ? WLAN_FLAG.TO_DS : 0) | (fromDS ? WLAN_FLAG.FROM_DS : 0),
    addr1: addr[0], addr2: addr[1], addr3: addr[2], addr4: addr[3],
    sequence: options.sequence,
    qos: qos ? checkUint('wlanData', 'qosTid', options.qosTid!, 15) : undefined,
  }, llcEncapsulate(payload, 'wlanData'));
}

/**
 * An 802.11 management frame (beacon, probe request/response, auth, deauth, ...):
 * addresses DA, SA, BSSID; beacons and probe responses get fixed fields and an SSID element.
 *
 * @example
 * wlanManagement({ subtype: WLAN_SUBTYPE.BEACON, dst: 'ff:ff:ff:ff:ff:ff', src: '02:aa:00:00:00:01', bssid: '02:aa:00:00:00:01', ssid: 'lab' })
 */
export function wlanManagement(options: { subtype: number; dst: Address; src: Address; bssid: Address; ssid?: string; body?: ByteSource; sequence?: number }): Uint8Array {
  let body: Uint8Array;
  if (options.body !== undefined) body = toBytes(options.body);
  else {
    const ssid = new TextEncoder().encode(options.ssid ?? '');
    if (ssid.length > 32) throw new CraftError('wlanManagement', 'ssid', options.ssid, 'is longer than 32 bytes');
    const element = concat(Uint8Array.of(0, ssid.length), ssid, Uint8Array.of(1, 4, 0x82, 0x84, 0x8b, 0x96));
    switch (options.subtype) {
      case WLAN_SUBTYPE.BEACON:
      case WLAN_SUBTYPE.PROBE_RESP: {
        const fixed = new Uint8Array(12);
        put16le(fixed, 8, 100); // beacon interval, TUs
        put16le(fixed, 10, 0x0401); // ESS, short slot time
        body = concat(fixed, element);
        break;
      }
      case WLAN_SUBTYPE.PROBE_REQ: body = element; break;
      case WLAN_SUBTYPE.AUTH: body = Uint8Array.of(0, 0, 1, 0, 0, 0); break; // open system, seq 1, success
      case WLAN_SUBTYPE.DEAUTH:
      case WLAN_SUBTYPE.DISASSOC: body = Uint8Array.of(3, 0); break; // reason: leaving
      case WLAN_SUBTYPE.ASSOC_REQ: body = concat(Uint8Array.of(0x01, 0x04, 10, 0), element); break;
      // Block Ack category, ADDBA request: dialog token, parameters (TID 0, 64 buffers), timeout, starting sequence.
      case WLAN_SUBTYPE.ACTION: body = Uint8Array.of(3, 0, 1, 0x02, 0x10, 0, 0, 0x10, 0); break;
      default: body = new Uint8Array(0);
    }
  }
  return wlanFrame({ type: WLAN_TYPE.MGMT, subtype: options.subtype, addr1: options.dst, addr2: options.src, addr3: options.bssid, sequence: options.sequence }, body);
}

/**
 * An 802.11 control frame: RTS/PS-Poll/BAR/BA/CF-End (receiver and transmitter) or CTS/ACK (receiver only).
 *
 * @example
 * wlanControl({ subtype: WLAN_SUBTYPE.RTS, receiver: '02:00:00:00:00:02', transmitter: '02:00:00:00:00:01', duration: 300 })
 */
export function wlanControl(options: { subtype: number; receiver: Address; transmitter?: Address; duration?: number }): Uint8Array {
  // BAR and BA carry a control field (compressed bitmap) and a starting sequence; BA adds its 8-byte bitmap.
  const body = options.subtype === WLAN_SUBTYPE.BAR ? Uint8Array.of(0x04, 0, 0x10, 0) : options.subtype === WLAN_SUBTYPE.BA ? Uint8Array.of(0x04, 0, 0x10, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0) : new Uint8Array(0);
  return wlanFrame({ type: WLAN_TYPE.CTL, subtype: options.subtype, addr1: options.receiver, addr2: options.transmitter, duration: options.duration }, body);
}
