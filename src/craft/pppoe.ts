/**
 * PPPoE (RFC 2516): discovery packets (PADI/PADO/PADR/PADS/PADT with tags)
 * and session packets carrying PPP. A session packet is also what a
 * DLT_PPP_ETHER capture holds.
 */
import { concat, put16, toBytes, type ByteSource } from './bytes.js';
import { checkUint } from './errors.js';
import { ETHERTYPE, payloadBytes, type Datagram, type Payload } from './layers.js';
import { pppProtocolOf } from './ppp.js';

/** PPPoE discovery codes. */
export const PPPOE_CODE = Object.freeze({ SESSION: 0x00, PADO: 0x07, PADI: 0x09, PADR: 0x19, PADS: 0x65, PADT: 0xa7 });

/** PPPoE tag types. */
export const PPPOE_TAG = Object.freeze({ END_OF_LIST: 0x0000, SERVICE_NAME: 0x0101, AC_NAME: 0x0102, HOST_UNIQ: 0x0103, AC_COOKIE: 0x0104 });

function pppoeHeader(code: number, session: number, length: number): Uint8Array {
  const out = new Uint8Array(6);
  out[0] = 0x11; // version 1, type 1
  out[1] = checkUint('pppoe', 'code', code, 0xff);
  put16(out, 2, checkUint('pppoe', 'session', session, 0xffff));
  put16(out, 4, checkUint('pppoe', 'length', length, 0xffff));
  return out;
}

/**
 * A PPPoE discovery packet (EtherType 0x8863) with tags.
 *
 * @example
 * ethernet({ src, dst: 'ff:ff:ff:ff:ff:ff' }, pppoeDiscovery({ code: PPPOE_CODE.PADI, tags: [{ type: PPPOE_TAG.SERVICE_NAME, value: [] }] }))
 */
export function pppoeDiscovery(options: { code: number; session?: number; tags?: ReadonlyArray<{ type: number; value: ByteSource | string }> }): Datagram {
  const tags = (options.tags ?? []).map((t) => {
    const value = typeof t.value === 'string' ? new TextEncoder().encode(t.value) : toBytes(t.value);
    const out = new Uint8Array(4 + value.length);
    put16(out, 0, checkUint('pppoeDiscovery', 'tag type', t.type, 0xffff));
    put16(out, 2, value.length);
    out.set(value, 4);
    return out;
  });
  const body = concat(...tags);
  return { kind: 'datagram', bytes: concat(pppoeHeader(options.code, options.session ?? 0, body.length), body), etherType: ETHERTYPE.PPPOE_DISCOVERY };
}

/**
 * A PPPoE session packet (EtherType 0x8864): PPPoE header, PPP protocol (from the payload unless given), payload.
 *
 * @example
 * ethernet({ src, dst }, pppoeSession({ session: 0x1234 }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, icmp({ type: 8 }))))
 */
export function pppoeSession(options: { session: number; protocol?: number; length?: number }, payload: Payload): Datagram {
  const inner = payloadBytes(payload);
  const proto = new Uint8Array(2);
  put16(proto, 0, pppProtocolOf(payload, 'pppoeSession', options.protocol));
  return {
    kind: 'datagram',
    bytes: concat(pppoeHeader(PPPOE_CODE.SESSION, options.session, options.length ?? inner.length + 2), proto, inner),
    etherType: ETHERTYPE.PPPOE_SESSION,
  };
}
