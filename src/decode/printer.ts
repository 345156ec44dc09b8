/**
 * One packet, one line (or block, with -v and the dumps): the timestamp,
 * the decoded summary, and the hex/ASCII dump, as tcpdump prints them.
 */
import type { PacketRecord } from '../pcap/record.js';
import { Finished, Truncated } from './bytes.js';
import { type DecodeOptions, type DecodeSession, Dissector, newSession } from './dissector.js';
import { asciiText, hexAsciiLines, hexLines } from './hexdump.js';
import { printLink } from './link.js';
import { TimestampFormatter, type TimestampStyle } from './timestamp.js';

/** Everything that shapes printed packets: tcpdump's -e -v -q -S -t -x -X -A -# flags. */
export interface PrintOptions extends Partial<DecodeOptions> {
  /** Number of -t flags (0 to 5). */
  timestamps?: TimestampStyle;
  /** Print fractions of a second with nanosecond digits (--nano / --time-stamp-precision nano). */
  nano?: boolean;
  /** -x (1) or -xx (2): hex dump without / with the link header. */
  hex?: number;
  /** -X (1) or -XX (2): hex and ASCII dump. */
  hexAscii?: number;
  /** -A (1) or -AA (2): ASCII dump. */
  ascii?: number;
  /** -#: number each packet. */
  number?: boolean;
}

/**
 * Formats packets as tcpdump -n does, keeping the state that spans packets
 * (relative TCP sequence numbers, the previous timestamp for -ttt, the count).
 *
 * @example
 * const printer = new PacketPrinter({ linkHeader: true });
 * console.log(printer.format(record)); // '05:01:45.130035 12:f2:.. > ff:ff:.., ethertype ARP (0x0806), length 42: Request who-has ...'
 */
export class PacketPrinter {
  private readonly decode: DecodeOptions;
  private readonly session: DecodeSession = newSession();
  private readonly clock: TimestampFormatter;
  private count = 0;

  constructor(readonly options: PrintOptions = {}) {
    this.decode = {
      linkHeader: options.linkHeader ?? false,
      verbose: options.verbose ?? 0,
      quiet: options.quiet ?? false,
      absoluteSeq: options.absoluteSeq ?? false,
      noChecksum: options.noChecksum ?? false,
    };
    this.clock = new TimestampFormatter(options.timestamps ?? 0, options.nano ?? false);
  }

  /** The text for one packet, without a trailing newline. */
  format(record: PacketRecord): string {
    this.count++;
    const prefix = (this.options.number ? `${String(this.count).padStart(5)}  ` : '') + this.clock.format(record.timestamp);
    const d = dissect(record, this.decode, this.session);
    return prefix + d.text + this.dump(record, d.abandoned);
  }

  private dump(record: PacketRecord, abandoned: boolean): string {
    const { hex = 0, hexAscii = 0, ascii = 0 } = this.options;
    if (!hex && !hexAscii && !ascii) return '';
    const data = record.data.subarray(0, record.caplen);
    // -X outranks -x, which outranks -A; doubling the flag includes the link header, and so
    // does a packet tcpdump abandoned (it never learnt the link header's length).
    const full = (hexAscii || hex || ascii) > 1 || abandoned;
    const bytes = full ? data : data.subarray(Math.min(linkHeaderLength(record.linkType, data), data.length));
    if (!full && bytes.length === 0) return '';
    if (hexAscii) return hexAsciiLines(bytes);
    if (hex) return hexLines(bytes);
    return asciiText(bytes);
  }
}

/**
 * Decodes one packet into its summary text (no timestamp), marking a
 * truncated or malformed layer with `[|proto]` after what could be printed.
 *
 * @example
 * describePacket(record, DEFAULT_DECODE_OPTIONS, newSession()) // 'IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 1, length 64'
 */
export function describePacket(record: PacketRecord, options: DecodeOptions, session: DecodeSession = newSession()): string {
  return dissect(record, options, session).text;
}

/** Protocols whose missing bytes tcpdump notices with a local check and not a long jump. */
const CHECKED_LOCALLY = new Set(['ether', 'sll', 'sll2', 'null', 'ip', 'ip6', 'hbhopt', 'dstopt', 'tcp', 'udp', 'domain']);

function dissect(record: PacketRecord, options: DecodeOptions, session: DecodeSession): Dissector {
  const d = new Dissector(options, session);
  try {
    printLink(d, record.linkType, record.data.subarray(0, record.caplen), record.len);
  } catch (e) {
    if (e instanceof Finished) return d;
    if (!(e instanceof Truncated) && !(e instanceof RangeError)) throw e;
    d.print(` [|${d.protocol || 'unknown'}]`);
    if (!CHECKED_LOCALLY.has(d.protocol) && !d.checkedLocally) d.abandoned = true;
  }
  return d;
}

/**
 * Bytes of link-layer header before the network layer, as -x (not -xx) skips them.
 *
 * @example
 * linkHeaderLength(1, frame) // 14 (18 with one 802.1Q tag)
 */
export function linkHeaderLength(dlt: number, data: Uint8Array): number {
  switch (dlt) {
    case 1: {
      let off = 14;
      while (off + 4 <= data.length && [0x8100, 0x88a8, 0x9100].includes((data[off - 2] << 8) | data[off - 1])) off += 4;
      return off;
    }
    case 113: return 16;
    case 276: return 20;
    case 0: case 108: return 4;
    default: return 0;
  }
}
