/**
 * Size against libpcap's optimizer, on lists where we have achieved it (the
 * whole corpus is measured by bench/optimize.bench.ts): never more
 * instructions than libpcap's `-O` program, strictly fewer on the second
 * list, and never more with `exactLoads: false` on a third (through
 * compile()'s option).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../../../src/filter/index.js';
import { Oracle } from '../../oracle/oracle.js';

/** [expression, DLT]: ours ≤ libpcap. */
const AT_MOST: ReadonlyArray<readonly [string, number]> = [
  ['ip', 1], ['ip6', 1], ['arp', 1], ['tcp', 1], ['udp', 1], ['icmp', 1], ['icmp6', 1], ['sctp', 1], ['vlan', 1], ['mpls', 1],
  ['ether broadcast', 1], ['ether multicast', 1], ['ip broadcast', 1], ['ip multicast', 1], ['ip6 multicast', 1],
  ['ether host 00:11:22:33:44:55', 1], ['ether src 00:11:22:33:44:55 and ether dst 66:77:88:99:aa:bb', 1],
  ['ether[0] & 1 != 0', 1], ['ether[12:2] = 0x0800', 1], ['host 10.0.0.1', 1], ['src host 10.0.0.1', 1],
  ['host 10.0.0.1 and host 10.0.0.2', 1], ['src 10.1.2.3 and dst 10.3.2.1', 1], ['net 10.0.0.0/8', 1], ['not net 10.0.0.0/8', 1],
  ['tcp port 80', 1], ['ip6 and tcp', 1], ['tcp[tcpflags] & (tcp-syn|tcp-fin) != 0', 1], ['tcp[13] & 2 = 2', 1], ['ip[9] = 17', 1],
  ['udp and dst port 53', 1], ['portrange 1000-2000', 1], ['vlan and tcp port 443', 1],
];

/** [expression, DLT]: ours < libpcap. */
const FEWER: ReadonlyArray<readonly [string, number]> = [
  ['ip[0] ^ 0x45 = 0', 1], ['len = len', 1], ['ip[0] = ip[0]', 1], ['ip host 10.0.0.2 and not 10.0.0.1', 1],
  ['less 1000 and udp src or dst port 123 and esis', 1], ['icmp[20] >= len - len', 6], ['tcp[22] & 0xea < icmptype / 9', 9],
  ['src net 192.168.1.0/24', 117], ['proto 58', 228], ['tcp[6:1] & 0x78 > 172', 228], ['udp src port 143 or 445', 228],
];

/** [expression, DLT]: with `exactLoads: false` (libpcap's assumption), ours ≤ libpcap (cases that once were more). */
const LOOSE_AT_MOST: ReadonlyArray<readonly [string, number]> = [
  ['port 80 or port 443', 1], ['host 10.0.0.1 or host 10.0.0.2 or host 10.0.0.3', 1],
  [Array.from({ length: 20 }, (_, i) => `host 10.0.0.${i * 2 + 1}`).join(' or '), 1],
  ['(proto 6 or host 10.1.2.3) && (icmp[4:4] & 0xaf >= 0x19 and decnet host 1.1) and l2 or stp', 1],
  ['decnet dst host 1.1 and sctp[6:1] != 139 or not broadcast and ip6 proto \\tcp', 10],
  ['ether[28:1] != 220 and net 10.0.0.0 mask 255.0.0.0 and decnet host 63.1023 or !(greater 60) and arp[10:4] >= 58', 51],
  ['src and dst portrange 662-1408 and rarp src host 192.168.1.1 or ip net 192.168.1.0/24 and udp portrange 1736-2580 and (ip6 and tcp port 6081 or 67) || (src or dst portrange 798-2456)', 229],
  ['(src port 25 and ip and clnp) || (ether[5:4] > 137 or ip6 host 2001:db8::1) and ether proto \\stp', 276],
  ['port 53 and (udp or tcp)', 1], ['host 10.0.0.1 and host 10.0.0.2', 1], ['dst port 80 and src port 1024', 1],
];

test('never more instructions than libpcap -O on the fixed list, strictly fewer on the second', async () => {
  const oracle = await Oracle.start();
  const problems: string[] = [];
  try {
    for (const [list, strict] of [[AT_MOST, false], [FEWER, true]] as const) {
      for (const [expression, dlt] of list) {
        const ours = compile(expression, { linkType: dlt }).length;
        const theirs = (await oracle.compile(expression, { linkType: dlt, optimize: true })).length;
        if (strict ? ours >= theirs : ours > theirs) problems.push(`DLT ${dlt} ${JSON.stringify(expression)}: ours ${ours}, libpcap ${theirs}`);
      }
    }
    for (const [expression, dlt] of LOOSE_AT_MOST) {
      const ours = compile(expression, { linkType: dlt, exactLoads: false }).length;
      const theirs = (await oracle.compile(expression, { linkType: dlt, optimize: true })).length;
      if (ours > theirs) problems.push(`exactLoads false, DLT ${dlt} ${JSON.stringify(expression)}: ours ${ours}, libpcap ${theirs}`);
    }
  } finally {
    oracle.close();
  }
  assert.deepEqual(problems, []);
});
