/**
 * Live capture: `openLive(interface, options)` and the capture it returns.
 *
 * Packets come from the socket's TPACKET_V3 ring (or, as a fallback, the plain
 * receive queue), one ring block at a time, only when the consumer asks for
 * more: a slow consumer leaves blocks with the kernel, which then drops and
 * counts packets (see `stats()`), instead of this process buffering without
 * bound. Waiting for a block never blocks Node's event loop.
 */
import { Readable } from 'node:stream';
import type { Program } from '../bpf/program.js';
import { jit, type CompiledFilter } from '../bpf/jit.js';
import { isValid, verifyProblem } from '../bpf/verifier.js';
import { Matcher } from '../bpf/filter.js';
import type { AncillaryContext } from '../bpf/context.js';
import type { PacketBatch } from '../bpf/batch.js';
import type { PacketRecord } from '../pcap/record.js';
import { CaptureFilter, type FilterSpec } from '../pcap/capture-filter.js';
import { CaptureError } from './errors.js';
import { interfaceIdentity } from './interfaces.js';
import {
  ACCEPT_ALL, REJECT_ALL, SLL2_LAYOUT, SLL_LAYOUT, attachFilter, cookedToKernel, lockFilter as lockKernelFilter, swapFilter,
} from './kernel-filter.js';
import { DLT_LINUX_SLL, DLT_LINUX_SLL2, cookedHeaderLength, dltForArphrd, writeCookedHeader } from './link.js';
import { openPacketSocket } from './packet-socket.js';
import type { RingBlock, RxRing } from './ring.js';
import {
  MSG_DONTWAIT, MSG_TRUNC, PACKET_OUTGOING, PACKET_STATISTICS, POLLERR, POLLHUP, POLLNVAL, SIOCGSTAMPNS, SOL_PACKET,
  SOL_SOCKET, SO_ERROR, SyscallError, errno, type WaitMethod, type Waiter, close as closeFd, drain, getsockopt, getsockoptInt,
  ioctl, pollOne, recvfrom, sendto, waitReadable,
} from './syscalls.js';
import {
  FRAME_LEN, FRAME_MAC, FRAME_NET, FRAME_NSEC, FRAME_SEC, FRAME_SLL, FRAME_SNAPLEN, FRAME_STATUS, FRAME_VLAN_TCI,
  FRAME_VLAN_TPID, TP_STATUS_VLAN_TPID_VALID, TP_STATUS_VLAN_VALID, ringGeometry, BLOCK_LEN, TPACKET3_HDRLEN, align,
} from './tpacket.js';

/** Which packets to capture by direction, as tcpdump's -Q. */
export type Direction = 'in' | 'out' | 'inout';

/**
 * Puts a capture's kernel filter into its socket another way than classic
 * BPF's SO_ATTACH_FILTER, e.g. as the Program's eBPF translation
 * (SO_ATTACH_BPF: `ebpfKernelFilter` in the eBPF layer). The capture keeps
 * the order that makes any attachment race-free: at open, before the socket
 * is bound; in `setFilter()`, after a classic reject-all filter has stood
 * guard while the queue was drained. Frames already in the ring are judged
 * again in user space by the classic Program, so an attacher must make the
 * kernel accept exactly what that Program accepts.
 */
export interface KernelFilterAttacher {
  /** What it attaches, reported by `LiveCapture.kernelFilterKind` (e.g. 'ebpf'). */
  readonly kind: string;
  /**
   * Readies `prog` for attaching (e.g. translates and loads it). `prog` is
   * the Program the kernel should run: for a cooked capture, already moved
   * to the kernel's view. Called before the socket is touched, so when it
   * throws the capture is left as it was.
   */
  prepare(prog: Program): KernelFilterAttachment;
}

/** A kernel filter ready to attach; released once attached (the socket keeps its own reference) or abandoned. */
export interface KernelFilterAttachment {
  /** Attaches it to a socket that has nothing queued that it would refuse. */
  attach(fd: number): void;
  /** Frees what `prepare` took. */
  release(): void;
}

