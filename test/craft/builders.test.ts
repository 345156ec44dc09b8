import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  arp, CraftError, crc32, crc32c, dns, encapsulate, ethernet, finishChecksum, fragmentHeader, hopByHop, icmp, ieee8023, ipv4, ipv4Address,
  ipv4Fragments, ipv6, ipv6Address, llc, loop, mac, mpls, nullLoopback, pflog, pppoeSession, pseudoHeaderSum, qinq, radiotap, routingHeader,
  sctp, sll, sll2, snap, sum16, tcp, tcpFlags, udp, vlan, wlanControl, wlanData, WLAN_SUBTYPE, decnetAddress, destinationOptions,
} from '../../src/craft/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const be16 = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];

test('addresses parse in every usual notation', () => {
  const cases: Array<[string, (s: string) => Uint8Array, string]> = [
    ['02:00:00:aa:BB:0c', mac, '020000aabb0c'], ['02-00-00-aa-bb-0c', mac, '020000aabb0c'], ['0200.00aa.bb0c', mac, '020000aabb0c'], ['2:0:0:aa:bb:c', mac, '020000aabb0c'],
    ['10.0.0.1', ipv4Address, '0a000001'], ['255.255.255.255', ipv4Address, 'ffffffff'],
    ['::', ipv6Address, '0'.repeat(32)], ['::1', ipv6Address, '0'.repeat(31) + '1'], ['2001:db8::1', ipv6Address, '20010db8' + '0'.repeat(23) + '1'],
    ['fe80::a8bb:ccff:fedd:eeff', ipv6Address, 'fe80000000000000a8bbccfffeddeeff'], ['::ffff:10.0.0.1', ipv6Address, '00000000000000000000ffff0a000001'],
    ['1:2:3:4:5:6:7:8', ipv6Address, '00010002000300040005000600070008'],
  ];
  for (const [text, parse, expected] of cases) assert.equal(hex(parse(text)), expected, text);
  for (const [text, parse] of [['02:00:00:aa:bb', mac], ['zz:00:00:00:00:00', mac], ['10.0.0', ipv4Address], ['10.0.0.256', ipv4Address], ['1::2::3', ipv6Address], ['1:2:3:4:5:6:7:8:9', ipv6Address], ['2001:db8::g', ipv6Address]] as const) {
    assert.throws(() => parse(text), (e: unknown) => e instanceof CraftError && e.message.includes(JSON.stringify(text)), text);
  }
  // The exported parsers hand out copies: changing one cannot change a later packet.
  mac('02:00:00:00:00:09')[0] = 0xff;
  assert.equal(hex(mac('02:00:00:00:00:09')), '020000000009');
});

test('checksums match published check values and verify to zero', () => {
  const digits = new TextEncoder().encode('123456789');
  assert.equal(crc32c(digits), 0xe3069283);
  assert.equal(crc32(digits), 0xcbf43926);
  const packet = ipv4({ src: '192.168.1.1', dst: '10.0.0.9', id: 0x1c46, df: true }, tcp({ sport: 443, dport: 51000, flags: 'PA' }, new Uint8Array(33).fill(7))).bytes;
  assert.equal(finishChecksum(sum16(packet, 0, 0, 20)), 0, 'IPv4 header checksum');
  const segment = packet.subarray(20);
  assert.equal(finishChecksum(sum16(segment, pseudoHeaderSum(packet.subarray(12, 16), packet.subarray(16, 20), 6, segment.length))), 0, 'TCP checksum');
  const v6 = ipv6({ src: '2001:db8::1', dst: '2001:db8::2', extensions: [hopByHop(), routingHeader({ addresses: ['2001:db8::99'], segmentsLeft: 1 })] }, udp({ sport: 1, dport: 2 }, new Uint8Array(5))).bytes;
  const udpAt = 40 + 8 + 24;
  // With a routing header the pseudo-header uses the final destination.
  assert.equal(finishChecksum(sum16(v6.subarray(udpAt), pseudoHeaderSum(v6.subarray(8, 24), ipv6Address('2001:db8::99'), 17, v6.length - udpAt))), 0, 'UDP over IPv6 checksum');
  const sc = sctp({ sport: 1, dport: 2, tag: 3 }).bytes;
  const stored = sc[8] | (sc[9] << 8) | (sc[10] << 16) | (sc[11] << 24);
  sc.fill(0, 8, 12);
  assert.equal(stored >>> 0, crc32c(sc));
});

