/**
 * The edge cases filters trip on, made from a well-formed frame: truncation at
 * (and inside) every header, IPv4 header lengths below 5 or past the end, wrong
 * IP versions, bad total/payload lengths, TCP data offsets out of range,
 * zero-length IP and TCP options, long or broken IPv6 extension chains, odd
 * EtherTypes and 802.3 lengths, deep VLAN/MPLS stacks, and broken link headers
 * (radiotap lengths, SLL address lengths, pflog lengths, AF values).
 */
import { put16, put16le, put32 } from './bytes.js';
import { CRAFT_LINK_TYPES, encapsulate } from './encapsulate.js';
import { ETHERTYPE } from './layers.js';
import { ipv4 } from './ipv4.js';
import { destinationOptions, genericExtension, hopByHop, ipv6, type Ipv6Extension } from './ipv6.js';
import type { GeneratedFrame } from './linkmix.js';
import { mpls } from './mpls.js';
import { POOLS } from './pools.js';
import type { Random } from './random.js';
import { tcp } from './tcp.js';
import { udp } from './udp.js';
import { vlan } from './ethernet.js';

/** A malformed packet: captured bytes, length on the wire, and what was done to it. */
export interface MalformedPacket {
  data: Uint8Array;
  wireLength: number;
  text: string;
}

/**
 * Turns a well-formed frame of link type `dlt` into a malformed or truncated one.
 *
 * @example
 * const bad = malform(rng, mix.next(), 1); bad.data.length <= bad.wireLength // true
 */
export function malform(rng: Random, frame: GeneratedFrame, dlt: number): MalformedPacket {
  const kind = rng.weighted({ truncate: 40, snaplen: 8, tiny: 4, ip: 28, fresh: 10, link: 10 });
  const full = frame.bytes;
  switch (kind) {
    case 'truncate': {
      const boundaries = frame.ends.filter((e) => e > 0 && e < full.length);
      const cut = boundaries.length && rng.chance(0.7) ? rng.pick(boundaries) + (rng.chance(0.2) ? -1 : 0) : rng.int(full.length);
      return { data: full.slice(0, Math.max(0, cut)), wireLength: full.length, text: `truncated at ${Math.max(0, cut)} of ${full.length}: ${frame.text}` };
    }
    case 'snaplen': {
      const snap = rng.pick([14, 34, 54, 64, 68, 96]);
      return { data: full.slice(0, Math.min(snap, full.length)), wireLength: full.length, text: `snaplen ${snap}: ${frame.text}` };
    }
    case 'tiny': {
      const n = rng.int(4);
      return { data: full.slice(0, n), wireLength: rng.chance(0.5) ? n : full.length, text: `${n}-byte capture: ${frame.text}` };
    }
    case 'ip': {
      const mutated = mutateIp(rng, frame);
      if (mutated) return mutated;
      return { data: full.slice(0, rng.int(full.length)), wireLength: full.length, text: `truncated: ${frame.text}` };
    }
    case 'fresh': return freshMalformed(rng, dlt);
    default: return mutateLink(rng, frame, dlt);
  }
}