export interface LiveOptions {
  /** Kernel filter: a Program, or a pcap-filter expression compiled for the capture's link type. */
  filter?: FilterSpec;
  /** Promiscuous mode through PACKET_ADD_MEMBERSHIP; undone by the kernel when the socket closes. Default false. */
  promiscuous?: boolean;
  /** Bytes kept of each packet. Default 262144, as tcpdump. */
  snaplen?: number;
  /** Direction, as tcpdump -Q. Default 'inout'. */
  direction?: Direction;
  /** Kernel buffer (ring) size in bytes. Default 2 MiB, as tcpdump -B. */
  bufferSize?: number;
  /** Block timeout in ms: how long a partly filled ring block may wait. Default 100. */
  timeout?: number;
  /** Deliver packets as soon as they arrive (a 1 ms block timeout). */
  immediate?: boolean;
  /** Ring block size in bytes (a multiple of the page size); chosen from the snaplen by default. */
  blockSize?: number;
  /** Use the TPACKET_V3 ring (default) or, with false, the plain receive queue. */
  ring?: boolean;
  /** For "any" or to force a cooked capture: 'LINUX_SLL' (default for "any") or 'LINUX_SLL2'. */
  linkType?: 'LINUX_SLL' | 'LINUX_SLL2';
  /** Lock the kernel filter (SO_LOCK_FILTER): setFilter() then fails. */
  lockFilter?: boolean;
  /** How to wait for packets: 'uv' (libuv's poller) or 'thread' (poll on koffi's worker pool). */
  wait?: WaitMethod;
  /** How the kernel filter is attached, now and by later `setFilter()` calls; classic SO_ATTACH_FILTER by default. */
  kernelFilter?: KernelFilterAttacher;
}

/** Options of `LiveCapture.setFilter()`. */
export interface SetFilterOptions {
  /** How to attach this and later filters: an attacher, or 'classic' for SO_ATTACH_FILTER. Default: as before. */
  kernelFilter?: KernelFilterAttacher | 'classic';
}

/** Kernel statistics (PACKET_STATISTICS) plus what this capture delivered. */
export interface CaptureStats {
  /** Packets the kernel filter accepted (delivered or dropped): tcpdump's "received by filter". */
  received: number;
  /** Packets the kernel dropped for lack of room: tcpdump's "dropped by kernel". */
  dropped: number;
  /** Packets this capture handed to the consumer: tcpdump's "captured". */
  captured: number;
}

/**
 * A batch of packets from one ring block, plus per-packet metadata. Valid
 * until the next batch is asked for: the block then returns to the kernel and
 * the arrays are reused for the next batch.
 */
export interface LiveBatch extends PacketBatch {
  readonly timestamps: { readonly sec: Uint32Array; readonly nsec: Uint32Array };
  readonly ifindexes: Int32Array;
  readonly linkType: number;
}

const DEFAULT_SNAPLEN = 262144;
const DEFAULT_BUFFER = 2 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 100;
const VLAN_TAG_LEN = 4;
const RECV_BURST = 256;

/**
 * Opens a live capture on `ifname` ("any" for all interfaces). The filter is
 * in the kernel before the socket can receive anything, so no packet the
 * filter refuses is ever delivered.
 *
 * @example
 * const live = await openLive('eth0', { filter: prog, promiscuous: true, immediate: true });
 * for await (const pkt of live) { console.log(pkt.len); if (++n === 10) break; }
 * await live.close();
 */
