import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { captureRealTraffic, createNetnsPair, kernelTestsUnavailable, NETNS_PREFIX, readPcap, removeLeftoverNamespaces, run, spawnIn, withNetnsPair } from './netns.js';
import { Oracle } from './oracle/oracle.js';
import { pcapBytes } from './craft/pcap-writer.js';

const namespaces = (): string[] => (spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '').split('\n').map((l) => l.split(' ')[0]).filter(Boolean);

test('readPcap reads what a pcap writer wrote and refuses damaged files', () => {
  const bytes = pcapBytes(1, [{ data: Uint8Array.of(1, 2, 3) }, { data: Uint8Array.of(4), wireLength: 60 }]);
  const { linkType, packets } = readPcap(bytes);
  assert.equal(linkType, 1);
  assert.deepEqual(packets.map((p) => [Array.from(p.data), p.wireLength]), [[[1, 2, 3], 3], [[4], 60]]);
  assert.throws(() => readPcap(bytes.subarray(0, bytes.length - 1)), /runs past the end/);
  assert.throws(() => readPcap(new Uint8Array(24)), /bad magic/);
});

test('a namespace pair exists with its addresses, and is gone afterwards', async (t) => {
  const why = kernelTestsUnavailable();
  if (why) return t.skip(why);
  let names: string[] = [];
  await withNetnsPair(async ({ a, b }) => {
    names = [a.ns, b.ns];
    assert.ok(a.ns.startsWith(`${NETNS_PREFIX}${process.pid}-`));
    const present = namespaces();
    assert.ok(present.includes(a.ns) && present.includes(b.ns), `ip netns list: ${present.join(' ')}`);
    const addr = await run(['ip', '-o', 'addr', 'show', 'dev', b.ifname], { ns: b.ns, timeoutMs: 20_000 });
    assert.match(addr.stdout, /10\.99\.0\.2\/24/, `exit ${addr.code}: ${addr.stdout} ${addr.stderr}`);
  });
  const after = namespaces();
  for (const n of names) assert.ok(!after.includes(n), `${n} was not removed`);
});

test('datagrams cross the veth pair in both directions', async (t) => {
  const why = kernelTestsUnavailable();
  if (why) return t.skip(why);
  await withNetnsPair(async ({ a, b }) => {
    const listener = `const s=require('dgram').createSocket('udp4');s.bind(7777,'${b.ipv4}',()=>process.stdout.write('bound\\n'));s.on('message',(m,r)=>s.send(Buffer.concat([Buffer.from('re:'),m]),r.port,r.address,()=>process.exit(0)));setTimeout(()=>process.exit(3),4000)`;
    const server = spawnIn([process.execPath, '-e', listener], b.ns);
    const exited = new Promise((resolve) => server.once('exit', resolve));
    await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
    const client = await run([process.execPath, '-e', `const s=require('dgram').createSocket('udp4');s.on('message',m=>{console.log(String(m));process.exit(0)});s.send('ping',7777,'${b.ipv4}');setTimeout(()=>process.exit(4),3000)`], { ns: a.ns });
    assert.equal(client.stdout.trim(), 're:ping');
    assert.equal(await exited, 0);
  });
});

test('leftovers of a crashed run are removed, live ones are kept', (t) => {
  const why = kernelTestsUnavailable();
  if (why) return t.skip(why);
  // pid_max is at most 4194304, so this pid can never be alive.
  const dead = `${NETNS_PREFIX}4194305-0-a`;
  const live = createNetnsPair();
  try {
    spawnSync('ip', ['netns', 'add', dead]);
    const removed = removeLeftoverNamespaces();
    assert.ok(removed.includes(dead));
    const present = namespaces();
    assert.ok(!present.includes(dead));
    assert.ok(present.includes(live.a.ns) && present.includes(live.b.ns));
  } finally {
    live.destroy();
    spawnSync('ip', ['netns', 'delete', dead], { stdio: 'ignore' });
  }
});

const EXPECTED_TRAFFIC = ['arp', 'icmp[icmptype] == icmp-echo', 'icmp[icmptype] == icmp-echoreply', 'icmp[icmptype] == icmp-unreach', 'icmp6 and ip6[40] == 135', 'icmp6 and ip6[40] == 129',
  'udp dst port 53', 'udp src port 53', 'ip6 and udp port 53', 'tcp[tcpflags] & tcp-syn != 0', 'tcp[tcpflags] & tcp-fin != 0', 'ip6 and tcp port 8080'];

for (const linkType of ['EN10MB', 'LINUX_SLL2'] as const) {
  test(`real traffic captured in a namespace (${linkType}) holds every kind that was generated`, async (t) => {
    const why = kernelTestsUnavailable();
    if (why) return t.skip(why);
    const capture = await captureRealTraffic({ linkType });
    assert.equal(capture.linkType, linkType === 'EN10MB' ? 1 : 276);
    assert.ok(capture.packets.length >= 20 && capture.packets.length <= 200, `${capture.packets.length} packets`);
    const oracle = await Oracle.start();
    try {
      for (const expression of EXPECTED_TRAFFIC) {
        if (expression.includes('echo') && capture.skipped.length) continue;
        const program = await oracle.compile(expression, { linkType: capture.linkType });
        const hits = (await oracle.run(program, capture.packets)).filter((r) => r !== 0).length;
        assert.ok(hits > 0, `no '${expression}' packet in the ${linkType} capture`);
      }
    } finally {
      oracle.close();
    }
  });
}
