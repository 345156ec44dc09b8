/**
 * `bpfdump -r FILE|- [-w OUT|-] [EXPRESSION]`: read a capture file, keep
 * what the filter accepts, and print it, write it, or count it; a progress bar
 * on a terminal for large files; statistics when interrupted.
 */
import { createReadStream, statSync } from 'node:fs';
import type { WriteStream } from 'node:tty';
import { readCapture, type CaptureReader } from '../pcap/index.js';
import type { Program } from '../bpf/program.js';
import { LINK_TYPES } from '../bpf/linktypes.js';
import { CommandError, compileExpression, expressionOf, loadProgram } from './filter-source.js';
import type { CliOptions } from './options.js';
import { statisticsText } from './output.js';
import { PROGRESS_MIN_BYTES, ProgressBar } from './progress.js';
import { PacketSession, withStopSignals } from './session.js';

/**
 * How tcpdump names a link type on stderr: `EN10MB (Ethernet)`.
 *
 * @example
 * linkTypeLabel(1) // 'EN10MB (Ethernet)'
 */
export function linkTypeLabel(dlt: number): string {
  const t = LINK_TYPES.find((x) => x.dlt === dlt);
  return t ? `${t.name} (${t.description})` : `${dlt}`;
}

/**
 * The link type (DLT) of a capture file's first interface.
 *
 * @example
 * await fileLinkType('in.pcap') // 1
 */
export async function fileLinkType(file: string): Promise<number> {
  const reader = readCapture(file);
  try {
    return (await reader.open()).interfaces[0]?.linkType ?? 1;
  } catch (e) {
    throw new CommandError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`);
  } finally {
    await reader.close();
  }
}

/** Reads a file in large chunks, counting the bytes handed on (for the progress bar). */
async function* countingChunks(path: string, counter: { bytes: number }): AsyncGenerator<Uint8Array> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    counter.bytes += (chunk as Buffer).length;
    yield chunk as Buffer;
  }
}

/**
 * Runs the -r command; resolves to the exit status.
 *
 * @example
 * await readCommand(parseCommandLine(['-r', 'in.pcap', 'tcp'])) // 0
 */
export async function readCommand(o: CliOptions): Promise<number> {
  const file = o.readFile!;
  let size = 0;
  if (file !== '-') {
    try {
      size = statSync(file).size;
    } catch (e) {
      throw new CommandError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`);
    }
  }
  const wantBar = o.progress ?? (file !== '-' && size >= PROGRESS_MIN_BYTES && process.stderr.isTTY === true
    && (o.writeFile !== undefined || o.countOnly || !process.stdout.isTTY));
  let filter: Program | string | undefined;
  if (o.program !== undefined) filter = loadProgram(o.program, o);
  else if (expressionOf(o).trim() !== '') filter = expressionOf(o);
  const counter = { bytes: 0 };
  // Read buffers are reused once the -w file has written what it was handed of them (fresh memory costs page faults);
  // printing and the rotating writer copy what they keep.
  let session: PacketSession | undefined;
  const filtered: CaptureReader = readCapture(wantBar ? countingChunks(file, counter) : file, {
    reuseBuffers: () => session?.released() ?? Promise.resolve(),
    ...(filter === undefined ? {} : { filter }),
  });
  let info;
  try {
    info = await filtered.open();
  } catch (e) {
    throw new CommandError(`${file}: ${(e as Error).message}`);
  }
  const first = info.interfaces[0];
  const dlt = first?.linkType ?? 1;
  process.stderr.write(`reading from file ${file}, link-type ${linkTypeLabel(dlt)}, snapshot length ${first?.snaplen ?? 0}\n`);
  // Compile now so that a bad expression fails before the first packet, as tcpdump does.
  if (typeof filter === 'string') {
    try {
      await compileExpression(filter, dlt, o);
    } catch (e) {
      await filtered.close();
      throw e;
    }
  }

  session = await PacketSession.open(o, { linkType: dlt, ...(first?.snaplen ? { snaplen: first.snaplen } : {}) });
  const bar = wantBar ? new ProgressBar(process.stderr as WriteStream, size) : undefined;
  let failure: unknown;
  await withStopSignals(session, () => { void filtered.close(); }, async () => {
    try {
      for await (const batch of filtered.batches()) {
        if (session.stopped) break;
        await session.handleBatch(batch);
        bar?.update(counter.bytes, filtered.counts.read);
        if (session.stopped) break;
      }
    } catch (e) {
      if (!session.interrupted) failure = e;
    }
    bar?.done();
    await session.finish();
  });
  if (o.countOnly) process.stdout.write(`${session.handled} packet${session.handled === 1 ? '' : 's'}\n`);
  if (session.interrupted) {
    process.stderr.write(`\n${statisticsText({ captured: session.handled, received: filtered.counts.read, dropped: 0 })}\n`);
  }
  if (failure !== undefined) throw new CommandError(`${file}: ${failure instanceof Error ? failure.message : String(failure)}`);
  return 0;
}

