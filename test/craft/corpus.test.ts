import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpus, corpusBatch, CraftError, CRAFT_LINK_TYPES, linkName } from '../../src/craft/index.js';
import { Oracle } from '../oracle/oracle.js';
import { filtersFor } from './filter-hits.js';

const LINK_TYPES = Object.values(CRAFT_LINK_TYPES);
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

test('a corpus is the same for the same seed and differs for another seed or link type', () => {
  for (const linkType of LINK_TYPES) {
    const a = corpus({ linkType, count: 300, seed: 11, malformed: true });
    const b = corpus({ linkType, count: 300, seed: 11, malformed: true });
    assert.equal(a.length, 300);
    a.forEach((p, i) => {
      assert.ok(sameBytes(p.data, b[i].data), `${linkName(linkType)} packet ${i} differs between runs`);
      assert.equal(p.wireLength, b[i].wireLength);
      assert.equal(p.description, b[i].description);
    });
    const c = corpus({ linkType, count: 300, seed: 12, malformed: true });
    assert.ok(a.some((p, i) => !sameBytes(p.data, c[i].data)), `${linkName(linkType)}: seeds 11 and 12 gave the same corpus`);
  }
  const en = corpus({ linkType: 'EN10MB', count: 50, seed: 1 });
  const sll = corpus({ linkType: 'LINUX_SLL', count: 50, seed: 1 });
  assert.ok(en.some((p, i) => !sameBytes(p.data, sll[i].data)));
});

test('every corpus packet is well described and sized; malformed ones appear only when asked', () => {
  for (const linkType of LINK_TYPES) {
    const clean = corpus({ linkType, count: 400, seed: 2 });
    for (const p of clean) {
      assert.equal(p.linkType, linkType);
      assert.equal(p.data.length, p.wireLength, `${p.description}: a clean packet was truncated`);
      assert.ok(p.description && p.description.startsWith(linkName(linkType)), p.description);
      assert.ok(p.data.length > 0);
    }
    const mixed = corpus({ linkType, count: 400, seed: 2, malformed: 0.5 });
    const broken = mixed.filter((p) => /^(truncated|snaplen|malformed|\d+-byte|802\.11 cut)/.test(p.description ?? ''));
    assert.ok(broken.length > 120 && broken.length < 280, `${linkName(linkType)}: ${broken.length}/400 malformed at 0.5`);
    assert.ok(mixed.some((p) => p.data.length < p.wireLength), `${linkName(linkType)}: no truncated packet`);
    for (const p of mixed) assert.ok(p.data.length <= p.wireLength);
  }
});

test('snaplen caps captured bytes and keeps the wire length', () => {
  for (const p of corpus({ linkType: 1, count: 500, seed: 4, snaplen: 96 })) {
    assert.ok(p.data.length <= 96);
    assert.ok(p.wireLength >= p.data.length);
  }
});

test('bad corpus options are refused with a CraftError naming the option', () => {
  assert.throws(() => corpus({ linkType: 'NOPE', count: 1 }), (e: unknown) => e instanceof CraftError && /linkType/.test(e.message));
  assert.throws(() => corpus({ linkType: 147, count: 1 }), (e: unknown) => e instanceof CraftError && /147/.test(e.message));
  assert.throws(() => corpus({ linkType: 1, count: -1 }), (e: unknown) => e instanceof CraftError && /count/.test(e.message));
  assert.throws(() => corpus({ linkType: 1, count: 1, malformed: 2 }), (e: unknown) => e instanceof CraftError && /malformed/.test(e.message));
  assert.throws(() => corpusBatch({ linkType: 1, count: 1, distinct: 0 }), (e: unknown) => e instanceof CraftError && /distinct/.test(e.message));
});

