/**
 * Thrown when a packet builder is given something it cannot encode; the message names the builder, the field and the value.
 *
 * @example
 * try { ipv4({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 300 }, udp({ sport: 1, dport: 2 })); }
 * catch (e) { if (e instanceof CraftError) console.log(e.field); } // 'ttl'
 */
export class CraftError extends Error {
  /**
   * @example
   * throw new CraftError('ipv4', 'ttl', 300, 'must be 0..255');
   */
  constructor(readonly builder: string, readonly field: string, readonly value: unknown, reason: string) {
    super(value === undefined ? `${builder}: ${field} ${reason}` : `${builder}: ${field} ${describe(value)} ${reason}`);
    this.name = 'CraftError';
  }
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `(${value.length} bytes)`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Checks that `value` is an integer in [0, max]; returns it or throws a CraftError naming the field.
 *
 * @example
 * checkUint('tcp', 'sport', 80, 0xffff) // 80
 */
export function checkUint(builder: string, field: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new CraftError(builder, field, value, `must be an integer in 0..${max}`);
  }
  return value;
}
