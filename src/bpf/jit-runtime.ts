/**
 * The rare paths of Linux semantics that generated filter functions call out
 * to instead of inlining: ancillary loads (SKF_AD_*) and loads at negative
 * offsets (SKF_NET_OFF, SKF_LL_OFF). Keeping them out of line keeps the hot
 * code small; ancillary values come from context.ts, exactly as the
 * interpreter reads them.
 */
import { ancillaryLoad, negativeOffsetPosition, type AncillaryContext } from './context.js';

/**
 * Loads `size` bytes (1, 2 or 4) big-endian at a negative Linux offset
 * (`offset` is a signed 32-bit number below 0), relative to the network
 * header (SKF_NET_OFF, at `context.networkOffset`) or the link header
 * (SKF_LL_OFF, the packet's first byte). The packet is `caplen` bytes of
 * `data` from `base`. Returns the unsigned value, or -1 when the load fails
 * (the Program then returns 0).
 *
 * @example
 * loadNegative(frame, 0, frame.length, SKF_NET_OFF + 9, 1, { networkOffset: 14 }) // IPv4 protocol byte
 */
export function loadNegative(data: Uint8Array, base: number, caplen: number, offset: number, size: number, context: AncillaryContext | undefined): number {
  const at = negativeOffsetPosition(offset, context);
  if (at < 0 || at + size > caplen) return -1;
  const p = base + at;
  if (size === 1) return data[p];
  if (size === 2) return (data[p] << 8) | data[p + 1];
  return ((data[p] << 24) | (data[p + 1] << 16) | (data[p + 2] << 8) | data[p + 3]) >>> 0;
}

/**
 * An ancillary load for a packet that is `caplen` bytes of `data` from `base`
 * (the netlink-attribute fields read the packet itself).
 *
 * @example
 * loadAncillary(SKF_AD_PROTOCOL, frame, 0, frame.length, 0, 0, { protocol: 0x0800 }) // 2048
 */
export function loadAncillary(field: number, data: Uint8Array, base: number, caplen: number, a: number, x: number, context: AncillaryContext | undefined): number {
  const packet = base === 0 && caplen === data.length ? data : data.subarray(base, base + caplen);
  return ancillaryLoad(field, packet, a >>> 0, x >>> 0, context);
}
