/**
 * Ethernet frames for the eBPF differential tests: the craft corpus
 * (`corpus({ linkType: 1, count, seed })`), and beside it a deterministic mix
 * built here with the craft builders around the ports and addresses the XDP
 * tests use (7777, 9999, ...), truncated copies and random bytes, so that
 * every fixed expression meets packets it matches and packets it does not.
 */
import { corpus } from '../../src/craft/corpus.js';
import { ethernet, vlan } from '../../src/craft/ethernet.js';
import { ipv4 } from '../../src/craft/ipv4.js';
import { ipv6 } from '../../src/craft/ipv6.js';
import { udp } from '../../src/craft/udp.js';
import { tcp } from '../../src/craft/tcp.js';
import { icmp } from '../../src/craft/icmp.js';
import { arp } from '../../src/craft/arp.js';
import { seeded, randomPacket } from '../bpf/jit-random.js';

export interface TestFrame {
  data: Uint8Array;
  wireLength: number;
}

/**
 * `count` Ethernet frames, deterministic for a seed: three quarters from the
 * craft corpus, a quarter built here.
 *
 * @example
 * const frames = ethernetFrames(400, 1);
 */
export function ethernetFrames(count: number, seed: number): TestFrame[] {
  const built = builtFrames(Math.ceil(count / 4), seed);
  const fromCorpus = corpus({ linkType: 1, count: count - built.length, seed, describe: false, malformed: 0.1 }).map((p) => ({ data: p.data, wireLength: p.wireLength }));
  return [...fromCorpus, ...built];
}

const PORTS = [7777, 9999, 53, 80, 443, 22, 123, 1024, 65535, 0];
const V4 = ['10.0.0.1', '10.0.0.2', '192.168.1.7', '127.0.0.1', '224.0.0.1', '255.255.255.255'];
const V6 = ['2001:db8::1', '2001:db8::2', 'fe80::1', 'ff02::1'];

function builtFrames(count: number, seed: number): TestFrame[] {
  const r = seeded(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const macs = { src: '02:00:00:00:00:01', dst: pick(['02:00:00:00:00:02', 'ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:01']) };
  const out: TestFrame[] = [];
  while (out.length < count) {
    const kind = Math.floor(r() * 10);
    const sport = pick(PORTS), dport = pick(PORTS);
    let frame: Uint8Array;
    const l4 = () => {
      const which = Math.floor(r() * 3);
      if (which === 0) return udp({ sport, dport }, new Uint8Array(Math.floor(r() * 40)));
      if (which === 1) return tcp({ sport, dport, flags: pick(['S', 'SA', 'FA', 'R', 'P.']) });
      return icmp({ type: pick([0, 8, 3, 11]), id: 1, seq: 1 }, new Uint8Array(8));
    };
    switch (kind) {
      case 0: case 1: case 2: case 3:
        frame = ethernet({ ...macs, pad: r() < 0.5 }, ipv4({ src: pick(V4), dst: pick(V4), mf: r() < 0.1, fragmentOffset: r() < 0.1 ? 3 : 0 }, l4()));
        break;
      case 4: case 5:
        frame = ethernet(macs, ipv6({ src: pick(V6), dst: pick(V6) }, l4()));
        break;
      case 6:
        frame = ethernet({ ...macs, pad: true }, arp({ op: pick([1, 2]), senderMac: macs.src, senderIp: pick(V4), targetIp: pick(V4) }));
        break;
      case 7:
        frame = ethernet(macs, vlan({ vid: Math.floor(r() * 4096) }, ipv4({ src: pick(V4), dst: pick(V4) }, l4())));
        break;
      case 8: {
        const p = randomPacket(r);
        out.push(p);
        continue;
      }
      default: {
        const full = ethernet(macs, ipv4({ src: pick(V4), dst: pick(V4) }, l4()));
        frame = full.subarray(0, Math.floor(r() * full.length));
      }
    }
    out.push({ data: frame, wireLength: frame.length + (r() < 0.2 ? Math.floor(r() * 1000) : 0) });
  }
  return out;
}