export function openLive(ifname: string, options: LiveOptions = {}): Promise<LiveCapture> {
  const spec = options.filter;
  if (typeof spec === 'string') {
    return loadFilter(spec).then((filter) => new LiveCapture(ifname, { ...options, filter: filter ?? undefined }));
  }
  // With a Program the socket opens before this returns (callers may rely on the thread's namespace).
  try {
    return Promise.resolve(new LiveCapture(ifname, { ...options, filter: spec }));
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * A running capture: async-iterable over PacketRecords, with `batches()`,
 * `readable()`, `forEach()`, `setFilter()`, `stats()`, `inject()`, `close()`.
 * Open it with `openLive`.
 *
 * @example
 * const live = await openLive('lo', { filter: prog });
 * const first = await live.next();
 */
export class LiveCapture implements AsyncIterable<PacketRecord> {
  readonly interfaceName: string;
  /** Interface index bound to (0 for "any"). */
  readonly ifindex: number;
  /** DLT of the delivered packets. */
  readonly linkType: number;
  readonly snaplen: number;
  readonly direction: Direction;

  private readonly fd: number;
  private readonly ring: RxRing | null;
  private readonly cookedLength: number;
  private readonly dropOutgoing: 'all' | 'loopback';
  private readonly loopbackIndex: number;
  private readonly waitMethod: WaitMethod | undefined;
  private filterLocked: boolean;
  private attacher: KernelFilterAttacher | null;
  private kernelKind: string;
  private userProgram: Program | null = null;
  private userMatch: CompiledFilter | null = null;
  private kernelMatch: CompiledFilter | null = null;
  /** Ring blocks still to re-judge in user space after a filter change. */
  private rerunBlocks = 0;
  private queue: PacketRecord[] = [];
  private queueAt = 0;
  private heldBlock: RingBlock | null = null;
  private batch: LiveBatch | null = null;
  private waiter: Waiter | null = null;
  private wake: ((ready: boolean) => void) | null = null;
  private closed = false;
  private reading = false;
  private readonly totals = { received: 0, dropped: 0 };
  private captured = 0;
  private readonly recvBuffer: Uint8Array | null;
  private readonly recvAddr = new Uint8Array(20);
  private readonly stamp = new Uint8Array(16);

  /** @internal Use `openLive`. */
  constructor(ifname: string, options: Omit<LiveOptions, 'filter'> & { filter?: FilterSpec | CaptureFilter }) {
    const snaplen = options.snaplen ?? DEFAULT_SNAPLEN;
    if (!Number.isInteger(snaplen) || snaplen <= 0 || snaplen > DEFAULT_SNAPLEN) {
      throw new CaptureError('BAD_OPTION', `snaplen ${snaplen} must be an integer from 1 to ${DEFAULT_SNAPLEN}`);
    }
    const direction = options.direction ?? 'inout';
    if (direction !== 'in' && direction !== 'out' && direction !== 'inout') {
      throw new CaptureError('BAD_OPTION', `direction "${String(direction)}" must be 'in', 'out' or 'inout'`);
    }
    const bufferSize = options.bufferSize ?? DEFAULT_BUFFER;
    if (!Number.isInteger(bufferSize) || bufferSize < 4096) {
      throw new CaptureError('BAD_OPTION', `bufferSize ${bufferSize} must be an integer of at least 4096 bytes`);
    }
    const any = ifname === 'any';
    const identity = any ? null : interfaceIdentity(ifname);
    const rawDlt = identity ? dltForArphrd(identity.arphrd) : null;
    let dlt: number;
    if (options.linkType !== undefined) {
      if (options.linkType !== 'LINUX_SLL' && options.linkType !== 'LINUX_SLL2') {
        throw new CaptureError('BAD_OPTION', `linkType "${String(options.linkType)}" must be 'LINUX_SLL' or 'LINUX_SLL2'`);
      }
      dlt = options.linkType === 'LINUX_SLL' ? DLT_LINUX_SLL : DLT_LINUX_SLL2;
    } else {
      dlt = rawDlt ?? DLT_LINUX_SLL;
    }
    const cooked = dlt === DLT_LINUX_SLL || dlt === DLT_LINUX_SLL2;
    this.interfaceName = ifname;
    this.ifindex = identity?.index ?? 0;
    this.linkType = dlt;
    this.snaplen = snaplen;
    this.direction = direction;
    this.cookedLength = cooked ? cookedHeaderLength(dlt) : 0;
    this.filterLocked = options.lockFilter ?? false;
    this.waitMethod = options.wait;
    this.loopbackIndex = loopbackIndex();
    const useRing = options.ring ?? true;
    const spec = options.filter ?? null;
    if (typeof spec === 'string') {
      throw new CaptureError('BAD_OPTION', `filter "${spec}": an expression needs the compiler loaded first; open with openLive()`);
    }
    const plan = this.planFilter(spec);
    this.attacher = checkAttacher(options.kernelFilter);
    this.kernelKind = plan.kernel ? this.attacher?.kind ?? 'classic' : 'none';
    const blockTimeoutMs = options.immediate ? 1 : options.timeout ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(blockTimeoutMs) || blockTimeoutMs < 0) {
      throw new CaptureError('BAD_OPTION', `timeout ${blockTimeoutMs} must be a non-negative integer (ms)`);
    }
    const ring = useRing ? ringGeometry({ bufferSize, snaplen, blockTimeoutMs, blockSize: options.blockSize, reserve: cooked ? this.cookedLength : VLAN_TAG_LEN }) : null;
    const prepared = plan.kernel && this.attacher ? this.attacher.prepare(plan.kernel) : null;
    let sock;
    try {
      sock = openPacketSocket({
        ifindex: this.ifindex,
        cooked,
        program: plan.kernel,
        attach: prepared ? (fd) => prepared.attach(fd) : undefined,
        lock: this.filterLocked,
        ring,
        reserve: cooked ? this.cookedLength : VLAN_TAG_LEN,
        bufferSize,
        promiscuous: options.promiscuous ?? false,
        ignoreOutgoing: direction === 'in',
      });
    } finally {
      prepared?.release();
    }
    this.fd = sock.fd;
    this.ring = sock.ring;
    this.dropOutgoing = direction === 'in' && !sock.ignoringOutgoing ? 'all' : 'loopback';
    this.installUserFilter(plan);
    this.recvBuffer = useRing ? null : new Uint8Array(this.cookedLength + Math.min(snaplen, 65536) + VLAN_TAG_LEN);
  }

  /** Whether close() has been called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Whether packets come from the memory-mapped ring (else the plain receive queue). */
  get usesRing(): boolean {
    return this.ring !== null;
  }

  /** What runs in the kernel: 'none', 'classic' (SO_ATTACH_FILTER), or the `kind` of the attacher used (e.g. 'ebpf'). */
  get kernelFilterKind(): string {
    return this.kernelKind;
  }

  /**
   * Replaces the filter, atomically as far as the consumer can see: once the
   * returned promise resolves, no packet accepted only by the old filter is
   * delivered. The kernel gets reject-all, its queue is drained, then the
   * new Program; ring frames and queued records judged by the old filter are
   * re-judged by the new one in user space. `options.kernelFilter` changes
   * how this and later filters are attached (e.g. as eBPF); the new filter
   * is readied (translated, loaded) before the socket is touched.
   *
   * @example
   * await live.setFilter(compile('udp port 53'));
   * await live.setFilter('tcp', { kernelFilter: 'classic' });
   */
  async setFilter(filter: FilterSpec, options: SetFilterOptions = {}): Promise<void> {
    this.assertOpen('setFilter');
    if (this.filterLocked) {
      throw new CaptureError('FILTER_LOCKED', `the filter of the capture on ${this.interfaceName} is locked (lockFilter)`);
    }
    const attacher = options.kernelFilter === undefined ? this.attacher
      : options.kernelFilter === 'classic' ? null : checkAttacher(options.kernelFilter);
    const plan = this.planFilter(await loadFilter(filter));
    // Compiling may have taken a while: the descriptor must still be ours.
    this.assertOpen('setFilter');
    const kernel = plan.kernel ?? ACCEPT_ALL;
    if (attacher) {
      const prepared = attacher.prepare(kernel);
      try {
        // What swapFilter does, with the attacher's last step.
        attachFilter(this.fd, REJECT_ALL);
        drain(this.fd);
        prepared.attach(this.fd);
      } finally {
        prepared.release();
      }
    } else {
      swapFilter(this.fd, kernel);
    }
    this.attacher = attacher;
    this.kernelKind = attacher?.kind ?? 'classic';
    this.installUserFilter(plan);
    if (this.ring) this.rerunBlocks = this.ring.geometry.blockCount + 1;
    // Records already copied out were judged by the old filter: judge them again.
    const check = this.userMatch ?? userMatcher(plan.user ?? ACCEPT_ALL);
    const keep: PacketRecord[] = [];
    for (let i = this.queueAt; i < this.queue.length; i++) {
      const r = this.queue[i];
      if (check(r.data, r.len, {}) !== 0) keep.push(r);
    }
    this.queue = keep;
    this.queueAt = 0;
  }

  /**
   * Locks the current kernel filter (SO_LOCK_FILTER): later setFilter() calls fail.
   *
   * @example
   * live.lockFilter();
   */
  lockFilter(): void {
    this.assertOpen('lockFilter');
    lockKernelFilter(this.fd);
    this.filterLocked = true;
  }

  /**
   * Kernel counters (PACKET_STATISTICS, which the kernel resets on each read,
   * so they are accumulated here) and the number of packets delivered.
   *
   * @example
   * const { received, dropped, captured } = live.stats();
   */
  stats(): CaptureStats {
    if (!this.closed) this.readKernelStats();
    return { received: this.totals.received, dropped: this.totals.dropped, captured: this.captured };
  }

  /**
   * Sends a raw frame out of the capture's interface (with its link header,
   * e.g. a whole Ethernet frame). Returns the bytes sent.
   *
   * @example
   * live.inject(ethernetFrame);
   */
  inject(frame: Uint8Array): number {
    this.assertOpen('inject');
    if (this.ifindex === 0 || this.cookedLength !== 0) {
      throw new CaptureError('NOT_SUPPORTED', `sending packets is not supported on a cooked capture ("${this.interfaceName}")`);
    }
    if (frame.length === 0) throw new CaptureError('BAD_OPTION', 'inject: the frame is empty');
    return sendto(this.fd, frame, 0);
  }

  /**
   * The next packet, or null once the capture is closed.
   *
   * @example
   * const pkt = await live.next();
   */
  async next(): Promise<PacketRecord | null> {
    while (this.queueAt >= this.queue.length) {
      if (!(await this.fill())) return null;
    }
    const r = this.queue[this.queueAt++];
    if (this.queueAt === this.queue.length) {
      this.queue = [];
      this.queueAt = 0;
    }
    this.captured++;
    return r;
  }

  /**
   * Async iteration over the packets. Packets already copied out of the ring
   * are handed over without a trip through an async generator: iteration cost
   * matters at hundreds of thousands of packets per second.
   */
  [Symbol.asyncIterator](): AsyncIterator<PacketRecord> {
    const done: IteratorReturnResult<undefined> = { done: true, value: undefined };
    return {
      next: (): Promise<IteratorResult<PacketRecord>> => {
        if (this.queueAt < this.queue.length) {
          const value = this.queue[this.queueAt++];
          this.captured++;
          return Promise.resolve({ done: false, value });
        }
        return this.next().then((r) => (r === null ? done : { done: false, value: r }));
      },
      return: async (): Promise<IteratorResult<PacketRecord>> => done,
    };
  }

  /**
   * Packets one ring block at a time, without copying: each batch's `data` is
   * the ring itself, valid until the next batch is asked for (the block then
   * goes back to the kernel). Ring captures only.
   *
   * @example
   * for await (const b of live.batches()) total += b.count;
   */
  async *batches(): AsyncGenerator<LiveBatch, void, undefined> {
    const ring = this.ring;
    if (!ring) throw new CaptureError('NOT_SUPPORTED', 'batches() needs the ring (open without ring: false)');
    try {
      for (;;) {
        this.releaseHeld();
        const block = await this.nextBlock();
        if (!block) return;
        this.heldBlock = block;
        const batch = this.batchOf(ring, block);
        this.captured += batch.count;
        if (batch.count > 0) yield batch;
      }
    } finally {
      this.releaseHeld();
    }
  }

  /**
   * The capture as a Node.js object-mode Readable stream of PacketRecords,
   * with the stream's own backpressure (nothing is read while it is full).
   *
   * @example
   * live.readable().pipe(myWritable);
   */
  readable(): Readable {
    return Readable.from(this, { objectMode: true });
  }

  /**
   * Calls `onPacket` for each packet until the capture is closed; if it
   * returns a promise, the next packet waits for it (backpressure).
   *
   * @example
   * await live.forEach(async (pkt) => { await save(pkt); });
   */
  async forEach(onPacket: (packet: PacketRecord) => void | Promise<void>): Promise<void> {
    for (;;) {
      const r = await this.next();
      if (r === null) return;
      const p = onPacket(r);
      if (p) await p;
    }
  }

  /**
   * Stops the capture: stop waiting, mark closed, unmap the ring, close the
   * socket, in that order, so no view of the ring outlives its mapping.
   * Idempotent. Pending `next()` calls resolve with null.
   *
   * @example
   * await live.close();
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.readKernelStats();
    this.waiter?.cancel();
    this.waiter = null;
    this.closed = true;
    this.heldBlock = null;
    this.batch = null;
    this.queue = [];
    this.queueAt = 0;
    this.ring?.close();
    closeFd(this.fd);
    const wake = this.wake;
    this.wake = null;
    wake?.(false);
  }

  // -------------------------------------------------------------------------

  private assertOpen(what: string): void {
    if (this.closed) throw new CaptureError('CLOSED', `${what}: the capture on ${this.interfaceName} is closed`);
  }

  /** Splits a filter into what runs in the kernel and what must run here. */
  private planFilter(filter: Program | CaptureFilter | null): { kernel: Program | null; user: Program | null } {
    if (filter === null) return { kernel: null, user: null };
    // Expressions compile for the capture's link type (cooked for "any").
    const prog = filter instanceof CaptureFilter ? filter.program(this.linkType) : filter;
    const refused = verifyProblem(prog, { mode: 'linux' });
    if (refused) {
      // libpcap's own constructs the kernel refuses (the backward jump of `ip6 protochain`):
      // as libpcap does on Linux, the kernel passes everything and the Program runs here.
      if (!isValid(prog, { mode: 'bsd' })) throw refused;
      return { kernel: ACCEPT_ALL, user: prog };
    }
    if (!this.cookedLength) return { kernel: prog, user: prog };
    const kernel = cookedToKernel(prog, this.linkType === DLT_LINUX_SLL ? SLL_LAYOUT : SLL2_LAYOUT);
    // A Program reading cooked-header bytes the kernel cannot supply runs here instead.
    return kernel ? { kernel, user: prog } : { kernel: ACCEPT_ALL, user: prog };
  }

  private installUserFilter(plan: { kernel: Program | null; user: Program | null }): void {
    this.kernelMatch = plan.kernel ? jit(plan.kernel, { semantics: 'linux' }) : null;
    this.userProgram = plan.user;
    // Always filtering here is only needed when the kernel could not take the Program.
    this.userMatch = plan.user && plan.kernel === ACCEPT_ALL && plan.user !== ACCEPT_ALL ? userMatcher(plan.user) : null;
  }

  private readKernelStats(): void {
    const st = getsockopt(this.fd, SOL_PACKET, PACKET_STATISTICS, 12, 'PACKET_STATISTICS');
    const v = new DataView(st.buffer, st.byteOffset, st.byteLength);
    this.totals.received += v.getUint32(0, true);
    this.totals.dropped += v.getUint32(4, true);
  }

  private releaseHeld(): void {
    if (this.heldBlock && this.ring) this.ring.release(this.heldBlock);
    this.heldBlock = null;
  }

  /** Waits (without blocking the event loop) until the fd is readable; false if closed meanwhile. */
  private waitReadable(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.wake = resolve;
      this.waiter = waitReadable(this.fd, () => {
        this.waiter = null;
        this.wake = null;
        resolve(!this.closed);
      }, this.waitMethod);
    });
  }

  /** The next ring block, waiting for it if needed; null once closed. */
  private async nextBlock(): Promise<RingBlock | null> {
    const ring = this.ring!;
    for (;;) {
      if (this.closed) return null;
      const block = ring.take();
      if (block) return block;
      if (!(await this.waitReadable())) return null;
      if (!ring.ready()) this.checkSocketError();
    }
  }

  /**
   * A socket that wakes its waiter with nothing to read has an error pending:
   * the interface went down (ENETDOWN) or away (ENODEV). Waiting again would
   * spin, so the error ends the capture's reading, naming the interface.
   */
  private checkSocketError(): void {
    if (this.closed || !(pollOne(this.fd, 0) & (POLLERR | POLLHUP | POLLNVAL))) return;
    const err = getsockoptInt(this.fd, SOL_SOCKET, SO_ERROR, 'SO_ERROR');
    throw new SyscallError('poll', err || errno.EIO, `capture on ${this.interfaceName}: the interface went down or away`);
  }

  /** Refills the record queue from the next block or burst of datagrams; false once closed. */
  private async fill(): Promise<boolean> {
    if (this.reading) throw new CaptureError('NOT_SUPPORTED', 'only one reader at a time: await the previous next()');
    this.reading = true;
    try {
      if (this.ring) {
        const block = await this.nextBlock();
        if (!block) return false;
        try {
          this.copyBlock(this.ring, block);
        } finally {
          this.ring.release(block);
        }
        return true;
      }
      for (;;) {
        if (this.closed) return false;
        if (this.receiveBurst() > 0) return true;
        if (!(await this.waitReadable())) return false;
        if (this.receiveBurst() > 0) return true;
        this.checkSocketError();
      }
    } finally {
      this.reading = false;
    }
  }

  /**
   * Walks a block's frames, deciding each (direction, re-judging after a
   * filter change, user-space filter) and shaping accepted ones in place in
   * the ring (cooked header written before the data, VLAN tag put back).
   * Calls `accept(start, caplen, len, frameOffset)` per accepted frame.
   */
  private walkBlock(ring: RxRing, block: RingBlock, accept: (start: number, caplen: number, len: number, frame: number) => void): void {
    const bytes = ring.bytes;
    const view = ring.view;
    const rerun = this.rerunBlocks > 0 ? this.kernelMatch : null;
    if (this.rerunBlocks > 0) this.rerunBlocks--;
    let off = block.firstFrame;
    for (let i = 0; i < block.count; i++) {
      const next = view.getUint32(off, true);
      const frame = off;
      off += next;
      const sll = frame + FRAME_SLL;
      const pkttype = bytes[sll + 10];
      const ifindex = view.getInt32(sll + 4, true);
      if (pkttype === PACKET_OUTGOING) {
        if (this.direction === 'in' || ifindex === this.loopbackIndex) continue;
      } else if (this.direction === 'out') {
        continue;
      }
      const status = view.getUint32(frame + FRAME_STATUS, true);
      const mac = frame + view.getUint16(frame + FRAME_MAC, true);
      let caplen = view.getUint32(frame + FRAME_SNAPLEN, true);
      let len = view.getUint32(frame + FRAME_LEN, true);
      if (rerun || this.userMatch) {
        const ctx = ancillary(bytes, view, frame, status, ifindex, pkttype);
        if (rerun) {
          const r = rerun(bytes.subarray(mac, mac + caplen), len, ctx);
          if (r === 0) continue;
          if (r < caplen) caplen = r;
        }
        if (this.userMatch) {
          const start = mac - this.cookedLength;
          if (this.cookedLength) writeCookedHeader(bytes, start, this.linkType, sllInfo(bytes, view, sll));
          const r = this.userMatch(bytes.subarray(start, mac + caplen), len + this.cookedLength, ctx);
          if (r === 0) continue;
          if (r < caplen + this.cookedLength) caplen = Math.max(0, r - this.cookedLength);
        }
      }
      let start = mac;
      if (this.cookedLength) {
        start = mac - this.cookedLength;
        writeCookedHeader(bytes, start, this.linkType, sllInfo(bytes, view, sll));
        caplen += this.cookedLength;
        len += this.cookedLength;
      } else if (status & TP_STATUS_VLAN_VALID && caplen >= 12) {
        // The kernel took the 802.1Q tag out of the frame; put it back as libpcap does.
        const tpid = status & TP_STATUS_VLAN_TPID_VALID ? view.getUint16(frame + FRAME_VLAN_TPID, true) : 0x8100;
        const tci = view.getUint32(frame + FRAME_VLAN_TCI, true) & 0xffff;
        start = mac - VLAN_TAG_LEN;
        bytes.copyWithin(start, mac, mac + 12);
        bytes[start + 12] = tpid >> 8; bytes[start + 13] = tpid & 0xff;
        bytes[start + 14] = tci >> 8; bytes[start + 15] = tci & 0xff;
        caplen += VLAN_TAG_LEN;
        len += VLAN_TAG_LEN;
      }
      if (caplen > this.snaplen) caplen = this.snaplen;
      accept(start, caplen, len, frame);
    }
  }

  /** Copies a block's accepted packets out of the ring (one copy for the block) into the queue. */
  private copyBlock(ring: RxRing, block: RingBlock): void {
    const view = ring.view;
    const accepted: number[] = [];
    // Shape every frame in place first; only then copy the block once.
    this.walkBlock(ring, block, (start, caplen, len, frame) => {
      accepted.push(start, caplen, len, frame);
    });
    if (accepted.length === 0) return;
    const base = block.offset;
    const copy = ring.bytes.slice(base, base + view.getUint32(base + BLOCK_LEN, true));
    const out: PacketRecord[] = this.queue.length === this.queueAt ? [] : this.queue.slice(this.queueAt);
    const linkType = this.linkType;
    for (let i = 0; i < accepted.length; i += 4) {
      const start = accepted[i] - base, caplen = accepted[i + 1], frame = accepted[i + 3];
      out.push({
        data: copy.subarray(start, start + caplen),
        caplen,
        len: accepted[i + 2],
        timestamp: { sec: view.getUint32(frame + FRAME_SEC, true), nsec: view.getUint32(frame + FRAME_NSEC, true) },
        linkType,
        interface: view.getInt32(frame + FRAME_SLL + 4, true),
      });
    }
    this.queue = out;
    this.queueAt = 0;
  }

  /** Describes a block's accepted frames in a batch whose arrays are reused (a batch lives until the next one). */
  private batchOf(ring: RxRing, block: RingBlock): LiveBatch {
    let batch = this.batch;
    if (!batch || batch.offsets.length < block.count || batch.data !== ring.bytes) {
      // No frame is smaller than its aligned header, which bounds the frames in a block.
      const n = Math.max(block.count, Math.ceil(ring.geometry.blockSize / align(TPACKET3_HDRLEN)));
      batch = this.batch = {
        data: ring.bytes,
        offsets: new Uint32Array(n),
        caplens: new Uint32Array(n),
        wirelens: new Uint32Array(n),
        count: 0,
        timestamps: { sec: new Uint32Array(n), nsec: new Uint32Array(n) },
        ifindexes: new Int32Array(n),
        linkType: this.linkType,
      };
    }
    const b = batch;
    b.count = 0;
    const view = ring.view;
    this.walkBlock(ring, block, (start, caplen, len, frame) => {
      const i = b.count++;
      b.offsets[i] = start;
      b.caplens[i] = caplen;
      b.wirelens[i] = len;
      b.timestamps.sec[i] = view.getUint32(frame + FRAME_SEC, true);
      b.timestamps.nsec[i] = view.getUint32(frame + FRAME_NSEC, true);
      b.ifindexes[i] = view.getInt32(frame + FRAME_SLL + 4, true);
    });
    return b;
  }

  /** The plain receive path: reads what is queued (up to a burst), without blocking. */
  private receiveBurst(): number {
    const buf = this.recvBuffer!;
    const addr = this.recvAddr;
    const dataAt = this.cookedLength;
    const room = buf.subarray(dataAt, dataAt + Math.min(this.snaplen, 65536));
    let n = 0;
    for (let i = 0; i < RECV_BURST; i++) {
      const got = recvfrom(this.fd, room, MSG_DONTWAIT | MSG_TRUNC, addr, `capture on ${this.interfaceName}`);
      if (!got) break;
      const v = new DataView(addr.buffer);
      const pkttype = addr[10];
      const ifindex = v.getInt32(4, true);
      if (pkttype === PACKET_OUTGOING) {
        if (this.direction === 'in' || ifindex === this.loopbackIndex) continue;
      } else if (this.direction === 'out') {
        continue;
      }
      let caplen = got.copied;
      let len = got.length;
      let start = dataAt;
      if (this.cookedLength) {
        writeCookedHeader(buf, 0, this.linkType, sllInfo(addr, v, 0));
        start = 0;
        caplen += this.cookedLength;
        len += this.cookedLength;
      }
      if (this.userMatch) {
        const r = this.userMatch(buf.subarray(start, start + caplen), len, { pktType: pkttype, ifindex, protocol: (addr[2] << 8) | addr[3] });
        if (r === 0) continue;
        if (r < caplen) caplen = r;
      }
      if (caplen > this.snaplen) caplen = this.snaplen;
      ioctl(this.fd, SIOCGSTAMPNS, this.stamp, 'SIOCGSTAMPNS');
      const ts = new DataView(this.stamp.buffer);
      this.queue.push({
        data: buf.slice(start, start + caplen),
        caplen,
        len,
        timestamp: { sec: Number(ts.getBigInt64(0, true)), nsec: Number(ts.getBigInt64(8, true)) },
        linkType: this.linkType,
        interface: ifindex,
      });
      n++;
    }
    return n;
  }
}

