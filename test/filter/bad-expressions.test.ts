/**
 * Expressions libpcap rejects (for a link type): we must reject each, with a
 * typed error carrying a column, a caret line, and a message that says what
 * is wrong (each row names a fragment our message must contain). The oracle
 * confirms libpcap rejects every row, so the table cannot drift.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, CompileError, FilterError, FilterSyntaxError } from '../../src/filter/index.js';
import { Oracle, OracleCompileError } from '../oracle/oracle.js';

/** [expression, DLT, fragment our message must contain] */
const BAD: ReadonlyArray<readonly [string, number, string]> = [
  ['tcp port 80 an udp', 1, 'expected "and", "or" or end of expression, found "an"'],
  ['tcp port', 1, 'found end of expression'],
  ['port', 1, 'found end of expression'],
  ['host', 1, 'found end of expression'],
  ['(tcp', 1, 'expected ")"'],
  ['tcp)', 1, 'found ")"'],
  ['()', 1, 'syntax error'],
  ['and', 1, 'syntax error'],
  ['tcp and', 1, 'found end of expression'],
  ['tcp or or udp', 1, 'found "or"'],
  ['not', 1, 'found end of expression'],
  ['foo', 1, 'syntax error'],
  ['vxlan', 1, 'syntax error'],
  ['vxlan 5', 1, 'syntax error'],
  ['tcp or 80', 1, 'has no qualifier'],
  ['ip and 10.0.0.1', 1, 'has no qualifier'],
  ['len', 1, 'syntax error'],
  ['ip[0]', 1, 'expected a comparison'],
  ['ip[0] = ', 1, 'found end of expression'],
  ['ip[0:3] = 1', 1, 'data size must be 1, 2, or 4'],
  ['ip[0:0] = 1', 1, 'data size must be 1, 2, or 4'],
  ['ip[0 = 1', 1, 'expected "]"'],
  ['1 = = 1', 1, 'found "="'],
  ['ip[0] = 1 = 2', 1, 'found "="'],
  ['ip[4294967296] = 1', 1, 'overflows 32 bits'],
  ['port 99999', 1, 'illegal port number 99999 > 65535'],
  ['portrange 1-99999', 1, 'illegal port number 99999 > 65535'],
  ['port 65536', 1, 'illegal port number 65536 > 65535'],
  ['port foo-bar-baz', 1, "unknown port 'foo-bar-baz'"],
  ['port nosuchservice', 1, "unknown port 'nosuchservice'"],
  ['portrange nosuch', 1, "unknown port in range 'nosuch'"],
  ['udp port http', 1, "port 'http' is tcp"],
  ['ip port 80', 1, "illegal qualifier of 'port'"],
  ['icmp port 80', 1, "illegal qualifier of 'port'"],
  ['arp portrange 1-2', 1, "illegal qualifier of 'portrange'"],
  ['host nosuchhost.invalid', 1, "unknown host 'nosuchhost.invalid'"],
  ['ether host nosuchhost', 1, "unknown ether host 'nosuchhost'"],
  ['net nosuchnet', 1, "unknown network 'nosuchnet'"],
  ['gateway nosuchgw', 1, 'unknown ether host: nosuchgw'],
  ['gateway 10.0.0.1', 1, "'gateway' requires a name"],
  ['ip proto nosuchproto', 1, "unknown ip proto 'nosuchproto'"],
  ['ether proto \\atm', 1, "unknown ether proto 'atm'"],
  ['iso proto \\foo', 1, "unknown osi proto 'foo'"],
  ['tcp proto 5', 1, "'tcp proto' is bogus"],
  ['udp proto 5', 1, "'udp proto' is bogus"],
  ['arp proto 5', 1, 'arp does not encapsulate another protocol'],
  ['rarp proto 5', 1, 'rarp does not encapsulate another protocol'],
  ['esis proto 5', 1, "'esis proto' is bogus"],
  ['clnp proto 5', 1, "'clnp proto' is not supported"],
  ['src proto 5', 1, 'syntax error'],
  ['ip proto tcp', 1, 'syntax error'],
  ['ether host 10.0.0.1', 1, 'illegal link layer address'],
  ['ip host 01:02:03:04:05:06', 1, 'ethernet address used in non-ether expression'],
  ['tcp host 10.0.0.1', 1, "'tcp' modifier applied to host"],
  ['udp net 10.0.0.0/8', 1, "'udp' modifier applied to net"],
  ['ip6 host 10.0.0.1', 1, "'ip6' modifier applied to ip host"],
  ['ip host ::1', 1, "'ip' modifier applied to ip6 host"],
  ['ether net ::1', 1, 'link-layer modifier applied to ip6 net'],
  ['host 10.0.0.0/8', 1, 'Mask syntax for networks only'],
  ['host 10.0.0.0 mask 255.0.0.0', 1, 'Mask syntax for networks only'],
  ['host fe80::/10', 1, 'Mask syntax for networks only'],
  ['net 10.0.0.1/8', 1, 'non-network bits set in "10.0.0.1/8"'],
  ['net 10.0.0.1 mask 255.0.0.0', 1, 'non-network bits set in "10.0.0.1 mask 255.0.0.0"'],
  ['net fe80::1/10', 1, 'non-network bits set in "fe80::1/10"'],
  ['net 10.0.0.0/33', 1, 'mask length must be <= 32'],
  ['net fe80::/129', 1, 'mask length must be <= 128'],
  ['net 10/8', 1, 'syntax error'],
  ['host 300.1.1.1', 1, "invalid IPv4 address '300.1.1.1'"],
  ['port 10.0.0.1', 1, "'port' modifier applied to IP address"],
  ['portrange 10.0.0.1', 1, "'portrange' modifier applied to IP address"],
  ['proto 10.0.0.1', 1, "'proto' modifier applied to IP address"],
  ['port ::1', 1, 'invalid qualifier against IPv6 address'],
  ['src and dst proto 6', 1, 'syntax error'],
  ['addr1 host 10.0.0.1', 1, "'addr1' and 'address1' are not valid qualifiers"],
  ['ra port 80', 1, "'ra' is not a valid qualifier for ports"],
  ['ether ta 01:02:03:04:05:06', 1, "'ta' is only supported on 802.11"],
  ['ip6 broadcast', 1, 'only link-layer/IP broadcast filters supported'],
  ['tcp multicast', 1, 'link-layer multicast filters supported only on'],
  ['ip broadcast', 12, 'not known'],
  ['ip[0] / 0 = 1', 1, 'division by zero'],
  ['ip[0] % 0 = 1', 1, 'modulus by zero'],
  ['ip[0] << 32 = 1', 1, 'shift by more than 31 bits'],
  ['ip[0] / (0 + 5) = 1', 1, 'division by zero'],
  ['ah[0] = 1', 1, 'unsupported index operation'],
  ['iso[0] = 1', 1, 'unsupported index operation'],
  ['radio[0] = 1', 1, 'radio information not present in capture'],
  ['radio', 1, "'radio' is not a valid protocol type"],
  ['vlan 4096', 1, 'VLAN tag 4096 greater than maximum 4095'],
  ['mpls 1048576', 1, 'MPLS label 1048576 greater than maximum 1048575'],
  ['pppoes 65536', 1, 'PPPoE session number 65536 greater than maximum 65535'],
  ['geneve 16777216', 1, 'Geneve VNI 16777216 greater than maximum 16777215'],
  ['mpls and vlan', 1, 'no VLAN match after MPLS'],
  ['mpls and arp', 1, 'unsupported protocol over mpls'],
  ['vlan', 12, 'no VLAN support for Raw IP'],
  ['vlan', 113, 'no VLAN support for Linux cooked v1'],
  ['mpls', 113, 'no MPLS support for Linux cooked v1'],
  ['pppoes and vlan', 1, 'no VLAN support for PPP'],
  ['ether host 01:02:03:04:05:06', 12, 'ethernet addresses supported only on'],
  ['ether host 01:02:03:04:05:06', 113, 'ethernet addresses supported only on'],
  ['ether broadcast', 0, 'not a broadcast link'],
  ['ether multicast', 9, 'link-layer multicast filters supported only on'],
  ['llc', 12, "'llc' not supported for Raw IP"],
  ['llc foo', 1, 'unknown LLC type name "foo"'],
  ['on eth0', 1, 'ifname supported only on PF linktype'],
  ['rnr 5', 1, 'rnr supported only on PF linktype'],
  ['action pass', 1, 'action supported only on PF linktype'],
  ['reason match', 1, 'reason supported only on PF linktype'],
  ['action nosuch', 117, 'unknown PF action "nosuch"'],
  ['reason nosuch', 117, 'unknown PF reason "nosuch"'],
  ['on abcdefghijklmnopq', 117, 'interface names can only be 15 characters'],
  ['type mgt', 1, '802.11 link-layer types supported only on 802.11'],
  ['type foo', 105, 'unknown 802.11 type name "foo"'],
  ['type mgt subtype foo', 105, 'unknown 802.11 subtype name "foo"'],
  ['type 5', 105, 'invalid 802.11 type value 0x05'],
  ['dir tods', 1, 'frame direction supported only with 802.11 headers'],
  ['vpi 5', 1, "'vpi' supported only on raw ATM"],
  ['fisu', 1, "'fisu' supported only on MTP2"],
  ['hfisu', 141, "'hfisu' supported only on MTP2_HSL"],
  ['sio 1', 141, "'sio' supported only on SS7"],
  ['sio 300', 140, 'sio value 300 too big; max value = 255'],
  ['opc 20000', 140, 'opc value 20000 too big; max value = 16383'],
  ['dpc 16384', 139, 'dpc value 16384 too big; max value = 16383'],
  ['sls 16', 197, 'sls value 16 too big; max value = 15'],
  ['sio 1 or 2', 140, 'has no qualifier'],
  ['ip', 140, 'MTP2 link-layer type filtering not implemented'],
  ['lane', 1, "'lane' supported only on raw ATM"],
  ['metaconnect', 12, "'metaconnect' supported only on raw ATM"],
  ['vci > ', 123, 'found end of expression'],
  ['ip', 239, 'NFLOG link-layer type filtering not implemented'],
  ['protochain 6', 117, 'variable length headers'],
  ['ip6 protochain 6 and tcp[0] = 1 or tcp[1] = 1 or tcp[2] = 1 or tcp[3] = 1 or tcp[4] = 1 or tcp[5] = 1 or tcp[6] = 1 or tcp[7] = 1 or tcp[8] = 1 or tcp[9] = 1 or tcp[10] = 1 or tcp[11] = 1 or tcp[12] = 1 or tcp[13] = 1 or tcp[14] = 1 or tcp[15] = 1 and 1 + (2 + (3 + (4 + (5 + (6 + (7 + (8 + (9 + (10 + (11 + (12 + (13 + (14 + (15 + (16 + 17))))))))))))))) = 1', 1, 'too many registers'],
  ['08 = 8', 1, 'contains non-octal digit'],
  ['ip[0] = 1 $', 1, 'illegal character'],
  ['ether src or dst or udp', 1, 'syntax error'],
  ['link proto 5 and link', 1, 'link layer applied in wrong context'],
  ['ip6 protochain \\nosuch', 1, "unknown ip proto 'nosuch'"],
  ['decnet host foo', 1, "unknown decnet host name 'foo'"],
];

