/**
 * ICMP for IPv4 (RFC 792) as tcpdump prints it; with -v the checksum verdict
 * and, for error messages, the quoted IP header that caused them.
 */
import { ipv4Text, Truncated, u16, u32, u8 } from './bytes.js';
import { expectedChecksum, internetChecksum } from './checksum.js';
import type { Dissector } from './dissector.js';
import type { IpContext } from './ipproto.js';
import { printIpv4 } from './ipv4.js';

const UNREACHABLE: ReadonlyArray<string> = [
  'net %s unreachable', 'host %s unreachable', '', '', '', '%s unreachable - source route failed',
  'net %s unreachable - unknown', 'host %s unreachable - unknown', '%s unreachable - source host isolated',
  'net %s unreachable - admin prohibited', 'host %s unreachable - admin prohibited',
  'net %s unreachable - tos prohibited', 'host %s unreachable - tos prohibited',
  'host %s unreachable - admin prohibited filter', 'host %s unreachable - host precedence violation',
  'host %s unreachable - precedence cutoff',
];
const REDIRECT = ['redirect %s to net %s', 'redirect %s to host %s', 'redirect-tos %s to net %s', 'redirect-tos %s to host %s'];
const ERROR_TYPES = new Set([3, 4, 5, 11, 12]);

/**
 * Prints an ICMP message of `length` bytes.
 *
 * @example
 * printIcmp(d, ip, message, 40) // 'ICMP echo request, id 1, seq 1, length 40'
 */
export function printIcmp(d: Dissector, ip: IpContext, buf: Uint8Array, length: number): void {
  d.protocol = 'icmp';
  const type = u8(buf, 0), code = u8(buf, 1);
  // An unreachable's quoted IP header is checked locally by tcpdump before it is read (the port after it is not).
  d.checkedLocally = type === 3 && buf.length < 8 + 20;
  const text = describe(buf, type, code);
  d.checkedLocally = false;
  d.print(`ICMP ${text}, length ${length}`);
  if (d.opts.verbose > 0 && !ip.fragmented && buf.length >= length) {
    const message = buf.subarray(0, length);
    if (internetChecksum([message]) !== 0) {
      d.print(` (wrong icmp cksum ${u16(buf, 2).toString(16)} (->${expectedChecksum(new Uint8Array(0), message, 2).toString(16)})!)`);
    }
  }
  if (d.opts.verbose > 0 && ERROR_TYPES.has(type)) {
    const inner = buf.subarray(8);
    d.print('\n\t');
    // tcpdump limits the quoted packet to its own length field before reading that field again.
    const innerLength = u16(inner, 2);
    if (innerLength < 4) throw new Truncated();
    printIpv4(d, inner.subarray(0, innerLength), innerLength);
  }
}

function describe(buf: Uint8Array, type: number, code: number): string {
  const fill = (fmt: string, ...args: Array<string | number>) => args.reduce<string>((s, a) => s.replace(/%[su]/, String(a)), fmt);
  switch (type) {
    case 0: return `echo reply, id ${u16(buf, 4)}, seq ${u16(buf, 6)}`;
    case 8: return `echo request, id ${u16(buf, 4)}, seq ${u16(buf, 6)}`;
    case 3: {
      const innerDst = ipv4Text(buf, 8 + 16);
      if (code === 2) return `${innerDst} protocol ${u8(buf, 8 + 9)} unreachable`;
      if (code === 3) {
        const hlen = (u8(buf, 8) & 0x0f) * 4, proto = u8(buf, 8 + 9), dport = u16(buf, 8 + hlen + 2);
        if (proto === 6) return `${innerDst} tcp port ${dport} unreachable`;
        if (proto === 17) return `${innerDst} udp port ${dport} unreachable`;
        return `${innerDst} protocol ${proto} port ${dport} unreachable`;
      }
      if (code === 4) {
        const mtu = u16(buf, 6);
        return mtu ? `${innerDst} unreachable - need to frag (mtu ${mtu})` : `${innerDst} unreachable - need to frag`;
      }
      return code < UNREACHABLE.length ? fill(UNREACHABLE[code], innerDst) : `${innerDst} unreachable - #${code}`;
    }
    case 4: return 'source quench';
    case 5: {
      const innerDst = ipv4Text(buf, 8 + 16), gateway = ipv4Text(buf, 4);
      return code < 4 ? fill(REDIRECT[code], innerDst, gateway) : `redirect-#${code} ${innerDst} to ${gateway}`;
    }
    case 9: return 'router advertisement';
    case 10: return 'router solicitation';
    case 11: return code === 0 ? 'time exceeded in-transit' : code === 1 ? 'ip reassembly time exceeded' : `time exceeded-#${code}`;
    case 12: return code ? `parameter problem - code ${code}` : `parameter problem - octet ${u8(buf, 4)}`;
    case 13: return `time stamp query id ${u16(buf, 4)} seq ${u16(buf, 6)}`;
    case 14: return `time stamp reply id ${u16(buf, 4)} seq ${u16(buf, 6)}: org ${clock(u32(buf, 8))}, recv ${clock(u32(buf, 12))}, xmit ${clock(u32(buf, 16))}`;
    case 15: return 'information request';
    case 16: return 'information reply';
    case 17: return 'address mask request';
    case 18: return `address mask is 0x${u32(buf, 8).toString(16).padStart(8, '0')}`;
    default: return `type-#${type}`;
  }
}

/** Milliseconds since midnight UTC as tcpdump's icmp_tstamp_print: HH:MM:SS.mmm. */
function clock(ms: number): string {
  if (ms >= 86400000) return `${ms}`;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(Math.floor(ms / 3600000))}:${p(Math.floor(ms / 60000) % 60)}:${p(Math.floor(ms / 1000) % 60)}.${p(ms % 1000, 3)}`;
}
