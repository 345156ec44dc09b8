/**
 * Link-layer header types: libpcap's DLT_ names and numbers, and the LINKTYPE_
 * numbers that pcap and pcapng files carry (they differ for a few types, such
 * as RAW: DLT 12 on Linux, LINKTYPE 101 in files).
 *
 * This is a plain table at the bottom of the layers so that the compiler, the
 * file readers and live capture agree on one naming.
 */

export interface LinkTypeInfo {
  /** libpcap's name without the DLT_ prefix, as tcpdump -y takes it. */
  readonly name: string;
  /** The DLT_ value on Linux (what pcap_datalink() returns). */
  readonly dlt: number;
  /** The LINKTYPE_ value written in capture files. */
  readonly linktype: number;
  /** libpcap's description, as tcpdump -L prints it. */
  readonly description: string;
}

const TABLE: LinkTypeInfo[] = [
  { name: 'NULL', dlt: 0, linktype: 0, description: 'BSD loopback' },
  { name: 'EN10MB', dlt: 1, linktype: 1, description: 'Ethernet' },
  { name: 'EN3MB', dlt: 2, linktype: 2, description: 'Experimental Ethernet' },
  { name: 'AX25', dlt: 3, linktype: 3, description: 'Amateur Radio AX.25' },
  { name: 'PRONET', dlt: 4, linktype: 4, description: 'Proteon ProNET Token Ring' },
  { name: 'CHAOS', dlt: 5, linktype: 5, description: 'Chaos' },
  { name: 'IEEE802', dlt: 6, linktype: 6, description: '802.5 Token Ring' },
  { name: 'ARCNET', dlt: 7, linktype: 7, description: 'ARCNET' },
  { name: 'SLIP', dlt: 8, linktype: 8, description: 'SLIP' },
  { name: 'PPP', dlt: 9, linktype: 9, description: 'PPP' },
  { name: 'FDDI', dlt: 10, linktype: 10, description: 'FDDI' },
  { name: 'ATM_RFC1483', dlt: 11, linktype: 100, description: 'RFC 1483 LLC-encapsulated ATM' },
  { name: 'RAW', dlt: 12, linktype: 101, description: 'Raw IP' },
  { name: 'SLIP_BSDOS', dlt: 15, linktype: 102, description: 'BSD/OS SLIP' },
  { name: 'PPP_BSDOS', dlt: 16, linktype: 103, description: 'BSD/OS PPP' },
  { name: 'ATM_CLIP', dlt: 19, linktype: 106, description: 'Linux Classical IP over ATM' },
  { name: 'PPP_SERIAL', dlt: 50, linktype: 50, description: 'PPP over serial' },
  { name: 'PPP_ETHER', dlt: 51, linktype: 51, description: 'PPPoE' },
  { name: 'SYMANTEC_FIREWALL', dlt: 99, linktype: 99, description: 'Symantec Firewall' },
  { name: 'C_HDLC', dlt: 104, linktype: 104, description: 'Cisco HDLC' },
  { name: 'IEEE802_11', dlt: 105, linktype: 105, description: '802.11' },
  { name: 'FRELAY', dlt: 107, linktype: 107, description: 'Frame Relay' },
  { name: 'LOOP', dlt: 108, linktype: 108, description: 'OpenBSD loopback' },
  { name: 'ENC', dlt: 109, linktype: 109, description: 'OpenBSD encapsulated IP' },
  { name: 'LINUX_SLL', dlt: 113, linktype: 113, description: 'Linux cooked v1' },
  { name: 'LTALK', dlt: 114, linktype: 114, description: 'Localtalk' },
  { name: 'PFLOG', dlt: 117, linktype: 117, description: 'OpenBSD pflog file' },
  { name: 'PRISM_HEADER', dlt: 119, linktype: 119, description: '802.11 plus Prism header' },
  { name: 'IP_OVER_FC', dlt: 122, linktype: 122, description: 'RFC 2625 IP-over-Fibre Channel' },
  { name: 'SUNATM', dlt: 123, linktype: 123, description: 'Sun raw ATM' },
  { name: 'IEEE802_11_RADIO', dlt: 127, linktype: 127, description: '802.11 plus radiotap header' },
  { name: 'ARCNET_LINUX', dlt: 129, linktype: 129, description: 'Linux ARCNET' },
  { name: 'APPLE_IP_OVER_IEEE1394', dlt: 138, linktype: 138, description: 'Apple IP-over-IEEE 1394' },
  { name: 'MTP2_WITH_PHDR', dlt: 139, linktype: 139, description: 'SS7 MTP2 with Pseudo-header' },
  { name: 'MTP2', dlt: 140, linktype: 140, description: 'SS7 MTP2' },
  { name: 'MTP3', dlt: 141, linktype: 141, description: 'SS7 MTP3' },
  { name: 'SCCP', dlt: 142, linktype: 142, description: 'SS7 SCCP' },
  { name: 'DOCSIS', dlt: 143, linktype: 143, description: 'DOCSIS' },
  { name: 'LINUX_IRDA', dlt: 144, linktype: 144, description: 'Linux IrDA' },
  { name: 'IEEE802_11_RADIO_AVS', dlt: 163, linktype: 163, description: '802.11 plus AVS radio information header' },
  { name: 'PPP_PPPD', dlt: 166, linktype: 166, description: 'PPP for pppd, with direction flag' },
  { name: 'LINUX_LAPD', dlt: 177, linktype: 177, description: 'Linux vISDN LAPD' },
  { name: 'BLUETOOTH_HCI_H4', dlt: 187, linktype: 187, description: 'Bluetooth HCI UART transport layer' },
  { name: 'USB_LINUX', dlt: 189, linktype: 189, description: 'USB with Linux header' },
  { name: 'CAN20B', dlt: 190, linktype: 190, description: 'Controller Area Network (CAN) v. 2.0B' },
  { name: 'PPI', dlt: 192, linktype: 192, description: 'Per-Packet Information' },
  { name: 'IEEE802_15_4_WITHFCS', dlt: 195, linktype: 195, description: 'IEEE 802.15.4 with FCS' },
  { name: 'ERF', dlt: 197, linktype: 197, description: 'Endace ERF header' },
  { name: 'BLUETOOTH_HCI_H4_WITH_PHDR', dlt: 201, linktype: 201, description: 'Bluetooth HCI UART transport layer plus pseudo-header' },
  { name: 'USB_LINUX_MMAPPED', dlt: 220, linktype: 220, description: 'USB with padded Linux header' },
  { name: 'IPNET', dlt: 226, linktype: 226, description: 'Solaris ipnet' },
  { name: 'CAN_SOCKETCAN', dlt: 227, linktype: 227, description: 'CAN-bus with SocketCAN headers' },
  { name: 'IPV4', dlt: 228, linktype: 228, description: 'Raw IPv4' },
  { name: 'IPV6', dlt: 229, linktype: 229, description: 'Raw IPv6' },
  { name: 'IEEE802_15_4_NOFCS', dlt: 230, linktype: 230, description: 'IEEE 802.15.4 without FCS' },
  { name: 'NFLOG', dlt: 239, linktype: 239, description: 'Linux netfilter log messages' },
  { name: 'NETANALYZER', dlt: 240, linktype: 240, description: 'Ethernet with Hilscher netANALYZER pseudo-header' },
  { name: 'NETANALYZER_TRANSPARENT', dlt: 241, linktype: 241, description: 'Ethernet with Hilscher netANALYZER pseudo-header and with preamble and SFD' },
  { name: 'IPOIB', dlt: 242, linktype: 242, description: 'RFC 4391 IP-over-Infiniband' },
  { name: 'NETLINK', dlt: 253, linktype: 253, description: 'Linux netlink' },
  { name: 'BLUETOOTH_LINUX_MONITOR', dlt: 254, linktype: 254, description: 'Bluetooth Linux Monitor' },
  { name: 'PROFIBUS_DL', dlt: 257, linktype: 257, description: 'PROFIBUS data link layer' },
  { name: 'PKTAP', dlt: 258, linktype: 258, description: 'Apple DLT_PKTAP' },
  { name: 'EPON', dlt: 259, linktype: 259, description: 'Ethernet with 802.3 Clause 65 EPON preamble' },
  { name: 'IPMI_HPM_2', dlt: 260, linktype: 260, description: 'IPMI trace packets' },
  { name: 'ETHERNET_MPACKET', dlt: 274, linktype: 274, description: '802.3br mPackets' },
  { name: 'DISPLAYPORT_AUX', dlt: 275, linktype: 275, description: 'DisplayPort AUX channel monitoring data' },
  { name: 'LINUX_SLL2', dlt: 276, linktype: 276, description: 'Linux cooked v2' },
  { name: 'VSOCK', dlt: 271, linktype: 271, description: 'Linux vsock' },
];

