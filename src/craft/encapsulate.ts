/**
 * One entry point for every link type the corpus covers: wraps a network-layer
 * payload in the link-layer header of a DLT, with sensible defaults for the
 * link fields, so tests can say "this IP packet, as it looks on link type N".
 */
import { linkType as lookupLinkType } from '../bpf/linktypes.js';
import type { Address } from './address.js';
import { chdlc, ppp } from './ppp.js';
import { sll, sll2, type CookedOptions } from './cooked.js';
import { enc, loop, nullLoopback, type LoopbackOptions } from './loopback.js';
import { CraftError } from './errors.js';
import { ethernet } from './ethernet.js';
import { fddi } from './fddi.js';
import { tokenRing } from './tokenring.js';
import { wlanData, type WlanDataOptions } from './ieee80211.js';
import { radiotap, type RadiotapFields } from './radiotap.js';
import { pflog, type PflogOptions } from './pflog.js';
import { pppoeSession } from './pppoe.js';
import { ETHERTYPE, type Payload } from './layers.js';

/** DLT numbers of the link types encapsulate() and the corpus support. */
export const CRAFT_LINK_TYPES = Object.freeze({
  NULL: 0, EN10MB: 1, IEEE802: 6, PPP: 9, FDDI: 10, RAW: 12, PPP_SERIAL: 50, PPP_ETHER: 51, C_HDLC: 104,
  IEEE802_11: 105, LOOP: 108, ENC: 109, LINUX_SLL: 113, PFLOG: 117, IEEE802_11_RADIO: 127, IPV4: 228, IPV6: 229, LINUX_SLL2: 276,
});

/** Link-layer fields for encapsulate(); each link type reads the ones it has. */
export interface EncapsulateOptions {
  /** Source and destination link addresses (Ethernet, FDDI, Token Ring, 802.11; `src` is the SLL address). */
  src?: Address;
  dst?: Address;
  /** 802.11 data frame fields (BSSID, DS bits, QoS). */
  wlan?: Partial<WlanDataOptions>;
  /** Radiotap fields for IEEE802_11_RADIO (default: flags, rate, channel, signal). */
  radiotap?: RadiotapFields;
  /** SLL/SLL2 fields (packet type, ARPHRD, interface index). */
  cooked?: CookedOptions & { interfaceIndex?: number };
  /** NULL/LOOP/ENC fields (AF value, byte order). */
  loopback?: LoopbackOptions & { littleEndian?: boolean };
  /** PFLOG header fields. */
  pflog?: PflogOptions;
  /** PPPoE session id for PPP_ETHER (default 1). */
  pppoeSession?: number;
  /** Token Ring routing information field. */
  routing?: Uint8Array;
}

const DEFAULT_SRC = '02:00:00:00:00:01';
const DEFAULT_DST = '02:00:00:00:00:02';

function etherTypeOf(payload: Payload): number | undefined {
  return payload instanceof Uint8Array || payload.kind === 'segment' ? undefined : payload.etherType;
}

/**
 * Wraps `payload` in the link-layer header of `linkType` (DLT number or name).
 *
 * @example
 * encapsulate('LINUX_SLL2', ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 1, dport: 80 })))
 * encapsulate(127, ipv6({ src: 'fe80::1', dst: 'ff02::1' }, icmpv6({ type: 134 })), { wlan: { fromDS: true } })
 */
export function encapsulate(linkType: number | string, payload: Payload, options: EncapsulateOptions = {}): Uint8Array {
  const dlt = typeof linkType === 'number' ? linkType : lookupLinkType(linkType).dlt;
  const src = options.src ?? DEFAULT_SRC;
  const dst = options.dst ?? DEFAULT_DST;
  const etherType = etherTypeOf(payload);
  const onlyIp = (allowed: readonly number[], name: string): Uint8Array => {
    if (etherType !== undefined && !allowed.includes(etherType)) {
      throw new CraftError('encapsulate', 'payload', `EtherType 0x${etherType.toString(16)}`, `cannot be carried on ${name}`);
    }
    return payload instanceof Uint8Array ? payload : payload.bytes;
  };
  switch (dlt) {
    case CRAFT_LINK_TYPES.EN10MB: return ethernet({ src, dst }, payload);
    case CRAFT_LINK_TYPES.RAW: return onlyIp([ETHERTYPE.IPV4, ETHERTYPE.IPV6], 'RAW');
    case CRAFT_LINK_TYPES.IPV4: return onlyIp([ETHERTYPE.IPV4], 'IPV4');
    case CRAFT_LINK_TYPES.IPV6: return onlyIp([ETHERTYPE.IPV6], 'IPV6');
    case CRAFT_LINK_TYPES.NULL: return nullLoopback(options.loopback ?? {}, payload);
    case CRAFT_LINK_TYPES.LOOP: return loop(options.loopback ?? {}, payload);
    case CRAFT_LINK_TYPES.ENC: return enc(options.loopback ?? {}, payload);
    case CRAFT_LINK_TYPES.LINUX_SLL: return sll({ address: src, ...options.cooked }, payload);
    case CRAFT_LINK_TYPES.LINUX_SLL2: return sll2({ address: src, ...options.cooked }, payload);
    case CRAFT_LINK_TYPES.PPP:
    case CRAFT_LINK_TYPES.PPP_SERIAL: return ppp({}, payload);
    case CRAFT_LINK_TYPES.PPP_ETHER: return pppoeSession({ session: options.pppoeSession ?? 1 }, payload).bytes;
    case CRAFT_LINK_TYPES.C_HDLC: return chdlc({}, payload);
    case CRAFT_LINK_TYPES.FDDI: return fddi({ src, dst }, payload);
    case CRAFT_LINK_TYPES.IEEE802: return tokenRing({ src, dst, routing: options.routing }, payload);
    case CRAFT_LINK_TYPES.PFLOG: return pflog(options.pflog ?? {}, payload);
    case CRAFT_LINK_TYPES.IEEE802_11:
    case CRAFT_LINK_TYPES.IEEE802_11_RADIO: {
      const frame = wlanData({ src, dst, bssid: '02:aa:00:00:00:01', toDS: true, ...options.wlan }, payload);
      if (dlt === CRAFT_LINK_TYPES.IEEE802_11) return frame;
      return radiotap(options.radiotap ?? { flags: 0, rate: 12, channel: { frequency: 2437, flags: 0x00a0 }, antennaSignal: -40 }, frame);
    }
    default:
      throw new CraftError('encapsulate', 'linkType', linkType, `is not one the workshop builds (supported: ${Object.keys(CRAFT_LINK_TYPES).join(', ')})`);
  }
}
