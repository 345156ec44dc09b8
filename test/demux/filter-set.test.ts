import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FilterSet, FilterSetError } from '../../src/demux/index.js';
import { interpret } from '../../src/bpf/interpreter.js';
import { program, type Program } from '../../src/bpf/program.js';
import { corpus, POOLS } from '../../src/craft/index.js';
import { Oracle } from '../oracle/oracle.js';
import { Rng, randomProgram, randomPacket } from '../bpf/random-program.js';
import { poolExpressions } from './expressions.js';
import { compile } from '../../src/filter/index.js';
import { SPLIT_AT } from '../../src/demux/bucket.js';

const LONG = Boolean(process.env.BPFKIT_LONG);

/** The ids whose Program accepts the packet when run alone: what a FilterSet must return. */
function expected(filters: Map<number, Program>, data: Uint8Array, wireLength: number, semantics: 'linux' | 'bsd'): number[] {
  const ids: number[] = [];
  for (const [id, prog] of filters) if (interpret(prog, data, wireLength, { semantics }) !== 0) ids.push(id);
  return ids;
}

function sorted(ids: number[]): number[] {
  return [...ids].sort((a, b) => a - b);
}

test('a FilterSet returns exactly the filters that accept each packet (libpcap-compiled filters, corpus packets)', async () => {
  const oracle = await Oracle.start();
  try {
    const rng = new Rng(20261122);
    const pool = poolExpressions(rng, LONG ? 10_000 : 1500);
    const programs = new Map<string, Program>();
    for (const expr of pool) programs.set(expr, await oracle.compile(expr, { linkType: 1 }));
    const packets = corpus({ linkType: 'EN10MB', count: LONG ? 4000 : 1500, seed: 5, malformed: 0.15, describe: false });
    let totalHits = 0;
    for (const size of LONG ? [1, 10, 100, 1000, 10_000] : [1, 10, 100, 1000]) {
      const set = new FilterSet<number>();
      const chosen = new Map<number, Program>();
      for (let id = 0; id < size; id++) {
        const prog = programs.get(pool[rng.int(pool.length)])!;
        chosen.set(id, prog);
        set.add(id, prog);
      }
      let disagreements = 0, hits = 0;
      const sample = size >= 1000 ? packets.slice(0, LONG ? 1000 : 300) : packets;
      for (const p of sample) {
        const want = expected(chosen, p.data, p.wireLength, 'linux');
        const got = sorted(set.match(p.data, p.wireLength));
        hits += want.length;
        if (want.join() !== got.join()) disagreements++;
        assert.equal(set.count(p.data, p.wireLength), want.length);
      }
      assert.equal(disagreements, 0, `set of ${size}: ${disagreements} packets disagree`);
      totalHits += hits;
    }
    assert.ok(totalHits > 1000, `only ${totalHits} matches: the test would prove little`);
  } finally {
    oracle.close();
  }
});

test('random valid Programs in a FilterSet agree with the interpreter, in both semantics', () => {
  const rng = new Rng(77);
  for (const semantics of ['linux', 'bsd'] as const) {
    for (let round = 0; round < (LONG ? 200 : 30); round++) {
      const set = new FilterSet<number>({ semantics });
      const chosen = new Map<number, Program>();
      for (let id = 0; id < 20; id++) {
        const prog = randomProgram(rng);
        chosen.set(id, prog);
        set.add(id, prog);
      }
      for (let i = 0; i < 60; i++) {
        const { data, wireLength } = randomPacket(rng);
        assert.deepEqual(sorted(set.match(data, wireLength)), expected(chosen, data, wireLength, semantics),
          `round ${round}, packet ${Buffer.from(data).toString('hex')}`);
      }
    }
  }
});