/** Changes one field of the IP header (or the TCP header after it) in a copy of the frame. */
function mutateIp(rng: Random, frame: GeneratedFrame): MalformedPacket | undefined {
  const etherType = frame.inner?.datagram.etherType;
  const at = frame.linkHeaderLength;
  if (at < 0 || (etherType !== ETHERTYPE.IPV4 && etherType !== ETHERTYPE.IPV6) || at + 20 > frame.bytes.length) return undefined;
  const b = frame.bytes.slice();
  let what: string;
  if (etherType === ETHERTYPE.IPV4) {
    const ihl = (b[at] & 0x0f) * 4;
    switch (rng.int(7)) {
      case 0: { const v = rng.int(5); b[at] = (b[at] & 0xf0) | v; what = `IHL ${v}`; break; }
      case 1: b[at] = (b[at] & 0xf0) | 15; what = 'IHL 15'; break;
      case 2: { const v = rng.pick([0, 1, 5, 6, 7, 15]); b[at] = (v << 4) | (b[at] & 0x0f); what = `IPv4 version ${v}`; break; }
      case 3: { const v = rng.pick([0, 19, 20, 0xffff]); put16(b, at + 2, v); what = `total length ${v}`; break; }
      case 4: { put16(b, at + 6, rng.pick([0x2000 | 0x1fff, 0x0001, 0x3fff, 0x8000])); what = 'fragment bits'; break; }
      case 5: {
        if (b[at + 9] !== 6 || at + ihl + 13 > b.length) return undefined;
        const v = rng.pick([0, 1, 4, 15]);
        b[at + ihl + 12] = (v << 4) | (b[at + ihl + 12] & 0x0f);
        what = `TCP data offset ${v}`;
        break;
      }
      default: { const p = rng.pick([0, 6, 17, 58, 255]); b[at + 9] = p; what = `protocol ${p}`; }
    }
  } else {
    switch (rng.int(4)) {
      case 0: { const v = rng.pick([0, 4, 5, 15]); b[at] = (v << 4) | (b[at] & 0x0f); what = `IPv6 version ${v}`; break; }
      case 1: { const v = rng.pick([0, 1, 0xffff]); put16(b, at + 4, v); what = `payload length ${v}`; break; }
      case 2: { const v = rng.pick([0, 43, 44, 60, 253, 255]); b[at + 6] = v; what = `next header ${v}`; break; }
      default: { if (at + 41 >= b.length) return undefined; b[at + 41] = 0xff; what = 'second byte after header 0xff'; }
    }
  }
  return { data: b, wireLength: b.length, text: `malformed ${what}: ${frame.text}` };
}

/** Builds a packet that is wrong by construction: zero-length options, long or broken extension chains, deep tag stacks. */
function freshMalformed(rng: Random, dlt: number): MalformedPacket {
  const src4 = rng.pick(POOLS.ipv4Hosts);
  const dst4 = rng.pick(POOLS.ipv4Hosts);
  const src6 = rng.pick(POOLS.ipv6Hosts);
  const dst6 = rng.pick(POOLS.ipv6Hosts);
  const port = rng.pick(POOLS.tcpPorts);
  const ipOnly = dlt === CRAFT_LINK_TYPES.IPV4 ? 4 : dlt === CRAFT_LINK_TYPES.IPV6 ? 6 : 0;
  const etherLike = dlt === CRAFT_LINK_TYPES.EN10MB || dlt === CRAFT_LINK_TYPES.LINUX_SLL || dlt === CRAFT_LINK_TYPES.LINUX_SLL2;
  const kinds = {
    ipOptionZero: ipOnly === 6 ? 0 : 3, tcpOptionZero: ipOnly === 6 ? 0 : 3, longChain: ipOnly === 4 ? 0 : 3, brokenChain: ipOnly === 4 ? 0 : 3,
    deepVlan: dlt === CRAFT_LINK_TYPES.EN10MB ? 2 : 0, mplsNoBottom: etherLike ? 2 : 0,
  };
  const kind = rng.weighted(kinds);
  let payload;
  switch (kind) {
    case 'ipOptionZero':
      payload = ipv4({ src: src4, dst: dst4, options: rng.pick([[0x07, 0x00, 0x00, 0x00], [0x44, 0x01, 0x00, 0x00], [0x83, 0x00], [0x01, 0x01, 0x07, 0x2c]]) }, tcp({ sport: 40000, dport: port }));
      break;
    case 'tcpOptionZero':
      payload = ipv4({ src: src4, dst: dst4 }, tcp({ sport: 40000, dport: port, options: rng.pick([[2, 0, 5, 0xb4], [8, 1, 0, 0], [3, 0xff, 0, 0]]) }));
      break;
    case 'longChain': {
      const n = rng.range(6, 14);
      const exts: Ipv6Extension[] = Array.from({ length: n }, (_, i) => (i === 0 ? hopByHop() : destinationOptions()));
      payload = ipv6({ src: src6, dst: dst6, extensions: exts }, udp({ sport: 5000, dport: 53 }));
      break;
    }
    case 'brokenChain': {
      const claim = rng.pick([60, 200, 255]);
      const bogus: Ipv6Extension = { type: 60, encode: (next) => Uint8Array.of(next, claim, 1, 4, 0, 0, 0, 0) };
      payload = ipv6({ src: src6, dst: dst6, extensions: rng.chance(0.5) ? [bogus] : [hopByHop(), genericExtension(253, [])] }, tcp({ sport: 40000, dport: port }));
      break;
    }
    case 'deepVlan':
      payload = vlan({ vid: 1 }, vlan({ vid: 2 }, vlan({ vid: rng.pick(POOLS.vlanIds) }, vlan({ vid: 4 }, ipv4({ src: src4, dst: dst4 }, udp({ sport: 1, dport: 53 }))))));
      break;
    default:
      payload = mpls({ labels: [rng.pick(POOLS.mplsLabels), 17, 18], bottomOfStack: false }, ipv4({ src: src4, dst: dst4 }, udp({ sport: 1, dport: 53 })));
  }
  const bytes = encapsulate(dlt, payload);
  return { data: bytes, wireLength: bytes.length, text: `malformed ${kind}` };
}

