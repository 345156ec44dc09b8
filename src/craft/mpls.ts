/**
 * MPLS label stacks (RFC 3032).
 */
import { put32 } from './bytes.js';
import { CraftError, checkUint } from './errors.js';
import { ETHERTYPE, payloadBytes, type Datagram, type Payload } from './layers.js';

/** One label stack entry. */
export interface MplsLabel {
  label: number;
  /** Traffic class (EXP), 0..7. */
  tc?: number;
  ttl?: number;
}

/**
 * An MPLS label stack (outermost first; bottom-of-stack is set on the last) over a payload.
 *
 * @example
 * ethernet({ src, dst }, mpls({ labels: [100, { label: 200, ttl: 5 }] }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, udp({ sport: 1, dport: 2 }))))
 */
export function mpls(options: { labels: ReadonlyArray<number | MplsLabel>; multicast?: boolean; bottomOfStack?: boolean }, payload: Payload): Datagram {
  if (options.labels.length === 0) throw new CraftError('mpls', 'labels', [], 'must hold at least one label');
  const body = payloadBytes(payload);
  const out = new Uint8Array(4 * options.labels.length + body.length);
  options.labels.forEach((entry, i) => {
    const e = typeof entry === 'number' ? { label: entry } : entry;
    const last = i === options.labels.length - 1 && (options.bottomOfStack ?? true);
    const word = (checkUint('mpls', 'label', e.label, 0xfffff) << 12) | (checkUint('mpls', 'tc', e.tc ?? 0, 7) << 9) | (last ? 0x100 : 0) | checkUint('mpls', 'ttl', e.ttl ?? 64, 0xff);
    put32(out, 4 * i, word >>> 0);
  });
  out.set(body, 4 * options.labels.length);
  return { kind: 'datagram', bytes: out, etherType: options.multicast ? ETHERTYPE.MPLS_MULTICAST : ETHERTYPE.MPLS };
}
