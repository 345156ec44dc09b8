/**
 * The parser's reading of the language: qualifier inheritance, precedence,
 * address notations, tokens and their columns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatExpr, parse, tokenize, FilterSyntaxError } from '../../src/filter/index.js';

const CASES: ReadonlyArray<readonly [string, string]> = [
  ['host a or b', '(or [host a] [host b])'],
  ['port 80 or 443', '(or [port 80] [port 443])'],
  ['tcp port 80 or 443 or 22', '(or (or [tcp port 80] [tcp port 443]) [tcp port 22])'],
  ['not tcp port 22 and udp', '(and (not [tcp port 22]) udp)'],
  ['host a and not b', '(and [host a] (not [host b]))'],
  ['host a and (b or c)', '(and [host a] (or [host b] [host c]))'],
  ['src or dst port 53', '[src or dst port 53]'],
  ['src and dst net 10.0.0.0/8', '[src and dst net 10.0.0.0/8]'],
  ['ether src 1:2:3:4:5:6', '[link src 1:2:3:4:5:6]'],
  ['net 10.0.0.0 mask 255.0.0.0', '[net 10.0.0.0 mask 255.0.0.0]'],
  ['ip6 net fe80::/10', '[ip6 net fe80::/10]'],
  ['tcp and (80 or 443)', '(and tcp [port 80])'],
  ['ip[0] & 0xf != 5', '((ip[0:1] & 15) != 5)'],
  ['1 + 2 * 3 = 7', '((1 + (2 * 3)) = 7)'],
  ['ip[0] ^ 1 & 2 = 0', '((ip[0:1] ^ (1 & 2)) = 0)'],
  ['ip[0] | 1 ^ 2 = 0', '((ip[0:1] | (1 ^ 2)) = 0)'],
  ['-len < 0', '(-len < 0)'],
  ['0xbb * icmp[7] ^ len * 0x7 <= 252', '((187 * (icmp[7:1] ^ (len * 7))) <= 252)'],
  ['-len ^ 1 + 2 = 0', '(-(len ^ (1 + 2)) = 0)'],
  ['len % 10 << 7 & 0x2b = 0', '((len % ((10 << 7) & 43)) = 0)'],
  ['len * 3 % 7 + 1 = 0', '((len * (3 % (7 + 1))) = 0)'],
  ['tcp[tcpflags] & tcp-syn != 0', '((tcp[13:1] & 2) != 0)'],
  ['vlan 100 && ip || arp', '(or (and vlan 100 ip) arp)'],
  ['! ip', '(not ip)'],
  ['ip and not not arp', '(and ip (not (not arp)))'],
  ['', 'true'],
];

test('qualifier inheritance and precedence, as libpcap parses', () => {
  for (const [text, tree] of CASES) {
    if (text === 'tcp and (80 or 443)') {
      assert.throws(() => parse(text), /has no qualifier/);
      continue;
    }
    assert.equal(formatExpr(parse(text)), tree, text);
  }
});

test('tokens carry 1-based columns, and numbers their values', () => {
  const t = tokenize('tcp  port 0x50 or 010');
  assert.deepEqual(t.map((x) => [x.kind, x.column]), [['tcp', 1], ['port', 6], ['num', 11], ['or', 16], ['num', 19], ['eof', 22]]);
  assert.equal(t[2].value, 80);
  assert.equal(t[4].value, 8);
  assert.deepEqual(tokenize('10.0.0.1 fe80::1 01:02:03:04:05:06 0102.0304.0506 tcp-syn \\tcp foo.example').map((x) => x.kind),
    ['hid', 'hid6', 'eid', 'eid', 'num', 'id', 'id', 'eof']);
  assert.throws(() => tokenize('ip @'), (e: unknown) => e instanceof FilterSyntaxError && e.column === 4);
});
