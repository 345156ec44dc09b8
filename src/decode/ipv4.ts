/**
 * IPv4 (RFC 791): addresses, fragments, options, and with -v the header
 * fields and checksum, in tcpdump's layout.
 */
import { ipv4Text, u16, u32, u8 } from './bytes.js';
import { expectedChecksum, internetChecksum } from './checksum.js';
import type { Dissector } from './dissector.js';
import { ipProtoName, type IpContext, printTransport, PRINTS_OWN_ADDRESSES } from './ipproto.js';

const OPTION_NAMES = new Map<number, string>([
  [0, 'EOL'], [1, 'NOP'], [7, 'RR'], [68, 'timestamp'], [130, 'security'], [131, 'LSRR'], [137, 'SSRR'], [148, 'RA'], [82, 'traceroute'],
]);

/**
 * Prints an IPv4 packet whose captured bytes are `buf` and whose length past
 * the link header is `length`.
 *
 * @example
 * printIpv4(d, packet, packet.length) // 'IP 10.0.0.1 > 10.0.0.2: ICMP echo request, ...'
 */
export function printIpv4(d: Dissector, buf: Uint8Array, length: number): void {
  d.protocol = 'ip';
  const vhl = u8(buf, 0);
  if (!d.opts.linkHeader) d.print('IP ');
  if (vhl >> 4 !== 4) {
    d.print(`IP${vhl >> 4}${vhl >> 4 === 6 ? ', wrong link-layer encapsulation' : ''}`);
    return;
  }
  if (length < 20) {
    d.print(`truncated-ip ${length}`);
    return;
  }
  const hlen = (vhl & 0x0f) * 4;
  if (hlen < 20) {
    d.print(`bad-hlen ${hlen}`);
    return;
  }
  let len = u16(buf, 2);
  if (length < len) d.print(`truncated-ip - ${len - length} bytes missing! `);
  if (len < hlen) {
    d.print(`bad-len ${len}`);
    return;
  }
  len = Math.min(len, length);
  const tos = u8(buf, 1), id = u16(buf, 4), frag = u16(buf, 6), ttl = u8(buf, 8), proto = u8(buf, 9);
  const off = (frag & 0x1fff) * 8;
  const srcBytes = buf.slice(12, 16), dstBytes = buf.slice(16, 20);
  const src = ipv4Text(buf, 12), dst = ipv4Text(buf, 16);
  if (d.opts.verbose > 0) {
    d.print(`(tos 0x${tos.toString(16)}${['', ',ECT(1)', ',ECT(0)', ',CE'][tos & 3]}, ttl ${ttl}, id ${id}, offset ${off}, flags [${fragFlags(frag)}], proto ${ipProtoName(proto)} (${proto}), length ${u16(buf, 2)}`);
    if (hlen > 20) d.print(`, options (${optionsText(buf.subarray(20, Math.min(hlen, buf.length)))})`);
    if (!d.opts.noChecksum && buf.length >= hlen) {
      const sum = internetChecksum([buf.subarray(0, hlen)]);
      if (sum !== 0) {
        const field = u16(buf, 10);
        d.print(`, bad cksum ${field.toString(16)} (->${expectedChecksum(new Uint8Array(0), buf.subarray(0, hlen), 10).toString(16)})!`);
      }
    }
    d.print(')\n    ');
  }
  const payload = buf.subarray(hlen, Math.min(len, buf.length));
  const ip: IpContext = { version: 4, src, dst, srcBytes, dstBytes, fragmented: (frag & 0x3fff) !== 0 };
  if (off !== 0) {
    d.print(`${src} > ${dst}: ip-proto-${proto}`);
    return;
  }
  if (!PRINTS_OWN_ADDRESSES.has(proto)) d.print(`${src} > ${dst}: `);
  if (!printTransport(d, ip, proto, payload, len - hlen)) {
    d.protocol = 'ip';
    d.print(`ip-proto-${proto} ${len - hlen}`);
  }
}

function fragFlags(frag: number): string {
  const names: string[] = [];
  if (frag & 0x2000) names.push('+');
  if (frag & 0x4000) names.push('DF');
  if (frag & 0x8000) names.push('rsvd');
  return names.length ? names.join(', ') : 'none';
}

/** IP options as tcpdump's ip_optprint: comma-separated names, each with its details. */
function optionsText(opts: Uint8Array): string {
  let out = '';
  for (let i = 0; i < opts.length;) {
    const type = opts[i];
    out += (i > 0 ? ',' : '') + (OPTION_NAMES.get(type) ?? `unknown ${type}`);
    if (type === 0) break;
    if (type === 1) { i++; continue; }
    const len = i + 1 < opts.length ? opts[i + 1] : 0;
    if (len < 2 || len > opts.length - i) return `${out} [bad length ${len}]`;
    const opt = opts.subarray(i, i + len);
    if (type === 68) out += timestampOption(opt);
    else if (type === 7 || type === 131 || type === 137) out += routeOption(opt);
    else if (type === 148) {
      if (len < 4) out += ` [bad length ${len}]`;
      else if (((opt[2] << 8) | opt[3]) !== 0) out += ` value ${(opt[2] << 8) | opt[3]}`;
    }
    i += len;
  }
  return out;
}

function routeOption(opt: Uint8Array): string {
  const length = opt.length;
  if (length < 3) return ` [bad length ${length}]`;
  let out = (length + 1) & 3 ? ` [bad length ${length}]` : '';
  const ptr = opt[2] - 1;
  if (ptr < 3 || ((ptr + 1) & 3) || ptr > length + 1) out += ` [bad ptr ${opt[2]}]`;
  for (let at = 3; at + 4 <= length; at += 4) out += ` ${ipv4Text(opt, at)}${ptr > at ? ',' : ''}`;
  return out;
}

function timestampOption(opt: Uint8Array): string {
  const length = opt.length;
  let out = ' TS{';
  if (length < 4) return `${out}[bad length ${length}]}`;
  const flags = opt[3];
  const hop = (flags & 0xf) === 0 ? 4 : 8;
  if ((length - 4) & (hop - 1)) out += `[bad length ${length}]`;
  const ptr = opt[2] - 1;
  if (ptr < 4 || ((ptr - 4) & (hop - 1)) || ptr > length + 1) out += `[bad ptr ${opt[2]}]`;
  const kind = ['TSONLY', 'TS+ADDR', '', 'PRESPEC'][flags & 0xf];
  let at = 4;
  if (!kind) {
    out += `[bad ts type ${flags & 0xf}]`;
  } else {
    out += kind;
    for (; at < length; at += hop) {
      const stamp = u32(opt, at + hop - 4);
      out += `${ptr === at ? ' ^ ' : ' '}${stamp}@${hop === 8 ? ipv4Text(opt, at) : ''}`;
    }
  }
  out += ptr === at ? ' ^ ' : '';
  return flags >> 4 ? `${out} [${flags >> 4} hops not recorded]} ` : `${out}}`;
}
