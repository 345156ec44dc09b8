/**
 * Every system call bpfkit makes, in one place.
 *
 * bpfkit reaches the Linux kernel through koffi, an FFI package whose npm
 * release ships prebuilt binaries (so `npm ci` needs no compiler and no
 * download outside the registry). Each binding here is a thin synchronous
 * wrapper: arguments in, result out, and on failure a SyscallError naming the
 * call, the errno by name (EPERM, EINVAL...) and what we were doing. Nothing
 * above this file loads koffi or knows a C prototype.
 *
 * Memory passed to the kernel is always a Uint8Array owned by the caller, so
 * its lifetime is the caller's to see; the one exception is the mmap'd ring,
 * handed out as an opaque MappedMemory whose views the ring module guards.
 */
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');

// ---------------------------------------------------------------------------
// Constants (x86-64 / generic Linux values, from the uapi headers).

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_PACKET = 17;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const IPPROTO_UDP = 17;
/** Every protocol (in network byte order when passed to socket() or bind()). */
export const ETH_P_ALL = 0x0003;

export const SOL_SOCKET = 1;
export const SO_ERROR = 4;
export const SO_RCVBUF = 8;
export const SO_RCVBUFFORCE = 33;
export const SO_ATTACH_FILTER = 26;
export const SO_DETACH_FILTER = 27;
export const SO_LOCK_FILTER = 44;
export const SO_TIMESTAMPNS = 35;

export const SOL_PACKET = 263;
export const PACKET_ADD_MEMBERSHIP = 1;
export const PACKET_DROP_MEMBERSHIP = 2;
export const PACKET_RX_RING = 5;
export const PACKET_STATISTICS = 6;
export const PACKET_AUXDATA = 8;
export const PACKET_VERSION = 10;
export const PACKET_RESERVE = 12;
export const PACKET_IGNORE_OUTGOING = 23;
export const PACKET_MR_PROMISC = 1;
export const TPACKET_V3 = 2;

// sockaddr_ll.sll_pkttype
export const PACKET_HOST = 0;
export const PACKET_BROADCAST = 1;
export const PACKET_MULTICAST = 2;
export const PACKET_OTHERHOST = 3;
export const PACKET_OUTGOING = 4;

export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;

export const POLLIN = 0x1;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;

export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const MAP_SHARED = 0x1;
export const MAP_PRIVATE = 0x2;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;

export const SIOCGSTAMPNS = 0x8907;
export const SIOCGIFFLAGS = 0x8913;
export const SIOCGIFHWADDR = 0x8927;
export const SIOCGIFINDEX = 0x8933;

/** struct ifreq is 40 bytes on 64-bit Linux: a 16-byte name then a 24-byte union. */
export const IFREQ_SIZE = 40;
export const IFNAMSIZ = 16;

/** The bpf(2) system call number on x86-64. */
export const SYS_bpf = 321;

// ---------------------------------------------------------------------------
// Errors.

const ERRNO_NAMES = new Map<number, string>();
for (const [name, value] of Object.entries(koffi.os.errno)) {
  // Keep the first (canonical) name of aliases such as EAGAIN/EWOULDBLOCK.
  if (!ERRNO_NAMES.has(value)) ERRNO_NAMES.set(value, name);
}
ERRNO_NAMES.set(11, 'EAGAIN');

/** Errno numbers by name, as koffi reports them for this platform (EPERM: 1, ...). */
export const errno: Readonly<Record<string, number>> = Object.freeze({ ...koffi.os.errno });

const strerrorFn = libc.func('const char *strerror(int errnum)');

/**
 * A failed system call: which call, which errno (number and name), and the
 * context the caller gave.
 *
 * @example
 * try { socket(AF_PACKET, SOCK_RAW, 0); }
 * catch (e) { if (e instanceof SyscallError && e.code === 'EPERM') console.log('needs CAP_NET_RAW'); }
 */
