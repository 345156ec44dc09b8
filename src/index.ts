/**
 * bpfkit's public API. Each layer's surface lives in its folder's index.ts;
 * this file only gathers them.
 */
export * from './bpf/index.js';
export * from './filter/index.js';
export * from './pcap/index.js';
export * from './capture/index.js';
export * from './ebpf/index.js';
export * from './demux/index.js';
export * from './decode/index.js';
export * from './craft/index.js';
