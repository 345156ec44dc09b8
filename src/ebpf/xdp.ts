/**
 * A classic filter at XDP, the earliest point of the receive path: the
 * Program is translated to eBPF whose verdict for matching packets is drop,
 * pass or count, with per-CPU counters of matched and unmatched packets in an
 * array map, and attached to an interface through a BPF link
 * (BPF_LINK_CREATE). A link lives as long as a descriptor or a pin holds it:
 * when the process exits, the kernel detaches the program, unless it was
 * pinned in the BPF filesystem.
 */
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Program } from '../bpf/program.js';
import { bpf, close, ifNameToIndex, mount, SyscallError } from '../capture/syscalls.js';
import { BpfAttr, kernelCopy } from './attr.js';
import { loadProgram, type LoadedProgram } from './loader.js';
import { BpfMap } from './maps.js';
import { BPF_XDP, XDP_DROP, XDP_PASS } from './opcodes.js';
import { COUNTER_MATCH, COUNTER_NO_MATCH, translate } from './translate.js';
import type { EbpfProgram } from './insn.js';

export const BPF_OBJ_PIN = 6;
export const BPF_LINK_CREATE = 28;
export const BPF_LINK_DETACH = 34;
/** XDP attach flags (include/uapi/linux/if_link.h). */
export const XDP_FLAGS_SKB_MODE = 1 << 1;
export const XDP_FLAGS_DRV_MODE = 1 << 2;

/** What happens to packets the filter matches: `drop` them, `pass` only them (drop the rest), or `count` them and pass everything. */
export type XdpAction = 'drop' | 'pass' | 'count';
/** `generic` runs after the socket buffer is built (any device); `native` in the driver (veth, most NICs); `auto` lets the kernel choose. */
export type XdpMode = 'generic' | 'native' | 'auto';

/**
 * Thrown for a bad XDP request: names the interface, option or pin path.
 *
 * @example
 * try { attachXdp(prog, { interface: 'nosuch0', action: 'drop' }); } catch (e) { (e as XdpError).message } // 'no interface named "nosuch0" ...'
 */
export class XdpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XdpError';
  }
}

/** The XDP actions for matching and other packets. @example xdpVerdicts('drop') // { onMatch: 1, onNoMatch: 2 } */
export function xdpVerdicts(action: XdpAction): { onMatch: number; onNoMatch: number } {
  switch (action) {
    case 'drop': return { onMatch: XDP_DROP, onNoMatch: XDP_PASS };
    case 'pass': return { onMatch: XDP_PASS, onNoMatch: XDP_DROP };
    case 'count': return { onMatch: XDP_PASS, onNoMatch: XDP_PASS };
  }
  throw new XdpError(`XDP action "${String(action)}" must be drop, pass or count`);
}

/** Options for attachXdp. */
export interface XdpOptions {
  /** Interface name in the calling process's network namespace. */
  interface: string;
  action: XdpAction;
  /** Default 'auto'. */
  mode?: XdpMode;
  /**
   * Pin the link (and `${pin}_counters` for the map) in the BPF filesystem so
   * the program stays attached after this process exits. Must be under a
   * bpffs mount; /sys/fs/bpf is mounted when missing.
   */
  pin?: string;
}

/** Packets seen by an XDP filter so far. */
export interface XdpCounters {
  readonly matched: bigint;
  readonly unmatched: bigint;
}

/**
 * A classic filter attached at XDP. `counters()` reads the per-CPU counters;
 * `detach()` removes the program (also when pinned) and frees everything.
 *
 * @example
 * const xdp = attachXdp(compile('udp port 7777'), { interface: 'veth1', action: 'drop' });
 * console.log(xdp.counters().matched);
 * xdp.detach();
 */
export class XdpFilter {
  private attached = true;
  /** @internal Use attachXdp. */
  constructor(
    readonly ifindex: number,
    readonly options: Readonly<XdpOptions>,
    readonly program: LoadedProgram,
    readonly countersMap: BpfMap,
    private readonly linkFd: number,
  ) {}

  /** Matched and unmatched packets, summed over CPUs. */
  counters(): XdpCounters {
    return { matched: this.countersMap.sumU64(COUNTER_MATCH), unmatched: this.countersMap.sumU64(COUNTER_NO_MATCH) };
  }

  /** The eBPF instructions running in the kernel. */
  get insns(): EbpfProgram {
    return this.program.insns;
  }

  /** Whether detach() has been called. */
  get isAttached(): boolean {
    return this.attached;
  }

