/**
 * Side by side with tcpdump: the same capture files, the same flags, the same
 * lines. Files: the project's sample capture, real traffic recorded between
 * two network namespaces during the test, the packet generator's corpus for
 * the protocols bpfdump decodes (Ethernet, 802.1Q, ARP, IPv4, IPv6, TCP, UDP,
 * ICMP, ICMPv6, IGMP, DNS), and truncated copies of all of it.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { corpus } from '../../src/craft/index.js';
import { readCapture } from '../../src/pcap/index.js';
import { bpfdump, firstDifferences, netnsUnavailable, recordRealTraffic, ROOT, tcpdump, tempDir, writePackets } from '../cli/helpers.js';

const dir = tempDir('bpfdump-parity-');
const sample = join(ROOT, 'samples/sample.pcap');
const real = join(dir, 'real.pcap');
const generated = join(dir, 'generated.pcap');
const core = join(dir, 'core.pcap');
const truncated = join(dir, 'truncated.pcap');

/**
 * Application protocols on top of UDP and TCP that tcpdump decodes and
 * bpfdump does not (it prints them as plain UDP/TCP): the generator's packets
 * to these ports are left out of the comparison.
 */
const UNDECODED_PORTS = [20, 21, 22, 23, 67, 68, 69, 88, 110, 111, 119, 123, 137, 138, 139, 143, 161, 162, 179, 389, 443, 445,
  500, 514, 520, 546, 547, 554, 623, 750, 1701, 1812, 1813, 1900, 2049, 3128, 3260, 3784, 4500, 4789, 5060, 5353, 5355, 5632,
  6081, 6633, 6653, 8472, 9000, 49152];
const PROTOCOLS = `(arp or icmp or icmp6 or igmp or ((tcp or udp) and not port (${UNDECODED_PORTS.join(' or ')}) and not ip6 proto 0 and not ip6 proto 60 and not ip6 proto 43 and not ip6 proto 44))`;
/** Plain or 802.1Q-tagged (libpcap's `vlan` moves the offsets for what follows it). */
const CORE = `${PROTOCOLS} or (vlan and ${PROTOCOLS})`;

before(async () => {
  const packets = corpus({ linkType: 'EN10MB', count: 4000, seed: 11 });
  await writePackets(generated, 1, packets.map((p) => ({ data: p.data, wireLength: p.wireLength })));
  // tcpdump itself selects the core protocols, so the selection does not depend on bpfkit's compiler.
  const sel = tcpdump(['-r', generated, '-w', core, CORE]);
  assert.equal(sel.status, 0, sel.stderr);
  if (!netnsUnavailable()) await recordRealTraffic(real);
  // Every packet of the sample and the real capture, cut short at several lengths.
  const cut: Array<{ data: Uint8Array; wireLength: number }> = [];
  for (const file of [sample, ...(existsSync(real) ? [real] : [])]) {
    for await (const r of readCapture(file)) {
      for (const keep of [14, 20, 30, 38, 42, 54, 60, 70]) {
        if (keep < r.caplen) cut.push({ data: r.data.slice(0, keep), wireLength: r.len });
      }
    }
  }
  await writePackets(truncated, 1, cut);
});

const FLAG_SETS: string[][] = [
  [], ['-e'], ['-v'], ['-vv'], ['-q'], ['-x'], ['-xx'], ['-X'], ['-XX'], ['-A'], ['-S'],
  ['-t'], ['-tt'], ['-ttt'], ['-tttt'], ['-ttttt'], ['-#'], ['-e', '-v'], ['--nano'], ['-K', '-v'],
];

function compare(file: string, flags: string[]): { lines: number } {
  const ours = bpfdump(['-nr', file, ...flags]);
  const theirs = tcpdump(['-nr', file, ...flags]);
  assert.equal(theirs.status, 0, theirs.stderr);
  assert.equal(ours.status, 0, ours.stderr);
  assert.ok(theirs.stdout.length > 0, 'tcpdump printed nothing');
  assert.ok(ours.stdout === theirs.stdout, `bpfdump -nr ${file} ${flags.join(' ')} differs from tcpdump:\n${firstDifferences(ours.stdout, theirs.stdout)}`);
  return { lines: theirs.stdout.split('\n').length - 1 };
}

/**
 * For packets cut short, the hex and ASCII dumps are left out: where tcpdump
 * starts them depends on which of its checks noticed the missing bytes (a
 * local check or a long jump), which bpfdump follows only for the common cases.
 */
const DUMP_FLAGS = new Set(['-x', '-xx', '-X', '-XX', '-A']);

for (const [name, file] of [['sample capture', sample], ['generated core corpus', core], ['truncated packets', truncated]] as const) {
  test(`bpfdump -nr prints what tcpdump -nr prints: ${name}`, () => {
    let lines = 0;
    for (const flags of FLAG_SETS) {
      if (file === truncated && flags.some((f) => DUMP_FLAGS.has(f))) continue;
      lines += compare(file, flags).lines;
    }
    assert.ok(lines > 100, `only ${lines} lines compared`);
  });
}

test('bpfdump -nr prints what tcpdump -nr prints: real traffic between network namespaces', (t) => {
  const why = netnsUnavailable();
  if (why) { t.skip(why); return; }
  const text = tcpdump(['-nr', real]).stdout;
  // The recording holds every protocol the comparison is about.
  for (const want of ['ARP, Request', 'ARP, Reply', 'ICMP echo request', 'ICMP echo reply', 'ICMP6, echo request', 'ICMP6, neighbor',
    'udp port 9999 unreachable', 'A? example.com.', 'AAAA? www.test.org.', 'Flags [S]', 'Flags [S.]', 'Flags [P.]', 'Flags [F.]', 'IP6 2001:db8:99::1.', 'HTTP: GET / HTTP/1.0']) {
    assert.ok(text.includes(want), `the recording lacks "${want}":\n${text}`);
  }
  for (const flags of FLAG_SETS) compare(real, flags);
});
