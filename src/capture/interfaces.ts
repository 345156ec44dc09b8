/**
 * The network interfaces a live capture can open, listed as libpcap lists
 * them (pcap_findalldevs) and printed as `tcpdump -D` prints them.
 *
 * Only network interfaces and the "any" pseudo-device are listed: libpcap's
 * other sources (bluetooth-monitor, nflog, nfqueue, dbus) are not capture
 * sources bpfkit opens.
 */
import { linkType } from '../bpf/linktypes.js';
import {
  AF_INET, AF_INET6, AF_PACKET, SIOCGIFHWADDR, SIOCGIFINDEX, SOCK_DGRAM, SOCK_CLOEXEC, close, ethtoolLink, getifaddrs,
  ifreq, ioctl, socket, SyscallError,
} from './syscalls.js';
import { DLT_LINUX_SLL, dltForArphrd } from './link.js';

// IFF_* interface flags (linux/if.h).
export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
export const IFF_POINTOPOINT = 0x10;
export const IFF_RUNNING = 0x40;
export const IFF_PROMISC = 0x100;

/** One address of an interface. */
export interface InterfaceAddress {
  readonly family: 'ipv4' | 'ipv6';
  readonly address: string;
  readonly netmask?: string;
  /** Broadcast address (or the peer's, on a point-to-point link). */
  readonly broadcast?: string;
}

/** Whether the interface is connected to a network, as libpcap reports it. */
export type ConnectionStatus = 'connected' | 'disconnected' | 'unknown' | 'not applicable';

/** An interface a capture can open. */
export interface InterfaceInfo {
  readonly name: string;
  /** Interface index (0 for "any"). */
  readonly index: number;
  readonly description?: string;
  /** Raw IFF_* flags. */
  readonly flags: number;
  readonly up: boolean;
  readonly running: boolean;
  readonly loopback: boolean;
  readonly connection: ConnectionStatus;
  readonly addresses: readonly InterfaceAddress[];
  /** ARPHRD_* hardware type (0 for "any"). */
  readonly arphrd: number;
  /** The DLT a capture on it delivers by default. */
  readonly linkType: number;
  /** libpcap's name for that DLT, e.g. 'EN10MB'. */
  readonly linkTypeName: string;
}

/**
 * Thrown when an interface name does not name an interface.
 *
 * @example
 * try { await openLive('nope0'); } catch (e) { if (e instanceof NoSuchInterfaceError) console.log(e.interfaceName); }
 */
export class NoSuchInterfaceError extends Error {
  constructor(readonly interfaceName: string, detail?: string) {
    super(`no such interface "${interfaceName}"${detail ? `: ${detail}` : ''}`);
    this.name = 'NoSuchInterfaceError';
  }
}

/**
 * Lists the interfaces, in libpcap's order (up and running first, then by
 * connection, loopback after others, "any" just before loopback), each with
 * its index, flags, addresses and link type.
 *
 * @example
 * for (const i of listInterfaces()) console.log(i.index, i.name, i.linkTypeName);
 */
export function listInterfaces(): InterfaceInfo[] {
  const entries = getifaddrs();
  const byName = new Map<string, { flags: number; index: number; arphrd: number; addresses: InterfaceAddress[] }>();
  for (const e of entries) {
    let it = byName.get(e.name);
    if (!it) {
      it = { flags: e.flags, index: 0, arphrd: 0, addresses: [] };
      byName.set(e.name, it);
    }
    if (!e.addr) continue;
    const family = e.addr[0] | (e.addr[1] << 8);
    if (family === AF_PACKET) {
      const v = new DataView(e.addr.buffer, e.addr.byteOffset, e.addr.byteLength);
      it.index = v.getInt32(4, true);
      it.arphrd = v.getUint16(8, true);
    } else if (family === AF_INET || family === AF_INET6) {
      it.addresses.push({
        family: family === AF_INET ? 'ipv4' : 'ipv6',
        address: formatSockaddr(e.addr)!,
        ...(e.netmask ? { netmask: formatSockaddr(e.netmask) } : {}),
        ...(e.broadaddr && (e.flags & (IFF_BROADCAST | IFF_POINTOPOINT)) ? { broadcast: formatSockaddr(e.broadaddr) } : {}),
      });
    }
  }
  const fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const list: InterfaceInfo[] = [];
  try {
    for (const [name, it] of byName) {
      const loopback = (it.flags & IFF_LOOPBACK) !== 0;
      let connection: ConnectionStatus = 'not applicable';
      if (!loopback) {
        const link = ethtoolLink(fd, name);
        connection = link === null ? 'unknown' : link ? 'connected' : 'disconnected';
      }
      const dlt = dltForArphrd(it.arphrd) ?? DLT_LINUX_SLL;
      list.push({
        name, index: it.index, flags: it.flags,
        up: (it.flags & IFF_UP) !== 0, running: (it.flags & IFF_RUNNING) !== 0, loopback, connection,
        addresses: it.addresses, arphrd: it.arphrd, linkType: dlt, linkTypeName: linkType(dlt).name,
      });
    }
  } finally {
    close(fd);
  }
  list.push({
    name: 'any', index: 0, description: 'Pseudo-device that captures on all interfaces',
    flags: IFF_UP | IFF_RUNNING, up: true, running: true, loopback: false, connection: 'not applicable',
    addresses: [], arphrd: 0, linkType: DLT_LINUX_SLL, linkTypeName: 'LINUX_SLL',
  });
  // A stable sort by libpcap's figure of merit keeps getifaddrs order among equals.
  return list
    .map((info, i) => ({ info, i, merit: figureOfMerit(info) }))
    .sort((a, b) => a.merit - b.merit || a.i - b.i)
    .map((x) => x.info);
}

