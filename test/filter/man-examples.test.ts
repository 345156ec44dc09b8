/**
 * Every example expression of pcap-filter(7) (the EXAMPLES section and the
 * primitives it describes) compiles with bpfkit and agrees with libpcap over
 * the corpus. The EXAMPLES section names hosts (sundown, helios, …) that do
 * not resolve here: those forms must be rejected by both, and the same
 * examples with addresses in place of the names must agree packet for packet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpus } from '../../src/craft/index.js';
import { Oracle } from '../oracle/oracle.js';
import { differ } from './differential.js';

/** The EXAMPLES section, verbatim: names that do not resolve on a test machine. */
const LITERAL = [
  'host sundown',
  'host helios and (hot or ace)',
  'ip host ace and not helios',
  'net ucb-ether',
  'gateway snup and (port ftp or ftp-data)',
  'ip and not net localnet',
  'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0 and not src and dst net localnet',
  'gateway snup and ip[2:2] > 576',
];

/** [expression, DLT]: the EXAMPLES with addresses, and the primitives the page describes. */
const EXAMPLES: ReadonlyArray<readonly [string, number]> = [
  ['host 10.0.0.1', 1],
  ['host 10.0.0.1 and (10.0.0.2 or 192.168.1.1)', 1],
  ['ip host 10.0.0.2 and not 10.0.0.1', 1],
  ['net 10', 1],
  ['ether host 02:00:00:00:00:01 and not host 10.0.0.1 and (port ftp or ftp-data)', 1],
  ['ip and not net 192.168.0.0/16', 1],
  ['tcp[tcpflags] & (tcp-syn|tcp-fin) != 0 and not src and dst net 192.168.0.0/16', 1],
  ['tcp[tcpflags] & (tcp-rst|tcp-ack) == (tcp-rst|tcp-ack)', 1],
  ['tcp port 80 and (((ip[2:2] - ((ip[0]&0xf)<<2)) - ((tcp[12]&0xf0)>>2)) != 0)', 1],
  ['ether host 02:00:00:00:00:01 and ip[2:2] > 576', 1],
  ['ether[0] & 1 = 0 and ip[16] >= 224', 1],
  ['icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply', 1],
  ['icmp6[icmp6type] != icmp6-echo and icmp6[icmp6type] != icmp6-echoreply', 1],
  ['dst host 10.0.0.2', 1], ['src host 10.0.0.1', 1], ['host localhost', 1],
  ['ether dst 02:00:00:00:00:02', 1], ['ether src 02:00:00:00:00:01', 1], ['ether host 00:11:22:33:44:55', 1],
  ['dst net 192.168.0.0/16', 1], ['src net 10.0.0.0/8', 1], ['net 172.16.0.0 mask 255.240.0.0', 1], ['net 10.0.0.0/24', 1],
  ['dst port 80', 1], ['src port 53', 1], ['port domain', 1], ['tcp dst port http', 1], ['udp src port 53', 1],
  ['dst portrange 1-1023', 1], ['src portrange 6000-6010', 1], ['portrange 1024-65535', 1], ['tcp portrange ftp-http', 1],
  ['less 64', 1], ['greater 1000', 1], ['len <= 64', 1],
  ['ip proto \\tcp', 1], ['ip proto 17', 1], ['icmp', 1], ['ip6 proto 58', 1], ['icmp6', 1], ['proto \\udp', 1],
  ['ip6 protochain 6', 1], ['ip protochain 6', 1], ['protochain 17', 1],
  ['ether broadcast', 1], ['ip broadcast', 1], ['ether multicast', 1], ['ip multicast', 1], ['ip6 multicast', 1],
  ['ether proto \\ip and host 10.0.0.1', 1], ['ether proto \\arp', 1], ['ether proto 0x86dd', 1],
  ['ip', 1], ['ip6', 1], ['arp', 1], ['rarp', 1], ['atalk', 1], ['aarp', 1], ['decnet', 1], ['iso', 1], ['stp', 1], ['ipx', 1], ['netbeui', 1],
  ['lat', 1], ['moprc', 1], ['mopdl', 1],
  ['decnet src 1.2', 1], ['decnet dst 10.513', 1], ['decnet host 63.1023', 1],
  ['llc', 1], ['llc i', 1], ['llc s', 1], ['llc u', 1], ['llc rr', 1], ['llc rnr', 1], ['llc rej', 1], ['llc ui', 1], ['llc ua', 1],
  ['llc disc', 1], ['llc dm', 1], ['llc sabme', 1], ['llc test', 1], ['llc xid', 1], ['llc frmr', 1],
  ['ifname em0', 117], ['on pppoe0', 117], ['rnr 1', 117], ['rulenum 42', 117], ['reason match', 117], ['rset anchor1', 117],
  ['ruleset anchor1', 117], ['srnr 0', 117], ['subrulenum 1', 117], ['action pass', 117], ['action block', 117],
  ['type mgt', 105], ['type data subtype qos-data', 105], ['subtype beacon', 105], ['dir fromds', 105], ['type ctl subtype ack', 105],
  ['vlan 100 && vlan 200', 1], ['vlan && vlan 300 && ip', 1], ['vlan', 1], ['vlan 10 and tcp port 80', 1],
  ['mpls 100000 && mpls 1024', 1], ['mpls && mpls 1024 && host 192.9.200.1', 1], ['mpls 16 and ip', 1],
  ['pppoed', 1], ['pppoes 0x27 && ip', 1], ['pppoes and tcp', 1],
  ['geneve 0xb && ip', 1], ['geneve and udp', 1],
  ['iso proto \\clnp', 1], ['clnp', 1], ['esis', 1], ['isis', 1], ['l1', 1], ['l2', 1], ['iih', 1], ['lsp', 1], ['snp', 1], ['csnp', 1], ['psnp', 1],
  ['ether[0] & 1 != 0', 1], ['ip[0] & 0xf != 5', 1], ['ip[6:2] & 0x1fff = 0', 1], ['tcp[0:2] = 80', 1], ['udp[8] = 0', 1],
  ['fddi proto \\arp', 10], ['tr proto \\arp', 6], ['fddi host 02:00:00:00:00:01', 10], ['tr src 02:00:00:00:00:01', 6],
  ['inbound', 113], ['outbound', 113], ['ifindex 2', 276],
  ['tcp port 80 and not host 10.0.0.1', 0], ['ip6 and udp', 12], ['icmp', 228], ['icmp6', 229], ['ip', 108], ['port 53', 113],
  ['ip and udp port 53', 276], ['ip', 9], ['ip6', 104], ['tcp', 51], ['arp', 113], ['ip', 117],
];