test(`a table of ${BAD.length} bad expressions: libpcap rejects each, and so do we, clearly`, async () => {
  assert.ok(BAD.length >= 100);
  const oracle = await Oracle.start();
  const problems: string[] = [];
  try {
    for (const [expression, dlt, fragment] of BAD) {
      let libpcapRejects = false;
      try {
        await oracle.compile(expression, { linkType: dlt, optimize: false, netmask: dlt === 12 ? 0xffffffff : 0 });
      } catch (e) {
        if (!(e instanceof OracleCompileError)) throw e;
        libpcapRejects = true;
      }
      if (!libpcapRejects) problems.push(`libpcap accepts ${JSON.stringify(expression)} on DLT ${dlt}: the row is wrong`);
      try {
        compile(expression, { linkType: dlt, optimize: false, netmask: dlt === 12 ? 0xffffffff : 0 });
        problems.push(`we accept ${JSON.stringify(expression)} on DLT ${dlt}`);
      } catch (e) {
        if (!(e instanceof FilterSyntaxError || e instanceof CompileError)) {
          problems.push(`${JSON.stringify(expression)}: untyped error ${(e as Error).stack}`);
          continue;
        }
        const err = e as FilterError;
        if (!err.message.includes(fragment)) problems.push(`${JSON.stringify(expression)}: message ${JSON.stringify(err.message)} lacks ${JSON.stringify(fragment)}`);
        if (err.column < 1 || err.column > expression.length + 1) problems.push(`${JSON.stringify(expression)}: column ${err.column} out of range`);
        if (!err.message.includes('^')) problems.push(`${JSON.stringify(expression)}: no caret line`);
      }
    }
  } finally {
    oracle.close();
  }
  assert.deepEqual(problems, []);
});

test('the caret points at the offending token (1-based column)', () => {
  const e = assert.throws(() => compile('tcp port 80 an udp'), (x: unknown) => x instanceof FilterSyntaxError && x.column === 13);
  void e;
  try {
    compile('tcp port 80 an udp');
  } catch (x) {
    const lines = (x as Error).message.split('\n');
    assert.equal(lines[1], '  tcp port 80 an udp');
    assert.equal(lines[2], `  ${' '.repeat(12)}^`);
  }
  assert.throws(() => compile('host 10.0.0.1 and port 99999'), (x: unknown) => x instanceof CompileError && x.column === 24);
});