test('IPv4 fields, options, fragments', () => {
  const d = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 7, tos: 0x28, id: 0xbeef, df: true, options: [0x94, 0x04, 0, 0] }, udp({ sport: 1, dport: 2 })).bytes;
  assert.equal(d[0], 0x46);
  assert.deepEqual([d[1], be16(d, 2), be16(d, 4), be16(d, 6), d[8], d[9]], [0x28, 32, 0xbeef, 0x4000, 7, 17]);
  const whole = udp({ sport: 5000, dport: 53 }, new Uint8Array(3000).map((_, i) => i));
  const frags = ipv4Fragments({ src: '10.0.0.1', dst: '10.0.0.2', id: 9 }, whole, 1480);
  assert.equal(frags.length, 3);
  assert.deepEqual(frags.map((f) => be16(f.bytes, 6)), [0x2000, 0x2000 | 185, 370]);
  const reassembled = Buffer.concat(frags.map((f) => f.bytes.subarray(20)));
  const direct = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', id: 9 }, whole).bytes.subarray(20);
  assert.equal(hex(reassembled), hex(direct));
  const bad = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 253, ihl: 3, version: 5, totalLength: 9, checksum: 0x1234 }, new Uint8Array(0)).bytes;
  assert.deepEqual([bad[0], be16(bad, 2), be16(bad, 10)], [0x53, 9, 0x1234]);
});

test('IPv6 extension chains link their next headers', () => {
  const d = ipv6({ src: '::1', dst: '::2', extensions: [hopByHop(), destinationOptions([1, 0]), routingHeader({ addresses: ['::3'] }), fragmentHeader({ id: 5, offset: 3, more: true })] }, tcp({ sport: 1, dport: 2 })).bytes;
  assert.equal(d[6], 0);
  let at = 40;
  const chain: number[] = [];
  for (let next = d[6]; next !== 6;) {
    chain.push(next);
    const following = d[at];
    at += next === 44 ? 8 : (d[at + 1] + 1) * 8;
    next = following;
  }
  assert.deepEqual(chain, [0, 60, 43, 44]);
  assert.equal(be16(d, 4), d.length - 40);
  assert.equal(be16(d, at - 6), (3 << 3) | 1);
});

test('TCP flags and options', () => {
  assert.equal(tcpFlags('SA'), 0x12);
  assert.equal(tcpFlags('FPU'), 0x29);
  assert.equal(tcpFlags('P.'), 0x18);
  const seg = tcp({ sport: 80, dport: 1234, flags: 'SEW', options: { mss: 1460, windowScale: 2, sackPermitted: true, timestamp: [1, 2] } }).bytes;
  assert.equal(seg[12] >> 4, seg.length / 4);
  assert.equal(seg[13], 0xc2);
  assert.deepEqual(Array.from(seg.subarray(20, 24)), [2, 4, 0x05, 0xb4]);
  assert.throws(() => tcp({ sport: 1, dport: 2, flags: 'SX' }), /unknown flag letter "X"/);
});

test('link layers put their fields where the formats say', () => {
  const payload = ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, udp({ sport: 1, dport: 2 }));
  const eth = ethernet({ src: '02:00:00:00:00:01', dst: 'ff:ff:ff:ff:ff:ff', pad: true }, arp({ op: 1, senderIp: '10.0.0.1', targetIp: '10.0.0.2' }));
  assert.equal(eth.length, 60);
  assert.equal(be16(eth, 12), 0x0806);
  const tagged = ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, qinq({ outer: 300, inner: 7 }, payload));
  assert.deepEqual([be16(tagged, 12), be16(tagged, 14), be16(tagged, 16), be16(tagged, 18), be16(tagged, 20)], [0x88a8, 300, 0x8100, 7, 0x0800]);
  assert.equal(be16(ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, vlan({ vid: 5, pcp: 6, dei: true }, payload)), 14), (6 << 13) | 0x1000 | 5);
  const dot3 = ieee8023({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, llc({ dsap: 0x42 }, new Uint8Array(35)));
  assert.deepEqual([be16(dot3, 12), dot3[14], dot3[15], dot3[16]], [38, 0x42, 0x42, 0x03]);
  assert.equal(hex(snap({ oui: 0x080007, type: 0x809b }, new Uint8Array(0)).bytes), 'aaaa03080007809b');
  const labels = mpls({ labels: [100, 200] }, payload).bytes;
  assert.deepEqual([labels[2] & 1, labels[6] & 1], [0, 1]);
  assert.equal(((labels[0] << 12) | (labels[1] << 4) | (labels[2] >> 4)), 100);
  assert.equal(hex(nullLoopback({}, payload).subarray(0, 4)), '02000000');
  assert.equal(hex(loop({}, ipv6({ src: '::1', dst: '::1' })).subarray(0, 4)), '00000018');
  const cooked = sll({ packetType: 4, address: '02:00:00:00:00:01' }, payload);
  assert.equal(hex(cooked.subarray(0, 16)), '0004' + '0001' + '0006' + '020000000001' + '0000' + '0800');
  const cooked2 = sll2({ packetType: 1, interfaceIndex: 9, address: '02:00:00:00:00:01' }, payload);
  assert.equal(hex(cooked2.subarray(0, 20)), '0800' + '0000' + '00000009' + '0001' + '01' + '06' + '020000000001' + '0000');
  const pf = pflog({ action: 1, reason: 2, ifname: 'em0', ruleNumber: 3, direction: 2 }, payload);
  assert.deepEqual([pf[0], pf[1], pf[2], pf[3], pf[60], be16(pf, 38)], [61, 2, 1, 2, 2, 3]);
  assert.equal(new TextDecoder().decode(pf.subarray(4, 7)), 'em0');
  assert.equal(pf[64] >> 4, 4);
  const ppe = pppoeSession({ session: 0x1234 }, payload).bytes;
  assert.deepEqual([ppe[0], be16(ppe, 2), be16(ppe, 4), be16(ppe, 6)], [0x11, 0x1234, payload.bytes.length + 2, 0x0021]);
});

