/**
 * The link-layer half of the corpus: for each supported DLT, which network
 * traffic it carries and how its link header fields vary (addresses, packet
 * types, 802.11 frame kinds and DS bits, radiotap layouts, pflog fields, ...).
 */
import { crc32 } from './checksum.js';
import { CraftError } from './errors.js';
import { concat } from './bytes.js';
import { ARPHRD, SLL_PACKET_TYPE } from './cooked.js';
import { BSD_AF } from './loopback.js';
import { CRAFT_LINK_TYPES, encapsulate, type EncapsulateOptions } from './encapsulate.js';
import { WLAN_FLAG, WLAN_SUBTYPE, wlanControl, wlanData, wlanManagement } from './ieee80211.js';
import { ETHERTYPE, type Datagram } from './layers.js';
import { PF_ACTION, PF_DIRECTION, PF_REASON } from './pflog.js';
import { POOLS } from './pools.js';
import { PPP_PROTOCOL, ppp } from './ppp.js';
import { pppoeSession } from './pppoe.js';
import { radiotap, type RadiotapFields } from './radiotap.js';
import type { Random } from './random.js';
import type { GeneratedDatagram, TrafficGenerator, TrafficScope } from './traffic.js';

/** A whole link-layer frame, where its link header ends, where later headers end, and what it is. */
export interface GeneratedFrame {
  bytes: Uint8Array;
  /** Length of the link-layer header (where the network layer starts); -1 when there is no network layer (802.11 control). */
  linkHeaderLength: number;
  /** Offsets in `bytes` where each header ends, ascending (the link header first). */
  ends: number[];
  text: string;
  /** The network-layer packet inside, when there is one. */
  inner?: GeneratedDatagram;
}

const FULL: TrafficScope = { ipv4: true, ipv6: true, etherTypes: true, llc: true, ethernetOnly: false };
const IP_ONLY: TrafficScope = { ipv4: true, ipv6: true, etherTypes: false, llc: false, ethernetOnly: false };

function withLink(bytes: Uint8Array, inner: GeneratedDatagram, text: string): GeneratedFrame {
  const linkHeaderLength = bytes.length - inner.datagram.bytes.length;
  return { bytes, linkHeaderLength, ends: [linkHeaderLength, ...inner.ends.map((e) => e + linkHeaderLength)], text: `${text} ${inner.text}`, inner };
}

/**
 * Draws link-layer frames of one DLT.
 *
 * @example
 * const mix = new LinkMix(new Random(1), new TrafficGenerator(rng), 1); mix.next().bytes
 */
export class LinkMix {
  constructor(private readonly rng: Random, private readonly traffic: TrafficGenerator, readonly linkType: number) {
    if (!(Object.values(CRAFT_LINK_TYPES) as number[]).includes(linkType)) {
      throw new CraftError('LinkMix', 'linkType', linkType, `is not one the workshop builds (supported DLTs: ${Object.entries(CRAFT_LINK_TYPES).map(([n, v]) => `${n}=${v}`).join(', ')})`);
    }
  }

  /**
   * A network-layer packet this link type can carry.
   *
   * @example
   * new LinkMix(rng, new TrafficGenerator(rng), 9).network().datagram.etherType // 0x0800, 0x86dd or 0x8847
   */
  network(): GeneratedDatagram {
    const t = this.traffic;
    switch (this.linkType) {
      case CRAFT_LINK_TYPES.EN10MB: return t.next({ ...FULL, ethernetOnly: true });
      case CRAFT_LINK_TYPES.LINUX_SLL:
      case CRAFT_LINK_TYPES.LINUX_SLL2:
      case CRAFT_LINK_TYPES.FDDI:
      case CRAFT_LINK_TYPES.IEEE802:
      case CRAFT_LINK_TYPES.IEEE802_11:
      case CRAFT_LINK_TYPES.IEEE802_11_RADIO: return t.next(FULL);
      case CRAFT_LINK_TYPES.IPV4: return t.ip({ ...IP_ONLY, ipv6: false });
      case CRAFT_LINK_TYPES.IPV6: return t.ip({ ...IP_ONLY, ipv4: false });
      case CRAFT_LINK_TYPES.C_HDLC:
      case CRAFT_LINK_TYPES.PPP:
      case CRAFT_LINK_TYPES.PPP_SERIAL:
      case CRAFT_LINK_TYPES.PPP_ETHER: {
        const inner = t.next({ ...FULL, llc: false });
        const e = inner.datagram.etherType;
        // What PPP and Cisco HDLC can name: IP, IPv6, MPLS, and the PPP protocol numbers of old LAN protocols.
        const ok = e === ETHERTYPE.IPV4 || e === ETHERTYPE.IPV6 || e === ETHERTYPE.MPLS || e === ETHERTYPE.MPLS_MULTICAST ||
          (this.linkType !== CRAFT_LINK_TYPES.C_HDLC && (e === ETHERTYPE.IPX || e === ETHERTYPE.ATALK || e === ETHERTYPE.DECNET));
        return ok ? inner : t.ip(IP_ONLY);
      }
      default: return t.ip(IP_ONLY);
    }
  }

