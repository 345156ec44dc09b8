import { test } from 'node:test';
import assert from 'node:assert/strict';
import { geteuid } from '../../src/capture/syscalls.js';
import type { Program } from '../../src/bpf/program.js';
import { translate, TranslateError, COUNTER_MATCH, COUNTER_NO_MATCH } from '../../src/ebpf/translate.js';
import { loadProgram, runSocketFilter, testRun, VerifierError, type LoadedProgram } from '../../src/ebpf/loader.js';
import { BpfMap, possibleCpus } from '../../src/ebpf/maps.js';
import { parseEbpf } from '../../src/ebpf/text.js';
import { XDP_DROP, XDP_PASS } from '../../src/ebpf/opcodes.js';
import { Oracle } from '../oracle/oracle.js';
import { seeded, randomValidProgram, randomPacket } from '../bpf/jit-random.js';
import { ethernetFrames } from './packets.js';
import { compiledPrograms, FIXED_EXPRESSIONS, sampleExpressions } from './expressions.js';
import { expected, kernelComparable, SOCKET_TEST_RUN_CONTEXT, targetOptions, type Target } from './differential.js';

const LONG = !!process.env.BPFKIT_LONG;
const root = geteuid() === 0;
const TARGETS: Target[] = ['socket', 'xdp'];
/** The kernel's test run needs at least an Ethernet header, and an XDP frame that fits one page. */
const MIN_FRAME = 14;
const MAX_FRAME = 3500;
const runnable = (data: Uint8Array): boolean => data.length >= MIN_FRAME && data.length <= MAX_FRAME;

/** Runs a loaded translation in the kernel over a frame and returns the program's result. */
function kernelResult(loaded: LoadedProgram, data: Uint8Array): number {
  return loaded.type === 'socket' ? runSocketFilter(loaded, data).retval : testRun(loaded, data).retval;
}

/** Classic result as the kernel's test run sees the frame: wire length = captured length. */
function kernelExpected(prog: Program, target: Target, data: Uint8Array): number {
  return expected(prog, target, data, data.length, target === 'socket' ? SOCKET_TEST_RUN_CONTEXT : {});
}

test('BPF_PROG_TEST_RUN: compiled expressions (bpfkit and libpcap) translated for both targets accept exactly what the classic Program accepts', { skip: !root && 'needs root: BPF_PROG_LOAD' }, async (t) => {
  const oracle = await Oracle.start();
  const frames = ethernetFrames(LONG ? 1000 : 200, 21).filter((f) => runnable(f.data));
  const expressions = [...FIXED_EXPRESSIONS, ...sampleExpressions(LONG ? 1000 : 60, 32)];
  let runs = 0, discriminating = 0, programs = 0;
  try {
    for (const { label: expr, prog } of await compiledPrograms(oracle, expressions)) {
      programs++;
      const verdicts = new Set<boolean>();
      for (const target of TARGETS) {
        const loaded = loadProgram(translate(prog, targetOptions(target)), target);
        try {
          for (const f of frames) {
            const want = kernelExpected(prog, target, f.data);
            assert.equal(kernelResult(loaded, f.data), want, `${expr} (${target}) on ${Buffer.from(f.data).toString('hex')}`);
            if (target === 'socket') verdicts.add(want !== 0);
            runs++;
          }
        } finally {
          loaded.close();
        }
      }
      if (verdicts.size === 2) discriminating++;
    }
  } finally {
    oracle.close();
  }
  t.diagnostic(`${expressions.length} expressions → ${programs} Programs × 2 targets × ${frames.length} frames = ${runs} kernel test runs, 0 disagreements`);
  assert.equal(runs, programs * 2 * frames.length);
  assert.ok(programs > expressions.length * 1.8, `only ${programs} Programs from ${expressions.length} expressions`);
  // The frames must exercise the filters: most Programs both match some and reject some.
  assert.ok(discriminating >= programs * 0.8, `only ${discriminating} of ${programs} Programs saw both verdicts`);
});

