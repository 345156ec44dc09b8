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
    const got = interpret(ours!, p.data, p.wireLength ?? p.data.length, { semantics: 'bsd' });
    if (got !== expected[i]) mismatches.push({ index: i, ours: got, libpcap: expected[i] });
    if (got !== 0) accepted++;
  });
  if (mismatches.length > 0) return { kind: 'packets', mismatches, ours: ours!, theirs: theirs! };
  return { kind: 'agree', accepted };
}
