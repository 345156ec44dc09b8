/**
 * Older LAN protocols filters still name: Novell IPX (all four Ethernet
 * encapsulations), AppleTalk DDP and AARP (phase 1 and 2), DECnet Phase IV
 * routing headers, and IEEE 802.1D spanning-tree BPDUs.
 */
import { concat, put16, put16le, put32, toBytes, type ByteSource } from './bytes.js';
import { macBytes, type Address } from './address.js';
import { CraftError, checkUint } from './errors.js';
import { llc, snap } from './ethernet.js';
import { ETHERTYPE, type Datagram } from './layers.js';

/** An IPX endpoint: network number, node (MAC) and socket. */
export interface IpxEndpoint {
  net: number;
  node: Address;
  socket: number;
}

/** How IPX travels on Ethernet: Ethernet II 0x8137, 802.2 LLC SAP 0xE0, SNAP, or Novell "raw 802.3". */
export type IpxEncapsulation = 'ethernet2' | 'llc' | 'snap' | 'raw';

/**
 * An IPX packet (checksum 0xffff, as Novell sends it) in one of the four Ethernet encapsulations.
 *
 * @example
 * ethernet({ src, dst }, ipx({ dst: { net: 1, node: 'ff:ff:ff:ff:ff:ff', socket: 0x452 }, src: { net: 1, node: '02:00:00:00:00:01', socket: 0x4000 }, type: 4 }))
 */
export function ipx(options: { dst: IpxEndpoint; src: IpxEndpoint; type?: number; hops?: number; encapsulation?: IpxEncapsulation }, data: ByteSource = new Uint8Array(0)): Datagram {
  const body = toBytes(data);
  const out = new Uint8Array(30 + body.length);
  put16(out, 0, 0xffff);
  put16(out, 2, out.length);
  out[4] = checkUint('ipx', 'hops', options.hops ?? 0, 0xff);
  out[5] = checkUint('ipx', 'type', options.type ?? 4, 0xff);
  const endpoint = (e: IpxEndpoint, at: number, field: string): void => {
    put32(out, at, checkUint('ipx', `${field}.net`, e.net, 0xffffffff));
    out.set(macBytes(e.node, `${field}.node`), at + 4);
    put16(out, at + 10, checkUint('ipx', `${field}.socket`, e.socket, 0xffff));
  };
  endpoint(options.dst, 6, 'dst');
  endpoint(options.src, 18, 'src');
  out.set(body, 30);
  switch (options.encapsulation ?? 'ethernet2') {
    case 'ethernet2': return { kind: 'datagram', bytes: out, etherType: ETHERTYPE.IPX };
    case 'llc': return llc({ dsap: 0xe0 }, out);
    case 'snap': return snap({ type: ETHERTYPE.IPX }, out);
    case 'raw': return { kind: 'datagram', bytes: out, novellRaw: true };
    default: throw new CraftError('ipx', 'encapsulation', options.encapsulation, 'must be ethernet2, llc, snap or raw');
  }
}

/**
 * An AppleTalk DDP long-header datagram; phase 2 goes in SNAP (OUI 08-00-07), phase 1 as Ethernet II 0x809B.
 *
 * @example
 * ethernet({ src, dst }, ddp({ dstNet: 100, dstNode: 1, dstSocket: 4, srcNet: 100, srcNode: 2, srcSocket: 253, type: 4 }))
 */
export function ddp(options: { dstNet: number; dstNode: number; dstSocket: number; srcNet: number; srcNode: number; srcSocket: number; type?: number; hops?: number; phase2?: boolean }, data: ByteSource = new Uint8Array(0)): Datagram {
  const body = toBytes(data);
  const out = new Uint8Array(13 + body.length);
  if (out.length > 0x3ff) throw new CraftError('ddp', 'data', body, 'makes the datagram longer than 1023 bytes');
  put16(out, 0, (checkUint('ddp', 'hops', options.hops ?? 0, 15) << 10) | out.length);
  put16(out, 4, checkUint('ddp', 'dstNet', options.dstNet, 0xffff));
  put16(out, 6, checkUint('ddp', 'srcNet', options.srcNet, 0xffff));
  out[8] = checkUint('ddp', 'dstNode', options.dstNode, 0xff);
  out[9] = checkUint('ddp', 'srcNode', options.srcNode, 0xff);
  out[10] = checkUint('ddp', 'dstSocket', options.dstSocket, 0xff);
  out[11] = checkUint('ddp', 'srcSocket', options.srcSocket, 0xff);
  out[12] = checkUint('ddp', 'type', options.type ?? 4, 0xff);
  out.set(body, 13);
  return options.phase2 ?? true ? snap({ oui: 0x080007, type: ETHERTYPE.ATALK }, out) : { kind: 'datagram', bytes: out, etherType: ETHERTYPE.ATALK };
}

/**
 * An AARP packet (function 1 request, 2 response, 3 probe); phase 2 in SNAP, phase 1 as Ethernet II 0x80F3.
 *
 * @example
 * ethernet({ src, dst: 'ff:ff:ff:ff:ff:ff' }, aarp({ func: 1, senderMac: src, senderNet: 100, senderNode: 2, targetNet: 100, targetNode: 1 }))
 */
