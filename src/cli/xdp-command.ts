/**
 * `bpfdump -i IFACE --xdp drop|pass|count [-c N] EXPRESSION`: the filter runs
 * at XDP (translated to eBPF by src/ebpf); the counters show on a terminal
 * while it runs; Ctrl-C (or -c matches) detaches and prints what was done.
 */
import { listInterfaces } from '../capture/index.js';
import { formatXdpSummary, runXdp } from '../ebpf/index.js';
import { CommandError, compileExpression, expressionOf, loadProgram } from './filter-source.js';
import type { CliOptions } from './options.js';

/**
 * Runs the XDP command; resolves to the exit status.
 *
 * @example
 * await xdpCommand(parseCommandLine(['-i', 'veth0', '--xdp', 'drop', 'udp port 7777'])) // 0
 */
export async function xdpCommand(o: CliOptions): Promise<number> {
  const name = o.interface!;
  const info = listInterfaces().find((i) => i.name === name);
  if (!info || name === 'any') throw new CommandError(`${name}: No such device exists (XDP needs one real interface)`);
  const prog = o.program !== undefined ? loadProgram(o.program, o) : (await compileExpression(expressionOf(o), info.linkType, o, true))!;
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const live = process.stderr.isTTY === true;
  process.stderr.write(`attached at XDP on ${name}: ${o.xdp} matching packets${live ? ' (Ctrl-C to stop)' : ''}\n`);
  try {
    const summary = await runXdp(prog, {
      interface: name, action: o.xdp!, signal: abort.signal,
      ...(o.count !== undefined ? { count: o.count } : {}),
      onCounters: live ? (c) => process.stderr.write(`\r${c.matched} matched, ${c.unmatched} not matched\x1b[K`) : undefined,
    });
    if (live) process.stderr.write('\r\x1b[K');
    process.stderr.write(`${formatXdpSummary(summary)}\n`);
    return 0;
  } catch (e) {
    throw new CommandError(e instanceof Error ? e.message : String(e));
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