test('802.11 addresses follow the DS bits; radiotap fields are aligned', () => {
  const A = '02:00:00:00:00:0a'; const B = '02:00:00:00:00:0b'; const S = '02:aa:00:00:00:01';
  const p = ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, udp({ sport: 1, dport: 2 }));
  const addrs = (f: Uint8Array, n: number) => Array.from({ length: n }, (_, i) => hex(f.subarray(4 + 6 * i, 10 + 6 * i)));
  const h = (m: string) => m.replace(/:/g, '');
  assert.deepEqual(addrs(wlanData({ toDS: true, bssid: S, src: A, dst: B }, p), 3), [h(S), h(A), h(B)]);
  assert.deepEqual(addrs(wlanData({ fromDS: true, bssid: S, src: A, dst: B }, p), 3), [h(B), h(S), h(A)]);
  assert.deepEqual(addrs(wlanData({ bssid: S, src: A, dst: B }, p), 3), [h(B), h(A), h(S)]);
  const wds = wlanData({ toDS: true, fromDS: true, bssid: S, src: A, dst: B, qosTid: 6 }, p);
  assert.equal(hex(wds.subarray(24, 30)), h(A));
  assert.equal(wds[30], 6);
  assert.equal(hex(wds.subarray(32, 40)), 'aaaa030000000800');
  assert.equal(wlanControl({ subtype: WLAN_SUBTYPE.ACK, receiver: A }).length, 10);
  assert.equal(wlanControl({ subtype: WLAN_SUBTYPE.RTS, receiver: A, transmitter: B }).length, 16);
  const rt = radiotap({ flags: 0x10, tsft: 1, extraPresentWords: 1 }, new Uint8Array(0));
  // Header 8 + one extra present word = 12; TSFT (8-byte aligned) lands at 16, flags at 24.
  assert.equal(rt[2] | (rt[3] << 8), 25);
  assert.equal(rt[16], 1);
  assert.equal(rt[24], 0x10);
  assert.equal(rt[7] & 0x80, 0x80);
});

test('DNS names are compressed and records encoded', () => {
  const m = dns({ id: 7, response: true, questions: [{ name: 'example.com' }], answers: [{ name: 'example.com', type: 1, data: '1.2.3.4' }, { name: 'www.example.com', type: 5, data: 'example.com' }] });
  assert.equal(be16(m, 6), 2);
  const q = 12 + 13 + 4;
  assert.equal(be16(m, q), 0xc00c);
  assert.throws(() => dns({ id: 1, questions: [{ name: `${'a'.repeat(64)}.com` }] }), /longer than 63/);
});

test('bad values are refused with a CraftError naming the builder and field', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['ttl', () => ipv4({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 300 }, udp({ sport: 1, dport: 2 })), /^ipv4: ttl 300 must be/],
    ['port', () => udp({ sport: -1, dport: 2 }), /^udp: sport -1/],
    ['vid', () => vlan({ vid: 4096 }, new Uint8Array(0)), /^vlan: vid 4096/],
    ['raw payload type', () => ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, new Uint8Array(4)), /^ethernet: type is required/],
    ['raw ip protocol', () => ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, new Uint8Array(4)), /^ipv4: protocol is required/],
    ['options too long', () => ipv4({ src: '10.0.0.1', dst: '10.0.0.2', options: new Uint8Array(44) }, udp({ sport: 1, dport: 2 })), /exceed the 40 bytes/],
    ['ipv6 on IPV4', () => encapsulate('IPV4', ipv6({ src: '::1', dst: '::1' })), /cannot be carried on IPV4/],
    ['unknown link', () => encapsulate(147, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, icmp({ type: 8 }))), /linkType 147 is not one/],
    ['decnet', () => decnetAddress('64.1'), /area.node/],
    ['control frame address', () => wlanControl({ subtype: WLAN_SUBTYPE.RTS, receiver: '02:00:00:00:00:01' }), /addr2/],
  ];
  for (const [name, fn, pattern] of cases) assert.throws(fn, (e: unknown) => e instanceof CraftError && pattern.test(e.message), name);
});