  private mac(): string {
    return this.rng.pick(POOLS.macs);
  }

  private dstMac(inner: GeneratedDatagram): string {
    return inner.linkDst ?? (this.rng.chance(0.05) ? 'ff:ff:ff:ff:ff:ff' : this.mac());
  }

  /**
   * One frame of this link type.
   *
   * @example
   * mix.next().text // 'EN10MB 02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff ARP op 1 …'
   */
  next(): GeneratedFrame {
    const r = this.rng;
    const dlt = this.linkType;
    if ((dlt === CRAFT_LINK_TYPES.IEEE802_11 || dlt === CRAFT_LINK_TYPES.IEEE802_11_RADIO) && r.chance(0.3)) return this.wlanNonData(dlt);
    if ((dlt === CRAFT_LINK_TYPES.PPP || dlt === CRAFT_LINK_TYPES.PPP_SERIAL || dlt === CRAFT_LINK_TYPES.PPP_ETHER) && r.chance(0.04)) return this.pppControl(dlt);
    const inner = this.network();
    const options: EncapsulateOptions = {};
    let text = linkName(dlt);
    switch (dlt) {
      case CRAFT_LINK_TYPES.EN10MB:
      case CRAFT_LINK_TYPES.FDDI:
      case CRAFT_LINK_TYPES.IEEE802: {
        options.src = this.mac();
        options.dst = this.dstMac(inner);
        if (dlt === CRAFT_LINK_TYPES.IEEE802 && r.chance(0.05)) options.routing = Uint8Array.of(0x06, 0x30, 0x00, 0x10, 0x00, 0x20);
        text += ` ${options.src} > ${options.dst}`;
        break;
      }
      case CRAFT_LINK_TYPES.LINUX_SLL:
      case CRAFT_LINK_TYPES.LINUX_SLL2: {
        const linkDst = inner.linkDst;
        const packetType = linkDst === 'ff:ff:ff:ff:ff:ff' ? SLL_PACKET_TYPE.BROADCAST : linkDst ? SLL_PACKET_TYPE.MULTICAST
          : Number(r.weighted({ 0: 55, 4: 35, 3: 5, 1: 5 }));
        const loopback = r.chance(0.1);
        options.src = this.mac();
        options.cooked = { packetType, hardwareType: loopback ? ARPHRD.LOOPBACK : ARPHRD.ETHER, interfaceIndex: r.range(1, 4) };
        if (loopback) options.src = '00:00:00:00:00:00';
        text += ` type ${packetType}`;
        break;
      }
      case CRAFT_LINK_TYPES.NULL:
      case CRAFT_LINK_TYPES.LOOP:
      case CRAFT_LINK_TYPES.ENC:
        options.loopback = { inet6: r.pick([BSD_AF.INET6_LINUX, BSD_AF.INET6_LINUX, BSD_AF.INET6_BSD, BSD_AF.INET6_FREEBSD, BSD_AF.INET6_DARWIN]) };
        break;
      case CRAFT_LINK_TYPES.PFLOG:
        options.pflog = {
          action: r.pick([PF_ACTION.PASS, PF_ACTION.BLOCK, PF_ACTION.BLOCK, PF_ACTION.NAT, PF_ACTION.RDR]),
          reason: r.pick([PF_REASON.MATCH, PF_REASON.MATCH, PF_REASON.BADOFF, PF_REASON.FRAG, PF_REASON.SHORT, PF_REASON.NORMALIZE, PF_REASON.MEMORY]),
          ifname: r.pick(POOLS.pflogInterfaces), ruleset: r.pick(POOLS.pflogRulesets), ruleNumber: r.pick(POOLS.pflogRules), subruleNumber: r.chance(0.5) ? -1 : r.int(4),
          direction: r.pick([PF_DIRECTION.IN, PF_DIRECTION.OUT, PF_DIRECTION.OUT, PF_DIRECTION.INOUT]),
          inet6: r.pick([BSD_AF.INET6_LINUX, BSD_AF.INET6_BSD]),
        };
        text += ` ${options.pflog.ifname} rule ${options.pflog.ruleNumber} action ${options.pflog.action}`;
        break;
      case CRAFT_LINK_TYPES.PPP_ETHER:
        options.pppoeSession = r.pick(POOLS.pppoeSessions);
        break;
      case CRAFT_LINK_TYPES.IEEE802_11:
      case CRAFT_LINK_TYPES.IEEE802_11_RADIO: {
        const dir = r.weighted({ to: 45, from: 40, none: 10, wds: 5 });
        options.src = this.mac();
        options.dst = this.dstMac(inner);
        options.wlan = {
          bssid: r.pick(POOLS.bssids), toDS: dir === 'to' || dir === 'wds', fromDS: dir === 'from' || dir === 'wds',
          ra: r.pick(POOLS.bssids), ta: r.pick(POOLS.bssids), qosTid: r.chance(0.5) ? r.int(8) : undefined,
          flags: r.chance(0.1) ? WLAN_FLAG.RETRY : 0, sequence: r.int(4096),
        };
        text += ` data ${dir}DS${options.wlan.qosTid !== undefined ? ' QoS' : ''}`;
        break;
      }
      default:
        break;
    }
    if (dlt === CRAFT_LINK_TYPES.IEEE802_11_RADIO) {
      const frame = encapsulate(CRAFT_LINK_TYPES.IEEE802_11, inner.datagram, options);
      const { bytes, headerLength } = this.radiotapAround(frame);
      const linkHeaderLength = headerLength + frame.length - inner.datagram.bytes.length;
      return { bytes, linkHeaderLength, ends: [headerLength, linkHeaderLength, ...inner.ends.map((e) => e + linkHeaderLength)], text: `${text} ${inner.text}`, inner };
    }
    let bytes = encapsulate(dlt, inner.datagram, options);
    const frame = withLink(bytes, inner, text);
    if (dlt === CRAFT_LINK_TYPES.EN10MB && bytes.length < 60 && r.chance(0.5)) {
      bytes = concat(bytes, new Uint8Array(60 - bytes.length));
      frame.bytes = bytes;
    }
    return frame;
  }

