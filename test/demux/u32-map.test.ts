import { test } from 'node:test';
import assert from 'node:assert/strict';
import { U32Map } from '../../src/demux/u32-map.js';
import { Rng } from '../bpf/random-program.js';

test('U32Map behaves as a Map over random sets, gets and deletes (colliding keys included), narrow or wide', () => {
  for (const narrow of [false, true]) {
    const rng = new Rng(99);
    const mine = new U32Map<number>(8, { narrow });
    const ref = new Map<number, number>();
    // Keys from a small range collide in the table; large ones (> 2^31) are what a Map would box.
    // A narrow map sees only 16-bit keys for its first half, then turns wide at the first larger one.
    const key = (step: number) => (rng.chance(0.5) ? rng.int(64) : narrow && step < 25_000 ? rng.int(0x10000) : rng.chance(0.5) ? (0xc0a80000 + rng.int(300)) >>> 0 : rng.next32());
    for (let step = 0; step < 50_000; step++) {
      const k = key(step);
      const r = rng.int(10);
      if (r < 5) { mine.set(k, step); ref.set(k, step); }
      else if (r < 8) assert.equal(mine.delete(k), ref.delete(k));
      else assert.equal(mine.get(k), ref.get(k));
      if (step % 5000 === 0) {
        assert.equal(mine.size, ref.size);
        for (const [k2, v] of ref) assert.equal(mine.get(k2), v);
        assert.deepEqual([...mine.values()].sort((a, b) => a - b), [...ref.values()].sort((a, b) => a - b));
      }
      if (narrow && step === 24_999) assert.equal(mine.narrow, true, 'still narrow while every key fits 16 bits');
    }
    assert.equal(mine.narrow, false);
  }
});

test('tags stay beside their keys through growth, deletion (entries moving back), setting values again and widening', () => {
  for (const narrow of [false, true]) {
    const rng = new Rng(4242);
    const mine = new U32Map<number>(2, { narrow });
    const tags = new Map<number, number>();
    // A narrow map meets 16-bit keys and tags first (so they share slots through growth and deletion),
    // then wide tags, then wide keys.
    const key = (step: number) => (rng.chance(0.3) ? rng.int(40) : narrow && step < 30_000 ? rng.int(0x10000) : rng.chance(0.5) ? (0x0a000000 + rng.int(2000)) >>> 0 : rng.next32());
    const tagOf = (step: number) => (narrow && step < 20_000 ? rng.int(0x10000) : rng.next32());
    for (let step = 0; step < 40_000; step++) {
      const k = key(step);
      const r = rng.int(10);
      if (r < 4) {
        mine.set(k, step);
        if (!tags.has(k)) tags.set(k, 0);
      } else if (r < 6) {
        const t = tagOf(step);
        assert.equal(mine.setTag(k, t), tags.has(k));
        if (tags.has(k)) tags.set(k, t);
      } else if (r < 8) {
        assert.equal(mine.delete(k), tags.delete(k));
      } else {
        assert.equal(mine.tag(k), tags.get(k) ?? 0);
      }
      if (step % 4000 === 0) for (const [k2, t] of tags) assert.equal(mine.tag(k2), t, `key ${k2}`);
      if (narrow && step === 19_999) assert.equal(mine.narrow, true, 'still narrow while keys and tags fit 16 bits');
    }
    assert.equal(mine.narrow, false);
    assert.ok([...tags.values()].filter((t) => t !== 0).length > 100, 'few tags set: the test would prove little');
  }
});

test('the look-up U32Map writes out for generated code finds what get and tag find, narrow or wide', () => {
  for (const narrow of [false, true]) {
    const rng = new Rng(7);
    const map = new U32Map<number>(8, { narrow });
    const inserted: number[] = [];
    const fresh = () => (rng.chance(0.2) ? rng.int(50) : narrow ? rng.int(0x10000) : rng.next32());
    for (let i = 0; i < 3000; i++) {
      const k = fresh();
      inserted.push(k);
      map.set(k, i);
    }
    for (let i = 0; i < 500; i++) map.delete(inserted[rng.int(inserted.length)]);
    for (const k of inserted) if (map.get(k) !== undefined && rng.chance(0.5)) map.setTag(k, 1 + rng.int(narrow ? 0xfffe : 1000));
    assert.equal(map.narrow, narrow);
    const lookup = new Function('m', 'key', `let s; ${U32Map.findSource('m', 'key', 's', narrow)} return s < 0 ? undefined : m.vals[s];`) as (m: U32Map<number>, key: number) => number | undefined;
    const slotTag = new Function('m', 'key', `let s; ${U32Map.findSource('m', 'key', 's', narrow)} return s < 0 ? 0 : ${U32Map.tagSource('m', 's', narrow)};`) as (m: U32Map<number>, key: number) => number;
    let found = 0;
    for (let i = 0; i < 20_000; i++) {
      // Probes with values a narrow map cannot hold (a wider field, a failed load) must miss.
      const k = rng.chance(0.5) ? inserted[rng.int(inserted.length)] : rng.chance(0.3) ? rng.int(50) : rng.chance(0.01) ? -1 : rng.next32();
      assert.equal(lookup(map, k), map.get(k), `key ${k}`);
      assert.equal(slotTag(map, k), map.tag(k), `tag of key ${k}`);
      if (map.get(k) !== undefined) found++;
    }
    assert.ok(found > 1000, `only ${found} keys found: the test would prove little`);
  }
  // The wide map's value look-up as the bucket walk writes it out.
  const map = new U32Map<number>();
  for (let i = 0; i < 500; i++) map.set((i * 2654435761) >>> 0, i);
  const lookup = new Function('m', 'key', `let b; ${U32Map.lookupSource('m', 'key', 'b')} return b;`) as (m: U32Map<number>, key: number) => number | undefined;
  for (let i = 0; i < 1000; i++) assert.equal(lookup(map, (i * 2654435761) >>> 0), map.get((i * 2654435761) >>> 0));
});