function sllInfo(bytes: Uint8Array, view: DataView, sll: number) {
  return {
    protocol: (bytes[sll + 2] << 8) | bytes[sll + 3],
    ifindex: view.getInt32(sll + 4, true),
    hatype: view.getUint16(sll + 8, true),
    pkttype: bytes[sll + 10],
    halen: bytes[sll + 11],
    addrBytes: bytes,
    addrOffset: sll + 12,
  };
}

/** What the kernel's filter saw besides the bytes, for judging a ring frame again here. */
function ancillary(bytes: Uint8Array, view: DataView, frame: number, status: number, ifindex: number, pkttype: number): AncillaryContext {
  const sll = frame + FRAME_SLL;
  const vlan = (status & TP_STATUS_VLAN_VALID) !== 0;
  return {
    protocol: (bytes[sll + 2] << 8) | bytes[sll + 3],
    pktType: pkttype,
    ifindex,
    hatype: view.getUint16(sll + 8, true),
    vlanTagPresent: vlan,
    vlanTag: vlan ? view.getUint32(frame + FRAME_VLAN_TCI, true) & 0xffff : 0,
    vlanTpid: vlan ? (status & TP_STATUS_VLAN_TPID_VALID ? view.getUint16(frame + FRAME_VLAN_TPID, true) : 0x8100) : 0,
    networkOffset: view.getUint16(frame + FRAME_NET, true) - view.getUint16(frame + FRAME_MAC, true),
  };
}