test('BPF_PROG_TEST_RUN: random valid Programs, translated, agree with the classic interpreter in the kernel', { skip: !root && 'needs root: BPF_PROG_LOAD' }, (t) => {
  const r = seeded(4242);
  const programs = LONG ? 2000 : 150;
  let loadedCount = 0, runs = 0;
  for (let n = 0; n < programs; n++) {
    const prog = randomValidProgram(r, 'linux', 40);
    const packets = Array.from({ length: 10 }, () => randomPacket(r)).filter((p) => runnable(p.data));
    for (const target of TARGETS) {
      if (!kernelComparable(prog, target)) continue;
      let insns;
      try { insns = translate(prog, targetOptions(target)); } catch (e) { if (e instanceof TranslateError) continue; throw e; }
      // Every translation must pass the verifier.
      const loaded = loadProgram(insns, target);
      loadedCount++;
      try {
        for (const p of packets) {
          assert.equal(kernelResult(loaded, p.data), kernelExpected(prog, target, p.data), `${target} ${JSON.stringify(prog)} on ${Buffer.from(p.data).toString('hex')}`);
          runs++;
        }
      } finally {
        loaded.close();
      }
    }
  }
  t.diagnostic(`${programs} random Programs: ${loadedCount} translations loaded and verified, ${runs} kernel test runs, 0 disagreements`);
  assert.ok(loadedCount > programs, `only ${loadedCount} translations loaded`);
  assert.ok(runs > loadedCount * 5);
});

test('a program the verifier refuses reports the verifier log and the instruction, not a bare errno', { skip: !root && 'needs root: BPF_PROG_LOAD' }, () => {
  // Reads the packet without the bounds check the verifier demands.
  const broken = parseEbpf('r2 = *(u32 *)(r1 +0)\nr0 = *(u16 *)(r2 +12)\nexit');
  assert.throws(() => loadProgram(broken, 'xdp'), (e: unknown) => {
    assert.ok(e instanceof VerifierError);
    assert.equal(e.code, 'EACCES');
    assert.equal(e.index, 1);
    assert.match(e.log, /invalid access to packet/);
    assert.match(e.message, /invalid access to packet/);
    return true;
  });
  // An uninitialized register: a different verifier message.
  assert.throws(() => loadProgram(parseEbpf('r0 = r5\nexit'), 'socket'), (e: unknown) => e instanceof VerifierError && /R5 !read_ok/.test(e.log));
});

test('array and per-CPU array maps: create, update, look up from Node', { skip: !root && 'needs root: BPF_MAP_CREATE' }, () => {
  const array = BpfMap.create({ kind: 'array', valueSize: 8, maxEntries: 4 });
  const perCpu = BpfMap.create({ kind: 'percpu_array', valueSize: 8, maxEntries: 2 });
  try {
    const v = new Uint8Array(8);
    new DataView(v.buffer).setBigUint64(0, 123456789n, true);
    array.update(3, v);
    assert.equal(array.sumU64(3), 123456789n);
    assert.equal(array.sumU64(0), 0n);
    assert.equal(perCpu.cpus, possibleCpus());
    const all = new Uint8Array(perCpu.lookupSize);
    for (let cpu = 0; cpu < perCpu.cpus; cpu++) new DataView(all.buffer).setBigUint64(cpu * 8, BigInt(cpu + 10), true);
    perCpu.update(1, all);
    assert.deepEqual(perCpu.u64PerCpu(1), Array.from({ length: perCpu.cpus }, (_, cpu) => BigInt(cpu + 10)));
    assert.throws(() => array.lookup(4), /map index 4 is not 0..3/);
    assert.throws(() => perCpu.update(0, new Uint8Array(3)), /must be/);
  } finally {
    array.close();
    perCpu.close();
  }
});

test('XDP counters in a per-CPU map count every test run, matched and not', { skip: !root && 'needs root: BPF_PROG_LOAD' }, async () => {
  const oracle = await Oracle.start();
  const prog = await oracle.compile('udp port 7777', { linkType: 1 });
  oracle.close();
  const counters = BpfMap.create({ kind: 'percpu_array', valueSize: 8, maxEntries: 2 });
  const frames = ethernetFrames(200, 3).filter((f) => runnable(f.data));
  const loaded = loadProgram(translate(prog, { target: 'xdp', onMatch: XDP_DROP, onNoMatch: XDP_PASS, countersFd: counters.fd }), 'xdp');
  try {
    let matched = 0n, unmatched = 0n;
    for (const f of frames) {
      const { retval } = testRun(loaded, f.data);
      if (retval === XDP_DROP) matched++; else unmatched++;
    }
    assert.ok(matched > 0n && unmatched > 0n);
    assert.equal(counters.sumU64(COUNTER_MATCH), matched);
    assert.equal(counters.sumU64(COUNTER_NO_MATCH), unmatched);
  } finally {
    loaded.close();
    counters.close();
  }
});
