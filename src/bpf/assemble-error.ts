/**
 * The one error every Program text parser throws: where in the text (1-based
 * line and column) and what is wrong, naming the offending token.
 */

/**
 * A Program text that cannot be read, with the 1-based line and column of the
 * offending token.
 *
 * @example
 * try { assemble('ldh [12]\nfoo #1\nret #0'); }
 * catch (e) { if (e instanceof AssembleError) console.error(e.line, e.column, e.reason); } // 2 1 unknown mnemonic 'foo'
 */
export class AssembleError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
    this.name = 'AssembleError';
  }
}
