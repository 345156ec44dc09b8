/**
 * What a capture file says about itself besides its packets: the file header
 * (pcap) or the sections, interfaces and metadata blocks (pcapng). Readers fill
 * this in as they go; writers take interfaces in the same shape.
 */
import type { PacketBatch } from '../bpf/batch.js';
import type { PacketRecord } from './record.js';

export type CaptureFormat = 'pcap' | 'pcapng';

/** One pcapng option, raw: `value` is the option's bytes without padding. */
export interface PcapngOption {
  readonly code: number;
  readonly value: Uint8Array;
}

/** A packet record from a file, with what pcapng can attach to it. */
export interface CaptureRecord extends PacketRecord {
  /** opt_comment strings of the packet's block (pcapng). */
  comments?: string[];
  /** Every option of the packet's block, raw (pcapng). */
  options?: PcapngOption[];
  /** epb_flags when present (direction, reception type, FCS length…). */
  flags?: number;
}

/** One Interface Statistics Block, its options decoded where they are counters. */
export interface InterfaceStatistics {
  readonly offset: number;
  readonly timestamp: { sec: number; nsec: number };
  /** isb_ifrecv, isb_ifdrop, isb_filteraccept, isb_osdrop, isb_usrdeliv when present. */
  readonly counters: Partial<Record<'ifrecv' | 'ifdrop' | 'filteraccept' | 'osdrop' | 'usrdeliv', bigint>>;
  readonly comments: string[];
  readonly options: PcapngOption[];
}

/** A capture interface: pcapng's Interface Description Block, or the pcap file header as one interface. */
export interface InterfaceInfo {
  /** Index over the whole file (pcapng interface ids restart with each section; this does not). */
  readonly index: number;
  /** The section it belongs to, and its id within that section. */
  readonly section: number;
  readonly localId: number;
  /** DLT_ number of its packets' link-layer header. */
  readonly linkType: number;
  /** LINKTYPE_ number as written in the file. */
  readonly fileLinkType: number;
  /** Snapshot length (0 in pcapng means no limit). */
  readonly snaplen: number;
  /** if_tsresol byte: 6 = microseconds, 9 = nanoseconds, high bit = power of 2. */
  readonly tsresol: number;
  /** if_tsoffset: seconds added to every timestamp. */
  readonly tsoffset: number;
  /** FCS bytes at the end of each packet, when the file says (pcap link-type field bits, if_fcslen). */
  readonly fcsLength?: number;
  readonly name?: string;
  readonly description?: string;
  readonly filter?: string;
  readonly os?: string;
  readonly hardware?: string;
  readonly comments: string[];
  readonly options: PcapngOption[];
  readonly statistics: InterfaceStatistics[];
}

/** A pcapng section (one Section Header Block and what follows it). */
export interface SectionInfo {
  readonly index: number;
  readonly offset: number;
  readonly byteOrder: 'little' | 'big';
  readonly version: { major: number; minor: number };
  /** Section length from the header; -1 when not given. */
  readonly sectionLength: number;
  readonly hardware?: string;
  readonly os?: string;
  readonly userApplication?: string;
  readonly comments: string[];
  readonly options: PcapngOption[];
}

/** One Name Resolution Block entry. */
export interface NameRecord {
  readonly address: string;
  readonly names: string[];
}

/** A block kept as bytes: Decryption Secrets, custom, or skipped unknown blocks. */
export interface OpaqueBlock {
  readonly type: number;
  readonly offset: number;
  readonly length: number;
  /** Decryption Secrets: secrets type; custom: Private Enterprise Number. */
  readonly tag?: number;
  readonly data?: Uint8Array;
}

/** Everything a reader has learnt about a file so far. */
export interface CaptureInfo {
  format: CaptureFormat;
  /** Byte order of the (first) header. */
  byteOrder: 'little' | 'big';
  /** pcap: the header's version; pcapng: the first section's. */
  version: { major: number; minor: number };
  /** pcap: timestamps in nanoseconds (0xa1b23c4d magic). */
  nanosecond: boolean;
  /** pcap only: Kuznetzov's modified format (0xa1b2cd34), with extra record fields. */
  modified: boolean;
  sections: SectionInfo[];
  interfaces: InterfaceInfo[];
  nameResolution: NameRecord[];
  decryptionSecrets: OpaqueBlock[];
  customBlocks: OpaqueBlock[];
  /** Blocks of types bpfkit does not know, skipped as libpcap and Wireshark skip them. */
  skippedBlocks: OpaqueBlock[];
}

/**
 * Where parsers deliver packets. Returning CONTINUE takes the packet and asks
 * for more, STOP_AFTER takes it and pauses parsing, REFUSE leaves it unread
 * (the next parse starts at it) — how batches end when full or when the link
 * type changes.
 */
export interface PacketSink {
  packet(buf: Uint8Array, offset: number, caplen: number, len: number, sec: number, nsec: number,
    iface: number, linkType: number, extras: PacketExtras | undefined): number;
}

/** pcapng per-packet metadata, present only when the block carries options. */
export interface PacketExtras {
  comments: string[];
  options: PcapngOption[];
  flags?: number;
}

export const CONTINUE = 0;
export const STOP_AFTER = 1;
export const REFUSE = 2;

/**
 * A fresh CaptureInfo before any header is read.
 *
 * @example
 * const info = emptyInfo('pcapng');
 */
export function emptyInfo(format: CaptureFormat): CaptureInfo {
  return {
    format, byteOrder: 'little', version: { major: 0, minor: 0 }, nanosecond: false, modified: false,
    sections: [], interfaces: [], nameResolution: [], decryptionSecrets: [], customBlocks: [], skippedBlocks: [],
  };
}

/**
 * A PacketBatch from a file, with the rest of each record, all of one link
 * type. The object and its arrays are reused: valid until the next batch is
 * requested. `data` itself is never reused.
 */
export interface CaptureBatch extends PacketBatch {
  linkType: number;
  readonly sec: Float64Array;
  /** Nanoseconds within the second (a pcap file may hold out-of-range values, passed through as libpcap does). */
  readonly nsec: Float64Array;
  readonly interfaces: Uint32Array;
  /** pcapng options of packet i, for the few packets that carry any. */
  readonly extras: Map<number, PacketExtras>;
  /** Indices of the packets the reader's filter accepted, in order (all packets without a filter). */
  readonly selected: Uint32Array;
  selectedCount: number;
  /**
   * When set, packet i's whole record is `data[offsets[i] - recordHeader, offsets[i] + caplens[i])`
   * in this layout (see pcapRecordLayout), which a writer of the same layout may copy as is.
   */
  rawLayout: string | undefined;
  recordHeader: number;
}