test('filters come and go: removal, replacement and first-match order', async () => {
  const oracle = await Oracle.start();
  try {
    const set = new FilterSet<string>();
    const tcp80 = await oracle.compile('tcp port 80');
    const host = await oracle.compile('host 10.0.0.1');
    const ip = await oracle.compile('ip');
    set.add('web', tcp80).add('host', host).add('ip', ip);
    const frame = corpus({ linkType: 'EN10MB', count: 400, seed: 9, describe: false })
      .find((p) => interpret(tcp80, p.data) !== 0 && interpret(host, p.data) !== 0);
    assert.ok(frame, 'corpus has a port-80 packet of 10.0.0.1');
    assert.deepEqual(set.match(frame.data).sort(), ['host', 'ip', 'web']);
    assert.equal(set.matchFirst(frame.data), 'web');
    assert.equal(set.remove('web'), true);
    assert.equal(set.remove('web'), false);
    assert.equal(set.matchFirst(frame.data), 'host');
    set.add('host', program([{ code: 0x06, jt: 0, jf: 0, k: 0 }])); // replaced by reject-all
    assert.deepEqual(set.match(frame.data), ['ip']);
    assert.deepEqual(set.ids(), ['ip', 'host']);
    const seen: string[] = [];
    set.add('all', program([{ code: 0x06, jt: 0, jf: 0, k: 1 }]), (_p, _len, id) => seen.push(id));
    assert.equal(set.dispatch(frame.data), 2);
    assert.deepEqual(seen, ['all']);
  } finally {
    oracle.close();
  }
});

test('Programs that cannot be split into paths still match correctly (run whole)', () => {
  const set = new FilterSet<string>();
  // ld #proto (ancillary) ; jeq #0x800 ; ret #1 ; ret #0
  set.add('anc', program([{ code: 0x20, jt: 0, jf: 0, k: 0xfffff000 }, { code: 0x15, jt: 0, jf: 1, k: 0 }, { code: 0x06, jt: 0, jf: 0, k: 1 }, { code: 0x06, jt: 0, jf: 0, k: 0 }]));
  assert.deepEqual(set.stats().wholeFilters, { 'ancillary-or-negative-offset': 1 });
  assert.deepEqual(set.match(new Uint8Array(20)), ['anc']); // skb->protocol is 0 without a context
  const bsd = new FilterSet<string>({ semantics: 'bsd' });
  // A backward jump is legal for libpcap (ip6 protochain uses one):
  // 0 ja 3; 1 ret #0; 2 ret #1; 3 ldb [0]; 4 jeq #7 ? 5 : 6; 5 ja 2; 6 ja 1; 7 ret #0
  bsd.add('loop', program([
    { code: 0x05, jt: 0, jf: 0, k: 2 }, { code: 0x06, jt: 0, jf: 0, k: 0 }, { code: 0x06, jt: 0, jf: 0, k: 1 },
    { code: 0x30, jt: 0, jf: 0, k: 0 }, { code: 0x15, jt: 0, jf: 1, k: 7 }, { code: 0x05, jt: 0, jf: 0, k: 0xfffffffc },
    { code: 0x05, jt: 0, jf: 0, k: 0xfffffffa }, { code: 0x06, jt: 0, jf: 0, k: 0 },
  ]));
  assert.deepEqual(bsd.stats().wholeFilters, { 'backward-jump': 1 });
  assert.deepEqual(bsd.match(Uint8Array.of(7)), ['loop']);
  assert.deepEqual(bsd.match(Uint8Array.of(8)), []);
});

test('bad filters are refused with the id and the reason', () => {
  const set = new FilterSet<string>();
  assert.throws(() => set.add('bad', program([{ code: 0x05, jt: 0, jf: 0, k: 9 }])), (e: unknown) =>
    e instanceof FilterSetError && /filter "bad"/.test(e.message) && /instruction 0/.test(e.message));
  assert.throws(() => set.add('syntax', 'tcp port 80 an udp'), FilterSetError);
  assert.equal(set.size, 0);
});

