/**
 * The public `compile` API: options, defaults, and errors on bad options.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interpret } from '../../src/bpf/interpreter.js';
import { programsEqual } from '../../src/bpf/program.js';
import { compile, CompileError, FilterError } from '../../src/filter/index.js';

const IPV4_FRAME = (() => {
  const f = new Uint8Array(60);
  f[12] = 0x08; f[14] = 0x45; f[23] = 6; f.set([10, 0, 0, 1], 26); f.set([10, 0, 0, 255], 30);
  return f;
})();

test('link types by name (any case, with or without DLT_) or number give the same program', () => {
  const a = compile('tcp port 80', { linkType: 'LINUX_SLL', optimize: false });
  assert.ok(programsEqual(a, compile('tcp port 80', { linkType: 'dlt_linux_sll', optimize: false })));
  assert.ok(programsEqual(a, compile('tcp port 80', { linkType: 113, optimize: false })));
  assert.ok(programsEqual(compile('ip'), compile('ip', { linkType: 'EN10MB' })), 'EN10MB is the default');
});

test('snaplen is what an accepting program returns; the empty expression accepts everything', () => {
  assert.equal(interpret(compile('ip', { snaplen: 96 }), IPV4_FRAME), 96);
  assert.equal(interpret(compile('ip'), IPV4_FRAME), 262144);
  assert.equal(interpret(compile('', { snaplen: 1500 }), new Uint8Array(0), 0), 1500);
  assert.equal(interpret(compile('arp'), IPV4_FRAME), 0);
});

test('netmask drives ip broadcast; unknown netmask is an error, as in libpcap', () => {
  assert.notEqual(interpret(compile('ip broadcast', { netmask: 0xffffff00 }), IPV4_FRAME), 0);
  assert.equal(interpret(compile('ip broadcast', { netmask: 0xffff0000 }), IPV4_FRAME), 0);
  assert.throws(() => compile('ip broadcast', { netmask: 0xffffffff }), /netmask not known/);
});

test('bad options are CompileErrors naming the option', () => {
  assert.throws(() => compile('ip', { linkType: 'NOSUCH' }), (e: unknown) => e instanceof CompileError && /NOSUCH/.test(e.message));
  assert.throws(() => compile('ip', { snaplen: -5 }), (e: unknown) => e instanceof FilterError && /snaplen -5/.test(e.message));
  assert.throws(() => compile('ip', { netmask: 2 ** 40 }), /netmask/);
  assert.throws(() => compile('ip', { linkType: 3 }), /unknown data link type 3/);
});

test('optimize on or off, the program accepts the same packets here', () => {
  for (const e of ['host 10.0.0.1 and tcp', 'not arp', 'ip[0] & 0xf = 5']) {
    assert.equal(interpret(compile(e), IPV4_FRAME) !== 0, interpret(compile(e, { optimize: false }), IPV4_FRAME) !== 0, e);
  }
});
