/**
 * The state one packet's decoding carries: the text printed so far, the
 * protocol being decoded (named in the `[|proto]` truncation mark), the
 * options, and the per-capture memory (TCP sequence bases) shared by packets.
 */

/** What the printed line shows, as tcpdump's flags choose it. */
export interface DecodeOptions {
  /** -e: print the link-level header. */
  readonly linkHeader: boolean;
  /** -v, -vv, -vvv: how verbose. */
  readonly verbose: number;
  /** -q: less protocol information. */
  readonly quiet: boolean;
  /** -S: absolute TCP sequence numbers. */
  readonly absoluteSeq: boolean;
  /** -K: do not verify IP, TCP and UDP checksums (tcpdump still checks ICMP's). */
  readonly noChecksum?: boolean;
}

/** Default options: tcpdump -n without other flags. */
export const DEFAULT_DECODE_OPTIONS: DecodeOptions = Object.freeze({ linkHeader: false, verbose: 0, quiet: false, absoluteSeq: false });

/** A TCP connection's sequence bases, for relative numbering. */
export interface TcpBases {
  seq: number;
  ack: number;
}

/** Memory kept across the packets of one capture. */
export interface DecodeSession {
  readonly tcp: Map<string, TcpBases>;
}

/**
 * Makes an empty per-capture memory.
 *
 * @example
 * const session = newSession();
 */
export function newSession(): DecodeSession {
  return { tcp: new Map() };
}

/**
 * One packet being printed. Decoders append text with `print` and set
 * `protocol` as they descend so a truncation names the innermost layer.
 *
 * @example
 * const d = new Dissector(DEFAULT_DECODE_OPTIONS, newSession());
 * d.print('IP '); d.text // 'IP '
 */
export class Dissector {
  text = '';
  protocol = '';
  /**
   * Set when decoding stopped where tcpdump abandons the packet with a long
   * jump rather than a local check: its -x dump then starts at the link header.
   */
  abandoned = false;
  /** Set by a decoder whose next missing byte tcpdump finds with a local check (the dump then skips the link header). */
  checkedLocally = false;

  constructor(readonly opts: DecodeOptions, readonly session: DecodeSession) {}

  print(s: string): void {
    this.text += s;
  }
}
