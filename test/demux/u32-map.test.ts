import { test } from 'node:test';
import assert from 'node:assert/strict';
import { U32Map } from '../../src/demux/u32-map.js';
import { Rng } from '../bpf/random-program.js';

test('U32Map behaves as a Map over random sets, gets and deletes (colliding keys included)', () => {
  const rng = new Rng(99);
  const mine = new U32Map<number>();
  const ref = new Map<number, number>();
  // Keys from a small range collide in the table; large ones (> 2^31) are what a Map would box.
  const key = () => (rng.chance(0.5) ? rng.int(64) : rng.chance(0.5) ? (0xc0a80000 + rng.int(300)) >>> 0 : rng.next32());
  for (let step = 0; step < 50_000; step++) {
    const k = key();
    const r = rng.int(10);
    if (r < 5) { mine.set(k, step); ref.set(k, step); }
    else if (r < 8) assert.equal(mine.delete(k), ref.delete(k));
    else assert.equal(mine.get(k), ref.get(k));
    if (step % 5000 === 0) {
      assert.equal(mine.size, ref.size);
      for (const [k2, v] of ref) assert.equal(mine.get(k2), v);
      assert.deepEqual([...mine.values()].sort((a, b) => a - b), [...ref.values()].sort((a, b) => a - b));
    }
  }
});

test('the look-up U32Map writes out for generated code finds what get finds', () => {
  const rng = new Rng(7);
  const map = new U32Map<number>();
  const inserted: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const k = rng.chance(0.2) ? rng.int(50) : rng.next32();
    inserted.push(k);
    map.set(k, i);
  }
  for (let i = 0; i < 500; i++) map.delete(inserted[rng.int(inserted.length)]);
  const lookup = new Function('m', 'key', `let b; ${U32Map.lookupSource('m', 'key', 'b')} return b;`) as (m: U32Map<number>, key: number) => number | undefined;
  let found = 0;
  for (let i = 0; i < 20_000; i++) {
    const k = rng.chance(0.5) ? inserted[rng.int(inserted.length)] : rng.chance(0.3) ? rng.int(50) : rng.chance(0.01) ? -1 : rng.next32();
    assert.equal(lookup(map, k), map.get(k), `key ${k}`);
    if (map.get(k) !== undefined) found++;
  }
  assert.ok(found > 1000, `only ${found} keys found: the test would prove little`);
});
