/**
 * The contract between the byte sources and the two file formats: a parser is
 * fed contiguous bytes, consumes whole records or blocks, and says how many
 * bytes it needs to make progress. It never copies packet bytes.
 */
import type { CaptureBatch, CaptureInfo, PacketSink } from './info.js';

export interface FormatParser {
  readonly info: CaptureInfo;
  /** Bytes needed from the position `parse` last returned before it can make progress. */
  readonly needed: number;
  /**
   * Names the exact byte layout of packet records when a writer could copy
   * them verbatim (pcap: byte order, precision, header length); undefined for
   * formats whose records are rewritten anyway.
   */
  readonly rawLayout: string | undefined;
  /**
   * Consumes whole records from `buf[pos, end)` (file offset of `buf[0]` is `base`),
   * delivering packets to `sink`; returns where it stopped. Throws CaptureFormatError.
   */
  parse(buf: Uint8Array, pos: number, end: number, base: number, sink: PacketSink): number;
  /**
   * Optional fast path of `parse` for the batch reader: fills `batch` from
   * `batch.count` on, stopping when it is full or more bytes are needed, with
   * no call per packet. Only for formats whose batches never change link type.
   */
  fillBatch?(buf: Uint8Array, pos: number, end: number, base: number, batch: CaptureBatch): number;
  /** Called at end of input when `buf[pos, end)` is left unconsumed: throws the right truncation error. */
  finish(buf: Uint8Array, pos: number, end: number, base: number): void;
}
