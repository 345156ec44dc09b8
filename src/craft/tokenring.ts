/**
 * IEEE 802.5 Token Ring frames (DLT_IEEE802): access control, frame control,
 * destination, source, optional source-routing information, then 802.2 LLC.
 */
import { concat, toBytes, type ByteSource } from './bytes.js';
import { macBytes, type Address } from './address.js';
import { CraftError, checkUint } from './errors.js';
import { llcEncapsulate } from './ethernet.js';
import type { Payload } from './layers.js';

/**
 * A Token Ring frame. With `routing` (the RIF bytes), the source address's
 * routing-information bit is set and the RIF follows the addresses.
 *
 * @example
 * tokenRing({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, udp({ sport: 1, dport: 53 })))
 */
export function tokenRing(options: { dst: Address; src: Address; accessControl?: number; frameControl?: number; routing?: ByteSource }, payload: Payload): Uint8Array {
  const head = new Uint8Array(14);
  head[0] = checkUint('tokenRing', 'accessControl', options.accessControl ?? 0x10, 0xff);
  head[1] = checkUint('tokenRing', 'frameControl', options.frameControl ?? 0x40, 0xff);
  head.set(macBytes(options.dst, 'dst'), 2);
  head.set(macBytes(options.src, 'src'), 8);
  const rif = options.routing ? toBytes(options.routing) : undefined;
  if (rif) {
    if (rif.length < 2 || rif.length > 30 || rif.length % 2) throw new CraftError('tokenRing', 'routing', rif, 'must be 2..30 bytes, even');
    head[8] |= 0x80;
  }
  return concat(head, rif ?? new Uint8Array(0), llcEncapsulate(payload, 'tokenRing'));
}
