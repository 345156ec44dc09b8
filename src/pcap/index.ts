// The public surface of src/pcap/ (capture files), re-exported by src/index.ts.
export * from './record.js';
export { CaptureFormatError, MAX_CAPLEN, type CaptureErrorKind } from './errors.js';
export type {
  CaptureBatch, CaptureFormat, CaptureInfo, CaptureRecord, InterfaceInfo, InterfaceStatistics, NameRecord, OpaqueBlock,
  PcapngOption, SectionInfo,
} from './info.js';
export type { CaptureSource } from './byte-source.js';
export type { CaptureDestination } from './byte-sink.js';
export { CaptureFilter, type FilterSpec } from './capture-filter.js';
export { CaptureReader, readCapture, detectFormat, type ReadCounts, type ReadOptions } from './reader.js';
export { CaptureWriter, CaptureWriteError, type InterfaceDescription, type WriteOptions } from './capture-writer.js';
export { PcapWriter } from './pcap-writer.js';
export { PcapngWriter } from './pcapng-writer.js';
export { createCaptureWriter, writeCapture } from './write-capture.js';
export { filterCapture, type PipelineCounts, type PipelineOptions } from './pipeline.js';
