/**
 * The shipped sample capture (samples/sample.pcap, samples/sample.pcapng): a
 * small, deterministic, realistic afternoon on a home network — ARP, DNS, web
 * browsing over HTTP on port 80 (IPv4 and IPv6) with real handshakes,
 * requests, multi-segment responses and closes, some HTTPS, ping and IPv6
 * neighbour discovery. Built with src/craft/, written with our own writers.
 *
 * Regenerate: `node dist/test/pcap/make-sample.js --write`.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { arp } from '../../src/craft/arp.js';
import { ethernet } from '../../src/craft/ethernet.js';
import { icmp } from '../../src/craft/icmp.js';
import { icmpv6, neighborAdvertisement, neighborSolicitation } from '../../src/craft/icmpv6.js';
import { ipv4 } from '../../src/craft/ipv4.js';
import { ipv6 } from '../../src/craft/ipv6.js';
import type { Datagram } from '../../src/craft/layers.js';
import { tcp } from '../../src/craft/tcp.js';
import { udp } from '../../src/craft/udp.js';
import { createCaptureWriter } from '../../src/pcap/write-capture.js';
import type { CaptureRecord } from '../../src/pcap/info.js';
import type { WriteOptions } from '../../src/pcap/capture-writer.js';
import { prng } from './helpers.js';

const CLIENT_MAC = '3c:22:fb:12:34:56';
const ROUTER_MAC = 'a4:91:b1:0a:bc:de';
const CLIENT = '192.168.1.23';
const ROUTER = '192.168.1.1';
const CLIENT6 = '2001:db8:1::23';
const CLIENT6_LL = 'fe80::3e22:fbff:fe12:3456';
const ROUTER6_LL = 'fe80::a691:b1ff:fe0a:bcde';
const START = 1700000000;

const text = new TextEncoder();


/** A DNS message: one question, and answers when given (RFC 1035 wire format, names uncompressed). */
function dns(id: number, name: string, type: number, answers: Uint8Array[] = []): Uint8Array {
  const qname = [...name.split('.').flatMap((l) => [l.length, ...text.encode(l)]), 0];
  const header = [id >> 8, id & 0xff, answers.length ? 0x81 : 0x01, answers.length ? 0x80 : 0x00, 0, 1, 0, answers.length, 0, 0, 0, 0];
  const question = [...qname, 0, type, 0, 1];
  const rrs = answers.flatMap((rdata) => [0xc0, 0x0c, 0, type, 0, 1, 0, 0, 0x0e, 0x10, rdata.length >> 8, rdata.length & 0xff, ...rdata]);
  return Uint8Array.from([...header, ...question, ...rrs]);
}

interface Timeline {
  records: CaptureRecord[];
  now: number;
}

function emit(t: Timeline, frame: Uint8Array, gapMicros: number): void {
  t.now += gapMicros;
  const sec = START + Math.floor(t.now / 1e6);
  const nsec = (t.now % 1e6) * 1000;
  t.records.push({ data: frame, caplen: frame.length, len: frame.length, timestamp: { sec, nsec }, linkType: 1, interface: 0 });
}

function out(datagram: Datagram): Uint8Array {
  return ethernet({ src: CLIENT_MAC, dst: ROUTER_MAC, pad: true }, datagram);
}

function inbound(datagram: Datagram): Uint8Array {
  return ethernet({ src: ROUTER_MAC, dst: CLIENT_MAC, pad: true }, datagram);
}

function lookup(t: Timeline, rand: () => number, id: number, name: string, type: number, answer: Uint8Array): void {
  const sport = 40000 + Math.floor(rand() * 20000);
  emit(t, out(ipv4({ src: CLIENT, dst: ROUTER, id: 0x1000 + id }, udp({ sport, dport: 53 }, dns(id, name, type)))), 2000);
  emit(t, inbound(ipv4({ src: ROUTER, dst: CLIENT, id: 0x2000 + id }, udp({ sport: 53, dport: sport }, dns(id, name, type, [answer])))), 9000 + Math.floor(rand() * 20000));
}

