/**
 * BSD loopback headers: DLT_NULL (a 4-byte AF_ value in the capturing host's
 * byte order) and DLT_LOOP (the same in network byte order), and OpenBSD's
 * DLT_ENC (AF_, SPI, flags).
 */
import { concat, put32, put32le } from './bytes.js';
import { CraftError, checkUint } from './errors.js';
import { ETHERTYPE, payloadBytes, type Payload } from './layers.js';

/**
 * AF_ values as loopback captures carry them. IPv6 differs by OS: 24 on
 * NetBSD/OpenBSD, 28 on FreeBSD, 30 on macOS, 10 on Linux. libpcap 1.10 on
 * Linux compiles `ip6` on DLT_NULL/LOOP/ENC/PFLOG as the host's AF_INET6 (10).
 */
export const BSD_AF = Object.freeze({ INET: 2, ISO: 7, INET6_LINUX: 10, APPLETALK: 16, IPX: 23, INET6_BSD: 24, INET6_FREEBSD: 28, INET6_DARWIN: 30 });

/**
 * The BSD AF_ value for a payload (IPv4 → 2, IPv6 → `inet6`, default 24); throws for other payloads.
 *
 * @example
 * addressFamilyOf(ipv6({ src: '::1', dst: '::1' })) // 24
 */
export function addressFamilyOf(payload: Payload, builder: string, inet6: number = BSD_AF.INET6_BSD): number {
  const etherType = payload instanceof Uint8Array || payload.kind === 'segment' ? undefined : payload.etherType;
  if (etherType === ETHERTYPE.IPV4) return BSD_AF.INET;
  if (etherType === ETHERTYPE.IPV6) return inet6;
  throw new CraftError(builder, 'family', undefined, 'is required: the payload is neither IPv4 nor IPv6');
}

export interface LoopbackOptions {
  /** The AF_ value; by default from the payload (2 for IPv4, `inet6` for IPv6). */
  family?: number;
  /** AF value used for IPv6 when `family` is not given: 24 (default), 28 or 30. */
  inet6?: number;
}

/**
 * A DLT_NULL frame: the AF_ value in the capturing host's byte order (`littleEndian`, default true as on x86).
 *
 * @example
 * nullLoopback({}, ipv4({ src: '127.0.0.1', dst: '127.0.0.1' }, udp({ sport: 1, dport: 53 })))
 */
export function nullLoopback(options: LoopbackOptions & { littleEndian?: boolean }, payload: Payload): Uint8Array {
  const family = checkUint('nullLoopback', 'family', options.family ?? addressFamilyOf(payload, 'nullLoopback', options.inet6), 0xffffffff);
  const head = new Uint8Array(4);
  if (options.littleEndian ?? true) put32le(head, 0, family);
  else put32(head, 0, family);
  return concat(head, payloadBytes(payload));
}

/**
 * A DLT_LOOP frame: the AF_ value in network byte order.
 *
 * @example
 * loop({}, ipv6({ src: '::1', dst: '::1' }, icmpv6({ type: 128 })))
 */
export function loop(options: LoopbackOptions, payload: Payload): Uint8Array {
  return nullLoopback({ ...options, littleEndian: false }, payload);
}

/**
 * A DLT_ENC frame (OpenBSD IPsec encapsulation): AF_ (host byte order), SPI, flags, then the inner packet.
 *
 * @example
 * enc({ spi: 0x1000 }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 1, dport: 22 })))
 */
export function enc(options: LoopbackOptions & { spi?: number; flags?: number; littleEndian?: boolean }, payload: Payload): Uint8Array {
  const family = checkUint('enc', 'family', options.family ?? addressFamilyOf(payload, 'enc', options.inet6), 0xffffffff);
  const head = new Uint8Array(12);
  if (options.littleEndian ?? true) put32le(head, 0, family);
  else put32(head, 0, family);
  put32(head, 4, checkUint('enc', 'spi', options.spi ?? 0, 0xffffffff));
  put32(head, 8, checkUint('enc', 'flags', options.flags ?? 0, 0xffffffff));
  return concat(head, payloadBytes(payload));
}