function figureOfMerit(i: InterfaceInfo): number {
  let n = 0;
  if (!i.running) n += 0x80000000;
  if (!i.up) n += 0x40000000;
  if (i.connection === 'disconnected') n += 0x20000000;
  if (i.loopback) n += 0x10000000;
  if (i.name === 'any') n += 0x08000000;
  return n;
}

/**
 * The interface list as `tcpdump -D` prints it: `N.name (description) [Up, Running, ...]`.
 *
 * @example
 * console.log(formatInterfaceList(listInterfaces()));
 * // 1.eth0 [Up, Running, Connected]
 * // 2.any (Pseudo-device that captures on all interfaces) [Up, Running]
 */
export function formatInterfaceList(list: readonly InterfaceInfo[]): string {
  return list.map((i, n) => {
    const words: string[] = [];
    if (i.up) words.push('Up');
    if (i.running) words.push('Running');
    if (i.loopback) words.push('Loopback');
    if (i.connection === 'connected') words.push('Connected');
    if (i.connection === 'disconnected') words.push('Disconnected');
    return `${n + 1}.${i.name}${i.description ? ` (${i.description})` : ''} [${words.length ? words.join(', ') : 'none'}]\n`;
  }).join('');
}

/** What opening a capture needs to know about one interface. */
export interface InterfaceIdentity {
  readonly name: string;
  readonly index: number;
  readonly arphrd: number;
  /** The hardware address (e.g. 6 bytes of MAC). */
  readonly hwaddr: Uint8Array;
}

/**
 * Looks up one interface's index and hardware type (SIOCGIFINDEX,
 * SIOCGIFHWADDR); throws NoSuchInterfaceError when there is none by that name.
 *
 * @example
 * interfaceIdentity('lo') // { name: 'lo', index: 1, arphrd: 772, hwaddr: ... }
 */
export function interfaceIdentity(name: string): InterfaceIdentity {
  if (name.length === 0) throw new NoSuchInterfaceError(name, 'the name is empty');
  let req: Uint8Array;
  try {
    req = ifreq(name);
  } catch (e) {
    throw new NoSuchInterfaceError(name, (e as Error).message);
  }
  const fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  try {
    try {
      ioctl(fd, SIOCGIFINDEX, req, `SIOCGIFINDEX ${name}`);
    } catch (e) {
      if (e instanceof SyscallError && e.code === 'ENODEV') throw new NoSuchInterfaceError(name);
      throw e;
    }
    const index = new DataView(req.buffer).getInt32(16, true);
    const hw = ifreq(name);
    ioctl(fd, SIOCGIFHWADDR, hw, `SIOCGIFHWADDR ${name}`);
    const arphrd = new DataView(hw.buffer).getUint16(16, true);
    return { name, index, arphrd, hwaddr: hw.slice(18, 24) };
  } finally {
    close(fd);
  }
}

function formatSockaddr(sa: Uint8Array): string | undefined {
  const family = sa[0] | (sa[1] << 8);
  if (family === AF_INET) return `${sa[4]}.${sa[5]}.${sa[6]}.${sa[7]}`;
  if (family === AF_INET6) {
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push(((sa[8 + 2 * i] << 8) | sa[9 + 2 * i]).toString(16));
    return compressIpv6(groups);
  }
  return undefined;
}

/** RFC 5952 text: the longest run (≥2) of zero groups becomes "::". */
function compressIpv6(groups: string[]): string {
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
