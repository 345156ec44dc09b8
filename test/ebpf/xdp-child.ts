/**
 * Attaches an XDP filter and exits without detaching, for the test that
 * nothing stays attached after the process ends (unless pinned). Run it in
 * the target network namespace (`nsenter --net=...`, which keeps the mount
 * namespace so pins are visible to the parent):
 *
 *   node xdp-child.js '{"interface":"vB1","program":[[code,jt,jf,k],...],"action":"drop","mode":"generic","pin":"/sys/fs/bpf/x"}'
 */
import { program } from '../../src/bpf/program.js';
import { attachXdp, type XdpAction, type XdpMode } from '../../src/ebpf/xdp.js';

const spec = JSON.parse(process.argv[2]) as { interface: string; program: number[][]; action: XdpAction; mode: XdpMode; pin?: string };
const prog = program(spec.program.map(([code, jt, jf, k]) => ({ code, jt, jf, k })));
const xdp = attachXdp(prog, { interface: spec.interface, action: spec.action, mode: spec.mode, pin: spec.pin });
process.stdout.write(`${JSON.stringify({ attached: xdp.isAttached, ifindex: xdp.ifindex })}\n`);
// Exit without detach(): the kernel must release the link with the process.
process.exit(0);
