/**
 * eBPF socket filters on packet sockets: a classic Program translated for
 * `__sk_buff`, loaded, and attached with SO_ATTACH_BPF, using the same
 * race-free swap as classic filters (src/capture/kernel-filter.ts): a
 * reject-all filter stands guard while the queue is drained, then the eBPF
 * program takes over, so no packet judged by the old filter is read after.
 */
import type { Program } from '../bpf/program.js';
import { attachFilter, REJECT_ALL } from '../capture/kernel-filter.js';
import { drain, setsockoptInt, SOL_SOCKET } from '../capture/syscalls.js';
import { loadProgram, type LoadedProgram } from './loader.js';
import { translate } from './translate.js';

/** setsockopt option that attaches an eBPF program by descriptor (asm-generic/socket.h). */
export const SO_ATTACH_BPF = 50;

/**
 * Translates a classic Program for a socket filter and loads it.
 *
 * @example
 * const prog = loadSocketFilter(compile('tcp port 80'));
 */
export function loadSocketFilter(prog: Program): LoadedProgram {
  return loadProgram(translate(prog, { target: 'socket' }), 'socket', { name: 'bpfkit_sock' });
}

/**
 * Attaches a loaded socket-filter program to a socket that cannot have
 * queued anything unwanted yet (not bound, or bound with protocol 0).
 *
 * @example
 * attachSocketProgram(fd, loadSocketFilter(compile('udp')));
 */
export function attachSocketProgram(fd: number, prog: LoadedProgram): void {
  if (prog.type !== 'socket') throw new TypeError(`SO_ATTACH_BPF takes a socket-filter program, not ${prog.type}`);
  setsockoptInt(fd, SOL_SOCKET, SO_ATTACH_BPF, prog.fd, 'SO_ATTACH_BPF');
}

/**
 * Replaces a live socket's filter by an eBPF program without letting a
 * packet judged by the old filter through: reject-all, drain, attach.
 * Returns how many queued packets were discarded. The socket holds its own
 * reference to the program: closing `prog` afterwards is fine.
 *
 * @example
 * swapSocketProgram(fd, loadSocketFilter(compile('udp port 53')));
 */
export function swapSocketProgram(fd: number, prog: LoadedProgram): number {
  attachFilter(fd, REJECT_ALL);
  const discarded = drain(fd);
  attachSocketProgram(fd, prog);
  return discarded;
}