test('corpusBatch holds exactly corpus() packets up to `distinct`, then repeats them', () => {
  const options = { linkType: 'IEEE802_11_RADIO', count: 700, seed: 9, malformed: 0.2 } as const;
  const list = corpus(options);
  const batch = corpusBatch({ ...options, distinct: 500 });
  assert.equal(batch.count, 700);
  assert.equal(batch.linkType, 127);
  let at = 0;
  for (let i = 0; i < batch.count; i++) {
    assert.equal(batch.offsets[i], at);
    const bytes = batch.data.subarray(at, at + batch.caplens[i]);
    at += batch.caplens[i];
    if (i < 500) {
      assert.ok(sameBytes(bytes, list[i].data), `packet ${i}`);
      assert.equal(batch.wirelens[i], list[i].wireLength);
    } else {
      assert.ok(list.slice(0, 500).some((p) => sameBytes(p.data, bytes)), `packet ${i} is not one of the distinct packets`);
    }
  }
  assert.equal(at, batch.data.length);
});

test('corpusBatch builds a large batch quickly', () => {
  const count = process.env.BPFKIT_LONG ? 1_000_000 : 200_000;
  // CPU time rather than wall time: the machine is shared, and the bound is about this process's work.
  const before = process.cpuUsage();
  const batch = corpusBatch({ linkType: 1, count, seed: 1 });
  const used = process.cpuUsage(before);
  const seconds = (used.user + used.system) / 1e6;
  assert.equal(batch.count, count);
  // On an idle machine 1,000,000 packets take about 2 s, 200,000 about 1.5 s (the 65,536 distinct packets dominate).
  assert.ok(seconds < (process.env.BPFKIT_LONG ? 8 : 5), `${count} packets took ${seconds.toFixed(1)} s of CPU`);
});

// Rare kinds (old LAN protocols, tunnels, less common IP cases) must match at least 0.2% of a corpus; everything else at least 1%.
const RARE = /gre|sctp|neighborsolicit|multicast|rarp|clnp|iih|lsp|snp|l1|l2|decnet|geneve|ipx|atalk|aarp|esis|isis|iso|stp|pppoe|mpls|igmp|4789|udp port 123/;

test('libpcap filters of every kind match a useful share of each link type\'s corpus', async () => {
  const oracle = await Oracle.start();
  try {
    for (const linkType of LINK_TYPES) {
      const packets = corpus({ linkType, count: 2000, seed: 3, describe: false });
      for (const expression of filtersFor(linkType)) {
        const program = await oracle.compile(expression, { linkType });
        const results = await oracle.run(program, packets);
        const share = results.filter((r) => r !== 0).length / packets.length;
        const floor = RARE.test(expression) ? 0.002 : 0.01;
        assert.ok(share >= floor, `${linkName(linkType)} '${expression}' matches ${(share * 100).toFixed(2)}% (< ${floor * 100}%)`);
        const everything = (linkType === 228 && expression === 'ip') || (linkType === 229 && expression === 'ip6');
        if (!everything) assert.ok(share < 1, `${linkName(linkType)} '${expression}' matches every packet`);
      }
    }
  } finally {
    oracle.close();
  }
});

test('malformed corpora contain every kind of damage', () => {
  const kinds: Record<string, string[]> = {
    EN10MB: ['truncated at', 'snaplen', '-byte capture', 'malformed IHL', 'IPv4 version', 'total length', 'TCP data offset', 'fragment bits', 'protocol ', 'IPv6 version', 'payload length', 'next header',
      'ipOptionZero', 'tcpOptionZero', 'longChain', 'brokenChain', 'deepVlan', 'mplsNoBottom', 'type/length'],
    IEEE802_11_RADIO: ['radiotap length'], IEEE802_11: ['802.11 cut'], LINUX_SLL: ['SLL address length'], LINUX_SLL2: ['SLL2 address length'], PFLOG: ['pflog length'],
    NULL: ['AF value'], PPP_ETHER: ['PPPoE length'], C_HDLC: ['malformed protocol'], FDDI: ['LLC SAPs'], RAW: ['IP version nibble'],
  };
  for (const [linkType, expected] of Object.entries(kinds)) {
    const descriptions = corpus({ linkType, count: 3000, seed: 8, malformed: 1 }).map((p) => p.description ?? '');
    for (const kind of expected) assert.ok(descriptions.some((d) => d.includes(kind)), `${linkType}: no '${kind}' packet`);
  }
});
