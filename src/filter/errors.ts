/**
 * Errors from the filter compiler. Every error names the place in the
 * expression it is about: `column` is 1-based (the first character is column
 * 1), and the message ends with the expression and a caret line under it, so a
 * person sees what went wrong and where without counting characters.
 */

/**
 * Base class: an error about one filter expression, at one column.
 *
 * @example
 * try { compile('port 99999'); } catch (e) { if (e instanceof FilterError) console.log(e.column, e.reason); }
 */
export class FilterError extends Error {
  /** 1-based column in `expression` of the first character the error is about (0 when it is about the whole expression). */
  readonly column: number;
  /** The expression as given. */
  readonly expression: string;
  /** The reason alone, without the caret line. */
  readonly reason: string;

  /**
   * @example
   * new FilterError('tcp port 80 an udp', 13, 'syntax error: unexpected "an"').message
   * // 'syntax error: unexpected "an" at column 13\n  tcp port 80 an udp\n              ^'
   */
  constructor(expression: string, column: number, reason: string) {
    super(column > 0 ? `${reason} at column ${column}\n${caretLine(expression, column)}` : reason);
    this.name = 'FilterError';
    this.expression = expression;
    this.column = column;
    this.reason = reason;
  }
}

/**
 * The text is not in the filter language (the lexer or parser stopped at `column`).
 *
 * @example
 * compile('tcp port 80 an udp') // throws FilterSyntaxError, column 13
 */
export class FilterSyntaxError extends FilterError {
  /**
   * @example
   * throw new FilterSyntaxError('tcp port 80 an udp', 13, 'syntax error: expected "and", "or" or end of expression, found "an"');
   */
  constructor(expression: string, column: number, reason: string) {
    super(expression, column, reason);
    this.name = 'FilterSyntaxError';
  }
}

/**
 * The text parses but means nothing for this link type (or names something unknown), as libpcap's semantic errors.
 *
 * @example
 * compile('ether host 1:2:3:4:5:6', { linkType: 'RAW' }) // throws CompileError
 */
export class CompileError extends FilterError {
  /**
   * @example
   * throw new CompileError('ether host 1:2:3:4:5:6', 1, "'ether host' is not supported on link type RAW");
   */
  constructor(expression: string, column: number, reason: string) {
    super(expression, column, reason);
    this.name = 'CompileError';
  }
}

/**
 * Two lines: the expression, indented by two spaces, and a caret under `column` (1-based).
 *
 * @example
 * caretLine('tcp port 80 an udp', 13) // '  tcp port 80 an udp\n              ^'
 */
export function caretLine(expression: string, column: number): string {
  const shown = expression.replace(/[\t\n\r]/g, ' ');
  return `  ${shown}\n  ${' '.repeat(Math.max(0, column - 1))}^`;
}
