/**
 * The one error type of the capture-file layer. Every malformed input ends in
 * a CaptureFormatError that says what is wrong and at which byte of the file,
 * so a caller can report it and keep what was already read.
 */

/** What kind of malformation a CaptureFormatError reports. */
export type CaptureErrorKind =
  | 'empty'
  | 'bad-magic'
  | 'bad-version'
  | 'truncated-header'
  | 'truncated-record'
  | 'caplen-too-large'
  | 'bad-block-length'
  | 'block-length-mismatch'
  | 'block-too-large'
  | 'unknown-block'
  | 'no-section'
  | 'bad-interface'
  | 'bad-option'
  | 'bad-timestamp';

/**
 * Thrown by the readers (and the pipeline) when a capture file is malformed.
 * `offset` is the byte offset in the file (or stream) of the header, record or
 * block at fault.
 *
 * @example
 * try { for await (const p of readCapture('bad.pcap')) use(p); }
 * catch (e) { if (e instanceof CaptureFormatError) console.error(e.kind, e.offset); }
 */
export class CaptureFormatError extends Error {
  constructor(readonly kind: CaptureErrorKind, readonly offset: number, detail: string) {
    super(`${detail} (at file offset ${offset})`);
    this.name = 'CaptureFormatError';
  }
}

/**
 * libpcap's MAXIMUM_SNAPLEN: no record may claim more captured bytes than this,
 * which is what stops garbage from making a reader allocate without bound.
 *
 * @example
 * if (caplen > MAX_CAPLEN) throw new CaptureFormatError('caplen-too-large', at, '…');
 */
export const MAX_CAPLEN = 262144;
