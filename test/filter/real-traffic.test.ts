/**
 * Real traffic (ICMP echo, ARP, DNS over UDP, TCP connections, IPv6 UDP and
 * neighbour discovery) captured by tcpdump inside network namespaces during
 * the test: random expressions and the man-page forms compiled by bpfkit and
 * libpcap must accept exactly the same captured packets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Oracle } from '../oracle/oracle.js';
import { differ } from './differential.js';
import { RandomExpressions } from './random-expression.js';
import { captureRealTraffic, realTrafficUnavailable } from './real-traffic.js';

const LONG = Boolean(process.env.BPFKIT_LONG);
const FIXED = ['icmp', 'arp', 'udp port 53', 'tcp port 8080', 'tcp[tcpflags] & tcp-syn != 0', 'ip6 and udp', 'icmp6',
  'icmp6[icmp6type] = icmp6-neighborsolicit', 'arp[6:2] = 1', 'ether broadcast', 'ether multicast', 'ip6 multicast',
  'greater 200', 'tcp and len > 100', 'udp and ip[8] = 64', 'port domain or port 8080', 'inbound', 'outbound'];

test('real captured traffic: bpfkit and libpcap accept the same packets', async (t) => {
  const why = realTrafficUnavailable();
  if (why) {
    t.skip(why);
    return;
  }
  const captures = await captureRealTraffic('rt');
  const oracle = await Oracle.start();
  const problems: string[] = [];
  try {
    for (const capture of captures) {
      assert.ok(capture.packets.length >= 20, `captured only ${capture.packets.length} packets on DLT ${capture.linkType}`);
      const gen = new RandomExpressions(capture.linkType * 31 + 5);
      const expressions = [...FIXED, ...Array.from({ length: LONG ? 1000 : 100 }, () => gen.expression(1))];
      let matched = 0;
      for (const e of expressions) {
        const d = await differ(oracle, e, capture.linkType, capture.packets);
        if (d.kind === 'agree') { if (d.accepted > 0) matched++; continue; }
        if (d.kind === 'both-reject') continue;
        problems.push(`DLT ${capture.linkType} ${JSON.stringify(e)}: ${d.kind}${d.kind === 'packets' ? ` (${d.mismatches.length} packets)` : ''}`);
      }
      assert.ok(matched > 10, `too few expressions matched anything (${matched})`);
    }
  } finally {
    oracle.close();
  }
  assert.deepEqual(problems, []);
});