/** Breaks a field of the link-layer header itself. */
function mutateLink(rng: Random, frame: GeneratedFrame, dlt: number): MalformedPacket {
  const b = frame.bytes.slice();
  let what = 'link header';
  switch (dlt) {
    case CRAFT_LINK_TYPES.EN10MB: {
      if (b.length < 14) break;
      const v = rng.pick([0x0000, 0x002e, 0x05dc, 0x05dd, 0x05ff, 0x0600, 0xffff, b.length + 100]);
      put16(b, 12, v & 0xffff);
      what = `type/length 0x${(v & 0xffff).toString(16)}`;
      break;
    }
    case CRAFT_LINK_TYPES.IEEE802_11_RADIO: {
      const v = rng.pick([0, 4, 7, b.length, b.length + 50, 0xffff]);
      put16le(b, 2, v);
      what = `radiotap length ${v}`;
      break;
    }
    case CRAFT_LINK_TYPES.IEEE802_11: {
      const n = rng.range(1, 23);
      return { data: b.slice(0, n), wireLength: b.length, text: `802.11 cut at ${n}: ${frame.text}` };
    }
    case CRAFT_LINK_TYPES.LINUX_SLL: put16(b, 4, rng.pick([9, 255, 0xffff])); what = 'SLL address length'; break;
    case CRAFT_LINK_TYPES.LINUX_SLL2: b[11] = rng.pick([9, 255]); what = 'SLL2 address length'; break;
    case CRAFT_LINK_TYPES.PFLOG: b[0] = rng.pick([0, 1, 60, 255]); what = `pflog length ${b[0]}`; break;
    case CRAFT_LINK_TYPES.NULL:
    case CRAFT_LINK_TYPES.LOOP:
    case CRAFT_LINK_TYPES.ENC: put32(b, 0, rng.pick([0, 10, 0xffffffff, 0x02000000])); what = 'AF value'; break;
    case CRAFT_LINK_TYPES.PPP_ETHER: put16(b, 4, rng.pick([0, 1, 0xffff])); what = 'PPPoE length'; break;
    case CRAFT_LINK_TYPES.PPP:
    case CRAFT_LINK_TYPES.PPP_SERIAL:
    case CRAFT_LINK_TYPES.C_HDLC: put16(b, 2, rng.pick([0x0000, 0x0001, 0x00ff, 0xffff])); what = 'protocol'; break;
    case CRAFT_LINK_TYPES.FDDI:
    case CRAFT_LINK_TYPES.IEEE802: {
      const at = dlt === CRAFT_LINK_TYPES.FDDI ? 13 : 14;
      if (b.length > at + 2) { b[at] = rng.pick([0x00, 0xff, 0xaa]); b[at + 1] = rng.pick([0x00, 0xff, 0xaa]); }
      what = 'LLC SAPs';
      break;
    }
    default: {
      // RAW, IPV4, IPV6: the first byte is the IP version nibble.
      if (b.length) b[0] = (rng.pick([0, 5, 7, 15]) << 4) | (b[0] & 0x0f);
      what = 'IP version nibble';
    }
  }
  return { data: b, wireLength: b.length, text: `malformed ${what}: ${frame.text}` };
}