test('pcap-filter(7) examples with unresolvable names are rejected by both', async () => {
  const oracle = await Oracle.start();
  try {
    for (const e of LITERAL) {
      const d = await differ(oracle, e, 1, []);
      assert.equal(d.kind, 'both-reject', `${e}: ${JSON.stringify(d)}`);
    }
  } finally {
    oracle.close();
  }
});

test(`pcap-filter(7) examples compile and agree with libpcap (${EXAMPLES.length})`, async () => {
  const oracle = await Oracle.start();
  const problems: string[] = [];
  const corpora = new Map<number, ReturnType<typeof corpus>>();
  try {
    for (const [e, dlt] of EXAMPLES) {
      if (!corpora.has(dlt)) corpora.set(dlt, corpus({ linkType: dlt, count: 600, seed: 4242, malformed: 0.1, describe: false }));
      for (const netmask of [0, 0xffffff00]) {
        if (netmask !== 0 && !e.includes('broadcast')) continue;
        const d = await differ(oracle, e, dlt, corpora.get(dlt)!, { netmask });
        if (d.kind !== 'agree') problems.push(`${e} (DLT ${dlt}): ${d.kind} ${'ours' in d && typeof d.ours === 'string' ? d.ours : ''} ${'libpcap' in d ? d.libpcap : ''}`);
      }
    }
  } finally {
    oracle.close();
  }
  assert.deepEqual(problems, []);
});