export class SyscallError extends Error {
  /** The errno name, e.g. 'EPERM'. */
  readonly code: string;
  constructor(readonly syscall: string, readonly errno: number, context?: string) {
    const code = ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
    const text = strerrorFn(errno) as string;
    super(`${syscall}${context ? ` (${context})` : ''}: ${code} (${text})`);
    this.name = 'SyscallError';
    this.code = code;
  }
}

/**
 * The name of an errno number ('EPERM' for 1), or `errno N` when unknown.
 *
 * @example
 * errnoName(13) // 'EACCES'
 */
export function errnoName(value: number): string {
  return ERRNO_NAMES.get(value) ?? `errno ${value}`;
}

function check(result: number, syscall: string, context?: string): number {
  if (result < 0) throw new SyscallError(syscall, koffi.errno(), context);
  return result;
}

// ---------------------------------------------------------------------------
// Raw bindings. Pointer parameters take Uint8Arrays (koffi passes their data).

const c = {
  socket: libc.func('int socket(int domain, int type, int protocol)'),
  bind: libc.func('int bind(int fd, const void *addr, uint32_t addrlen)'),
  setsockopt: libc.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)'),
  getsockopt: libc.func('int getsockopt(int fd, int level, int name, _Out_ void *value, _Inout_ uint32_t *len)'),
  recvfrom: libc.func('intptr_t recvfrom(int fd, _Out_ void *buf, size_t len, int flags, _Out_ void *addr, _Inout_ uint32_t *addrlen)'),
  recv: libc.func('intptr_t recv(int fd, _Out_ void *buf, size_t len, int flags)'),
  sendto: libc.func('intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)'),
  send: libc.func('intptr_t send(int fd, const void *buf, size_t len, int flags)'),
  close: libc.func('int close(int fd)'),
  mmap: libc.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)'),
  munmap: libc.func('int munmap(void *addr, size_t len)'),
  poll: libc.func('int poll(_Inout_ void *fds, uint64_t nfds, int timeout)'),
  ioctl: libc.func('int ioctl(int fd, unsigned long request, _Inout_ void *arg)'),
  ifNameToIndex: libc.func('unsigned int if_nametoindex(const char *name)'),
  getifaddrs: libc.func('int getifaddrs(_Out_ void **ifap)'),
  freeifaddrs: libc.func('void freeifaddrs(void *ifa)'),
  syscall: libc.func('long syscall(long number, ...)'),
  getuid: libc.func('unsigned int geteuid(void)'),
  setns: libc.func('int setns(int fd, int nstype)'),
};

// struct sock_fprog { unsigned short len; struct sock_filter *filter; }: koffi
// pins the instruction bytes for the duration of the call.
const SockFprog = koffi.struct('bpfkit_sock_fprog', { len: 'uint16_t', filter: 'void *' });
const setsockoptFprog = libc.func('int setsockopt(int fd, int level, int name, const bpfkit_sock_fprog *value, uint32_t len)');

// ---------------------------------------------------------------------------
// Sockets.

/**
 * socket(2). Returns the descriptor.
 *
 * @example
 * const fd = socket(AF_PACKET, SOCK_RAW, 0); // receives nothing until bound
 */
export function socket(domain: number, type: number, protocol: number, context?: string): number {
  return check(c.socket(domain, type, protocol) as number, 'socket', context ?? `domain ${domain}, type ${type}, protocol ${protocol}`);
}

/**
 * bind(2) with a raw sockaddr (e.g. from `sockaddrLl`).
 *
 * @example
 * bind(fd, sockaddrLl({ protocol: ETH_P_ALL, ifindex: 2 }));
 */
export function bind(fd: number, addr: Uint8Array): void {
  check(c.bind(fd, addr, addr.length) as number, 'bind', `fd ${fd}`);
}

/**
 * setsockopt(2) with raw option bytes.
 *
 * @example
 * setsockopt(fd, SOL_SOCKET, SO_RCVBUF, int32(1 << 20));
 */
