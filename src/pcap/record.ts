/**
 * The one packet record type that flows from every source (file readers, live
 * capture) to every sink (writers, printers, callbacks).
 */

/** A capture timestamp: seconds since the epoch and nanoseconds within the second. */
export interface Timestamp {
  sec: number;
  nsec: number;
}

export interface PacketRecord {
  /** The captured bytes (may be a view into a larger buffer: copy it to keep it past the next read). */
  data: Uint8Array;
  /** Captured length: data.length. */
  caplen: number;
  /** Length on the wire. */
  len: number;
  timestamp: Timestamp;
  /** DLT_ number of the link-layer header (see bpf/linktypes). */
  linkType: number;
  /** Index of the interface it came from (pcapng interface id, or the live interface's index); 0 for pcap files. */
  interface: number;
}
