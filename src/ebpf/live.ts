/**
 * eBPF socket filters on live captures: `openLive` and `setFilter` with the
 * Program's eBPF translation in the kernel (SO_ATTACH_BPF) instead of the
 * classic Program (SO_ATTACH_FILTER).
 *
 * The capture owns the order that makes it race-free (src/capture/live.ts):
 * at open the program is attached before the socket is bound, so its first
 * packet is judged by it; on a swap a classic reject-all filter stands guard
 * while the queue is drained, then the eBPF program goes in, and ring frames
 * judged by the old filter are judged again in user space by the new classic
 * Program's JIT, which accepts what its translation accepts. This module only
 * supplies the attach step, through the capture's `kernelFilter` hook.
 */
import type { Program } from '../bpf/program.js';
import { openLive, type KernelFilterAttacher, type LiveCapture, type LiveOptions } from '../capture/live.js';
import type { FilterSpec } from '../pcap/capture-filter.js';
import { attachSocketProgram, loadSocketFilter } from './socket.js';

/**
 * The capture hook that attaches a filter as eBPF: the Program (already in
 * the kernel's view for cooked captures) is translated for `__sk_buff`,
 * loaded (a `TranslateError` or `VerifierError` is thrown before the socket
 * is touched), attached with SO_ATTACH_BPF, and the program's descriptor is
 * closed again (the socket holds its own reference).
 *
 * @example
 * const live = await openLive('eth0', { filter: 'udp port 53', kernelFilter: ebpfKernelFilter });
 * live.kernelFilterKind; // 'ebpf'
 */
export const ebpfKernelFilter: KernelFilterAttacher = Object.freeze({
  kind: 'ebpf',
  prepare(prog: Program) {
    const loaded = loadSocketFilter(prog);
    return {
      attach: (fd: number) => attachSocketProgram(fd, loaded),
      release: () => loaded.close(),
    };
  },
});

/**
 * Opens a live capture whose kernel filter is the eBPF translation of
 * `options.filter` (a Program or a pcap-filter expression), attached before
 * the socket is bound, so no packet the filter refuses is ever delivered.
 * Later `setFilter()` calls attach eBPF too. Everything else is `openLive`.
 *
 * @example
 * const live = await openLiveEbpf('eth0', { filter: 'udp port 53', immediate: true });
 * for await (const pkt of live) { console.log(pkt.len); break; }
 * await live.close();
 */
export function openLiveEbpf(ifname: string, options: Omit<LiveOptions, 'kernelFilter'> = {}): Promise<LiveCapture> {
  return openLive(ifname, { ...options, kernelFilter: ebpfKernelFilter });
}

/**
 * Replaces the filter of a running capture (opened by `openLive` or
 * `openLiveEbpf`) by the eBPF translation of `filter`, race-free: once the
 * promise resolves, no packet accepted only by the old filter is delivered.
 * The capture's later `setFilter()` calls attach eBPF too. When translating
 * or loading fails, the promise rejects and the old filter stays.
 *
 * @example
 * const live = await openLive('eth0', { filter: 'udp' });
 * await setEbpfFilter(live, 'udp port 53');
 */
export function setEbpfFilter(live: LiveCapture, filter: FilterSpec): Promise<void> {
  return live.setFilter(filter, { kernelFilter: ebpfKernelFilter });
}