  private radiotapAround(frame: Uint8Array): { bytes: Uint8Array; headerLength: number } {
    const r = this.rng;
    const fcs = r.chance(0.1);
    const fields: RadiotapFields = {
      tsft: r.chance(0.5) ? r.next() * 4096 : undefined,
      flags: r.chance(0.9) ? (fcs ? 0x10 : 0) | (r.chance(0.3) ? 0x02 : 0) : undefined,
      rate: r.chance(0.8) ? r.pick([2, 4, 11, 12, 22, 48, 108]) : undefined,
      channel: r.chance(0.8) ? { frequency: r.pick([2412, 2437, 2462, 5180, 5745]), flags: r.pick([0x00a0, 0x00c0, 0x0140]) } : undefined,
      antennaSignal: r.chance(0.7) ? -r.range(20, 90) : undefined,
      antennaNoise: r.chance(0.3) ? -r.range(85, 100) : undefined,
      antenna: r.chance(0.3) ? r.int(4) : undefined,
      rxFlags: r.chance(0.2) ? 0 : undefined,
      extraPresentWords: r.pick([0, 0, 0, 1, 2]),
    };
    if (fcs) fields.flags = (fields.flags ?? 0) | 0x10;
    const body = fcs ? concat(frame, le32(crc32(frame))) : frame;
    const bytes = radiotap(fields, body);
    return { bytes, headerLength: bytes[2] | (bytes[3] << 8) };
  }