const BY_NAME = new Map<string, LinkTypeInfo>();
const BY_DLT = new Map<number, LinkTypeInfo>();
const BY_LINKTYPE = new Map<number, LinkTypeInfo>();
for (const t of TABLE) {
  Object.freeze(t);
  BY_NAME.set(t.name, t);
  BY_DLT.set(t.dlt, t);
  BY_LINKTYPE.set(t.linktype, t);
}
// Aliases libpcap's pcap_datalink_name_to_val() also takes.
BY_NAME.set('ETHERNET', BY_NAME.get('EN10MB')!);
BY_NAME.set('IEEE802_5', BY_NAME.get('IEEE802')!);

/** Thrown for a link type name or number bpfkit does not know. */
export class LinkTypeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinkTypeError';
  }
}

/** Every known link type, in DLT order. */
export const LINK_TYPES: readonly LinkTypeInfo[] = Object.freeze([...TABLE].sort((a, b) => a.dlt - b.dlt));

/**
 * Looks up a link type by DLT name (case-insensitive, with or without `DLT_`)
 * or by DLT number; throws LinkTypeError naming the input when unknown.
 *
 * @example
 * linkType('EN10MB').dlt   // 1
 * linkType('dlt_raw').linktype // 101
 */
export function linkType(nameOrDlt: string | number): LinkTypeInfo {
  const found = typeof nameOrDlt === 'number'
    ? BY_DLT.get(nameOrDlt)
    : BY_NAME.get(nameOrDlt.toUpperCase().replace(/^DLT_/, ''));
  if (!found) throw new LinkTypeError(`unknown data link type ${JSON.stringify(nameOrDlt)}`);
  return found;
}

/**
 * Maps a LINKTYPE_ value read from a capture file to its link type; undefined when unknown.
 *
 * @example
 * fromFileLinkType(101)?.name // 'RAW'
 */
export function fromFileLinkType(value: number): LinkTypeInfo | undefined {
  return BY_LINKTYPE.get(value);
}
