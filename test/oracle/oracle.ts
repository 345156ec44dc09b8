/**
 * The oracle from TypeScript: builds test/oracle/oracle.c against Debian's
 * libpcap (once per source change) and talks to one long-running helper
 * process, so tests can ask libpcap thousands of questions cheaply.
 *
 * @example
 * const oracle = await Oracle.start();
 * const prog = await oracle.compile('tcp port 80', { linkType: 1 });
 * const results = await oracle.run(prog, [{ data: bytes, wireLength: bytes.length }]);
 * oracle.close();
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { program, type Program } from '../../src/bpf/program.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const source = join(repoRoot, 'test', 'oracle', 'oracle.c');
const binary = join(repoRoot, 'test', 'oracle', 'build', 'oracle');

/** A packet as the oracle takes it: the captured bytes and the length on the wire. */
export interface OraclePacket {
  data: Uint8Array;
  wireLength?: number;
}

export interface OracleCompileOptions {
  /** DLT_ number (1 = EN10MB). */
  linkType?: number;
  optimize?: boolean;
  snaplen?: number;
  netmask?: number;
}

/** Thrown when libpcap itself refuses an expression; `message` is libpcap's text. */
export class OracleCompileError extends Error {
  constructor(readonly expression: string, readonly libpcapMessage: string) {
    super(`libpcap: ${libpcapMessage}`);
    this.name = 'OracleCompileError';
  }
}

/** Builds the helper if it is missing or older than its source; returns its path. */
export function buildOracle(): string {
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return binary;
  mkdirSync(dirname(binary), { recursive: true });
  // Test files run in parallel and may all find the helper missing: each links
  // its own copy and renames it into place, so none ever spawns a half-written
  // (not yet executable) file.
  const partial = `${binary}.${process.pid}.partial`;
  const cc = spawnSync('cc', ['-O2', '-o', partial, source, '-lpcap'], { encoding: 'utf8' });
  if (cc.status !== 0) {
    rmSync(partial, { force: true });
    throw new Error(`cannot build the libpcap oracle (is libpcap-dev installed? apt-get install -y libpcap-dev):\n${cc.stderr}`);
  }
  renameSync(partial, binary);
  return binary;
}