export function setsockopt(fd: number, level: number, name: number, value: Uint8Array, context?: string): void {
  check(c.setsockopt(fd, level, name, value, value.length) as number, 'setsockopt', context ?? `level ${level}, option ${name}`);
}

/**
 * getsockopt(2): returns the option's bytes (at most `size`).
 *
 * @example
 * const st = getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, 12);
 */
export function getsockopt(fd: number, level: number, name: number, size: number, context?: string): Uint8Array {
  const out = new Uint8Array(size);
  const len = [size];
  check(c.getsockopt(fd, level, name, out, len) as number, 'getsockopt', context ?? `level ${level}, option ${name}`);
  return out.subarray(0, len[0]);
}

/**
 * setsockopt with a `struct sock_fprog` built around `instructions` (the
 * Program in the kernel's layout, 8 bytes per instruction): SO_ATTACH_FILTER
 * and friends.
 *
 * @example
 * setsockoptProgram(fd, SOL_SOCKET, SO_ATTACH_FILTER, toBytes(prog));
 */
export function setsockoptProgram(fd: number, level: number, name: number, instructions: Uint8Array, context?: string): void {
  const fprog = { len: instructions.length / 8, filter: instructions };
  check(setsockoptFprog(fd, level, name, fprog, 16) as number, 'setsockopt', context ?? `level ${level}, option ${name}`);
}

/** setsockopt with a 32-bit integer value. @example setsockoptInt(fd, SOL_PACKET, PACKET_VERSION, TPACKET_V3); */
export function setsockoptInt(fd: number, level: number, name: number, value: number, context?: string): void {
  setsockopt(fd, level, name, int32(value), context);
}

/** getsockopt for a 32-bit integer option. @example getsockoptInt(fd, SOL_SOCKET, SO_RCVBUF) */
export function getsockoptInt(fd: number, level: number, name: number, context?: string): number {
  const b = getsockopt(fd, level, name, 4, context);
  return new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true);
}

/** A 32-bit little-endian integer as bytes. @example int32(1) // Uint8Array [1,0,0,0] */
export function int32(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, value, true);
  return b;
}

/** What one receive returned: bytes copied, length on the wire (with MSG_TRUNC), and the sender address bytes. */
export interface Received {
  /** Bytes placed in the buffer. */
  readonly copied: number;
  /** The datagram's full length (≥ copied when MSG_TRUNC was given). */
  readonly length: number;
  /** Length of the source address written into `addr`. */
  readonly addrLength: number;
}

/**
 * recvfrom(2). Returns null when nothing is queued and the call would block
 * (EAGAIN with MSG_DONTWAIT); throws on any other error. With MSG_TRUNC the
 * kernel reports the full datagram length even when the buffer is shorter.
 *
 * @example
 * const addr = new Uint8Array(20);
 * const r = recvfrom(fd, buf, MSG_DONTWAIT | MSG_TRUNC, addr);
 */
export function recvfrom(fd: number, buf: Uint8Array, flags: number, addr?: Uint8Array, context?: string): Received | null {
  const alen = [addr ? addr.length : 0];
  const n = Number(c.recvfrom(fd, buf, buf.length, flags, addr ?? null, addr ? alen : null));
  if (n < 0) {
    const e = koffi.errno();
    if (e === errno.EAGAIN || e === errno.EINTR) return null;
    throw new SyscallError('recvfrom', e, context ?? `fd ${fd}`);
  }
  const copied = flags & MSG_TRUNC ? Math.min(n, buf.length) : n;
  return { copied, length: n, addrLength: alen[0] };
}

/**
 * Discards everything queued on a socket without blocking; returns how many
 * datagrams were dropped. Bounded by `max` so that a socket fed faster than
 * it drains cannot spin forever.
 *
 * @example
 * drain(fd); // after attaching a reject-all filter
 */
