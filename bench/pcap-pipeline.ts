/**
 * The child process the capture-file benchmark times: `node pcap-pipeline.js
 * IN OUT [EXPRESSION [PROGRAM]]` runs filterCapture, as `bpfdump -r IN -w OUT
 * EXPRESSION` does, and prints the counts as JSON. PROGRAM (tcpdump -ddd
 * text), when given, is run instead of bpfkit's compilation of EXPRESSION.
 */
import { program, type Program } from '../src/bpf/program.js';
import { filterCapture } from '../src/pcap/pipeline.js';

/**
 * Parses tcpdump -ddd output (a count line, then `code jt jf k` lines) into a Program.
 *
 * @example
 * programFromDecimal('1\n6 0 0 262144\n') // ret #262144
 */
export function programFromDecimal(text: string): Program {
  const lines = text.trim().split('\n').slice(1);
  return program(lines.map((l) => {
    const [code, jt, jf, k] = l.trim().split(/\s+/).map(Number);
    return { code, jt, jf, k };
  }));
}

const [input, output, expression, ddd] = process.argv.slice(2);
if (input !== undefined && output !== undefined) {
  const filter = expression === undefined ? undefined : ddd === undefined ? expression : programFromDecimal(ddd);
  const counts = await filterCapture(input, output, filter === undefined ? {} : { filter });
  process.stdout.write(`${JSON.stringify(counts)}\n`);
}
