/**
 * Differential checking against libpcap: compile an expression with bpfkit
 * and with libpcap (the oracle), run both Programs over the same packets
 * (ours in bpfkit's interpreter with libpcap semantics, libpcap's in its own
 * bpf_filter()), and report every packet where they disagree.
 *
 * @example
 * const d = await differ(oracle, 'tcp port 80', 1, packets);
 * assert.equal(d.kind, 'agree');
 */
import { compile, CompileError, FilterSyntaxError } from '../../src/filter/index.js';
import { interpret } from '../../src/bpf/interpreter.js';
import type { Program } from '../../src/bpf/program.js';
import { Oracle, OracleCompileError, type OraclePacket } from '../oracle/oracle.js';

/** The outcome of one comparison. */
export type Difference =
  | { kind: 'agree'; accepted: number }
  | { kind: 'both-reject'; ours: string; libpcap: string }
  | { kind: 'we-reject'; ours: string }
  | { kind: 'libpcap-rejects'; libpcap: string; program: Program }
  | { kind: 'packets'; mismatches: Array<{ index: number; ours: number; libpcap: number }>; ours: Program; theirs: Program };

/**
 * Compares bpfkit and libpcap on one expression over `packets`.
 *
 * @example
 * await differ(oracle, 'ip', 1, corpus({ linkType: 1, count: 100 }))
 */
export async function differ(oracle: Oracle, expression: string, dlt: number, packets: readonly OraclePacket[],
  options: { optimize?: boolean; netmask?: number } = {}): Promise<Difference> {
  const optimize = options.optimize ?? false;
  let ours: Program | undefined;
  let ourError: string | undefined;
  try {
    ours = compile(expression, { linkType: dlt, optimize, netmask: options.netmask ?? 0 });
  } catch (e) {
    if (!(e instanceof CompileError || e instanceof FilterSyntaxError)) throw e;
    ourError = e.message;
  }
  let theirs: Program | undefined;
  let theirError: string | undefined;
  try {
    theirs = await oracle.compile(expression, { linkType: dlt, optimize, netmask: options.netmask ?? 0 });
  } catch (e) {
    if (!(e instanceof OracleCompileError)) throw e;
    theirError = e.libpcapMessage;
  }
  if (ourError !== undefined && theirError !== undefined) return { kind: 'both-reject', ours: ourError, libpcap: theirError };
  if (ourError !== undefined) return { kind: 'we-reject', ours: ourError };
  if (theirError !== undefined) return { kind: 'libpcap-rejects', libpcap: theirError, program: ours! };
  const expected = await oracle.run(theirs!, packets);
  const mismatches: Array<{ index: number; ours: number; libpcap: number }> = [];
  let accepted = 0;
  packets.forEach((p, i) => {
    const wire = p.wireLength ?? p.data.length;
    const got = interpret(ours!, p.data, wire, { semantics: 'bsd' });
    // libpcap's bpf_filter() leaves M[] uninitialized: where libpcap's own program reads a
    // slot it never wrote (after a failed `geneve`, say), its answer is stack garbage.
    // There we compare with libpcap's program run with M[] zeroed, as DESIGN.md specifies.
    const reference = got !== expected[i] && readsUnwrittenScratch(theirs!, p.data, wire)
      ? interpret(theirs!, p.data, wire, { semantics: 'bsd' })
      : expected[i];
    if (got !== reference) mismatches.push({ index: i, ours: got, libpcap: expected[i] });
    if (got !== 0) accepted++;
  });
  if (mismatches.length > 0) return { kind: 'packets', mismatches, ours: ours!, theirs: theirs! };
  return { kind: 'agree', accepted };
}

/**
 * True when running `prog` on this packet reads a scratch slot M[k] before any
 * instruction on the executed path stored to it (so libpcap's result depends
 * on uninitialized memory). Follows classic BPF semantics with bounds checks.
 *
 * @example
 * readsUnwrittenScratch(prog, packet, packet.length)
 */
export function readsUnwrittenScratch(prog: Program, packet: Uint8Array, wireLength: number): boolean {
  const written = new Array<boolean>(16).fill(false);
  let A = 0, X = 0;
  const load = (k: number, size: number): number | undefined => {
    if (k < 0 || k + size > packet.length) return undefined;
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + packet[k + i];
    return v >>> 0;
  };
  for (let pc = 0, steps = 0; pc < prog.length && steps < 100000; steps++) {
    const { code, jt, jf, k } = prog[pc];
    const cls = code & 7, mode = code & 0xe0, size = ({ 0: 4, 8: 2, 16: 1 } as Record<number, number>)[code & 0x18];
    pc++;
    switch (cls) {
      case 0: case 1: {
        let v: number | undefined;
        if (mode === 0x60) { if (!written[k & 15]) return true; v = 0; }
        else if (mode === 0x00) v = k;
        else if (mode === 0x80) v = wireLength;
        else if (mode === 0x20) v = load(k, size);
        else if (mode === 0x40) v = load((X + k) >>> 0, size);
        else if (mode === 0xa0) { const b = load(k, 1); v = b === undefined ? undefined : (b & 0xf) * 4; }
        if (v === undefined) return false;
        if (cls === 0) A = v; else X = v;
        break;
      }
      case 2: case 3: written[k & 15] = true; break;
      case 4: {
        const op = code & 0xf0, src = code & 8 ? X : k;
        if ((op === 0x30 || op === 0x90) && src === 0) return false;
        A = op === 0x00 ? A + src : op === 0x10 ? A - src : op === 0x20 ? Math.imul(A, src) : op === 0x30 ? Math.floor((A >>> 0) / (src >>> 0))
          : op === 0x40 ? A | src : op === 0x50 ? A & src : op === 0x60 ? (src >= 32 ? 0 : A << src) : op === 0x70 ? (src >= 32 ? 0 : A >>> src)
          : op === 0x80 ? -A : op === 0x90 ? (A >>> 0) % (src >>> 0) : A ^ src;
        A >>>= 0;
        break;
      }
      case 5: {
        const op = code & 0xf0, src = (code & 8 ? X : k) >>> 0;
        if (op === 0x00) { pc = (pc + k) >>> 0; break; }
        const c = op === 0x10 ? A === src : op === 0x20 ? A > src : op === 0x30 ? A >= src : (A & src) !== 0;
        pc += c ? jt : jf;
        break;
      }
      case 6: return false;
      case 7: if (code & 0x80) A = X; else X = A; break;
    }
  }
  return false;
}
