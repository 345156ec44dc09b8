/**
 * bpfdump on a real terminal (a pseudo-terminal made by script(1) from
 * util-linux): the progress bar while a large file is read, and Ctrl-C
 * (typed into the terminal, so the kernel delivers SIGINT) ending the run
 * cleanly with the -w file complete and the statistics printed.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { readCapture } from '../../src/pcap/index.js';
import { BIN, ROOT, tcpdump, tempDir, writePackets } from './helpers.js';

const dir = tempDir('bpfdump-tty-');
const big = join(dir, 'big.pcap');

function scriptAvailable(): string | null {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'needs script(1) from util-linux for a pseudo-terminal';
  }
}

before(async () => {
  // The sample's packets over and over: about 150,000 packets, 20 MB.
  const frames: Uint8Array[] = [];
  for await (const r of readCapture(join(ROOT, 'samples/sample.pcap'))) frames.push(r.data.slice());
  const packets = Array.from({ length: 150_000 }, (_, i) => ({ data: frames[i % frames.length] }));
  await writePackets(big, 1, packets);
});

/**
 * Runs a shell command line on a pseudo-terminal; `interrupt` says when to type Ctrl-C.
 * Commands start with `exec`: Ctrl-C signals the terminal's whole foreground group, and
 * a non-interactive shell such as dash (script(1)'s /bin/sh when SHELL is unset, as in
 * CI) would die of it and take the terminal away before bpfdump had printed its statistics.
 */
function onTerminal(command: string, interrupt: (screen: string) => boolean): Promise<{ code: number; screen: string; interrupted: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm', TZ: 'UTC' } });
    let screen = '';
    let interrupted = false;
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`timed out; screen:\n${screen}`)); }, 90000);
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString();
      if (!interrupted && interrupt(screen)) {
        interrupted = true;
        child.stdin.write('\x03');
      }
    });
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, screen: screen.replace(/\r/g, ''), interrupted }); });
  });
}

test('a large file shows a progress bar on the terminal, erased at the end', async (t) => {
  const why = scriptAvailable();
  if (why) { t.skip(why); return; }
  const out = join(dir, 'all.pcap');
  const run = await onTerminal(`exec node ${BIN} -r ${big} -w ${out} --print > /dev/null`, () => false);
  assert.equal(run.code, 0, run.screen);
  assert.match(run.screen, /\[=*>? *\] +\d+% +\d+\.\d MB \/ \d+\.\d MB +\d+ packets/);
  assert.ok(run.screen.includes('\x1b[K'), 'the bar is erased');
  assert.equal(tcpdump(['-r', out, '--count']).stdout, '150000 packets\n');
});

test('Ctrl-C while reading: clean exit, the -w file holds every packet counted, statistics printed', async (t) => {
  const why = scriptAvailable();
  if (why) { t.skip(why); return; }
  const out = join(dir, 'part.pcap');
  const run = await onTerminal(`exec node ${BIN} -r ${big} -w ${out} --print > /dev/null`, (screen) => /\d+% .* [1-9]\d* packets/.test(screen));
  assert.ok(run.interrupted, run.screen);
  assert.equal(run.code, 0, run.screen);
  const stats = /(\d+) packets captured\n(\d+) packets received by filter\n0 packets dropped by kernel\n/.exec(run.screen);
  assert.ok(stats, run.screen);
  const captured = Number(stats[1]);
  assert.ok(captured > 0 && captured < 150_000, `captured ${captured}`);
  assert.ok(Number(stats[2]) >= captured);
  assert.equal(tcpdump(['-r', out, '--count']).stdout, `${captured} packets\n`);
  assert.ok(!/at .*\.js:\d+/.test(run.screen), 'no stack trace');
});
