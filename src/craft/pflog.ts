/**
 * OpenBSD pflog records (DLT_PFLOG): the classic 61-byte `struct pfloghdr`
 * (length, af, action, reason, ifname, ruleset, rule numbers, uid/pid,
 * direction), padded to a 4-byte boundary as libpcap expects.
 */
import { concat, put32 } from './bytes.js';
import { CraftError, checkUint } from './errors.js';
import { addressFamilyOf, type LoopbackOptions } from './loopback.js';
import { payloadBytes, type Payload } from './layers.js';

/** pf actions and reasons as tcpdump names them (`action block`, `reason match`). */
export const PF_ACTION = Object.freeze({ PASS: 0, DROP: 1, BLOCK: 1, SCRUB: 2, NOSCRUB: 3, NAT: 4, NONAT: 5, BINAT: 6, NOBINAT: 7, RDR: 8, NORDR: 9 });
export const PF_REASON = Object.freeze({ MATCH: 0, BADOFF: 1, FRAG: 2, SHORT: 3, NORMALIZE: 4, MEMORY: 5, BADTS: 6, CONGEST: 7 });
/** pf directions (`inbound`/`outbound` on pflog). */
export const PF_DIRECTION = Object.freeze({ INOUT: 0, IN: 1, OUT: 2 });

/** Length field value: offsetof(struct pfloghdr, pad). */
const PFLOG_REAL_HDRLEN = 61;

export interface PflogOptions extends LoopbackOptions {
  action?: number;
  reason?: number;
  /** Interface name (≤ 15 characters), as `on IF` matches it. */
  ifname?: string;
  /** Anchor/ruleset name (≤ 15 characters), as `ruleset NAME` matches it. */
  ruleset?: string;
  /** Rule number (`rnr`); -1 (0xffffffff) when none. */
  ruleNumber?: number;
  /** Subrule number (`srnr`). */
  subruleNumber?: number;
  uid?: number;
  pid?: number;
  ruleUid?: number;
  rulePid?: number;
  /** 0 in/out, 1 in, 2 out. */
  direction?: number;
}

function fixedString(value: string, size: number, field: string): Uint8Array {
  const bytes = new TextEncoder().encode(value);
  if (bytes.length >= size) throw new CraftError('pflog', field, value, `must be shorter than ${size} bytes`);
  const out = new Uint8Array(size);
  out.set(bytes);
  return out;
}

/**
 * A DLT_PFLOG record: a 64-byte pflog header (length field 61) and the logged packet.
 *
 * @example
 * pflog({ action: PF_ACTION.BLOCK, ifname: 'em0', ruleNumber: 3, direction: PF_DIRECTION.IN }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 1, dport: 22 })))
 */
export function pflog(options: PflogOptions, payload: Payload): Uint8Array {
  const head = new Uint8Array(64);
  head[0] = PFLOG_REAL_HDRLEN;
  head[1] = checkUint('pflog', 'family', options.family ?? addressFamilyOf(payload, 'pflog', options.inet6), 0xff);
  head[2] = checkUint('pflog', 'action', options.action ?? PF_ACTION.PASS, 0xff);
  head[3] = checkUint('pflog', 'reason', options.reason ?? PF_REASON.MATCH, 0xff);
  head.set(fixedString(options.ifname ?? 'em0', 16, 'ifname'), 4);
  head.set(fixedString(options.ruleset ?? '', 16, 'ruleset'), 20);
  const words = [options.ruleNumber ?? -1, options.subruleNumber ?? -1, options.uid ?? 0, options.pid ?? 0, options.ruleUid ?? 0, options.rulePid ?? 0];
  words.forEach((w, i) => put32(head, 36 + 4 * i, w >>> 0));
  head[60] = checkUint('pflog', 'direction', options.direction ?? PF_DIRECTION.IN, 0xff);
  return concat(head, payloadBytes(payload));
}
