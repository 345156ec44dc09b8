/**
 * Opening an AF_PACKET socket in the one order that never queues a packet
 * the filter would refuse: create it with protocol 0 (it receives nothing),
 * attach the Program, set up the ring and options, and only then bind it with
 * ETH_P_ALL — the first packet it ever sees is judged by the Program.
 */
import type { Program } from '../bpf/program.js';
import { attachFilter, lockFilter } from './kernel-filter.js';
import { RxRing } from './ring.js';
import {
  AF_PACKET, ETH_P_ALL, PACKET_ADD_MEMBERSHIP, PACKET_IGNORE_OUTGOING, PACKET_MR_PROMISC, PACKET_RESERVE,
  PACKET_VERSION, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_RAW, SOL_PACKET, SOL_SOCKET, SO_RCVBUF, SO_RCVBUFFORCE,
  SyscallError, TPACKET_V3, bind, close, setsockopt, setsockoptInt, sockaddrLl, socket,
} from './syscalls.js';
import type { RingGeometry } from './tpacket.js';

/** How to open the socket. */
export interface PacketSocketOptions {
  /** Interface index to bind to; 0 for every interface ("any"). */
  readonly ifindex: number;
  /** SOCK_DGRAM (link header removed, for cooked captures) instead of SOCK_RAW. */
  readonly cooked: boolean;
  /** The Program to attach before binding, or null for none. */
  readonly program: Program | null;
  /**
   * Attaches the kernel filter in place of SO_ATTACH_FILTER with `program`
   * (e.g. an eBPF program with SO_ATTACH_BPF), at the same point: before binding.
   */
  readonly attach?: (fd: number) => void;
  /** Lock the filter (SO_LOCK_FILTER) once attached. */
  readonly lock?: boolean;
  /** A TPACKET_V3 ring of this shape, or null for the plain receive queue. */
  readonly ring: RingGeometry | null;
  /** Bytes the kernel leaves free before each frame in the ring (PACKET_RESERVE). */
  readonly reserve?: number;
  /** Receive buffer size for the plain queue (SO_RCVBUFFORCE, else SO_RCVBUF). */
  readonly bufferSize?: number;
  /** Put the interface in promiscuous mode for as long as the socket lives (PACKET_ADD_MEMBERSHIP). */
  readonly promiscuous?: boolean;
  /** Ask the kernel not to deliver outgoing packets (PACKET_IGNORE_OUTGOING), when it can. */
  readonly ignoreOutgoing?: boolean;
}

/** An open packet socket: its descriptor, and its ring if it has one. */
export interface PacketSocket {
  readonly fd: number;
  readonly ring: RxRing | null;
  /** Whether the kernel drops outgoing packets for us (else user space must). */
  readonly ignoringOutgoing: boolean;
}

/**
 * Opens a packet socket, race-free (see the module comment). On any failure
 * everything opened so far is closed again before the error is thrown.
 *
 * @example
 * const { fd, ring } = openPacketSocket({ ifindex: 3, cooked: false, program: prog, ring: geometry });
 */
export function openPacketSocket(opts: PacketSocketOptions): PacketSocket {
  const fd = socket(AF_PACKET, (opts.cooked ? SOCK_DGRAM : SOCK_RAW) | SOCK_CLOEXEC, 0, 'AF_PACKET packet socket; needs CAP_NET_RAW (root, or a user namespace: unshare -rn)');
  let ring: RxRing | null = null;
  try {
    if (opts.attach) opts.attach(fd);
    else if (opts.program) attachFilter(fd, opts.program);
    if (opts.lock) lockFilter(fd);
    if (opts.ring) {
      setsockoptInt(fd, SOL_PACKET, PACKET_VERSION, TPACKET_V3, 'PACKET_VERSION TPACKET_V3');
      if (opts.reserve) setsockoptInt(fd, SOL_PACKET, PACKET_RESERVE, opts.reserve, 'PACKET_RESERVE');
      ring = new RxRing(fd, opts.ring);
    } else if (opts.bufferSize) {
      setReceiveBuffer(fd, opts.bufferSize);
    }
    if (opts.promiscuous && opts.ifindex !== 0) {
      setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, packetMreq(opts.ifindex, PACKET_MR_PROMISC), 'PACKET_ADD_MEMBERSHIP promiscuous');
    }
    let ignoringOutgoing = false;
    if (opts.ignoreOutgoing) {
      try {
        setsockoptInt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, 'PACKET_IGNORE_OUTGOING');
        ignoringOutgoing = true;
      } catch (e) {
        // Kernels before 4.20 lack it; user space then drops outgoing packets itself.
        if (!(e instanceof SyscallError && e.code === 'ENOPROTOOPT')) throw e;
      }
    }
    bind(fd, sockaddrLl({ protocol: ETH_P_ALL, ifindex: opts.ifindex }));
    return { fd, ring, ignoringOutgoing };
  } catch (e) {
    ring?.close();
    close(fd);
    throw e;
  }
}

/** SO_RCVBUFFORCE lets root exceed net.core.rmem_max; otherwise SO_RCVBUF, capped by it. */
function setReceiveBuffer(fd: number, bytes: number): void {
  try {
    setsockoptInt(fd, SOL_SOCKET, SO_RCVBUFFORCE, bytes, 'SO_RCVBUFFORCE');
  } catch (e) {
    if (!(e instanceof SyscallError && e.code === 'EPERM')) throw e;
    setsockoptInt(fd, SOL_SOCKET, SO_RCVBUF, bytes, 'SO_RCVBUF');
  }
}

/** struct packet_mreq { int mr_ifindex; unsigned short mr_type, mr_alen; unsigned char mr_address[8]; } */
function packetMreq(ifindex: number, type: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setInt32(0, ifindex, true);
  v.setUint16(4, type, true);
  return b;
}
