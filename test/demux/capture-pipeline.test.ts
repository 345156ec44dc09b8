import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilterSet } from '../../src/demux/index.js';
import { readCapture, writeCapture, type PacketRecord } from '../../src/pcap/index.js';
import { corpus } from '../../src/craft/index.js';
import { Rng } from '../bpf/random-program.js';
import { poolExpressions } from './expressions.js';

/**
 * The capture pipeline: packets read from a file go through one FilterSet to
 * the handlers of the filters that accept them. Each handler must see exactly
 * the packets that the file reader, given that filter alone, keeps (libpcap's
 * bpf_filter() semantics, as tcpdump reads files).
 */
test('a FilterSet dispatches a capture file to the handlers its filters pick, as the reader filters it one filter at a time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-demux-'));
  try {
    const path = join(dir, 'corpus.pcap');
    const packets = corpus({ linkType: 'EN10MB', count: 1200, seed: 31, malformed: 0.1, describe: false });
    const records: PacketRecord[] = packets.map((p, i) => ({
      data: p.data, caplen: p.data.length, len: p.wireLength,
      timestamp: { sec: 1_700_000_000 + i, nsec: 0 }, linkType: 1, interface: 0,
    }));
    await writeCapture(path, records, { linkType: 1 });

    const expressions = poolExpressions(new Rng(4242), 60);
    const seen = new Map<string, number[]>(expressions.map((e) => [e, []]));
    const set = new FilterSet<string>({ semantics: 'bsd' });
    for (const e of expressions) set.add(e, e, (_packet, _len, id) => current.push(id));
    let current: string[] = [];
    let index = 0;
    for await (const rec of readCapture(path)) {
      current = [];
      const n = set.dispatch(rec.data, rec.len);
      assert.equal(n, current.length);
      for (const id of current) seen.get(id)!.push(index);
      index++;
    }
    assert.equal(index, packets.length);

    let hits = 0;
    for (const e of expressions) {
      const want: number[] = [];
      for await (const rec of readCapture(path, { filter: e })) want.push(rec.timestamp.sec - 1_700_000_000);
      assert.deepEqual(seen.get(e), want, `filter ${e}`);
      hits += want.length;
    }
    assert.ok(hits > 500, `only ${hits} matches: the test would prove little`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
