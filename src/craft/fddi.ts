/**
 * FDDI frames (DLT_FDDI): frame control, destination, source, then 802.2 LLC.
 */
import { concat } from './bytes.js';
import { macBytes, type Address } from './address.js';
import { checkUint } from './errors.js';
import { llcEncapsulate } from './ethernet.js';
import type { Payload } from './layers.js';

/**
 * An FDDI frame (frame control 0x50, asynchronous LLC, by default); IP and other EtherType payloads go behind SNAP.
 *
 * @example
 * fddi({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 1, dport: 80 })))
 */
export function fddi(options: { dst: Address; src: Address; frameControl?: number }, payload: Payload): Uint8Array {
  const head = new Uint8Array(13);
  head[0] = checkUint('fddi', 'frameControl', options.frameControl ?? 0x50, 0xff);
  head.set(macBytes(options.dst, 'dst'), 1);
  head.set(macBytes(options.src, 'src'), 7);
  return concat(head, llcEncapsulate(payload, 'fddi'));
}
