/**
 * Programs in the kernel through bpf(2): BPF_PROG_LOAD with the verifier's
 * log in the error when the kernel refuses, and BPF_PROG_TEST_RUN to run a
 * loaded program over a packet (repeated, for timing).
 */
import { bpf, close, SyscallError } from '../capture/syscalls.js';
import { BpfAttr, kernelBuffer, kernelCopy } from './attr.js';
import { ebpfToBytes, type EbpfProgram } from './insn.js';
import { BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_XDP, BPF_XDP } from './opcodes.js';

export const BPF_PROG_LOAD = 5;
export const BPF_PROG_TEST_RUN = 10;

/** The program types bpfkit loads. */
export type ProgramType = 'socket' | 'xdp';

/**
 * The kernel refused a program. `log` is the verifier's own text; `index`
 * the instruction it stopped at when the log names one; `code` the errno
 * name (EACCES for a verifier rejection, EPERM without privileges...).
 *
 * @example
 * try { loadProgram(broken, 'xdp'); }
 * catch (e) { if (e instanceof VerifierError) console.error(e.log); }
 */
export class VerifierError extends Error {
  constructor(readonly code: string, readonly log: string, readonly index: number | undefined, readonly program: EbpfProgram) {
    const last = log.trim().split('\n').slice(-6).join('\n');
    super(`the kernel refused the eBPF program (${code})${index === undefined ? '' : ` at instruction ${index}`}` +
      (last ? `; verifier log ends:\n${last}` : '; the verifier left no log'));
    this.name = 'VerifierError';
  }
}

/** A program loaded in the kernel; close() releases it (the kernel frees it when nothing else holds it). */
export interface LoadedProgram {
  readonly fd: number;
  readonly type: ProgramType;
  readonly insns: EbpfProgram;
  close(): void;
}

/** Options for loadProgram. */
export interface LoadOptions {
  /** Name shown by bpftool (at most 15 characters of [A-Za-z0-9_.]). */
  name?: string;
  /** Ask for the verifier's log even when loading succeeds (returned in `log`). */
  log?: boolean;
}

/**
 * Loads an eBPF program with BPF_PROG_LOAD. When the verifier refuses it,
 * loads it again with a log buffer and throws VerifierError carrying the log.
 *
 * @example
 * const prog = loadProgram(translate(compile('udp'), { target: 'socket' }), 'socket');
 * try { testRun(prog, frame); } finally { prog.close(); }
 */
export function loadProgram(insns: EbpfProgram, type: ProgramType, options: LoadOptions = {}): LoadedProgram & { log?: string } {
  const code = kernelCopy(ebpfToBytes(insns));
  const license = kernelCopy(new TextEncoder().encode('GPL\0'));
  const attempt = (logSize: number): { fd: number; log: Uint8Array | undefined; error?: SyscallError } => {
    const attr = new BpfAttr()
      .u32(0, type === 'xdp' ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SOCKET_FILTER)
      .u32(4, insns.length)
      .pointer(8, code)
      .pointer(16, license)
      .string(48, sanitizeName(options.name ?? 'bpfkit'), 16);
    if (type === 'xdp') attr.u32(68, BPF_XDP); // expected_attach_type
    let log: Uint8Array | undefined;
    if (logSize > 0) {
      log = kernelBuffer(logSize);
      attr.u32(24, 1).u32(28, logSize).pointer(32, log);
    }
    try {
      return { fd: bpf(BPF_PROG_LOAD, attr.bytes), log };
    } catch (e) {
      if (e instanceof SyscallError) return { fd: -1, log, error: e };
      throw e;
    }
  };
  const first = attempt(options.log ? 1 << 20 : 0);
  if (first.fd >= 0) return loaded(first.fd, type, insns, options.log ? logText(first.log) : undefined);
  if (first.error!.code === 'EPERM') throw first.error;
  // Ask again for the log, growing the buffer while the kernel says it is too small.
  let size = 1 << 20;
  for (;;) {
    const again = attempt(size);
    if (again.fd >= 0) return loaded(again.fd, type, insns, logText(again.log)); // refused only without a log: rare, accept
    if (again.error!.code === 'ENOSPC' && size < 1 << 26) { size *= 4; continue; }
    const text = logText(again.log);
    throw new VerifierError(again.error!.code, text, failingIndex(text), insns);
  }
}