test('many host filters share two look-ups per packet, under their EtherType', async () => {
  const oracle = await Oracle.start();
  try {
    const set = new FilterSet<number>();
    for (let i = 0; i < 500; i++) set.add(i, await oracle.compile(`host 10.9.${i >> 8}.${i & 255}`));
    const stats = set.stats();
    assert.equal(stats.unindexedPaths, 0);
    // Every table sits under one EtherType (IPv4, ARP, RARP), so a packet probes at most two of them.
    const perEtherType = new Map<string, number>();
    for (const t of stats.tables) {
      const etherType = t.guard.find((g) => /^eq h\[12\] #\d+$/.test(g));
      assert.ok(etherType, `${t.key} is guarded by its EtherType: ${t.guard.join(' & ')}`);
      perEtherType.set(etherType, (perEtherType.get(etherType) ?? 0) + 1);
    }
    assert.equal(perEtherType.size, 3);
    for (const [etherType, n] of perEtherType) assert.ok(n <= 2, `${etherType}: ${n} tables`);
    for (const t of stats.tables) assert.ok(t.largestBucket <= 2, `${t.key}: bucket of ${t.largestBucket}`);
    assert.ok(POOLS.ipv4Hosts.length > 0);
  } finally {
    oracle.close();
  }
});

test('flows between the same few hosts and ports are split into small buckets, and still match exactly', () => {
  const hosts = POOLS.ipv4Hosts, clients = POOLS.clientPorts, servers = POOLS.tcpPorts;
  const set = new FilterSet<number>();
  const chosen = new Map<number, Program>();
  let id = 0;
  for (const client of clients) for (const a of hosts) for (const b of hosts) {
    const expr = `tcp and src host ${a} and dst host ${b} and src port ${client} and dst port ${servers[id % servers.length]}`;
    set.add(id, expr);
    chosen.set(id++, compile(expr));
  }
  const stats = set.stats();
  for (const t of stats.tables) assert.ok(t.largestBucket <= 2 * SPLIT_AT, `${t.key}: a packet could check ${t.largestBucket} paths`);
  let hits = 0;
  for (const p of corpus({ linkType: 'EN10MB', count: LONG ? 20_000 : 3000, seed: 3, describe: false })) {
    const want = expected(chosen, p.data, p.wireLength, 'linux');
    hits += want.length;
    assert.deepEqual(sorted(set.match(p.data, p.wireLength)), want);
  }
  assert.ok(hits > 0, 'some flows occur in the corpus');
  // Take out every other flow (from split and unsplit buckets alike) and check again.
  for (let i = 0; i < id; i += 2) { set.remove(i); chosen.delete(i); }
  assert.equal(set.size, chosen.size);
  for (const p of corpus({ linkType: 'EN10MB', count: 1000, seed: 4, describe: false })) {
    assert.deepEqual(sorted(set.match(p.data, p.wireLength)), expected(chosen, p.data, p.wireLength, 'linux'));
  }
  for (let i = 1; i < id; i += 2) set.remove(i);
  assert.equal(set.size, 0);
  assert.equal(set.stats().tables.length, 0, 'empty tables are dropped');
});

test('filters keyed on a tuple of values stay apart when their tuples hash alike', () => {
  // ld [26]; jeq #a, 0, 3; ld [30]; jeq #b, 0, 1; ret #1; ret #0 — one path keyed on (w[26], w[30]).
  const pair = (a: number, b: number): Program => program([
    { code: 0x20, jt: 0, jf: 0, k: 26 }, { code: 0x15, jt: 0, jf: 3, k: a },
    { code: 0x20, jt: 0, jf: 0, k: 30 }, { code: 0x15, jt: 0, jf: 1, k: b },
    { code: 0x06, jt: 0, jf: 0, k: 1 }, { code: 0x06, jt: 0, jf: 0, k: 0 },
  ]);
  // Tuples (a, b) and (a2, b2) with the same hash: the first mixing step is a bijection, so b2 can be solved for.
  const C = 0x9e3779b1;
  const a = 0x0a000001, b = 0x0a000002, a2 = 0xc0a80001;
  const b2 = (Math.imul(a, C) ^ Math.imul(a2, C) ^ b) >>> 0;
  const frame = (x: number, y: number) => {
    const p = new Uint8Array(40);
    new DataView(p.buffer).setUint32(26, x);
    new DataView(p.buffer).setUint32(30, y);
    return p;
  };
  const set = new FilterSet<string>();
  set.add('one', pair(a, b)).add('two', pair(a2, b2)).add('three', pair(a, b2));
  const stats = set.stats();
  assert.equal(stats.tables.length, 1);
  assert.equal(stats.tables[0].key, 'w[26], w[30]');
  assert.equal(stats.tables[0].buckets, 2, 'the two colliding tuples share a hash');
  assert.deepEqual(set.match(frame(a, b)), ['one']);
  assert.deepEqual(set.match(frame(a2, b2)), ['two']);
  assert.deepEqual(set.match(frame(a, b2)), ['three']);
  assert.deepEqual(set.match(frame(a2, b)), []);
  set.remove('one');
  assert.deepEqual(set.match(frame(a, b)), []);
  assert.deepEqual(set.match(frame(a2, b2)), ['two']);
  set.remove('two');
  assert.deepEqual(set.match(frame(a2, b2)), []);
  assert.deepEqual(set.match(frame(a, b2)), ['three']);
  set.add('one', pair(a, b));
  assert.deepEqual(set.match(frame(a, b)), ['one']);
  assert.equal(set.stats().tables[0].paths, 2);
});

test('a set that churns (adds, removes, replacements, numbers reused) matches as its filters run alone', () => {
  // Filters answered from the tag beside their key (a bucket of one path with nothing left to check)
  // must lose that tag the moment their bucket gains a second path, a split, a check, or loses them;
  // filters on the same key and class with different guards (`port 80` beside `tcp port 80`) change
  // a table's guard and so the checks of the paths already in it.
  const rng = new Rng(5150);
  const packets = corpus({ linkType: 'EN10MB', count: 600, seed: 17, malformed: 0.1, describe: false });
  const texts = [...poolExpressions(rng, 300), 'port 80', 'tcp port 80', 'tcp dst port 80', 'host 10.0.0.1', 'src host 10.0.0.1', 'ip host 10.0.0.1'];
  const compiled = new Map<string, Program>();
  const programOf = (text: string) => compiled.get(text) ?? compiled.set(text, compile(text, { linkType: 'EN10MB' })).get(text)!;
  for (const semantics of ['linux', 'bsd'] as const) {
    const set = new FilterSet<number>({ semantics });
    const chosen = new Map<number, Program>();
    let hits = 0;
    for (let step = 0; step < (LONG ? 3000 : 600); step++) {
      const id = rng.int(60);
      if (rng.chance(0.35) && chosen.has(id)) {
        assert.equal(set.remove(id), true);
        chosen.delete(id);
      } else {
        const prog = programOf(rng.pick(texts));
        set.add(id, prog);
        chosen.set(id, prog);
      }
      if (step % 20 !== 19) continue;
      for (let i = 0; i < 40; i++) {
        const p = packets[rng.int(packets.length)];
        const want = sorted(expected(chosen, p.data, p.wireLength, semantics));
        hits += want.length;
        assert.deepEqual(sorted(set.match(p.data, p.wireLength)), want, `${semantics}, step ${step}`);
      }
    }
    assert.ok(hits > 500, `only ${hits} matches: the test would prove little`);
  }
});

test('a table that outgrows 16-bit keys after its dispatcher was written still finds every key', () => {
  // A table keyed on one value starts narrow (key and tag in one 32-bit slot) and the dispatcher is
  // written for that. A word compared with small constants stays narrow until a constant needs more
  // than 16 bits: the table turns wide, and the dispatcher must be rewritten, or the wide keys read
  // as empty slots and end probe runs early.
  const wordIs = (k: number) => program([
    { code: 0x20, jt: 0, jf: 0, k: 12 }, { code: 0x15, jt: 0, jf: 1, k }, { code: 0x06, jt: 0, jf: 0, k: 1 }, { code: 0x06, jt: 0, jf: 0, k: 0 },
  ]);
  const set = new FilterSet<number>();
  const frame = (v: number) => { const p = new Uint8Array(60); new DataView(p.buffer).setUint32(12, v); return p; };
  for (let v = 1; v <= 3000; v++) set.add(v, wordIs(v));
  assert.deepEqual(set.match(frame(1234)), [1234]);
  for (let j = 0; j < 300; j++) set.add(100_000 + j, wordIs(0x10000 + j * 7));
  for (let v = 1; v <= 3000; v++) assert.deepEqual(set.match(frame(v)), [v], `word ${v}`);
  for (let j = 0; j < 300; j++) assert.deepEqual(set.match(frame(0x10000 + j * 7)), [100_000 + j]);
  assert.deepEqual(set.match(frame(3001)), []);
});
