/**
 * Decoders never crash: malformed and truncated packets of every link type
 * the generator builds, and random bytes, all print a line (marking what is
 * missing) without throwing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpus } from '../../src/craft/index.js';
import { CRAFT_LINK_TYPES } from '../../src/craft/encapsulate.js';
import { PacketPrinter, describePacket, DEFAULT_DECODE_OPTIONS, newSession } from '../../src/decode/index.js';

const LONG = process.env.BPFKIT_LONG !== undefined;

test('malformed and truncated packets of every link type print without throwing', () => {
  let printed = 0, marked = 0;
  for (const dlt of Object.values(CRAFT_LINK_TYPES)) {
    for (const verbose of [0, 2]) {
      const printer = new PacketPrinter({ verbose, linkHeader: verbose > 0, hexAscii: verbose > 0 ? 2 : 0, timestamps: 2 });
      for (const p of corpus({ linkType: dlt, count: LONG ? 20000 : 1500, seed: 3, malformed: 0.5 })) {
        const text = printer.format({ data: p.data, caplen: p.data.length, len: p.wireLength, timestamp: { sec: 1, nsec: 0 }, linkType: dlt, interface: 0 });
        assert.equal(typeof text, 'string');
        printed++;
        if (text.includes(' [|')) marked++;
      }
    }
  }
  assert.ok(printed > 10000 && marked > 100, `${printed} printed, ${marked} marked truncated`);
});

test('random bytes as any decoded link type print without throwing', () => {
  let seed = 12345;
  const next = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed >>> 16; };
  const session = newSession();
  for (let i = 0; i < (LONG ? 200000 : 20000); i++) {
    const data = new Uint8Array(next() % 120);
    for (let j = 0; j < data.length; j++) data[j] = next() & 0xff;
    // Aim some at the interesting paths: Ethernet types and IP versions that decode further.
    if (data.length > 14 && i % 3 === 0) { data[12] = [0x08, 0x86, 0x81][i % 9 / 3 | 0]; data[13] = [0x00, 0xdd, 0x00][i % 9 / 3 | 0]; data[14] = 0x45; }
    for (const dlt of [1, 12, 113, 276, 0, 108, 228, 229]) {
      for (const opts of [DEFAULT_DECODE_OPTIONS, { ...DEFAULT_DECODE_OPTIONS, verbose: 3, linkHeader: true }]) {
        const text = describePacket({ data, caplen: data.length, len: data.length + (i % 7), timestamp: { sec: 0, nsec: 0 }, linkType: dlt, interface: 0 }, opts, session);
        assert.equal(typeof text, 'string');
      }
    }
  }
});
