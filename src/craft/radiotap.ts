/**
 * Radiotap headers (DLT_IEEE802_11_RADIO): version, length, present bitmaps
 * (extended with bit 31) and naturally aligned fields, before an 802.11 frame.
 */
import { concat, put16le, put32le } from './bytes.js';
import { checkUint } from './errors.js';

/** Radiotap fields this builder writes; each sets its present bit. */
export interface RadiotapFields {
  /** TSFT, microseconds (bit 0, u64). */
  tsft?: bigint | number;
  /** Flags (bit 1): 0x10 = frame includes FCS, 0x02 = short preamble, ... */
  flags?: number;
  /** Rate in 500 kb/s units (bit 2). */
  rate?: number;
  /** Channel frequency (MHz) and flags (bit 3). */
  channel?: { frequency: number; flags?: number };
  /** Antenna signal, dBm (bit 5, s8). */
  antennaSignal?: number;
  /** Antenna noise, dBm (bit 6, s8). */
  antennaNoise?: number;
  /** Antenna index (bit 11). */
  antenna?: number;
  /** RX flags (bit 14). */
  rxFlags?: number;
  /** Extra all-zero present words after the first, chained with bit 31 (exercises variable header parsing). */
  extraPresentWords?: number;
}

/**
 * A radiotap header followed by `frame` (an 802.11 frame from wlanFrame/wlanData/...).
 *
 * @example
 * radiotap({ flags: 0, rate: 12, channel: { frequency: 2437, flags: 0x00a0 }, antennaSignal: -42 }, wlanData({ ... }, ipv4(...)))
 */
export function radiotap(fields: RadiotapFields, frame: Uint8Array): Uint8Array {
  const extra = checkUint('radiotap', 'extraPresentWords', fields.extraPresentWords ?? 0, 8);
  const body: number[] = [];
  let present = 0;
  const headerLength = 8 + 4 * extra;
  // Fields are aligned to their natural size counted from the start of the radiotap header.
  const align = (n: number): void => { while ((headerLength + body.length) % n) body.push(0); };
  const le = (value: number, size: number): void => { for (let i = 0; i < size; i++) body.push((value >>> (8 * i)) & 0xff); };
  if (fields.tsft !== undefined) {
    present |= 1 << 0;
    align(8);
    const v = BigInt(fields.tsft);
    for (let i = 0n; i < 8n; i++) body.push(Number((v >> (8n * i)) & 0xffn));
  }
  if (fields.flags !== undefined) { present |= 1 << 1; body.push(checkUint('radiotap', 'flags', fields.flags, 0xff)); }
  if (fields.rate !== undefined) { present |= 1 << 2; body.push(checkUint('radiotap', 'rate', fields.rate, 0xff)); }
  if (fields.channel !== undefined) {
    present |= 1 << 3;
    align(2);
    le(checkUint('radiotap', 'channel frequency', fields.channel.frequency, 0xffff), 2);
    le(checkUint('radiotap', 'channel flags', fields.channel.flags ?? 0, 0xffff), 2);
  }
  if (fields.antennaSignal !== undefined) { present |= 1 << 5; body.push(fields.antennaSignal & 0xff); }
  if (fields.antennaNoise !== undefined) { present |= 1 << 6; body.push(fields.antennaNoise & 0xff); }
  if (fields.antenna !== undefined) { present |= 1 << 11; body.push(checkUint('radiotap', 'antenna', fields.antenna, 0xff)); }
  if (fields.rxFlags !== undefined) { present |= 1 << 14; align(2); le(checkUint('radiotap', 'rxFlags', fields.rxFlags, 0xffff), 2); }
  const head = new Uint8Array(headerLength);
  put16le(head, 2, headerLength + body.length);
  put32le(head, 4, (present | (extra ? 0x80000000 : 0)) >>> 0);
  for (let i = 0; i < extra; i++) put32le(head, 8 + 4 * i, i + 1 < extra ? 0x80000000 : 0);
  return concat(head, Uint8Array.from(body), frame);
}
