/**
 * Filter expressions, per link type, that the corpus must give a useful share
 * of matches for (so differential tests compare real decisions, not a wall of
 * zeros). Shared by the corpus test and by anyone who wants hitting filters.
 */

/** Primitives that apply to any link type carrying IPv4 and IPv6. */
export const IP_FILTERS = [
  'ip', 'ip6', 'tcp', 'udp', 'icmp', 'icmp6', 'host 10.0.0.1', 'src host 192.168.1.10', 'dst host 172.16.0.5', 'net 192.168.0.0/16', 'src net 10.0.0.0/8', 'net 172.16.0.0/12',
  'host 2001:db8::1', 'net 2001:db8::/32', 'ip6 net fe80::/64', 'port 80', 'port 53', 'tcp port 443', 'udp port 123', 'portrange 1-1023', 'src port 22',
  'tcp[tcpflags] & tcp-syn != 0', 'tcp[tcpflags] & (tcp-rst|tcp-fin) != 0', 'ip[6:2] & 0x3fff != 0', 'ip multicast', 'ip6 multicast', 'greater 600', 'less 100',
  'ip proto gre', 'sctp', 'igmp', 'icmp[icmptype] == icmp-echo', 'ip6 and icmp6[icmp6type] == icmp6-neighborsolicit', 'ip[8] == 64', 'udp and ip[2:2] > 100',
];

/** Primitives for links with Ethernet-style EtherTypes and LLC. */
export const LAN_FILTERS = ['arp', 'rarp', 'mpls', 'mpls 100', 'stp', 'ipx', 'atalk', 'aarp', 'decnet', 'iso', 'isis', 'clnp', 'esis', 'l1', 'l2', 'iih', 'lsp', 'snp', 'decnet src 1.1'];

/** Ethernet-only primitives. */
export const ETHERNET_FILTERS = ['vlan', 'vlan 100', 'vlan and ip', 'pppoes', 'pppoes 0x1234', 'pppoed', 'ether broadcast', 'ether multicast', 'ether host 02:00:00:00:00:01', 'ether src 00:11:22:33:44:55', 'geneve', 'udp port 4789', 'llc'];

/** 802.11 primitives. */
export const WLAN_FILTERS = ['wlan type mgt', 'wlan type ctl', 'wlan type data', 'wlan subtype beacon', 'wlan subtype qos-data', 'wlan subtype ack', 'dir tods', 'dir fromds', 'wlan addr1 02:aa:00:00:00:01', 'wlan host 02:00:00:00:00:01', 'arp'];

/** Linux cooked capture primitives. */
export const COOKED_FILTERS = ['inbound', 'outbound', 'arp', 'stp', 'ipx'];

/** pflog primitives. */
export const PFLOG_FILTERS = ['action block', 'action pass', 'reason match', 'on em0', 'ifname pppoe0', 'rnr 3', 'srnr 1', 'inbound', 'outbound', 'ruleset anchor1'];

/**
 * The expressions worth checking on a link type (DLT number).
 *
 * @example
 * filtersFor(1).includes('vlan 100') // true
 */
export function filtersFor(dlt: number): string[] {
  const ip4only = IP_FILTERS.filter((f) => !/ip6|icmp6|2001:db8|fe80/.test(f));
  // libpcap 1.10 cannot index tcp[] over IPv6.
  const ip6only = IP_FILTERS.filter((f) => !/^ip$|^ip |^icmp$|icmp\[|igmp|10\.0|192\.168|172\.16|ip\[|ip multicast|ip proto|ip\[8\]|udp and ip|tcp\[/.test(f));
  switch (dlt) {
    case 1: return [...IP_FILTERS, ...LAN_FILTERS, ...ETHERNET_FILTERS];
    case 113: return [...IP_FILTERS, ...COOKED_FILTERS];
    // libpcap 1.10.3 compares SLL2's protocol field itself with the LLC SAP for stp/ipx, so no real frame matches those there.
    case 276: return [...IP_FILTERS, ...COOKED_FILTERS.filter((f) => f !== 'stp' && f !== 'ipx')];
    case 105: case 127: return [...IP_FILTERS, ...WLAN_FILTERS];
    case 10: case 6: return [...IP_FILTERS, 'arp', 'stp', 'ipx', 'iso'];
    case 117: return [...IP_FILTERS, ...PFLOG_FILTERS];
    case 228: return ip4only;
    case 229: return ip6only;
    case 9: case 104: return [...IP_FILTERS, 'mpls'];
    default: return IP_FILTERS;
  }
}
