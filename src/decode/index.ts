// The public surface of src/decode/, re-exported by src/index.ts.
export { PacketPrinter, describePacket, linkHeaderLength, type PrintOptions } from './printer.js';
export { DEFAULT_DECODE_OPTIONS, newSession, type DecodeOptions, type DecodeSession } from './dissector.js';
export { TimestampFormatter, type TimestampStyle } from './timestamp.js';
export { hexLines, hexAsciiLines, asciiText } from './hexdump.js';