  /**
   * Detaches the program from the interface (BPF_LINK_DETACH, so a pin does
   * not keep it attached), removes pins, and closes every descriptor.
   */
  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    try {
      bpf(BPF_LINK_DETACH, new BpfAttr().u32(0, this.linkFd).bytes);
    } finally {
      if (this.options.pin) unpinXdp(this.options.pin);
      close(this.linkFd);
      this.program.close();
      this.countersMap.close();
    }
  }
}

/**
 * Translates `prog` (a Program for Ethernet frames) for XDP, loads it with a
 * per-CPU counters map, and attaches it to the interface. Throws
 * TranslateError when the Program needs what XDP lacks, VerifierError with
 * the verifier's log when the kernel refuses it, XdpError for an unknown
 * interface, SyscallError (EBUSY, EOPNOTSUPP...) when attaching fails.
 *
 * @example
 * const xdp = attachXdp(compile('udp port 7777'), { interface: 'veth1', action: 'drop', mode: 'native' });
 */
export function attachXdp(prog: Program, options: XdpOptions): XdpFilter {
  const verdicts = xdpVerdicts(options.action);
  const ifindex = ifNameToIndex(options.interface);
  if (ifindex === 0) throw new XdpError(`no interface named "${options.interface}" in this network namespace`);
  const mode = options.mode ?? 'auto';
  if (mode !== 'generic' && mode !== 'native' && mode !== 'auto') throw new XdpError(`XDP mode "${String(mode)}" must be generic, native or auto`);
  const counters = BpfMap.create({ kind: 'percpu_array', valueSize: 8, maxEntries: 2, name: 'bpfkit_xdp_cnt' });
  let loaded: LoadedProgram | undefined;
  let linkFd = -1;
  try {
    const insns = translate(prog, { target: 'xdp', ...verdicts, countersFd: counters.fd });
    loaded = loadProgram(insns, 'xdp', { name: `bpfkit_${options.action}` });
    const flags = mode === 'generic' ? XDP_FLAGS_SKB_MODE : mode === 'native' ? XDP_FLAGS_DRV_MODE : 0;
    const attr = new BpfAttr().u32(0, loaded.fd).u32(4, ifindex).u32(8, BPF_XDP).u32(12, flags);
    try {
      linkFd = bpf(BPF_LINK_CREATE, attr.bytes);
    } catch (e) {
      if (e instanceof SyscallError) {
        const hint = e.code === 'EBUSY' || e.code === 'EEXIST' ? ': another XDP program is already attached there'
          : e.code === 'EOPNOTSUPP' ? `: the driver has no ${mode} XDP support` : '';
        throw new XdpError(`attaching XDP (${mode}) to ${options.interface}: ${e.code}${hint}`);
      }
      throw e;
    }
    if (options.pin) {
      ensureBpffs(dirname(options.pin));
      try {
        pinObject(linkFd, options.pin);
        pinObject(counters.fd, `${options.pin}_counters`);
      } catch (e) {
        unpinXdp(options.pin);
        throw e;
      }
    }
    return new XdpFilter(ifindex, { ...options, mode }, loaded, counters, linkFd);
  } catch (e) {
    if (linkFd >= 0) close(linkFd);
    loaded?.close();
    counters.close();
    throw e;
  }
}

/**
 * Removes the pins attachXdp made at `path` (the link and its counters); the
 * program detaches when nothing else holds the link.
 *
 * @example
 * unpinXdp('/sys/fs/bpf/bpfkit-eth0');
 */
export function unpinXdp(path: string): void {
  for (const p of [path, `${path}_counters`]) if (existsSync(p)) unlinkSync(p);
}

function pinObject(fd: number, path: string): void {
  // bpffs refuses names with a dot (EPERM), a surprise worth naming.
  if (path.slice(path.lastIndexOf('/') + 1).includes('.')) throw new XdpError(`pin path ${path}: BPF filesystem names cannot contain "."`);
  const name = kernelCopy(new TextEncoder().encode(`${path}\0`));
  try {
    bpf(BPF_OBJ_PIN, new BpfAttr().pointer(0, name).u32(8, fd).bytes);
  } catch (e) {
    if (e instanceof SyscallError) throw new XdpError(`pinning at ${path}: ${e.code}${e.code === 'EEXIST' ? ' (something is already pinned there)' : ''}`);
    throw e;
  }
}

/** Mounts the BPF filesystem at /sys/fs/bpf when `dir` is inside it and nothing is mounted there yet. */
function ensureBpffs(dir: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' '));
  if (mounts.some((f) => f[2] === 'bpf' && (dir === f[1] || dir.startsWith(`${f[1]}/`)))) return;
  if (dir !== '/sys/fs/bpf' && !dir.startsWith('/sys/fs/bpf/')) throw new XdpError(`${dir} is not on a BPF filesystem`);
  mount('bpf', '/sys/fs/bpf', 'bpf');
}