export function drain(fd: number, max = 1 << 20): number {
  const one = new Uint8Array(1);
  let n = 0;
  while (n < max) {
    const r = Number(c.recv(fd, one, 1, MSG_DONTWAIT | MSG_TRUNC));
    if (r < 0) {
      const e = koffi.errno();
      if (e === errno.EINTR) continue;
      if (e === errno.EAGAIN) return n;
      throw new SyscallError('recv', e, `draining fd ${fd}`);
    }
    n++;
  }
  return n;
}

/**
 * sendto(2); `addr` may be omitted for a connected socket. Returns bytes sent.
 *
 * @example
 * sendto(fd, frame, 0, sockaddrLl({ protocol: 0, ifindex }));
 */
export function sendto(fd: number, buf: Uint8Array, flags: number, addr?: Uint8Array): number {
  const n = addr
    ? Number(c.sendto(fd, buf, buf.length, flags, addr, addr.length))
    : Number(c.send(fd, buf, buf.length, flags));
  return check(n, 'sendto', `fd ${fd}, ${buf.length} bytes`);
}

/**
 * close(2).
 *
 * @example
 * close(fd);
 */
export function close(fd: number): void {
  check(c.close(fd) as number, 'close', `fd ${fd}`);
}

/**
 * ioctl(2) with an in/out argument buffer (e.g. a struct ifreq).
 *
 * @example
 * const req = ifreq('eth0'); ioctl(fd, SIOCGIFINDEX, req);
 */
export function ioctl(fd: number, request: number, arg: Uint8Array, context?: string): void {
  check(c.ioctl(fd, request, arg) as number, 'ioctl', context ?? `request 0x${request.toString(16)}`);
}

// struct ifreq whose union holds a pointer (ifr_data), as SIOCETHTOOL takes it.
const IfreqData = koffi.struct('bpfkit_ifreq_data', { name: koffi.array('uint8_t', 16), data: 'void *', pad: koffi.array('uint8_t', 16) });
const ioctlIfreqData = libc.func('int ioctl(int fd, unsigned long request, bpfkit_ifreq_data *arg)');
const SIOCETHTOOL = 0x8946;
const ETHTOOL_GLINK = 0x0a;

/**
 * The link (carrier) state the driver reports through ethtool (ETHTOOL_GLINK):
 * true when connected, false when not, null when the driver cannot tell.
 *
 * @example
 * ethtoolLink(fd, 'eth0') // true
 */
export function ethtoolLink(fd: number, name: string): boolean | null {
  const value = new Uint8Array(8);
  value[0] = ETHTOOL_GLINK;
  const r = ioctlIfreqData(fd, SIOCETHTOOL, { name: Array.from(ifreq(name).subarray(0, 16)), data: value, pad: new Array(16).fill(0) }) as number;
  if (r < 0) {
    const e = koffi.errno();
    if (e === errno.EOPNOTSUPP || e === errno.EINVAL || e === errno.ENODEV || e === errno.EPERM) return null;
    throw new SyscallError('ioctl', e, `SIOCETHTOOL ETHTOOL_GLINK on ${name}`);
  }
  return value[4] !== 0;
}

/** A zeroed struct ifreq with `name` in ifr_name. @example ioctl(fd, SIOCGIFFLAGS, ifreq('lo')) */
export function ifreq(name: string): Uint8Array {
  const b = new Uint8Array(IFREQ_SIZE);
  const bytes = new TextEncoder().encode(name);
  if (bytes.length >= IFNAMSIZ) throw new RangeError(`interface name "${name}" is longer than ${IFNAMSIZ - 1} bytes`);
  b.set(bytes);
  return b;
}

/**
 * if_nametoindex(3): the interface's index, or 0 when there is no such interface.
 *
 * @example
 * ifNameToIndex('lo') // 1
 */
export function ifNameToIndex(name: string): number {
  return c.ifNameToIndex(name) as number;
}

