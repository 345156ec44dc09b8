/**
 * A small deterministic corpus of Ethernet frames for running compiled
 * filters: IPv4/IPv6/ARP, TCP/UDP/ICMP, VLAN and MPLS and PPPoE wrappers,
 * addresses and ports from the values the expression list uses, plus
 * truncated captures; and src/craft's corpus generator beside it.
 */
import { Rng, type RandomPacket } from './random-program.js';
import { corpus } from '../../src/craft/corpus.js';

const MACS = [[0, 0x11, 0x22, 0x33, 0x44, 0x55], [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [1, 0, 0x5e, 0, 0, 1], [0x33, 0x33, 0, 0, 0, 1], [0, 0, 0, 0, 0, 1]];
const IPV4 = [[10, 0, 0, 1], [10, 0, 0, 2], [10, 0, 0, 3], [192, 168, 1, 1], [172, 16, 5, 4], [224, 0, 0, 1], [255, 255, 255, 255], [8, 8, 8, 8], [10, 3, 2, 1], [10, 1, 2, 3]];
const IPV6 = [
  [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1], [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 2],
  [0xfe, 0x80, ...new Array(13).fill(0), 1], [0xff, 0x02, ...new Array(13).fill(0), 1], [...new Array(15).fill(0), 1],
];
const PORTS = [80, 443, 53, 22, 25, 67, 68, 123, 1024, 8080, 8443, 6005, 33440, 4789, 6081, 1, 100, 65535];

function push16(out: number[], v: number): void {
  out.push((v >> 8) & 0xff, v & 0xff);
}

/** A transport header and a little payload for protocol `proto`. */
function transport(rng: Rng, proto: number): number[] {
  const out: number[] = [];
  if (proto === 6) {
    push16(out, rng.pick(PORTS)); push16(out, rng.pick(PORTS));
    for (let i = 0; i < 8; i++) out.push(rng.int(256));
    out.push(rng.pick([0x50, 0x60, 0x80]), rng.pick([0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x01, 0x20, 0x40, 0x80, rng.int(256)]));
    for (let i = 0; i < 6; i++) out.push(rng.int(256));
    if (rng.chance(0.3)) out.push(0x47, 0x45, 0x54, 0x20);
  } else if (proto === 17) {
    push16(out, rng.pick(PORTS)); push16(out, rng.pick(PORTS)); push16(out, 8 + rng.int(600)); push16(out, rng.chance(0.5) ? 0 : rng.int(65536));
    out.push(rng.pick([0x45, 0x08, 0]), rng.int(256), rng.int(256), rng.int(256));
  } else if (proto === 1 || proto === 58) {
    out.push(rng.pick([0, 3, 8, 11, 128, 129, 135, 136]), rng.pick([0, 1, 3]), rng.int(256), rng.int(256));
    for (let i = 0; i < 4; i++) out.push(rng.int(256));
  } else {
    for (let i = 0; i < 8; i++) out.push(rng.int(256));
  }
  for (let i = rng.int(24); i > 0; i--) out.push(rng.int(256));
  return out;
}

function ipv4(rng: Rng): number[] {
  const proto = rng.pick([6, 17, 1, 2, 47, 50, 51, 103, 112, 132, 6, 17]);
  const ihl = rng.chance(0.85) ? 5 : 6;
  const body = transport(rng, proto);
  const out = [0x40 | ihl, rng.pick([0, 0xb8, 3])];
  push16(out, rng.chance(0.8) ? ihl * 4 + body.length : rng.int(3000));
  push16(out, rng.int(65536));
  push16(out, rng.pick([0, 0x4000, 0x2000, 0x0001, 0x2010]));
  out.push(rng.pick([64, 1, 128, 255]), proto, rng.int(256), rng.int(256));
  out.push(...rng.pick(IPV4), ...rng.pick(IPV4));
  if (ihl === 6) out.push(1, 1, 1, 0);
  return [...out, ...body];
}

function ipv6(rng: Rng): number[] {
  const proto = rng.pick([6, 17, 58, 0, 44, 6, 17]);
  const next = proto === 0 || proto === 44 ? rng.pick([6, 17]) : proto;
  const ext = proto === 0 || proto === 44 ? [next, 0, 0, 0, 0, 0, 0, 0] : [];
  const body = transport(rng, next);
  const out = [0x60 | rng.int(16), rng.int(256), rng.int(256), rng.int(256)];
  push16(out, ext.length + body.length);
  out.push(proto, rng.pick([64, 1, 255]));
  out.push(...rng.pick(IPV6), ...rng.pick(IPV6));
  return [...out, ...ext, ...body];
}

function arp(rng: Rng): number[] {
  const out = [0, 1, 8, 0, 6, 4, 0, rng.pick([1, 2, 3, 4])];
  out.push(...rng.pick(MACS), ...rng.pick(IPV4), ...rng.pick(MACS), ...rng.pick(IPV4));
  return out;
}

/** An Ethernet frame: type, optional VLAN/MPLS/PPPoE layers, then a network packet. */
function frame(rng: Rng): number[] {
  const out = [...rng.pick(MACS), ...rng.pick(MACS)];
  const kind = rng.int(10);
  const inner = (): [number, number[]] => {
    const r = rng.int(10);
    if (r < 5) return [0x0800, ipv4(rng)];
    if (r < 8) return [0x86dd, ipv6(rng)];
    if (r < 9) return [0x0806, arp(rng)];
    return [rng.pick([0x88cc, 0x8035, 0x809b, 0x6003, 0x0200, 0x05dc]), transport(rng, 0)];
  };
  if (kind === 0 || kind === 1) { // VLAN, sometimes two
    for (let tags = kind + 1; tags > 0; tags--) { push16(out, 0x8100); push16(out, rng.pick([1, 2, 10, 20, 100, 200, rng.int(4096)])); }
  } else if (kind === 2) { // MPLS
    push16(out, 0x8847);
    const labels = 1 + rng.int(2);
    for (let i = 0; i < labels; i++) {
      const label = rng.pick([1, 2, 100, rng.int(1 << 20)]);
      out.push(label >> 12, (label >> 4) & 0xff, ((label & 0xf) << 4) | (i === labels - 1 ? 1 : 0), 64);
    }
    out.push(...(rng.chance(0.7) ? ipv4(rng) : ipv6(rng)));
    return out;
  } else if (kind === 3) { // PPPoE session
    push16(out, 0x8864);
    out.push(0x11, 0); push16(out, rng.pick([0x1234, 1])); push16(out, 60);
    const v4 = rng.chance(0.6);
    push16(out, v4 ? 0x21 : 0x57);
    out.push(...(v4 ? ipv4(rng) : ipv6(rng)));
    return out;
  } else if (kind === 4) { // 802.3 with LLC
    push16(out, 40); out.push(rng.pick([0xaa, 0x42, 0xe0, 0xf0, 0xfe]), rng.pick([0xaa, 0x42, 0xe0, 0xf0]), 3);
    out.push(...transport(rng, 0));
    return out;
  }
  const [type, body] = inner();
  push16(out, type);
  return [...out, ...body];
}

/**
 * `count` Ethernet frames from `seed`; about one in six is a truncated capture.
 *
 * @example
 * const packets = ethernetPackets(500, 1); // [{ data, wireLength }, ...]
 */
export function ethernetPackets(count: number, seed: number): RandomPacket[] {
  const rng = new Rng(seed);
  const out: RandomPacket[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = Uint8Array.from(frame(rng));
    const cut = rng.chance(1 / 6) ? rng.int(bytes.length + 1) : bytes.length;
    out.push({ data: bytes.subarray(0, cut), wireLength: bytes.length + (rng.chance(0.2) ? rng.int(1500) : 0) });
  }
  return out;
}

/**
 * Packets from src/craft's deterministic corpus generator, with a tenth
 * malformed or truncated.
 *
 * @example
 * const extra = craftCorpus(1, 200, 7);
 */
export function craftCorpus(linkType: number, count: number, seed: number): RandomPacket[] {
  return corpus({ linkType, count, seed, malformed: 0.1, describe: false }).map((p) => ({ data: p.data, wireLength: p.wireLength }));
}