/** One HTTP/1.1 exchange: handshake, GET, a response in MSS-sized segments with ACKs, and an orderly close. */
function http(t: Timeline, rand: () => number, v6: boolean, server: string, host: string, path: string, bodyLength: number): void {
  const client = v6 ? CLIENT6 : CLIENT;
  const ip = (src: string, dst: string, seg: ReturnType<typeof tcp>, id: number) =>
    (v6 ? ipv6({ src, dst }, seg) : ipv4({ src, dst, id, df: true }, seg));
  const sport = 49152 + Math.floor(rand() * 16000);
  let cseq = Math.floor(rand() * 0xffffffff) >>> 0;
  let sseq = Math.floor(rand() * 0xffffffff) >>> 0;
  let cid = Math.floor(rand() * 0xffff);
  let sid = Math.floor(rand() * 0xffff);
  const rtt = 15000 + Math.floor(rand() * 30000);
  const mss = v6 ? 1440 : 1460;
  const c = (flags: string, payload: Uint8Array = new Uint8Array(0), options?: object) =>
    out(ip(client, server, tcp({ sport, dport: 80, seq: cseq, ack: sseq, flags, window: 502, ...(options ? { options } : {}) }, payload), cid++ & 0xffff));
  const s = (flags: string, payload: Uint8Array = new Uint8Array(0), options?: object) =>
    inbound(ip(server, client, tcp({ sport: 80, dport: sport, seq: sseq, ack: cseq, flags, window: 509, ...(options ? { options } : {}) }, payload), sid++ & 0xffff));

  emit(t, out(ip(client, server, tcp({ sport, dport: 80, seq: cseq, flags: 'S', window: 64240, options: { mss, sackPermitted: true, windowScale: 7 } }), cid++)), 3000);
  cseq = (cseq + 1) >>> 0;
  emit(t, s('SA', undefined, { mss: 1400, sackPermitted: true, windowScale: 9 }), rtt);
  sseq = (sseq + 1) >>> 0;
  emit(t, c('.'), 150);
  const request = text.encode(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n`);
  emit(t, c('P.', request), 200);
  cseq = (cseq + request.length) >>> 0;
  emit(t, s('.'), rtt);
  const body = Array.from({ length: Math.ceil(bodyLength / 64) }, (_, i) =>
    `<p>line ${i} of ${path} on ${host}: the quick brown fox jumps over</p>\n`.slice(-64)).join('').slice(0, bodyLength);
  const response = text.encode(`HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: ${bodyLength}\r\n\r\n${body}`);
  const segment = 1400;
  for (let at = 0; at < response.length; at += segment) {
    const part = response.subarray(at, Math.min(response.length, at + segment));
    emit(t, s(at + segment >= response.length ? 'P.' : '.', part), at === 0 ? 3000 : 120);
    sseq = (sseq + part.length) >>> 0;
    if ((at / segment) % 2 === 1 || at + segment >= response.length) emit(t, c('.'), 80);
  }
  emit(t, c('F.'), 50000 + Math.floor(rand() * 200000));
  cseq = (cseq + 1) >>> 0;
  emit(t, s('F.'), rtt);
  sseq = (sseq + 1) >>> 0;
  emit(t, c('.'), 100);
}

function https(t: Timeline, rand: () => number, server: string): void {
  const sport = 49152 + Math.floor(rand() * 16000);
  const seq = Math.floor(rand() * 0xffffffff) >>> 0;
  const sseq = Math.floor(rand() * 0xffffffff) >>> 0;
  emit(t, out(ipv4({ src: CLIENT, dst: server, df: true }, tcp({ sport, dport: 443, seq, flags: 'S', window: 64240, options: { mss: 1460 } }))), 1000);
  emit(t, inbound(ipv4({ src: server, dst: CLIENT, df: true }, tcp({ sport: 443, dport: sport, seq: sseq, ack: seq + 1, flags: 'SA', window: 65535, options: { mss: 1460 } }))), 20000);
  emit(t, out(ipv4({ src: CLIENT, dst: server, df: true }, tcp({ sport, dport: 443, seq: seq + 1, ack: sseq + 1, flags: '.', window: 502 }))), 100);
  const hello = Uint8Array.from({ length: 517 }, (_, i) => (i < 5 ? [0x16, 3, 1, 2, 0][i] : Math.floor(rand() * 256)));
  emit(t, out(ipv4({ src: CLIENT, dst: server, df: true }, tcp({ sport, dport: 443, seq: seq + 1, ack: sseq + 1, flags: 'P.', window: 502 }, hello))), 300);
  emit(t, out(ipv4({ src: CLIENT, dst: server, df: true }, tcp({ sport, dport: 443, seq: seq + 518, ack: sseq + 1, flags: 'R.', window: 0 }))), 400000);
}

function ping(t: Timeline, target: string, count: number): void {
  const payload = Uint8Array.from({ length: 56 }, (_, i) => (i + 0x10) & 0xff);
  for (let seq = 1; seq <= count; seq++) {
    emit(t, out(ipv4({ src: CLIENT, dst: target, id: 0x4000 + seq, df: true }, icmp({ type: 8, id: 0x1c2d, seq }, payload))), seq === 1 ? 5000 : 1000000 - 25000);
    emit(t, inbound(ipv4({ src: target, dst: CLIENT, id: 0x7000 + seq, ttl: 57 }, icmp({ type: 0, id: 0x1c2d, seq }, payload))), 25000);
  }
}

/**
 * The sample's packets, the same on every call.
 *
 * @example
 * const packets = samplePackets(); // ~200 Ethernet frames, microsecond timestamps
 */
export function samplePackets(): CaptureRecord[] {
  const rand = prng(0x5eed);
  const t: Timeline = { records: [], now: 0 };
  emit(t, ethernet({ src: CLIENT_MAC, dst: 'ff:ff:ff:ff:ff:ff', pad: true }, arp({ op: 1, senderMac: CLIENT_MAC, senderIp: CLIENT, targetIp: ROUTER })), 0);
  emit(t, inbound(arp({ op: 2, senderMac: ROUTER_MAC, senderIp: ROUTER, targetMac: CLIENT_MAC, targetIp: CLIENT })), 800);
  const solicit = neighborSolicitation({ target: ROUTER6_LL, sourceLinkAddress: CLIENT_MAC });
  emit(t, ethernet({ src: CLIENT_MAC, dst: '33:33:ff:0a:bc:de' }, ipv6({ src: CLIENT6_LL, dst: 'ff02::1:ff0a:bcde', hopLimit: 255 }, solicit)), 4000);
  emit(t, inbound(ipv6({ src: ROUTER6_LL, dst: CLIENT6_LL, hopLimit: 255 }, neighborAdvertisement({ target: ROUTER6_LL, router: true, solicited: true, override: true, targetLinkAddress: ROUTER_MAC }))), 700);
  lookup(t, rand, 0x3a41, 'example.com', 1, Uint8Array.of(93, 184, 216, 34));
  http(t, rand, false, '93.184.216.34', 'example.com', '/', 2600);
  lookup(t, rand, 0x3a42, 'neverssl.com', 1, Uint8Array.of(34, 223, 124, 45));
  http(t, rand, false, '34.223.124.45', 'neverssl.com', '/online/', 5200);
  ping(t, '8.8.8.8', 4);
  lookup(t, rand, 0x3a43, 'www.wikipedia.org', 1, Uint8Array.of(185, 15, 59, 224));
  https(t, rand, '185.15.59.224');
  lookup(t, rand, 0x3a44, 'ipv6.example.net', 28, Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80));
  http(t, rand, true, '2001:db8:80::80', 'ipv6.example.net', '/index.html', 4100);
  http(t, rand, false, '93.184.216.34', 'example.com', '/images/logo.png', 9800);
  emit(t, out(ipv6({ src: CLIENT6, dst: '2001:db8:80::80' }, icmpv6({ type: 128, id: 7, seq: 1 }, new Uint8Array(32)))), 300000);
  emit(t, inbound(ipv6({ src: '2001:db8:80::80', dst: CLIENT6 }, icmpv6({ type: 129, id: 7, seq: 1 }, new Uint8Array(32)))), 31000);
  lookup(t, rand, 0x3a45, 'neverssl.com', 1, Uint8Array.of(34, 223, 124, 45));
  http(t, rand, false, '34.223.124.45', 'neverssl.com', '/favicon.ico', 1300);
  https(t, rand, '140.82.121.4');
  http(t, rand, false, '93.184.216.34', 'example.com', '/about/', 7000);
  lookup(t, rand, 0x3a46, 'intranet.example', 1, Uint8Array.of(198, 51, 100, 7));
  http(t, rand, false, '198.51.100.7', 'intranet.example', '/status', 600);
  http(t, rand, true, '2001:db8:80::80', 'ipv6.example.net', '/news.html', 6600);
  ping(t, '1.1.1.1', 3);
  http(t, rand, false, '34.223.124.45', 'neverssl.com', '/style.css', 8400);
  return t.records;
}

/** How the sample files are written: pcap as tcpdump -w would, pcapng with a named interface and comments. */
export const SAMPLE_PCAP_OPTIONS: WriteOptions = { format: 'pcap', linkType: 1, snaplen: 262144 };
export const SAMPLE_PCAPNG_OPTIONS: WriteOptions = {
  format: 'pcapng',
  comment: 'bpfkit sample capture: ARP, DNS, HTTP on port 80 (IPv4 and IPv6), HTTPS, ping, IPv6 neighbour discovery',
  interfaces: [{ linkType: 1, name: 'eth0', description: 'home network', snaplen: 262144 }],
};

/**
 * The bytes of a sample file, as the writer produces them.
 *
 * @example
 * const pcap = await sampleBytes('pcap');
 */
export async function sampleBytes(format: 'pcap' | 'pcapng'): Promise<Buffer> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const w = createCaptureWriter(sink, { ...(format === 'pcap' ? SAMPLE_PCAP_OPTIONS : SAMPLE_PCAPNG_OPTIONS), flushOnExit: false });
  const packets = samplePackets();
  packets.forEach((p, i) => {
    // One annotated packet shows pcapng comments off.
    const note = format === 'pcapng' && i === firstHttpRequest(packets) ? { comments: ['first HTTP request of the capture'] } : {};
    void w.write({ ...p, ...note });
  });
  await w.close();
  return Buffer.concat(chunks);
}

function firstHttpRequest(packets: CaptureRecord[]): number {
  return packets.findIndex((p) => Buffer.from(p.data).includes('GET /'));
}

/** Where the shipped samples live. */
export const SAMPLES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'samples');

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--write')) {
  for (const format of ['pcap', 'pcapng'] as const) {
    const path = join(SAMPLES_DIR, `sample.${format}`);
    writeFileSync(path, await sampleBytes(format));
    console.log(`wrote ${path}`);
  }
}