/**
 * A struct sockaddr_ll (20 bytes). `protocol` is given in host order and
 * stored in network order, as the kernel wants.
 *
 * @example
 * bind(fd, sockaddrLl({ protocol: ETH_P_ALL, ifindex: 3 }));
 */
export function sockaddrLl(fields: { protocol: number; ifindex: number; hatype?: number; pkttype?: number; addr?: Uint8Array }): Uint8Array {
  const b = new Uint8Array(20);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_PACKET, true);
  v.setUint16(2, fields.protocol, false);
  v.setInt32(4, fields.ifindex, true);
  v.setUint16(8, fields.hatype ?? 0, true);
  b[10] = fields.pkttype ?? 0;
  const addr = fields.addr ?? new Uint8Array(0);
  b[11] = Math.min(addr.length, 8);
  b.set(addr.subarray(0, 8), 12);
  return b;
}

/** The byte order swap for 16-bit protocol numbers. @example htons(ETH_P_ALL) // 0x0300 */
export function htons(x: number): number {
  return ((x & 0xff) << 8) | ((x >> 8) & 0xff);
}

// ---------------------------------------------------------------------------
// Waiting.

/**
 * poll(2) on one descriptor for readability, blocking the calling thread up
 * to `timeoutMs` (0: just look). Returns the revents bits (0 on timeout).
 * For waiting without blocking Node's event loop see `waitReadable`.
 *
 * @example
 * if (pollOne(fd, 0) & POLLIN) { ... }
 */
export function pollOne(fd: number, timeoutMs: number, events = POLLIN): number {
  const pfd = pollfd(fd, events);
  const n = c.poll(pfd, 1, timeoutMs) as number;
  if (n < 0) {
    const e = koffi.errno();
    if (e === errno.EINTR) return 0;
    throw new SyscallError('poll', e, `fd ${fd}`);
  }
  return n === 0 ? 0 : new DataView(pfd.buffer).getInt16(6, true);
}

function pollfd(fd: number, events: number): Uint8Array {
  const pfd = new Uint8Array(8);
  const v = new DataView(pfd.buffer);
  v.setInt32(0, fd, true);
  v.setInt16(4, events, true);
  return pfd;
}

/** A pending wait for readability; `cancel()` stops it (the callback is then never called). */
export interface Waiter {
  cancel(): void;
}

/** How `waitReadable` waits: libuv's poller through koffi (default), or poll(2) on koffi's thread pool. */
export type WaitMethod = 'uv' | 'thread';

/**
 * Calls `onReady` once, on the event loop, when `fd` becomes readable (or has
 * an error or hangs up). Never blocks the event loop. The one place that knows
 * how waiting is done: 'uv' registers the descriptor with libuv's own poller
 * through koffi (undocumented in koffi's manual, so 'thread' exists as a
 * fallback: poll(2) with a short timeout run on koffi's async worker pool,
 * repeated until ready or cancelled).
 *
 * @example
 * const w = waitReadable(fd, () => readSome());
 * // later: w.cancel();
 */
export function waitReadable(fd: number, onReady: () => void, method: WaitMethod = defaultWait): Waiter {
  let done = false;
  if (method === 'uv') {
    const handle = koffi.node.poll(fd, { readable: true, disconnect: true }, () => {
      if (done) return;
      done = true;
      handle.stop();
      handle.close();
      onReady();
    });
    return {
      cancel() {
        if (done) return;
        done = true;
        handle.stop();
        handle.close();
      },
    };
  }
  const pfd = pollfd(fd, POLLIN);
  const round = (): void => {
    c.poll.async(pfd, 1, 100, (err: unknown, n: number) => {
      if (done) return;
      if (err || n !== 0) {
        done = true;
        onReady();
      } else {
        round();
      }
    });
  };
  round();
  return {
    cancel() {
      done = true;
    },
  };
}

let defaultWait: WaitMethod = process.env.BPFKIT_WAIT === 'thread' ? 'thread' : 'uv';