export function aarp(options: { func: number; senderMac: Address; senderNet: number; senderNode: number; targetMac?: Address; targetNet: number; targetNode: number; phase2?: boolean }): Datagram {
  const out = new Uint8Array(28);
  put16(out, 0, 1);
  put16(out, 2, ETHERTYPE.ATALK);
  out[4] = 6; out[5] = 4;
  put16(out, 6, checkUint('aarp', 'func', options.func, 0xffff));
  out.set(macBytes(options.senderMac, 'senderMac'), 8);
  put16(out, 15, checkUint('aarp', 'senderNet', options.senderNet, 0xffff)); out[17] = checkUint('aarp', 'senderNode', options.senderNode, 0xff);
  out.set(macBytes(options.targetMac ?? '00:00:00:00:00:00', 'targetMac'), 18);
  put16(out, 25, checkUint('aarp', 'targetNet', options.targetNet, 0xffff)); out[27] = checkUint('aarp', 'targetNode', options.targetNode, 0xff);
  return options.phase2 ?? true ? snap({ type: ETHERTYPE.AARP }, out) : { kind: 'datagram', bytes: out, etherType: ETHERTYPE.AARP };
}

/**
 * Parses a DECnet address `area.node` (area 1..63, node 1..1023) into its 16-bit value.
 *
 * @example
 * decnetAddress('1.2') // 1026
 */
export function decnetAddress(address: string | number): number {
  if (typeof address === 'number') return checkUint('decnet', 'address', address, 0xffff);
  const m = /^(\d+)\.(\d+)$/.exec(address);
  if (!m || Number(m[1]) > 63 || Number(m[2]) > 1023) throw new CraftError('decnet', 'address', address, 'is not area.node (area ≤ 63, node ≤ 1023)');
  return (Number(m[1]) << 10) | Number(m[2]);
}

/**
 * A DECnet Phase IV data packet (EtherType 0x6003): length, optional padding, then a short (default) or long routing header.
 *
 * @example
 * ethernet({ src, dst }, decnet({ src: '1.1', dst: '1.2' }))
 * decnet({ src: '10.513', dst: '63.1023', long: true, padding: 1 })
 */
export function decnet(options: { src: string | number; dst: string | number; long?: boolean; padding?: number; visits?: number }, data: ByteSource = new Uint8Array(0)): Datagram {
  const src = decnetAddress(options.src);
  const dst = decnetAddress(options.dst);
  const pad = checkUint('decnet', 'padding', options.padding ?? 0, 127);
  let route: Uint8Array;
  if (options.long) {
    route = new Uint8Array(21);
    route[0] = 0x26; // long format, intra-Ethernet
    route.set([0xaa, 0x00, 0x04, 0x00], 3); put16le(route, 7, dst);
    route.set([0xaa, 0x00, 0x04, 0x00], 11); put16le(route, 15, src);
    route[18] = checkUint('decnet', 'visits', options.visits ?? 0, 0x3f);
  } else {
    route = new Uint8Array(6);
    route[0] = 0x02; // short format
    put16le(route, 1, dst);
    put16le(route, 3, src);
    route[5] = checkUint('decnet', 'visits', options.visits ?? 0, 0x3f);
  }
  const padding = new Uint8Array(pad);
  if (pad) padding[0] = 0x80 | pad;
  const rest = concat(padding, route, toBytes(data));
  const length = new Uint8Array(2);
  put16le(length, 0, rest.length);
  return { kind: 'datagram', bytes: concat(length, rest), etherType: ETHERTYPE.DECNET };
}

/**
 * An 802.1D spanning-tree BPDU (configuration, RSTP, or topology change) in LLC SAP 0x42.
 *
 * @example
 * ieee8023({ src, dst: '01:80:c2:00:00:00' }, stp({ rootMac: '02:00:00:00:00:01', bridgeMac: '02:00:00:00:00:02' }))
 */
export function stp(options: { kind?: 'config' | 'rstp' | 'tcn'; rootPriority?: number; rootMac?: Address; bridgePriority?: number; bridgeMac?: Address; cost?: number; port?: number; flags?: number } = {}): Datagram {
  if (options.kind === 'tcn') return llc({ dsap: 0x42 }, Uint8Array.of(0, 0, 0, 0x80));
  const rstp = options.kind === 'rstp';
  const out = new Uint8Array(rstp ? 36 : 35);
  out[2] = rstp ? 2 : 0;
  out[3] = rstp ? 2 : 0;
  out[4] = checkUint('stp', 'flags', options.flags ?? 0, 0xff);
  put16(out, 5, checkUint('stp', 'rootPriority', options.rootPriority ?? 0x8000, 0xffff));
  out.set(macBytes(options.rootMac ?? '02:00:00:00:00:01', 'rootMac'), 7);
  put32(out, 13, checkUint('stp', 'cost', options.cost ?? 0, 0xffffffff));
  put16(out, 17, checkUint('stp', 'bridgePriority', options.bridgePriority ?? 0x8000, 0xffff));
  out.set(macBytes(options.bridgeMac ?? options.rootMac ?? '02:00:00:00:00:01', 'bridgeMac'), 19);
  put16(out, 25, checkUint('stp', 'port', options.port ?? 0x8001, 0xffff));
  put16(out, 29, 20 * 256); // max age
  put16(out, 31, 2 * 256); // hello time
  put16(out, 33, 15 * 256); // forward delay
  return llc({ dsap: 0x42 }, out);
}
