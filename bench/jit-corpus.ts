/**
 * A deterministic corpus of realistic mixed Ethernet frames for the JIT
 * benchmark, written straight into one PacketBatch: 802.1Q tags, IPv4 (with
 * fragments), IPv6, TCP, UDP, ICMP/ICMPv6, ARP and a little LLDP; realistic
 * address pools, ports, TCP flags and frame sizes (many bare ACKs, many
 * full-size segments, small DNS).
 */
import { createBatch, type PacketBatch } from '../src/bpf/batch.js';

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SERVER_PORTS = [80, 443, 443, 443, 80, 22, 53, 8080, 25, 123, 1194, 1500, 1883, 3306, 5432];

/**
 * Makes `count` frames from `seed` (same seed, same bytes).
 *
 * @example
 * const batch = makeCorpus(1_000_000, 1);
 */
export function makeCorpus(count: number, seed = 1): PacketBatch {
  const r = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const int = (n: number) => Math.floor(r() * n);
  let data = new Uint8Array(count * 512);
  const batch0 = createBatch(data, count);
  const { offsets, caplens, wirelens } = batch0;
  const f = new Uint8Array(1600);
  let at = 0;

  const v4 = (out: number) => {
    const roll = r();
    let a: number[];
    if (roll < 0.3) a = [10, 0, 0, 1 + int(50)];
    else if (roll < 0.38) a = [10, 1, 2, 3];
    else if (roll < 0.6) a = [192, 168, int(256), 1 + int(254)];
    else if (roll < 0.7) a = [172, 16 + int(16), int(256), 1 + int(254)];
    else a = [1 + int(223), int(256), int(256), 1 + int(254)];
    f.set(a, out);
  };
  const v6 = (out: number) => {
    f.set([0x20, 0x01, 0x0d, 0xb8, 0, int(4), 0, 0, 0, 0, 0, 0, 0, 0, int(256), 1 + int(254)], out);
  };
  const ports = (out: number) => {
    const server = pick(SERVER_PORTS) === 1500 ? 1000 + int(1001) : pick(SERVER_PORTS);
    const client = 32768 + int(28232);
    const toServer = r() < 0.5;
    const sp = toServer ? client : server, dp = toServer ? server : client;
    f[out] = sp >> 8; f[out + 1] = sp & 255; f[out + 2] = dp >> 8; f[out + 3] = dp & 255;
    return server;
  };

  for (let i = 0; i < count; i++) {
    f.fill(0, 0, 128);
    for (let b = 0; b < 12; b++) f[b] = int(256);
    f[0] &= 0xfe;
    let l2 = 12;
    if (r() < 0.08) { f[12] = 0x81; f[13] = 0x00; const tci = int(4095) + 1; f[14] = tci >> 8; f[15] = tci & 255; l2 = 16; }
    const kind = r();
    let len: number;
    if (kind < 0.7) {
      f[l2] = 0x08; f[l2 + 1] = 0x00;
      const ip = l2 + 2;
      const options = r() < 0.03 ? 4 : 0;
      const ihl = 20 + options;
      f[ip] = 0x40 | (ihl >> 2); f[ip + 8] = 32 + int(96);
      v4(ip + 12); v4(ip + 16);
      const l4 = ip + ihl;
      const proto = r();
      let payload: number;
      if (proto < 0.65) {
        f[ip + 9] = 6;
        ports(l4);
        f[l4 + 12] = 0x50;
        const fl = r();
        f[l4 + 13] = fl < 0.05 ? 0x02 : fl < 0.1 ? 0x12 : fl < 0.13 ? 0x11 : fl < 0.14 ? 0x04 : fl < 0.6 ? 0x10 : 0x18;
        const size = r();
        payload = 20 + (size < 0.45 ? 0 : size < 0.7 ? 1448 - options : 1 + int(1400));
      } else if (proto < 0.93) {
        f[ip + 9] = 17;
        const server = ports(l4);
        payload = 8 + (server === 53 ? 30 + int(270) : 20 + int(1200));
        if (r() < 0.04) {
          // A fragment: the first carries MF, later ones an offset and no UDP header.
          const later = r() < 0.6;
          f[ip + 6] = later ? int(0x20) : 0x20; f[ip + 7] = later ? 1 + int(255) : 0;
        }
        f[l4 + 4] = payload >> 8; f[l4 + 5] = payload & 255;
      } else {
        f[ip + 9] = 1;
        f[l4] = pick([8, 0, 3, 11]);
        payload = 8 + 56;
      }
      const total = ihl + payload;
      f[ip + 2] = total >> 8; f[ip + 3] = total & 255;
      len = ip + total;
    } else if (kind < 0.9) {
      f[l2] = 0x86; f[l2 + 1] = 0xdd;
      const ip = l2 + 2;
      f[ip] = 0x60; f[ip + 7] = 64;
      v6(ip + 8); v6(ip + 24);
      const l4 = ip + 40;
      const proto = r();
      let payload: number;
      if (proto < 0.6) {
        f[ip + 6] = 6; ports(l4); f[l4 + 12] = 0x50; f[l4 + 13] = r() < 0.08 ? 0x02 : 0x10;
        payload = 20 + (r() < 0.5 ? 0 : 1 + int(1400));
      } else if (proto < 0.9) {
        f[ip + 6] = 17; ports(l4); payload = 8 + 20 + int(1000);
      } else {
        f[ip + 6] = 58; f[l4] = pick([128, 129, 135, 136]); payload = 32;
      }
      f[ip + 4] = payload >> 8; f[ip + 5] = payload & 255;
      len = l4 + payload;
    } else if (kind < 0.97) {
      f[l2] = 0x08; f[l2 + 1] = 0x06;
      f.set([0, 1, 8, 0, 6, 4, 0, 1 + int(2)], l2 + 2);
      v4(l2 + 2 + 14); v4(l2 + 2 + 24);
      len = l2 + 2 + 28;
    } else {
      f[l2] = 0x88; f[l2 + 1] = 0xcc;
      len = l2 + 2 + 40 + int(200);
    }
    if (len < 60) len = 60;
    while (at + len > data.length) {
      const bigger = new Uint8Array(data.length * 2);
      bigger.set(data);
      data = bigger;
    }
    // Payload bytes beyond the headers stay as zero-filled scratch plus a little noise.
    data.set(f.subarray(0, Math.min(len, 128)), at);
    if (len > 128) data[at + len - 1] = int(256);
    offsets[i] = at;
    caplens[i] = len;
    wirelens[i] = len;
    at += len;
  }
  return { data: data.subarray(0, at), offsets, caplens, wirelens, count };
}
