/**
 * ARP and RARP (RFC 826, RFC 903) for Ethernet hardware and IPv4 protocol addresses.
 */
import { put16 } from './bytes.js';
import { ipv4Bytes, macBytes, type Address } from './address.js';
import { checkUint } from './errors.js';
import { ETHERTYPE, type Datagram } from './layers.js';

/** ARP operation codes. */
export const ARP_OP = Object.freeze({ REQUEST: 1, REPLY: 2, RARP_REQUEST: 3, RARP_REPLY: 4, INARP_REQUEST: 8, INARP_REPLY: 9 });

export interface ArpOptions {
  /** 1 request, 2 reply, 3 RARP request, 4 RARP reply. */
  op: number;
  senderMac?: Address;
  senderIp?: Address;
  targetMac?: Address;
  targetIp?: Address;
  /** Hardware type (1 = Ethernet). */
  hardwareType?: number;
  /** Announce as RARP (EtherType 0x8035); by default ops 3 and 4 are RARP. */
  rarp?: boolean;
}

/**
 * An ARP (or RARP) packet for Ethernet/IPv4.
 *
 * @example
 * ethernet({ src: '02:00:00:00:00:01', dst: 'ff:ff:ff:ff:ff:ff' }, arp({ op: 1, senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.2' }))
 */
export function arp(options: ArpOptions): Datagram {
  const out = new Uint8Array(28);
  put16(out, 0, checkUint('arp', 'hardwareType', options.hardwareType ?? 1, 0xffff));
  put16(out, 2, ETHERTYPE.IPV4);
  out[4] = 6;
  out[5] = 4;
  const op = checkUint('arp', 'op', options.op, 0xffff);
  put16(out, 6, op);
  out.set(macBytes(options.senderMac ?? '00:00:00:00:00:00', 'senderMac'), 8);
  out.set(ipv4Bytes(options.senderIp ?? '0.0.0.0', 'senderIp'), 14);
  out.set(macBytes(options.targetMac ?? '00:00:00:00:00:00', 'targetMac'), 18);
  out.set(ipv4Bytes(options.targetIp ?? '0.0.0.0', 'targetIp'), 24);
  const rarp = options.rarp ?? (op === 3 || op === 4);
  return { kind: 'datagram', bytes: out, etherType: rarp ? ETHERTYPE.REVARP : ETHERTYPE.ARP };
}
