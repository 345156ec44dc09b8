// Crafted packets as Wireshark and tcpdump see them: every checksum verifies,
// every protocol chain is what was built, and tcpdump prints what was meant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { corpus, CRAFT_LINK_TYPES } from '../../src/craft/index.js';
import { WIRE_CASES } from './wire-cases.js';
import { writeTempPcap, writeTempPcapng } from './pcap-writer.js';

const has = (tool: string): boolean => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;

const CHECKSUM_FIELDS = ['ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status', 'icmp.checksum.status', 'icmpv6.checksum.status', 'sctp.checksum.status', 'igmp.checksum.status', 'gre.checksum.status'];

const TSHARK_CHECKS = ['ip.check_checksum:TRUE', 'tcp.check_checksum:TRUE', 'udp.check_checksum:TRUE', 'sctp.checksum:CRC-32C'].flatMap((p) => ['-o', p]);

test('tshark verifies every checksum and finds the protocols that were built', { skip: !has('tshark') && 'tshark is not installed' }, () => {
  const path = writeTempPcapng(WIRE_CASES.map((c) => ({ dlt: c.dlt, data: c.data })));
  try {
    const run = spawnSync('tshark', ['-r', path, ...TSHARK_CHECKS, '-T', 'fields', '-E', 'separator=\t', '-e', 'frame.protocols', ...CHECKSUM_FIELDS.flatMap((f) => ['-e', f]), '-e', '_ws.expert.message'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines.length, WIRE_CASES.length);
    WIRE_CASES.forEach((c, i) => {
      const [protocols, ...rest] = lines[i].split('\t');
      const expert = rest.pop() ?? '';
      assert.ok(protocols.includes(c.protocols), `${c.name}: tshark saw ${protocols}, expected ${c.protocols}`);
      rest.forEach((status, k) => {
        // 1 = good; several values when a protocol repeats (tunnels, ICMP errors).
        for (const s of status.split(',').filter(Boolean)) assert.equal(s, '1', `${c.name}: ${CHECKSUM_FIELDS[k]} is ${s}`);
      });
      assert.doesNotMatch(expert, /Malformed|[Bb]ad checksum|incorrect/, `${c.name}: ${expert}`);
    });
    // Every checksum kind was actually checked at least once.
    CHECKSUM_FIELDS.forEach((field, k) => assert.ok(lines.some((l) => l.split('\t')[k + 1] !== ''), `no packet exercised ${field}`));
  } finally {
    rmSync(dirname(path), { recursive: true, force: true });
  }
});

test('tcpdump prints crafted packets as intended', { skip: !has('tcpdump') && 'tcpdump is not installed' }, () => {
  const byLink = new Map<number, typeof WIRE_CASES>();
  for (const c of WIRE_CASES) byLink.set(c.dlt, [...(byLink.get(c.dlt) ?? []), c]);
  for (const [dlt, cases] of byLink) {
    const path = writeTempPcap(dlt, cases.map((c) => ({ data: c.data })));
    try {
      const run = spawnSync('tcpdump', ['-n', '-e', '-r', path], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      // Tunnels print their inner frame on a continuation line: a record starts with its timestamp.
      const lines = run.stdout.trimEnd().split(/\n(?=\d\d:\d\d:\d\d\.)/).map((l) => l.replace(/\s+/g, ' '));
      assert.equal(lines.length, cases.length, `DLT ${dlt}: ${run.stdout}`);
      cases.forEach((c, i) => {
        if (c.tcpdump) assert.ok(lines[i].includes(c.tcpdump), `${c.name}: tcpdump printed\n  ${lines[i]}\nexpected\n  ${c.tcpdump}`);
      });
      const verbose = spawnSync('tcpdump', ['-n', '-vv', '-r', path], { encoding: 'utf8' });
      assert.doesNotMatch(verbose.stdout, /incorrect|bad cksum|\[\|/, `DLT ${dlt}: tcpdump -vv found a bad checksum or truncation:\n${verbose.stdout}`);
    } finally {
      rmSync(dirname(path), { recursive: true, force: true });
    }
  }
});

// Protocols whose every byte the workshop builds; random application payloads (VRRP, AH, IPX data...) may look malformed to a dissector, these may not.
const BUILT_WHOLE = new Set(['eth', 'ethertype', 'vlan', 'ieee8021ad', 'llc', 'sll', 'null', 'enc', 'pflog', 'ppp', 'chdlc', 'fddi', 'tr', 'wlan', 'radiotap', 'wlan_radio',
  'ip', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'igmp', 'arp', 'dns', 'mdns', 'sctp', 'gre', 'vxlan', 'geneve', 'mpls', 'pppoed', 'pppoes', 'lcp', 'stp', 'osi', 'isis', 'clnp', 'esis', 'aarp', 'data']);

test('a clean corpus of every link type has only good checksums and well-formed headers', { skip: !has('tshark') && 'tshark is not installed' }, () => {
  const packets = Object.values(CRAFT_LINK_TYPES).flatMap((dlt) => corpus({ linkType: dlt, count: 250, seed: 5 }).map((p) => ({ dlt, data: p.data, description: p.description })));
  const path = writeTempPcapng(packets);
  try {
    const run = spawnSync('tshark', ['-r', path, ...TSHARK_CHECKS, '-T', 'fields', '-e', 'frame.protocols', ...CHECKSUM_FIELDS.flatMap((f) => ['-e', f]), '-e', '_ws.expert.message'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines.length, packets.length);
    lines.forEach((line, i) => {
      const [protocols, ...rest] = line.split('\t');
      const expert = rest.pop() ?? '';
      rest.forEach((status, k) => assert.ok(!status.split(',').includes('0'), `${packets[i].description}: bad ${CHECKSUM_FIELDS[k]}`));
      const last = protocols.split(':').pop() ?? '';
      if (BUILT_WHOLE.has(last)) assert.doesNotMatch(expert, /Malformed/, `${packets[i].description} (${protocols}): ${expert}`);
    });
  } finally {
    rmSync(dirname(path), { recursive: true, force: true });
  }
});