/**
 * Chooses how `waitReadable` waits by default (also settable with the
 * environment variable BPFKIT_WAIT=thread).
 *
 * @example
 * setWaitMethod('thread');
 */
export function setWaitMethod(method: WaitMethod): void {
  defaultWait = method;
}

// ---------------------------------------------------------------------------
// Memory mapping.

/** A region mapped with mmap: its address (opaque to JS) and length. */
export interface MappedMemory {
  readonly address: bigint;
  readonly length: number;
}

/**
 * mmap(2) of a descriptor, shared (as a packet ring is mapped).
 *
 * @example
 * const ring = mmapShared(fd, blockSize * blockCount);
 */
export function mmapShared(fd: number, length: number, prot = PROT_READ | PROT_WRITE): MappedMemory {
  const p = c.mmap(null, length, prot, MAP_SHARED, fd, 0);
  const address = toAddress(p);
  if (address === 0xffffffffffffffffn || address === 0n) throw new SyscallError('mmap', koffi.errno(), `fd ${fd}, ${length} bytes`);
  return { address, length };
}

/**
 * An ArrayBuffer over mapped memory, without copying (koffi.view). It is valid
 * only while the mapping exists: whoever holds it must be the one that decides
 * when to unmap.
 *
 * @example
 * const bytes = new Uint8Array(mappedView(ring));
 */
export function mappedView(mem: MappedMemory): ArrayBuffer {
  return koffi.view(mem.address, mem.length);
}

/**
 * munmap(2).
 *
 * @example
 * munmap(ring);
 */
export function munmap(mem: MappedMemory): void {
  check(c.munmap(mem.address, mem.length) as number, 'munmap', `${mem.length} bytes`);
}

/**
 * Replaces a mapping, in one step, by private zero-filled read-only memory at
 * the same address. The old mapping (e.g. a socket's ring) is released at once,
 * yet a stale view of that address range still reads (zeros) instead of
 * faulting; call `munmap` on the result when no view can remain.
 *
 * @example
 * const husk = replaceWithZeros(ring); // the socket's ring is gone
 */
