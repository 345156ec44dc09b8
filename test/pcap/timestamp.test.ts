import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinUnits, resolutionFromByte, splitUnits } from '../../src/pcap/timestamp.js';
import { prng } from './helpers.js';

const RESOLUTIONS = [0, 3, 6, 9, 10, 12, 19, 0x80, 0x8a, 0x94, 0x9e, 0xa0, 0xbf];

function bigSplit(high: number, low: number, raw: number): [bigint, bigint] {
  const n = BigInt(raw & 0x7f);
  const units = raw & 0x80 ? 2n ** n : 10n ** n;
  const v = (BigInt(high) << 32n) | BigInt(low);
  return [v / units, ((v % units) * 1000000000n) / units];
}

test('splitUnits agrees with exact BigInt arithmetic for every resolution and all 64-bit counts', () => {
  const rand = prng(42);
  const out = { sec: 0, nsec: 0 };
  for (const raw of RESOLUTIONS) {
    const res = resolutionFromByte(raw);
    for (let i = 0; i < 2000; i++) {
      const high = i < 5 ? [0, 1, 0x1fffff, 0x200000, 0xffffffff][i] : Math.floor(rand() * 2 ** 32) >>> (Math.floor(rand() * 32));
      const low = Math.floor(rand() * 2 ** 32);
      const exact = splitUnits(high, low, res, out);
      const [sec, nsec] = bigSplit(high, low, raw);
      assert.equal(exact, sec <= BigInt(Number.MAX_SAFE_INTEGER), `resolution ${raw}, ${high}:${low}`);
      if (exact) assert.deepEqual([BigInt(out.sec), BigInt(out.nsec)], [sec, nsec], `resolution ${raw}, ${high}:${low}`);
    }
  }
});

test('joinUnits is the inverse of splitUnits down to the resolution', () => {
  const rand = prng(7);
  const out = { sec: 0, nsec: 0 };
  for (const raw of [6, 9, 0x94, 3]) {
    const res = resolutionFromByte(raw);
    for (let i = 0; i < 1000; i++) {
      const sec = Math.floor(rand() * 4e9);
      const nsec = Math.floor(rand() * 1e9);
      const [high, low] = joinUnits(sec, nsec, res);
      assert.ok(splitUnits(high, low, res, out));
      assert.equal(out.sec, sec);
      const step = 1e9 / res.unitsPerSecond;
      assert.ok(out.nsec <= nsec && nsec - out.nsec < step, `${raw}: ${nsec} → ${out.nsec}`);
    }
  }
  const v = 1700000000123456789n;
  assert.deepEqual(joinUnits(1700000000, 123456789, resolutionFromByte(9)), [Number(v >> 32n), Number(v & 0xffffffffn)]);
});
