/**
 * The small pools of addresses, ports and identifiers the corpus draws from,
 * so that filters a test generator writes from the same pools match a useful
 * share of packets. Each pool is exported; the corpus also uses addresses
 * elsewhere inside the nets listed here, and a few outside them.
 */

/** Pools of values the corpus uses; draw filter operands from these to get hits. */
export const POOLS = Object.freeze({
  /** IPv4 hosts that appear often (as src or dst). */
  ipv4Hosts: Object.freeze(['10.0.0.1', '10.0.0.2', '10.1.2.3', '10.200.0.9', '192.168.1.1', '192.168.1.10', '192.168.0.100', '172.16.0.5', '172.20.10.20', '172.31.255.254', '8.8.8.8', '93.184.216.34']),
  /** IPv4 networks (CIDR) the corpus draws other hosts from. */
  ipv4Nets: Object.freeze(['10.0.0.0/8', '10.0.0.0/24', '192.168.0.0/16', '192.168.1.0/24', '172.16.0.0/12']),
  /** IPv4 multicast and broadcast destinations that appear. */
  ipv4Groups: Object.freeze(['224.0.0.1', '224.0.0.251', '239.1.1.1', '239.255.255.250', '255.255.255.255', '192.168.1.255', '10.255.255.255']),
  /** IPv6 hosts that appear often. */
  ipv6Hosts: Object.freeze(['2001:db8::1', '2001:db8::2', '2001:db8:1::10', '2001:db8:ffff::53', 'fe80::1', 'fe80::a8bb:ccff:fedd:eeff', '::1']),
  /** IPv6 networks (CIDR) the corpus draws other hosts from. */
  ipv6Nets: Object.freeze(['2001:db8::/32', '2001:db8:1::/48', 'fe80::/64']),
  /** IPv6 multicast destinations that appear. */
  ipv6Groups: Object.freeze(['ff02::1', 'ff02::2', 'ff02::fb', 'ff02::1:ff00:1', 'ff05::1:3']),
  /** MAC addresses of the hosts (unicast, locally administered and vendor OUIs). */
  macs: Object.freeze(['00:11:22:33:44:55', '02:00:00:00:00:01', '02:00:00:00:00:02', '08:00:27:aa:bb:cc', '52:54:00:12:34:56', 'a0:36:9f:01:02:03', '3c:22:fb:9e:8d:7c']),
  /** TCP ports that appear often (server side); the first three most of all. */
  tcpPorts: Object.freeze([443, 80, 22, 23, 25, 110, 143, 445, 993, 3306, 3389, 5432, 8080]),
  /** UDP ports that appear often (server side); the first three most of all. */
  udpPorts: Object.freeze([53, 123, 4789, 67, 68, 137, 161, 500, 514, 1900, 5353, 6081]),
  /** Ephemeral (client) ports that repeat. */
  clientPorts: Object.freeze([1024, 33434, 40000, 49152, 51515, 60000, 65535]),
  /** VLAN identifiers. */
  vlanIds: Object.freeze([1, 10, 100, 200, 4094]),
  /** MPLS labels. */
  mplsLabels: Object.freeze([16, 100, 1000, 1048575]),
  /** PPPoE session identifiers. */
  pppoeSessions: Object.freeze([0x0001, 0x1234, 0xbeef]),
  /** VXLAN / GENEVE network identifiers. */
  vnis: Object.freeze([1, 42, 5000, 16777215]),
  /** 802.11 BSSIDs. */
  bssids: Object.freeze(['02:aa:00:00:00:01', '02:aa:00:00:00:02', '00:0b:86:c0:ff:ee']),
  /** pflog interface names, rulesets and rule numbers. */
  pflogInterfaces: Object.freeze(['em0', 'pppoe0', 'vio0']),
  pflogRulesets: Object.freeze(['', 'anchor1']),
  pflogRules: Object.freeze([0, 1, 3, 42]),
  /** DNS names queried and answered. */
  dnsNames: Object.freeze(['example.com', 'www.example.org', 'mail.example.net', 'a.root-servers.net', '1.1.168.192.in-addr.arpa']),
  /** IPX networks, AppleTalk nets/nodes, DECnet addresses (area.node). */
  ipxNets: Object.freeze([0x00000001, 0x0000c0de, 0xdeadbeef]),
  atalkNets: Object.freeze([1, 100, 65280]),
  decnetHosts: Object.freeze(['1.1', '1.2', '10.513', '63.1023']),
});