function loaded(fd: number, type: ProgramType, insns: EbpfProgram, log: string | undefined): LoadedProgram & { log?: string } {
  let open = true;
  return {
    fd, type, insns, log,
    close() { if (open) { open = false; close(fd); } },
  };
}

function sanitizeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15);
}

function logText(log: Uint8Array | undefined): string {
  if (!log) return '';
  const end = log.indexOf(0);
  return new TextDecoder().decode(log.subarray(0, end < 0 ? log.length : end));
}

/** The instruction index on the verifier log's last instruction line (`12: (61) r0 = ...`). */
function failingIndex(log: string): number | undefined {
  const lines = log.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = lines[i].match(/^(\d+): \([0-9a-f]{2}\)/);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** What one BPF_PROG_TEST_RUN returned. */
export interface TestRunResult {
  /** The program's return value (r0's low 32 bits). */
  readonly retval: number;
  /** Average nanoseconds per run, as the kernel measured it. */
  readonly duration: number;
  /** The packet after the run (XDP may rewrite it), when asked for. */
  readonly data?: Uint8Array;
}

/**
 * Runs a loaded program over one packet with BPF_PROG_TEST_RUN. For XDP the
 * packet is the frame from its link-layer header; for a socket filter the
 * kernel treats the first 14 bytes as an Ethernet header and starts the
 * socket buffer after them (see runSocketFilter for a frame-exact run).
 * `repeat` > 1 runs it that many times in the kernel (for timing).
 *
 * @example
 * const { retval } = testRun(xdpProg, frame); // XDP_DROP or XDP_PASS
 */
export function testRun(prog: LoadedProgram, data: Uint8Array, options: { repeat?: number; dataOut?: boolean } = {}): TestRunResult {
  const input = kernelCopy(data);
  const attr = new BpfAttr().u32(0, prog.fd).u32(8, data.length).pointer(16, input).u32(32, options.repeat ?? 1);
  let out: Uint8Array | undefined;
  if (options.dataOut) {
    out = kernelBuffer(data.length + 256);
    attr.u32(12, out.length).pointer(24, out);
  }
  try {
    bpf(BPF_PROG_TEST_RUN, attr.bytes);
  } catch (e) {
    if (e instanceof SyscallError) {
      throw new SyscallError('bpf', (e as SyscallError).errno, `BPF_PROG_TEST_RUN of a ${prog.type} program over ${data.length} bytes`);
    }
    throw e;
  }
  return {
    retval: attr.readU32(4),
    duration: attr.readU32(36),
    data: out ? out.slice(0, attr.readU32(12)) : undefined,
  };
}

/**
 * Bytes the kernel's test run strips from a socket filter's input (it takes
 * them as the Ethernet header and starts the socket buffer after them).
 */
export const SOCKET_TEST_RUN_HEADROOM = 14;

/**
 * Runs a loaded socket filter over a frame so that the filter sees exactly
 * these bytes from offset 0 (as a packet socket's filter does): a dummy
 * 14-byte Ethernet header is put in front for the kernel to strip. The
 * socket buffer's length is the frame's length.
 *
 * @example
 * const kept = runSocketFilter(prog, frame).retval; // 0: dropped
 */
export function runSocketFilter(prog: LoadedProgram, frame: Uint8Array, options: { repeat?: number } = {}): TestRunResult {
  const padded = new Uint8Array(SOCKET_TEST_RUN_HEADROOM + frame.length);
  padded.set(frame, SOCKET_TEST_RUN_HEADROOM);
  return testRun(prog, padded, options);
}

