/**
 * ICMPv6 (RFC 4443) and Neighbor Discovery (RFC 4861). The checksum covers
 * the IPv6 pseudo-header, so ipv6() fills it in.
 */
import { concat, put16, put32, toBytes, type ByteSource } from './bytes.js';
import { ipv6Bytes, macBytes, type Address } from './address.js';
import { checkUint } from './errors.js';
import { IPPROTO, type Payload, type Segment } from './layers.js';
import { icmpMessage, type IcmpOptions } from './icmp.js';

/** ICMPv6 types tcpdump's `icmp6[icmp6type]` names. */
export const ICMPV6_TYPE = Object.freeze({
  DESTUNREACH: 1, PACKETTOOBIG: 2, TIMEEXCEEDED: 3, PARAMPROB: 4, ECHO: 128, ECHOREPLY: 129,
  MULTICASTLISTENERQUERY: 130, MULTICASTLISTENERREPORTV1: 131, MULTICASTLISTENERDONE: 132,
  ROUTERSOLICIT: 133, ROUTERADVERT: 134, NEIGHBORSOLICIT: 135, NEIGHBORADVERT: 136, REDIRECT: 137,
  MULTICASTLISTENERREPORTV2: 143,
});

/**
 * The fields of an ICMPv6 message header: the same as ICMP's (`id`/`seq` for echo, `rest` for
 * the first body word: MTU, pointer, ND flags). Without `checksum`, ipv6() computes it.
 */
export type Icmpv6Options = IcmpOptions;

/**
 * An ICMPv6 message; ipv6() computes its checksum.
 *
 * @example
 * ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }, icmpv6({ type: 128, id: 7, seq: 1 }, new Uint8Array(32)))
 */
export function icmpv6(options: Icmpv6Options, payload?: Payload | ByteSource): Segment {
  const out = icmpMessage('icmpv6', options, payload);
  if (options.checksum !== undefined) {
    put16(out, 2, checkUint('icmpv6', 'checksum', options.checksum, 0xffff));
    return { kind: 'segment', protocol: IPPROTO.ICMPV6, bytes: out };
  }
  return { kind: 'segment', protocol: IPPROTO.ICMPV6, bytes: out, checksumAt: 2 };
}

/** An ND link-layer address option (type 1 source, 2 target). */
function linkAddressOption(type: number, address: Address): Uint8Array {
  const out = new Uint8Array(8);
  out[0] = type;
  out[1] = 1;
  out.set(macBytes(address, 'link-layer address'), 2);
  return out;
}

/**
 * A Neighbor Solicitation for `target`, with a source link-layer address option when given.
 *
 * @example
 * ipv6({ src: 'fe80::1', dst: 'ff02::1:ff00:2', hopLimit: 255 }, neighborSolicitation({ target: 'fe80::2', sourceLinkAddress: '02:00:00:00:00:01' }))
 */
export function neighborSolicitation(options: { target: Address; sourceLinkAddress?: Address }): Segment {
  const parts = [ipv6Bytes(options.target, 'target')];
  if (options.sourceLinkAddress !== undefined) parts.push(linkAddressOption(1, options.sourceLinkAddress));
  return icmpv6({ type: 135, rest: 0 }, concat(...parts));
}

/**
 * A Neighbor Advertisement for `target` (flags: router, solicited, override), with a target link-layer address option when given.
 *
 * @example
 * ipv6({ src: 'fe80::2', dst: 'fe80::1', hopLimit: 255 }, neighborAdvertisement({ target: 'fe80::2', solicited: true, targetLinkAddress: '02:00:00:00:00:02' }))
 */
export function neighborAdvertisement(options: { target: Address; router?: boolean; solicited?: boolean; override?: boolean; targetLinkAddress?: Address }): Segment {
  const flags = ((options.router ? 0x80 : 0) | (options.solicited ? 0x40 : 0) | (options.override ?? true ? 0x20 : 0)) << 24;
  const parts = [ipv6Bytes(options.target, 'target')];
  if (options.targetLinkAddress !== undefined) parts.push(linkAddressOption(2, options.targetLinkAddress));
  return icmpv6({ type: 136, rest: flags >>> 0 }, concat(...parts));
}

/**
 * A Router Solicitation, with a source link-layer address option when given.
 *
 * @example
 * ipv6({ src: 'fe80::1', dst: 'ff02::2', hopLimit: 255 }, routerSolicitation({ sourceLinkAddress: '02:00:00:00:00:01' }))
 */
export function routerSolicitation(options: { sourceLinkAddress?: Address } = {}): Segment {
  return icmpv6({ type: 133, rest: 0 }, options.sourceLinkAddress !== undefined ? linkAddressOption(1, options.sourceLinkAddress) : new Uint8Array(0));
}

/**
 * A Router Advertisement with a prefix information option per prefix (/64 unless given).
 *
 * @example
 * ipv6({ src: 'fe80::1', dst: 'ff02::1', hopLimit: 255 }, routerAdvertisement({ prefixes: ['2001:db8:1::'], lifetime: 1800 }))
 */
export function routerAdvertisement(options: { hopLimit?: number; lifetime?: number; reachableTime?: number; retransTimer?: number; prefixes?: readonly Address[]; prefixLength?: number; sourceLinkAddress?: Address } = {}): Segment {
  // The 4-byte word after the checksum holds hop limit, flags and router lifetime; reachable time and retrans timer follow.
  const word = ((checkUint('routerAdvertisement', 'hopLimit', options.hopLimit ?? 64, 0xff) << 24) | checkUint('routerAdvertisement', 'lifetime', options.lifetime ?? 1800, 0xffff)) >>> 0;
  const timers = new Uint8Array(8);
  put32(timers, 0, checkUint('routerAdvertisement', 'reachableTime', options.reachableTime ?? 0, 0xffffffff));
  put32(timers, 4, checkUint('routerAdvertisement', 'retransTimer', options.retransTimer ?? 0, 0xffffffff));
  const parts: Uint8Array[] = [timers];
  if (options.sourceLinkAddress !== undefined) parts.push(linkAddressOption(1, options.sourceLinkAddress));
  for (const p of options.prefixes ?? []) {
    const o = new Uint8Array(32);
    o[0] = 3; o[1] = 4;
    o[2] = checkUint('routerAdvertisement', 'prefixLength', options.prefixLength ?? 64, 128);
    o[3] = 0xc0; // on-link, autonomous
    put32(o, 4, 2592000); put32(o, 8, 604800);
    o.set(ipv6Bytes(p, 'prefix'), 16);
    parts.push(o);
  }
  return icmpv6({ type: 134, rest: word }, concat(...parts));
}

/**
 * ICMPv6 error with the invoking packet quoted (destination unreachable, packet too big, time exceeded).
 *
 * @example
 * icmpv6Error({ type: 1, code: 4 }, originalIpv6Bytes) // port unreachable
 */
export function icmpv6Error(options: { type: number; code?: number; rest?: number }, quoted: ByteSource): Segment {
  return icmpv6({ type: options.type, code: options.code, rest: options.rest ?? 0 }, toBytes(quoted).subarray(0, 1232));
}
