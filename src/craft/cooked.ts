/**
 * Linux "cooked" capture headers: DLT_LINUX_SLL (v1, 16 bytes) and
 * DLT_LINUX_SLL2 (v2, 20 bytes), as `tcpdump -i any` writes them.
 */
import { concat, put16, put32 } from './bytes.js';
import { macBytes, type Address } from './address.js';
import { CraftError, checkUint } from './errors.js';
import { payloadBytes, type Payload } from './layers.js';

/** sll_pkttype values (Linux PACKET_*). */
export const SLL_PACKET_TYPE = Object.freeze({ HOST: 0, BROADCAST: 1, MULTICAST: 2, OTHERHOST: 3, OUTGOING: 4 });

/** ARPHRD_ values commonly seen in cooked captures. */
export const ARPHRD = Object.freeze({ ETHER: 1, IEEE802: 6, PPP: 512, TUNNEL: 768, TUNNEL6: 769, LOOPBACK: 772, IPGRE: 778, IEEE80211: 801, NONE: 0xfffe });

/** Protocol values for frames that have no EtherType (Linux ETH_P_802_3 / ETH_P_802_2). */
export const SLL_PROTOCOL = Object.freeze({ NOVELL_802_3: 0x0001, LLC_802_2: 0x0004 });

export interface CookedOptions {
  /** Packet type: 0 to us, 1 broadcast, 2 multicast, 3 to someone else, 4 sent by us. */
  packetType?: number;
  /** ARPHRD_ type of the interface (1 = Ethernet). */
  hardwareType?: number;
  /** Link-layer source address (6-byte MAC, or up to 8 bytes). */
  address?: Address;
  /** Protocol field; by default the payload's EtherType, or 0x0004 for LLC and 0x0001 for Novell-raw payloads. */
  protocol?: number;
}

function cookedProtocol(payload: Payload, builder: string, given?: number): number {
  if (given !== undefined) return checkUint(builder, 'protocol', given, 0xffff);
  if (!(payload instanceof Uint8Array) && payload.kind === 'datagram') {
    if (payload.etherType !== undefined) return payload.etherType;
    if (payload.llc) return SLL_PROTOCOL.LLC_802_2;
    if (payload.novellRaw) return SLL_PROTOCOL.NOVELL_802_3;
  }
  throw new CraftError(builder, 'protocol', undefined, 'is required for a payload that is not a Datagram');
}

function linkAddress(address: Address | undefined, builder: string): Uint8Array {
  if (address === undefined) return new Uint8Array(0);
  if (address instanceof Uint8Array) {
    if (address.length > 8) throw new CraftError(builder, 'address', address, 'is longer than 8 bytes');
    return address;
  }
  return macBytes(address, 'address');
}

/**
 * A DLT_LINUX_SLL frame: packet type, ARPHRD type, address length, 8-byte address field, protocol.
 *
 * @example
 * sll({ packetType: 4, address: '02:00:00:00:00:01' }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, icmp({ type: 8 })))
 */
export function sll(options: CookedOptions, payload: Payload): Uint8Array {
  const addr = linkAddress(options.address, 'sll');
  const head = new Uint8Array(16);
  put16(head, 0, checkUint('sll', 'packetType', options.packetType ?? 0, 0xffff));
  put16(head, 2, checkUint('sll', 'hardwareType', options.hardwareType ?? ARPHRD.ETHER, 0xffff));
  put16(head, 4, addr.length);
  head.set(addr, 6);
  put16(head, 14, cookedProtocol(payload, 'sll', options.protocol));
  return concat(head, payloadBytes(payload));
}

/**
 * A DLT_LINUX_SLL2 frame: protocol, reserved, interface index, ARPHRD type, packet type, address length, 8-byte address.
 *
 * @example
 * sll2({ interfaceIndex: 2, packetType: 0, address: '02:00:00:00:00:02' }, ipv6({ src: 'fe80::2', dst: 'fe80::1' }, udp({ sport: 546, dport: 547 })))
 */
export function sll2(options: CookedOptions & { interfaceIndex?: number }, payload: Payload): Uint8Array {
  const addr = linkAddress(options.address, 'sll2');
  const head = new Uint8Array(20);
  put16(head, 0, cookedProtocol(payload, 'sll2', options.protocol));
  put32(head, 4, checkUint('sll2', 'interfaceIndex', options.interfaceIndex ?? 1, 0xffffffff));
  put16(head, 8, checkUint('sll2', 'hardwareType', options.hardwareType ?? ARPHRD.ETHER, 0xffff));
  head[10] = checkUint('sll2', 'packetType', options.packetType ?? 0, 0xff);
  head[11] = addr.length;
  head.set(addr, 12);
  return concat(head, payloadBytes(payload));
}
