/**
 * The usage and version texts, shaped like tcpdump's.
 */
import { readFileSync } from 'node:fs';

/** tcpdump's usage lines, with the flags bpfdump takes and its own additions. */
export const USAGE = `Usage: bpfdump [-AdDehKlLnOpqStUvxX#] [ -B size ] [ -c count ] [--count]
		[ -C file_size ] [ -F file ] [ -G seconds ] [ -i interface ]
		[ --immediate-mode ] [ --number ] [ --print ] [ -Q in|out|inout ]
		[ -r file ] [ -s snaplen ] [ --version ] [ -w file ]
		[ -W filecount ] [ -y datalinktype ]
		[ --time-stamp-precision precision ] [ --micro ] [ --nano ]
		[ --program file [ --asm ] [ --verify ] [ --bsd ] ] [ --cfg [ --dot ] ]
		[ --xdp drop|pass|count ] [ --pcapng ] [ --[no-]progress ]
		[ expression ]`;

/**
 * The package version, read from package.json next to the build.
 *
 * @example
 * packageVersion() // '0.1.0'
 */
export function packageVersion(): string {
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'bpfkit' && pkg.version) return pkg.version;
    } catch { /* try the next place */ }
  }
  return 'unknown';
}

/**
 * The --version text: bpfdump's version and what it stands in for.
 *
 * @example
 * versionText() // 'bpfdump version 0.1.0 (bpfkit) ...'
 */
export function versionText(): string {
  return `bpfdump version ${packageVersion()} (bpfkit)\nfollows tcpdump 4.99.3 / libpcap 1.10.3; Node.js ${process.version}`;
}

/**
 * The --help text: version, usage, and the flags bpfdump adds to tcpdump's.
 *
 * @example
 * helpText().includes('--program') // true
 */
export function helpText(): string {
  return `${versionText()}
${USAGE}

bpfdump takes tcpdump's flags (see tcpdump(8)); output is always numeric (-n).
Additions:
  --program FILE|-   read a Program (tcpdump -d/-dd/-ddd text or bpf_asm; detected),
                     verify it; print it (-d, -dd, -ddd or --asm; -d by default),
                     or, with -r or -i, use it as the filter (alias --run)
  --asm              print Programs as bpf_asm source (also for compiled expressions)
  --verify           with --program: only verify, report OK or the first error
  --bsd              verify with libpcap's bpf_validate() rules instead of Linux's
  --cfg [--dot]      print the expression's control-flow graph (text, or Graphviz DOT)
  --xdp ACTION       with -i: run the filter at XDP: drop, pass or count matches
  --pcapng           write -w files as pcapng instead of pcap
  --[no-]progress    force the progress bar for -r on or off (default: when stderr is a terminal)
Examples:
  bpfdump -r samples/sample.pcap 'tcp port 80'
  bpfdump -d 'ip and udp port 53'
  bpfdump --program filter.asm -r in.pcap -w out.pcap`;
}
