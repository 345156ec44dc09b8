/**
 * OSI network layer on LANs (LLC SAP 0xFE): CLNP (ISO 8473), ES-IS (ISO 9542)
 * and IS-IS (ISO 10589) PDUs, enough for `clnp`, `esis`, `isis`, `l1`, `l2`,
 * `iih`, `lsp`, `snp`, `csnp`, `psnp` filters.
 */
import { concat, put16, toBytes, type ByteSource } from './bytes.js';
import { CraftError, checkUint } from './errors.js';
import { llc } from './ethernet.js';
import type { Datagram } from './layers.js';

/** Network layer protocol identifiers. */
export const NLPID = Object.freeze({ CLNP: 0x81, ESIS: 0x82, ISIS: 0x83, IPV4: 0xcc, IPV6: 0x8e });

/** IS-IS PDU types. */
export const ISIS_PDU = Object.freeze({ L1_LAN_IIH: 15, L2_LAN_IIH: 16, PTP_IIH: 17, L1_LSP: 18, L2_LSP: 20, L1_CSNP: 24, L2_CSNP: 25, L1_PSNP: 26, L2_PSNP: 27 });

function nsap(value: ByteSource, builder: string, field: string): Uint8Array {
  const b = toBytes(value);
  if (b.length < 1 || b.length > 20) throw new CraftError(builder, field, b, 'must be 1..20 bytes');
  return b;
}

/** Wraps an OSI PDU in LLC (DSAP = SSAP = 0xFE, UI). */
function osi(pdu: Uint8Array): Datagram {
  return llc({ dsap: 0xfe }, pdu);
}

/**
 * A CLNP data PDU (type DT) from `src` to `dst` NSAPs.
 *
 * @example
 * ieee8023({ src, dst }, clnp({ src: [0x49, 0, 1, 2, 3, 4, 5, 6, 0], dst: [0x49, 0, 1, 6, 5, 4, 3, 2, 0] }))
 */
export function clnp(options: { src: ByteSource; dst: ByteSource; lifetime?: number; type?: number }, data: ByteSource = new Uint8Array(0)): Datagram {
  const d = nsap(options.dst, 'clnp', 'dst');
  const s = nsap(options.src, 'clnp', 'src');
  const head = new Uint8Array(9);
  head[0] = NLPID.CLNP;
  head[2] = 1;
  head[3] = checkUint('clnp', 'lifetime', options.lifetime ?? 32, 0xff);
  head[4] = checkUint('clnp', 'type', options.type ?? 0x1c, 0xff); // DT, segmentation permitted
  const header = concat(head, Uint8Array.of(d.length), d, Uint8Array.of(s.length), s);
  header[1] = header.length;
  const body = toBytes(data);
  put16(header, 5, header.length + body.length);
  return osi(concat(header, body));
}

/**
 * An ES-IS hello: ESH (type 2, the end system's NSAP) or ISH (type 4, the intermediate system's NET).
 *
 * @example
 * ieee8023({ src, dst: '09:00:2b:00:00:05' }, esis({ type: 4, address: [0x49, 0, 1, 2, 3, 4, 5, 6, 0] }))
 */
export function esis(options: { type: 2 | 4; address: ByteSource; holdingTime?: number }): Datagram {
  const a = nsap(options.address, 'esis', 'address');
  const head = new Uint8Array(9);
  head[0] = NLPID.ESIS;
  head[2] = 1;
  head[4] = options.type;
  put16(head, 5, checkUint('esis', 'holdingTime', options.holdingTime ?? 30, 0xffff));
  const pdu = options.type === 2 ? concat(head, Uint8Array.of(1, a.length), a) : concat(head, Uint8Array.of(a.length), a);
  pdu[1] = pdu.length;
  return osi(pdu);
}

/** Fixed-header length of each IS-IS PDU type. */
function isisHeaderLength(pduType: number): number {
  if (pduType === ISIS_PDU.L1_LAN_IIH || pduType === ISIS_PDU.L2_LAN_IIH || pduType === ISIS_PDU.L1_LSP || pduType === ISIS_PDU.L2_LSP) return 27;
  if (pduType === ISIS_PDU.PTP_IIH) return 20;
  if (pduType === ISIS_PDU.L1_CSNP || pduType === ISIS_PDU.L2_CSNP) return 33;
  if (pduType === ISIS_PDU.L1_PSNP || pduType === ISIS_PDU.L2_PSNP) return 17;
  throw new CraftError('isis', 'pduType', pduType, 'is not an IS-IS PDU type (15-18, 20, 24-27)');
}

/**
 * An IS-IS PDU of the given type (IIH, LSP, CSNP, PSNP), with the fixed header
 * for its type (system IDs from `systemId`) and an Area Addresses TLV.
 *
 * @example
 * ieee8023({ src, dst: '01:80:c2:00:00:14' }, isis({ pduType: ISIS_PDU.L1_LAN_IIH, systemId: [0, 0, 0, 0, 0, 1] }))
 */
export function isis(options: { pduType: number; systemId?: ByteSource; area?: ByteSource }): Datagram {
  const headerLength = isisHeaderLength(options.pduType);
  const id = toBytes(options.systemId ?? [0, 0, 0, 0, 0, 1]);
  if (id.length !== 6) throw new CraftError('isis', 'systemId', id, 'must be 6 bytes');
  const area = toBytes(options.area ?? [0x49, 0x00, 0x01]);
  const tlv = concat(Uint8Array.of(1, area.length + 1, area.length), area);
  const pdu = new Uint8Array(headerLength + tlv.length);
  pdu[0] = NLPID.ISIS;
  pdu[1] = headerLength;
  pdu[2] = 1;
  pdu[4] = options.pduType;
  pdu[5] = 1;
  const t = options.pduType;
  if (t === ISIS_PDU.L1_LAN_IIH || t === ISIS_PDU.L2_LAN_IIH || t === ISIS_PDU.PTP_IIH) {
    pdu[8] = t === ISIS_PDU.L2_LAN_IIH ? 2 : t === ISIS_PDU.PTP_IIH ? 3 : 1;
    pdu.set(id, 9);
    put16(pdu, 15, 30);
    put16(pdu, 17, pdu.length);
    if (t !== ISIS_PDU.PTP_IIH) { pdu[19] = 64; pdu.set(id, 20); pdu[26] = 1; }
  } else if (t === ISIS_PDU.L1_LSP || t === ISIS_PDU.L2_LSP) {
    put16(pdu, 8, pdu.length);
    put16(pdu, 10, 1200);
    pdu.set(id, 12);
    put16(pdu, 20, 0); pdu[23] = 1; // sequence number 1
    pdu[26] = 0x03;
  } else {
    put16(pdu, 8, pdu.length);
    pdu.set(id, 10);
    if (headerLength === 33) pdu.fill(0xff, 25, 33); // CSNP: end LSP ID
  }
  pdu.set(tlv, headerLength);
  return osi(pdu);
}
