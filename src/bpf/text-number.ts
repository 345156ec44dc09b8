/**
 * Numbers as Program texts write them: decimal (optionally signed), 0x hex,
 * 0b binary and 0-prefixed octal (bpf_asm's forms), checked to fit a 32-bit
 * field. Negative values are kept as their two's complement.
 */

/**
 * Parses `text` as a 32-bit number; returns undefined when it is not one
 * (garbage, or outside -2^31 .. 2^32-1).
 *
 * @example
 * parseNumber32('0x800') // 2048
 * parseNumber32('-1')    // 4294967295
 * parseNumber32('12z')   // undefined
 */
export function parseNumber32(text: string): number | undefined {
  let value: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) value = parseInt(text.slice(2), 16);
  else if (/^0[bB][01]+$/.test(text)) value = parseInt(text.slice(2), 2);
  else if (/^0[0-7]+$/.test(text)) value = parseInt(text.slice(1), 8);
  else if (/^[-+]?(0|[1-9][0-9]*)$/.test(text)) value = Number(text);
  else return undefined;
  if (!Number.isSafeInteger(value) || value < -0x80000000 || value > 0xffffffff) return undefined;
  return value >>> 0;
}