export function replaceWithZeros(mem: MappedMemory): MappedMemory {
  const p = c.mmap(mem.address, mem.length, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
  const address = toAddress(p);
  if (address !== mem.address) throw new SyscallError('mmap', koffi.errno(), `replacing ${mem.length} bytes with zeros`);
  return mem;
}

function toAddress(p: unknown): bigint {
  if (typeof p === 'bigint') return p;
  if (typeof p === 'number') return BigInt(p);
  if (p === null) return 0n;
  return koffi.address(p);
}

// ---------------------------------------------------------------------------
// Interfaces.

/** One entry of getifaddrs(3): the name, flags and the raw sockaddr bytes. */
export interface IfAddrEntry {
  readonly name: string;
  readonly flags: number;
  /** The address as a raw struct sockaddr (family in the first two bytes), or null. */
  readonly addr: Uint8Array | null;
  readonly netmask: Uint8Array | null;
  /** Broadcast or point-to-point destination address, or null. */
  readonly broadaddr: Uint8Array | null;
}

const IfAddrs = koffi.struct('bpfkit_ifaddrs', {
  ifa_next: 'void *',
  ifa_name: 'const char *',
  ifa_flags: 'uint',
  ifa_addr: 'void *',
  ifa_netmask: 'void *',
  ifa_ifu: 'void *',
  ifa_data: 'void *',
});

/**
 * getifaddrs(3), copied out into plain objects (the C list is freed before returning).
 *
 * @example
 * for (const e of getifaddrs()) console.log(e.name, e.addr?.[0]);
 */
export function getifaddrs(): IfAddrEntry[] {
  const head: unknown[] = [null];
  check(c.getifaddrs(head) as number, 'getifaddrs');
  const out: IfAddrEntry[] = [];
  try {
    let p = head[0];
    while (p !== null && p !== undefined && toAddress(p) !== 0n) {
      const e = koffi.decode(p, IfAddrs) as {
        ifa_next: unknown; ifa_name: string; ifa_flags: number; ifa_addr: unknown; ifa_netmask: unknown; ifa_ifu: unknown;
      };
      out.push({
        name: e.ifa_name,
        flags: e.ifa_flags >>> 0,
        addr: copySockaddr(e.ifa_addr),
        netmask: copySockaddr(e.ifa_netmask),
        broadaddr: copySockaddr(e.ifa_ifu),
      });
      p = e.ifa_next;
    }
  } finally {
    if (head[0] !== null) c.freeifaddrs(head[0]);
  }
  return out;
}

function copySockaddr(p: unknown): Uint8Array | null {
  if (p === null || p === undefined || toAddress(p) === 0n) return null;
  const family = new DataView(koffi.view(p, 2)).getUint16(0, true);
  // Sizes of the sockaddr types getifaddrs hands out on Linux.
  const size = family === AF_INET ? 16 : family === AF_INET6 ? 28 : family === AF_PACKET ? 20 : 16;
  return new Uint8Array(koffi.view(p, size).slice(0));
}

/**
 * The effective user id (0 for root): tests use it to decide what to skip.
 *
 * @example
 * if (geteuid() !== 0) t.skip('needs root');
 */
export function geteuid(): number {
  return c.getuid() as number;
}

/** CLONE_NEWNET: the namespace type of a network namespace file. */
export const CLONE_NEWNET = 0x40000000;

/**
 * setns(2) for the calling thread: sockets created afterwards on this thread
 * belong to the namespace whose file `fd` is open (e.g. /var/run/netns/NAME).
 * Tests use it to open captures inside the namespaces they create.
 *
 * @example
 * const fd = fs.openSync('/var/run/netns/test1', 'r'); setns(fd, CLONE_NEWNET);
 */
export function setns(fd: number, nstype: number): void {
  check(c.setns(fd, nstype) as number, 'setns', `fd ${fd}`);
}

// ---------------------------------------------------------------------------
// bpf(2).

/**
 * The bpf(2) system call: `cmd` with its `union bpf_attr` bytes (the kernel
 * reads and may write them). Returns the call's result (often a new fd);
 * throws SyscallError naming the command on failure.
 *
 * @example
 * const attr = new Uint8Array(128); // BPF_PROG_LOAD fields filled in
 * const progFd = bpf(5, attr);
 */
export function bpf(cmd: number, attr: Uint8Array): number {
  const r = Number(c.syscall(SYS_bpf, 'int', cmd, 'void *', attr, 'uint32_t', attr.length));
  return check(r, 'bpf', `command ${cmd}`);
}

// --- eBPF ---

/**
 * The address of a buffer's first byte, for the pointer fields of
 * `union bpf_attr` (insns, license, log_buf, data_in ...). Valid only while
 * the caller holds the buffer and no allocation can move it: pass buffers
 * with their own ArrayBuffer (e.g. `new Uint8Array(n)` of a size above V8's
 * 64-byte on-heap limit, or `Buffer.allocUnsafeSlow`) and make the system call
 * right after.
 *
 * @example
 * const insns = Buffer.allocUnsafeSlow(prog.length * 8);
 * view.setBigUint64(8, addressOf(insns), true); // attr.insns
 */
export function addressOf(buffer: Uint8Array): bigint {
  if (buffer.length === 0) return 0n;
  return koffi.address(buffer) as bigint;
}

const mountFn = libc.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)');

/**
 * mount(2) without data, e.g. the BPF filesystem where pinned eBPF objects live.
 *
 * @example
 * mount('bpf', '/sys/fs/bpf', 'bpf');
 */
export function mount(source: string, target: string, fstype: string, flags = 0): void {
  check(mountFn(source, target, fstype, flags, null) as number, 'mount', `${fstype} on ${target}`);
}