  private wlanNonData(dlt: number): GeneratedFrame {
    const r = this.rng;
    let frame: Uint8Array;
    let text: string;
    if (r.chance(0.55)) {
      const subtype = r.pick([WLAN_SUBTYPE.BEACON, WLAN_SUBTYPE.BEACON, WLAN_SUBTYPE.PROBE_REQ, WLAN_SUBTYPE.PROBE_RESP, WLAN_SUBTYPE.AUTH, WLAN_SUBTYPE.DEAUTH, WLAN_SUBTYPE.ASSOC_REQ, WLAN_SUBTYPE.DISASSOC, WLAN_SUBTYPE.ACTION]);
      const bssid = r.pick(POOLS.bssids);
      const broadcast = subtype === WLAN_SUBTYPE.BEACON || (subtype === WLAN_SUBTYPE.PROBE_REQ && r.chance(0.8));
      frame = wlanManagement({ subtype, dst: broadcast ? 'ff:ff:ff:ff:ff:ff' : this.mac(), src: subtype === WLAN_SUBTYPE.BEACON || subtype === WLAN_SUBTYPE.PROBE_RESP ? bssid : this.mac(), bssid, ssid: r.pick(['lab', 'guest', '']), sequence: r.int(4096) });
      text = `mgmt subtype ${subtype}`;
    } else {
      const subtype = r.pick([WLAN_SUBTYPE.ACK, WLAN_SUBTYPE.ACK, WLAN_SUBTYPE.CTS, WLAN_SUBTYPE.RTS, WLAN_SUBTYPE.PS_POLL, WLAN_SUBTYPE.BA, WLAN_SUBTYPE.BAR, WLAN_SUBTYPE.CF_END]);
      frame = wlanControl({ subtype, receiver: r.chance(0.5) ? r.pick(POOLS.bssids) : this.mac(), transmitter: this.mac(), duration: r.int(32768) });
      text = `ctl subtype ${subtype}`;
    }
    if (dlt === CRAFT_LINK_TYPES.IEEE802_11) return { bytes: frame, linkHeaderLength: -1, ends: [2, frame.length], text: `IEEE802_11 ${text}` };
    const { bytes, headerLength } = this.radiotapAround(frame);
    return { bytes, linkHeaderLength: -1, ends: [headerLength, headerLength + 2], text: `IEEE802_11_RADIO ${text}` };
  }

  private pppControl(dlt: number): GeneratedFrame {
    const r = this.rng;
    const protocol = r.pick([PPP_PROTOCOL.LCP, PPP_PROTOCOL.LCP, PPP_PROTOCOL.IPCP, PPP_PROTOCOL.IPV6CP, PPP_PROTOCOL.CHAP]);
    const body = Uint8Array.of(r.range(1, 11), r.int(256), 0, 8, 1, 4, 5, 0xd4);
    const d: Datagram = { kind: 'datagram', bytes: body };
    const bytes = dlt === CRAFT_LINK_TYPES.PPP_ETHER ? pppoeSession({ session: r.pick(POOLS.pppoeSessions), protocol }, d).bytes : ppp({ protocol }, d);
    const linkHeaderLength = bytes.length - body.length;
    return { bytes, linkHeaderLength, ends: [linkHeaderLength, bytes.length], text: `${linkName(dlt)} control protocol 0x${protocol.toString(16)}` };
  }
}

function le32(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
}

/**
 * The libpcap name of one of the workshop's link types.
 *
 * @example
 * linkName(113) // 'LINUX_SLL'
 */
export function linkName(dlt: number): string {
  return LINK_NAMES.get(dlt) ?? `DLT ${dlt}`;
}

const LINK_NAMES = new Map(Object.entries(CRAFT_LINK_TYPES).map(([name, dlt]) => [dlt as number, name]));
