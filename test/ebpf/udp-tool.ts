/**
 * A bounded UDP sender and counting receiver for the XDP namespace tests,
 * run inside a namespace with `ip netns exec NS node udp-tool.js ...`:
 *
 *   send HOST PORT:COUNT[,PORT:COUNT...]   interleaved, paced, then exit
 *   receive IDLE_MS PORT[,PORT...]         print "ready", count datagrams per
 *                                          port until IDLE_MS pass with none
 *                                          (after the first; 30 s before it),
 *                                          print JSON counts
 */
import { createSocket } from 'node:dgram';

const [mode, a, b] = process.argv.slice(2);

if (mode === 'send') {
  const host = a;
  const plan = b.split(',').map((s) => s.split(':').map(Number) as [number, number]);
  const socket = createSocket('udp4');
  const payload = Buffer.alloc(32, 0x61);
  const queue: number[] = [];
  const left = plan.map(([, n]) => n);
  while (left.some((n) => n > 0)) plan.forEach(([port], i) => { if (left[i]-- > 0) queue.push(port); });
  let at = 0;
  const batch = () => {
    // Small paced batches: the receiver's queue must never overflow, or a loss would look like a drop.
    let inFlight = 0;
    for (let i = 0; i < 20 && at < queue.length; i++, at++) {
      inFlight++;
      socket.send(payload, queue[at], host, () => { if (--inFlight === 0) done(); });
    }
    if (inFlight === 0) done();
  };
  const done = () => (at < queue.length ? setTimeout(batch, 2) : socket.close());
  batch();
} else if (mode === 'receive') {
  const idleMs = Number(a);
  const ports = b.split(',').map(Number);
  const counts: Record<number, number> = Object.fromEntries(ports.map((p) => [p, 0]));
  let bound = 0;
  let timer: NodeJS.Timeout | undefined;
  const sockets = ports.map((port) => {
    const s = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
    s.on('message', () => {
      counts[port]++;
      if (timer) clearTimeout(timer);
      timer = setTimeout(finish, idleMs);
    });
    s.bind(port, () => { if (++bound === ports.length) process.stdout.write('ready\n'); });
    return s;
  });
  // Without any datagram, stop after a generous bound (a loaded machine starts the sender slowly) rather than never.
  timer = setTimeout(finish, 30000);
  function finish(): void {
    for (const s of sockets) s.close();
    process.stdout.write(`${JSON.stringify(counts)}\n`);
  }
} else {
  process.stderr.write('usage: udp-tool send HOST PORT:COUNT[,...] | receive IDLE_MS PORT[,...]\n');
  process.exit(2);
}
