/**
 * Read → filter → write as one pipeline, on the batch path: each chunk of the
 * file is filtered in one call of the JIT's batch function and the accepted
 * packets are copied straight into the output buffer. This is what
 * `bpfdump -r IN -w OUT EXPRESSION` runs.
 */
import type { CaptureDestination } from './byte-sink.js';
import type { CaptureSource } from './byte-source.js';
import type { FilterSpec } from './capture-filter.js';
import type { CaptureBatch, CaptureInfo } from './info.js';
import type { CaptureWriter, WriteOptions } from './capture-writer.js';
import { readCapture, type ReadOptions } from './reader.js';
import { createCaptureWriter } from './write-capture.js';

/** How many packets were read, accepted by the filter, and written. */
export interface PipelineCounts {
  read: number;
  accepted: number;
  written: number;
}

export interface PipelineOptions {
  filter?: FilterSpec;
  /** Output options; the link type and snaplen default to the input's, the format to pcap (as tcpdump -w). */
  write?: WriteOptions;
  /** Read options; buffer reuse is the pipeline's own (see below). */
  read?: Omit<ReadOptions, 'filter' | 'reuseBuffers'>;
  /** Called with each batch after filtering and writing (e.g. to print summaries); its packet bytes are valid only during the call. */
  onBatch?: (batch: CaptureBatch) => void | Promise<void>;
  /** Called once the input's header is read. */
  onInfo?: (info: CaptureInfo) => void;
  /** Stop after this many accepted packets (tcpdump -c). */
  limit?: number;
}

/**
 * Reads a capture, keeps what the filter accepts, writes it (when an output is
 * given) and returns the counts. Bad input ends in a CaptureFormatError after
 * every earlier accepted packet has been written and the output closed.
 *
 * @example
 * const counts = await filterCapture('in.pcap', 'out.pcap', { filter: 'tcp port 80' });
 * console.log(`${counts.read} read, ${counts.accepted} accepted, ${counts.written} written`);
 */
export async function filterCapture(input: CaptureSource, output: CaptureDestination | undefined,
  options: PipelineOptions = {}): Promise<PipelineCounts> {
  // Read buffers are reused (fresh memory costs page faults): onBatch is told its bytes live only during the call,
  // and the writer hands long runs to the output as views, so a buffer is reused only once those are written.
  let writer: CaptureWriter | undefined;
  const reader = readCapture(input, {
    ...options.read,
    reuseBuffers: () => writer?.released() ?? Promise.resolve(),
    ...(options.filter === undefined ? {} : { filter: options.filter }),
  });
  const info = await reader.open();
  options.onInfo?.(info);
  const first = info.interfaces[0];
  writer = output === undefined ? undefined : createCaptureWriter(output, {
    ...(first ? { linkType: first.linkType, snaplen: first.snaplen || undefined } : {}),
    ...options.write,
  });
  let accepted = 0;
  let failure: unknown;
  try {
    for await (const batch of reader.batches()) {
      if (options.limit !== undefined && accepted + batch.selectedCount > options.limit) {
        batch.selectedCount = Math.max(0, options.limit - accepted);
      }
      accepted += batch.selectedCount;
      if (writer) await writer.writeBatch(batch);
      if (options.onBatch) await options.onBatch(batch);
      if (options.limit !== undefined && accepted >= options.limit) break;
    }
  } catch (e) {
    failure = e;
  }
  if (writer) await writer.close();
  if (failure !== undefined) throw failure;
  return { read: reader.counts.read, accepted, written: writer?.written ?? 0 };
}
