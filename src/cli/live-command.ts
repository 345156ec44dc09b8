/**
 * Live capture: `bpfdump -i IFACE [-w OUT] [EXPRESSION]` with the kernel
 * filtering, `-D` (interfaces), `-L` (link types), and the statistics at exit
 * as tcpdump prints them.
 */
import { formatInterfaceList, listInterfaces, openLive, type LiveCapture, type LiveOptions } from '../capture/index.js';
import { LINK_TYPES } from '../bpf/linktypes.js';
import { CommandError, compileExpression, expressionOf, loadProgram } from './filter-source.js';
import type { CliOptions } from './options.js';
import { statisticsText } from './output.js';
import { linkTypeLabel } from './read-command.js';
import { PacketSession, withStopSignals } from './session.js';

/**
 * The interface tcpdump would pick without -i: the first one up, running and not loopback.
 *
 * @example
 * defaultInterface() // 'eth0'
 */
export function defaultInterface(): string {
  const list = listInterfaces();
  const pick = list.find((i) => i.up && i.running && !i.loopback && i.name !== 'any') ?? list.find((i) => i.name !== 'any');
  if (!pick) throw new CommandError('no suitable device found');
  return pick.name;
}

/**
 * `-D`: the interface list, as tcpdump prints it.
 *
 * @example
 * listInterfacesCommand() // 0, after printing '1.eth0 [Up, Running, Connected]' ...
 */
export function listInterfacesCommand(): number {
  process.stdout.write(formatInterfaceList(listInterfaces()));
  return 0;
}

/**
 * `-L`: the link types a capture on the interface can deliver.
 *
 * @example
 * listLinkTypesCommand(options) // 'Data link types for lo (use option -y to set):\n  EN10MB (Ethernet)'
 */
export function listLinkTypesCommand(o: CliOptions): number {
  const name = o.interface ?? defaultInterface();
  const info = listInterfaces().find((i) => i.name === name);
  if (!info) throw new CommandError(`${name}: No such device exists`);
  const dlts = name === 'any' ? [113, 276] : [info.linkType];
  const lines = dlts.map((d) => {
    const t = LINK_TYPES.find((x) => x.dlt === d);
    return `  ${t ? `${t.name} (${t.description})` : d}`;
  });
  // tcpdump prints this list on stderr.
  process.stderr.write(`Data link types for ${name} (use option -y to set):\n${lines.join('\n')}\n`);
  return 0;
}

/**
 * Captures live until -c, SIGINT or SIGTERM; prints the statistics on stderr.
 *
 * @example
 * await liveCommand(parseCommandLine(['-i', 'lo', '-c', '3', 'icmp'])) // 0
 */
export async function liveCommand(o: CliOptions): Promise<number> {
  const name = o.interface ?? defaultInterface();
  const options: LiveOptions = {
    promiscuous: !o.noPromiscuous,
    ...(o.snaplen !== undefined ? { snaplen: o.snaplen } : {}),
    ...(o.direction ? { direction: o.direction } : {}),
    ...(o.bufferSize !== undefined ? { bufferSize: o.bufferSize * 1024 } : {}),
    immediate: o.immediate,
  };
  if (o.linkTypeName !== undefined) {
    const wanted = o.linkTypeName.toUpperCase().replace(/^DLT_/, '');
    if (wanted === 'LINUX_SLL' || wanted === 'LINUX_SLL2') options.linkType = wanted;
    else if (name === 'any' || !listInterfaces().some((i) => i.name === name && i.linkTypeName === wanted)) {
      throw new CommandError(`${wanted} is not one of the DLTs supported by this device`);
    }
  }
  if (o.program !== undefined) options.filter = loadProgram(o.program, o);
  else if (expressionOf(o).trim() !== '') options.filter = expressionOf(o);
  let live: LiveCapture;
  try {
    live = await openLive(name, options);
  } catch (e) {
    throw new CommandError(e instanceof Error ? e.message : String(e));
  }
  if (typeof options.filter === 'string') {
    // openLive compiled it already; this only makes -O and the error shape match the other commands.
    await compileExpression(options.filter, live.linkType, o);
  }
  const session = await PacketSession.open(o, { linkType: live.linkType, snaplen: live.snaplen });
  if (session.printing && o.verbose === 0) process.stderr.write('bpfdump: verbose output suppressed, use -v[v]... for full protocol decode\n');
  process.stderr.write(`listening on ${name}, link-type ${linkTypeLabel(live.linkType)}, snapshot length ${live.snaplen} bytes\n`);
  await withStopSignals(session, () => { void live.close(); }, async () => {
    try {
      for await (const record of live) {
        await session.handle(record);
        if (session.stopped) break;
      }
    } finally {
      await live.close();
      await session.finish();
    }
  });
  const stats = live.stats();
  process.stderr.write(`${session.interrupted ? '\n' : ''}${statisticsText({ captured: session.handled, received: stats.received, dropped: stats.dropped })}\n`);
  return 0;
}