function hex(bytes: Uint8Array): string {
  return bytes.length === 0 ? '-' : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function encodeProgram(prog: Program): string {
  return `${prog.length} ${prog.map((x) => `${x.code},${x.jt},${x.jf},${x.k}`).join(' ')}`;
}

function decodeProgram(fields: string[]): Program {
  return program(fields.map((f) => {
    const [code, jt, jf, k] = f.split(',').map(Number);
    return { code, jt, jf, k };
  }));
}

/** One running oracle process. Requests are answered in order. */
export class Oracle {
  private readonly pending: Array<(line: string) => void> = [];
  private lastProgram: string | undefined;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => this.pending.shift()?.(line));
    child.on('exit', () => {
      for (const resolve of this.pending.splice(0)) resolve('err oracle exited');
    });
  }

  /** Builds (if needed) and starts the helper. */
  static async start(): Promise<Oracle> {
    const child = spawn(buildOracle(), [], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => {});
    return new Oracle(child);
  }

  private request(line: string): Promise<string> {
    if (line.includes('\n')) throw new Error('oracle requests are single lines');
    return new Promise((resolve) => {
      this.pending.push(resolve);
      this.child.stdin.write(line + '\n');
    });
  }

  /** Compiles an expression with pcap_compile(); rejects with OracleCompileError when libpcap refuses it. */
  async compile(expression: string, options: OracleCompileOptions = {}): Promise<Program> {
    const { linkType = 1, optimize = true, snaplen = 262144, netmask = 0 } = options;
    const answer = await this.request(`compile ${linkType} ${optimize ? 1 : 0} ${snaplen} ${netmask >>> 0} ${expression}`);
    if (answer.startsWith('err ')) throw new OracleCompileError(expression, answer.slice(4));
    const fields = answer.split(' ');
    return decodeProgram(fields.slice(2));
  }

  private async load(prog: Program): Promise<void> {
    const encoded = encodeProgram(prog);
    if (encoded === this.lastProgram) return;
    const answer = await this.request(`program ${encoded}`);
    if (answer !== 'ok') throw new Error(`oracle refused program: ${answer}`);
    this.lastProgram = encoded;
  }

  /** Runs bpf_filter() on each packet; returns each return value. */
  async run(prog: Program, packets: readonly OraclePacket[]): Promise<number[]> {
    await this.load(prog);
    const out: number[] = [];
    // Keep each request line a reasonable size.
    for (let start = 0; start < packets.length; start += 256) {
      const chunk = packets.slice(start, start + 256);
      const answer = await this.request(`run ${chunk.length} ${chunk.map((p) => `${p.wireLength ?? p.data.length}:${hex(p.data)}`).join(' ')}`);
      if (!answer.startsWith('ok')) throw new Error(`oracle run failed: ${answer}`);
      const values = answer.split(' ').slice(1);
      if (values.length !== chunk.length || values.includes('err')) throw new Error(`oracle run answered badly: ${answer.slice(0, 200)}`);
      for (const v of values) out.push(Number(v));
    }
    return out;
  }

  /** libpcap's bpf_validate() verdict on a program. */
  async validate(prog: Program): Promise<boolean> {
    await this.load(prog);
    const answer = await this.request('validate');
    return answer === 'ok 1';
  }

  /** libpcap's bpf_image() of each instruction: the lines `tcpdump -d` prints, for any program. */
  async image(prog: Program): Promise<string[]> {
    await this.load(prog);
    const answer = await this.request('image');
    if (!answer.startsWith('ok')) throw new Error(`oracle image failed: ${answer}`);
    return answer.split(' ').slice(1).map((h) => (h === '-' ? '' : Buffer.from(h, 'hex').toString('latin1')));
  }

  /** Whether the running Linux kernel accepts the program as a socket filter (SO_ATTACH_FILTER), and the errno if not. */
  async attach(prog: Program): Promise<{ accepted: boolean; errno: number }> {
    await this.load(prog);
    const answer = await this.request('attach');
    if (!answer.startsWith('ok ')) throw new Error(`oracle attach failed: ${answer}`);
    const [, verdict, errno] = answer.split(' ');
    return { accepted: verdict === '1', errno: Number(errno ?? 0) };
  }

  /**
   * Runs the program in the Linux kernel as a UNIX datagram socket's filter:
   * per packet, the length received (the filter's result caps it), or -1 when
   * the filter dropped it. Wire lengths are ignored.
   */
  async kernelRun(prog: Program, packets: readonly OraclePacket[]): Promise<number[]> {
    await this.load(prog);
    const out: number[] = [];
    for (let start = 0; start < packets.length; start += 256) {
      const chunk = packets.slice(start, start + 256);
      const answer = await this.request(`kernelrun ${chunk.length} ${chunk.map((p) => `${p.data.length}:${hex(p.data)}`).join(' ')}`);
      if (!answer.startsWith('ok')) throw new Error(`oracle kernelrun failed: ${answer}`);
      const values = answer.split(' ').slice(1);
      if (values.length !== chunk.length || values.includes('err')) throw new Error(`oracle kernelrun answered badly: ${answer.slice(0, 200)}`);
      for (const v of values) out.push(Number(v));
    }
    return out;
  }

  /** Times bpf_filter() in C over the packets, `reps` times; returns total nanoseconds and the match count. */
  async time(prog: Program, packets: readonly OraclePacket[], reps: number): Promise<{ nanoseconds: number; matches: number }> {
    await this.load(prog);
    const answer = await this.request(`time ${reps} ${packets.length} ${packets.map((p) => `${p.wireLength ?? p.data.length}:${hex(p.data)}`).join(' ')}`);
    if (!answer.startsWith('ok ')) throw new Error(`oracle time failed: ${answer}`);
    const [, ns, matches] = answer.split(' ');
    return { nanoseconds: Number(ns), matches: Number(matches) };
  }

  /** Times pcap_compile() of an expression in C, `reps` times; returns total nanoseconds. */
  async timeCompile(expression: string, options: { linkType?: number; optimize?: boolean; reps: number }): Promise<number> {
    const answer = await this.request(`timecompile ${options.linkType ?? 1} ${options.optimize ?? true ? 1 : 0} ${options.reps} ${expression}`);
    if (!answer.startsWith('ok ')) throw new OracleCompileError(expression, answer.slice(4));
    return Number(answer.split(' ')[1]);
  }

  /** Ends the helper process. */
  close(): void {
    this.child.stdin.end('quit\n');
  }
}