/** The attacher option, checked: a wrong value fails with BAD_OPTION rather than deep inside the open. */
function checkAttacher(attacher: KernelFilterAttacher | undefined): KernelFilterAttacher | null {
  if (attacher === undefined) return null;
  if (typeof attacher !== 'object' || attacher === null || typeof attacher.prepare !== 'function' || typeof attacher.kind !== 'string') {
    throw new CaptureError('BAD_OPTION', 'kernelFilter must be a KernelFilterAttacher ({ kind, prepare(program) }), e.g. ebpfKernelFilter');
  }
  return attacher;
}

/** An expression's compiler is loaded on demand (it is bpfkit's largest module); Programs pass through. */
/**
 * The function that judges packets in user space: the JIT, with the kernel's semantics for
 * Programs the kernel accepts and libpcap's (through the interpreter where the JIT declines)
 * for the ones only libpcap runs.
 */
function userMatcher(prog: Program): CompiledFilter {
  return new Matcher(prog, { semantics: isValid(prog, { mode: 'linux' }) ? 'linux' : 'bsd' }).run;
}

async function loadFilter(spec: FilterSpec | CaptureFilter | undefined): Promise<Program | CaptureFilter | null> {
  if (spec === undefined) return null;
  if (typeof spec !== 'string') return spec;
  const filter = new CaptureFilter(spec);
  await filter.load();
  return filter;
}

let cachedLoopback: number | null = null;
/** The loopback interface's index in this network namespace (outgoing copies on it are dropped, as libpcap does). */
function loopbackIndex(): number {
  if (cachedLoopback !== null) return cachedLoopback;
  try {
    cachedLoopback = interfaceIdentity('lo').index;
  } catch {
    cachedLoopback = -1;
  }
  return cachedLoopback;
}
