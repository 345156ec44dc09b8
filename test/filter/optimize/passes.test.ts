/**
 * Each optimizer pass on small hand-built graphs (what it must do, and what
 * it must not), each pass alone keeping random expressions equivalent, the
 * pipeline's switches and dumps, and the kernel's size limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockFactory, isReturn, type Block, type Cfg, type Stmt } from '../../../src/filter/cfg.js';
import { buildCfg, compile, linearize } from '../../../src/filter/index.js';
import { optimizeCfg, dumpCfgDot, PASSES } from '../../../src/filter/optimize/index.js';
import { interpret } from '../../../src/bpf/interpreter.js';
import { verify } from '../../../src/bpf/verifier.js';
import type { Program } from '../../../src/bpf/program.js';
import { BPF_JEQ, BPF_JSET } from '../../../src/bpf/opcodes.js';
import { corpus } from '../../../src/craft/index.js';
import { RANDOM_LINK_TYPES, RandomExpressions } from '../random-expression.js';

const LONG = Boolean(process.env.BPFKIT_LONG);
const ACCEPT = 262144;
const EXACT = { exactLoads: true };
const ldh = (k: number): Stmt => ({ code: 0x28, k });
const ldw = (k: number): Stmt => ({ code: 0x20, k });
const ldb = (k: number): Stmt => ({ code: 0x30, k });

/** A graph `root`, with the accept and reject blocks made by `build`. */
function graph(build: (f: BlockFactory, yes: Block, no: Block) => Block): Cfg {
  const f = new BlockFactory();
  const yes = f.ret(ACCEPT), no = f.ret(0);
  return { root: build(f, yes, no) };
}

function branch(f: BlockFactory, stmts: Stmt[], op: number, k: number, jt: Block, jf: Block): Block {
  const b = f.branch(stmts, op, k);
  b.jt = jt;
  b.jf = jf;
  return b;
}

function pass(name: string) {
  const p = PASSES.find((x) => x.name === name);
  assert.ok(p, name);
  return p;
}

/** Packets of every link type's corpus, truncated ones included. */
function packetsFor(dlt: number, count: number) {
  return corpus({ linkType: dlt, count, seed: 77 + dlt, malformed: 0.2, describe: false });
}

function sameResults(a: Program, b: Program, packets: ReadonlyArray<{ data: Uint8Array; wireLength?: number }>): number {
  let differ = 0;
  for (const p of packets) {
    if (interpret(a, p.data, p.wireLength, { semantics: 'bsd' }) !== interpret(b, p.data, p.wireLength, { semantics: 'bsd' })) differ++;
  }
  return differ;
}

const ether = (type: number, extra: number[] = []): Uint8Array => {
  const b = new Uint8Array(60);
  b[12] = type >> 8; b[13] = type & 0xff;
  extra.forEach((v, i) => { b[14 + i] = v; });
  return b;
};

test('value numbering removes a repeated load and folds constants', () => {
  const cfg = graph((f, yes, no) => {
    const second = branch(f, [ldh(12)], BPF_JEQ, 0x800, yes, no);
    return branch(f, [{ code: 0x00, k: 12 }, { code: 0x02, k: 0 }, { code: 0x61, k: 0 }, { code: 0x48, k: 0 }], BPF_JEQ, 0x800, second, no);
  });
  const out = pass('value-numbering').run(cfg, EXACT);
  assert.ok(out);
  // ld #12; st M[0]; ldx M[0]; ldh [x+0]  →  ldx #12 (dead st stays for dead-code) …; ldh [12]
  assert.deepEqual(out.root.stmts.at(-1), { code: 0x28, k: 12 });
  assert.equal(out.root.jt!.stmts.length, 0, 'the second ldh [12] goes');
  assert.equal(pass('value-numbering').run(out, EXACT), null, 'a second run finds nothing');
});

test('branch folding decides a comparison the paths into it already decided', () => {
  const cfg = graph((f, yes, no) => {
    const again = branch(f, [], BPF_JEQ, 0x800, yes, no);
    return branch(f, [ldh(12)], BPF_JEQ, 0x800, again, no);
  });
  const out = pass('branch-folding').run(cfg, EXACT)!;
  assert.ok(out);
  const again = out.root.jt!;
  assert.equal(again.jt, again.jf);
  assert.equal(again.jt!.k, ACCEPT);
});

test('branch folding uses facts met at a join (BPF+ predicate propagation)', () => {
  // (ethertype == 0x800 or ethertype == 0x86dd) then "ethertype > 0x100" is known true.
  const cfg = graph((f, yes, no) => {
    const join = branch(f, [], 0x20 /* jgt */, 0x100, yes, no);
    const six = branch(f, [], BPF_JEQ, 0x86dd, join, no);
    return branch(f, [ldh(12)], BPF_JEQ, 0x800, join, six);
  });
  const out = pass('branch-folding').run(cfg, EXACT)!;
  assert.ok(out);
  assert.equal(out.root.jt!.jt, out.root.jt!.jf);
});

test('jump threading sends an edge past a comparison it decides', () => {
  const cfg = graph((f, yes, no) => {
    const arp = branch(f, [ldh(12)], BPF_JEQ, 0x806, yes, no);
    const ipv4 = branch(f, [ldb(23)], BPF_JEQ, 6, yes, arp);
    return branch(f, [ldh(12)], BPF_JEQ, 0x800, ipv4, arp);
  });
  const before = linearize(cfg);
  const out = pass('jump-threading').run(cfg, EXACT)!;
  assert.ok(out);
  const ipv4 = out.root.jt!;
  assert.equal(ipv4.jf!.k, 0, 'IPv4 and not TCP no longer tests for ARP: it rejects');
  const packets = [ether(0x800, [0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6]), ether(0x806), ether(0x800), ether(0x806).slice(0, 13)].map((data) => ({ data }));
  assert.equal(sameResults(before, linearize(out), packets), 0);
});

test('jump threading does not skip a block whose loads could fail first', () => {
  // ld [100] in the skipped block could fail; what follows accepts without needing byte 103.
  const cfg = graph((f, yes, no) => {
    const far = branch(f, [ldh(12), ldw(100)], BPF_JEQ, 0x800, yes, yes);
    return branch(f, [ldh(12)], BPF_JEQ, 0x806, far, no);
  });
  const out = pass('jump-threading').run(cfg, EXACT);
  assert.equal(out, null);
});

test('jump threading sends an edge on which every run is rejected to the reject', () => {
  // IPv4, then tests whose every acceptance needs ethertype 0x86dd or 0x806: nothing more to look at.
  const cfg = graph((f, yes, no) => {
    const v6 = branch(f, [ldh(12)], BPF_JEQ, 0x86dd, yes, no);
    const arp = branch(f, [ldh(12)], BPF_JEQ, 0x806, yes, no);
    const deeper = branch(f, [ldb(24)], BPF_JEQ, 1, v6, no);
    const tcp = branch(f, [ldb(23)], BPF_JEQ, 6, deeper, arp);
    return branch(f, [ldh(12)], BPF_JEQ, 0x800, tcp, yes);
  });
  const before = linearize(cfg);
  const out = pass('jump-threading').run(cfg, EXACT)!;
  assert.ok(out);
  assert.ok(isReturn(out.root.jt!) && out.root.jt!.k === 0, 'ethertype 0x800 goes straight to ret #0');
  const packets = [ether(0x800, [0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 1]), ether(0x86dd), ether(0x806), ether(0x800).slice(0, 20)].map((data) => ({ data }));
  assert.equal(sameResults(before, linearize(out), packets), 0);
});

test('redundant tests: a rejecting edge the other successor would reject anyway loses its comparison', () => {
  // ethertype 0x6003 rejects; so would what follows, which accepts only IPv6.
  const cfg = graph((f, yes, no) => {
    const v6 = branch(f, [ldh(12)], BPF_JEQ, 0x86dd, yes, no);
    const tcp = branch(f, [ldb(20)], BPF_JEQ, 6, v6, no);
    return branch(f, [ldh(12)], BPF_JEQ, 0x6003, no, tcp);
  });
  const before = linearize(cfg);
  const out = pass('redundant-tests').run(cfg, EXACT)!;
  assert.ok(out);
  assert.equal(out.root.jt, out.root.jf, 'both edges go on to the TCP test');
  const whole = linearize(optimizeCfg(cfg));
  assert.ok(whole.length < before.length, `${whole.length} < ${before.length}`);
  const packets = [ether(0x6003, [0, 0, 0, 0, 0, 0, 6]), ether(0x86dd, [0, 0, 0, 0, 0, 0, 6]), ether(0x86dd), ether(0x6003).slice(0, 15), ether(0x86dd, [0, 0, 0, 0, 0, 0, 6]).slice(0, 21)]
    .map((data) => ({ data }));
  assert.equal(sameResults(before, linearize(out), packets), 0);
  assert.equal(sameResults(before, whole, packets), 0);
  // It never drops a test whose rejecting edge the other side would accept.
  const keeps = graph((f, yes, no) => branch(f, [ldh(12)], BPF_JEQ, 0x6003, no, branch(f, [ldb(20)], BPF_JEQ, 6, yes, no)));
  assert.equal(pass('redundant-tests').run(keeps, EXACT), null);
});

test('redundant tests: an accepting edge the other successor would accept the same way loses its comparison, unless a load could fail first', () => {
  const JGT = 0x20;
  // ethertype 0x800 accepts; so would "ethertype > 1500", which follows.
  const cfg = graph((f, yes, no) => branch(f, [ldh(12)], BPF_JEQ, 0x800, yes, branch(f, [], JGT, 0x5dc, yes, no)));
  const before = linearize(cfg);
  const out = pass('redundant-tests').run(cfg, EXACT)!;
  assert.ok(out);
  assert.equal(out.root.jt, out.root.jf);
  const packets = [ether(0x800), ether(0x86dd), ether(0x0100), ether(0x800).slice(0, 13)].map((data) => ({ data }));
  assert.equal(sameResults(before, linearize(out), packets), 0);
  // With `ldb [100]` on the way, a 60-byte IPv4 frame accepted by the edge would be rejected through the other side.
  const risky = () => graph((f, yes, no) => branch(f, [ldh(12)], BPF_JEQ, 0x800, yes, branch(f, [ldb(100), ldh(12)], JGT, 0x5dc, yes, no)));
  assert.equal(pass('redundant-tests').run(risky(), EXACT), null);
  assert.ok(pass('redundant-tests').run(risky(), { exactLoads: false }), 'loads assumed to succeed: it goes');
});

test('dead code removes dead stores and covered loads, and keeps loads that could fail', () => {
  const cfg = graph((f, yes, no) => branch(f, [
    { code: 0x00, k: 1 }, { code: 0x02, k: 3 }, // ld #1; st M[3] (never read)
    ldw(30), ldb(20), // ldb [20] is dead and covered by ld [30]'s 34 bytes
    ldb(200), // dead, but could fail on a 60-byte packet: stays
    ldw(26),
  ], BPF_JEQ, 0x0a000001, yes, no));
  const out = pass('dead-code').run(cfg, EXACT)!;
  assert.ok(out);
  // ld [30] goes too: the ldb [200] that stays needs more bytes, so a packet too short for [30] is rejected anyway.
  assert.deepEqual(out.root.stmts, [ldb(200), ldw(26)]);
});

test('dead blocks: a block that can only reject becomes ret #0', () => {
  const cfg = graph((f, yes, no) => {
    const no2 = f.ret(0);
    const pointless = branch(f, [ldb(23)], BPF_JEQ, 6, no, no2);
    return branch(f, [ldh(12)], BPF_JEQ, 0x800, pointless, yes);
  });
  const out = pass('dead-blocks').run(cfg, EXACT)!;
  assert.ok(out);
  assert.ok(isReturn(out.root.jt!));
  assert.equal(out.root.jt!.k, 0);
  assert.equal(out.root.jt!.stmts.length, 0);
});

test('block merging removes a jump whose two targets are the same', () => {
  const cfg = graph((f, yes, no) => {
    const empty = branch(f, [], BPF_JEQ, 1, yes, yes);
    return branch(f, [ldh(12)], BPF_JEQ, 0x800, empty, no);
  });
  const out = pass('block-merging').run(cfg, EXACT)!;
  assert.ok(out);
  assert.equal(out.root.jt!.k, ACCEPT);
});

test('interning makes identical blocks one', () => {
  const cfg = graph((f, yes, no) => {
    const a = branch(f, [ldb(23)], BPF_JEQ, 6, yes, no);
    const b = branch(f, [ldb(23)], BPF_JEQ, 6, yes, no);
    return branch(f, [ldh(12)], BPF_JEQ, 0x800, a, b);
  });
  const out = pass('interning').run(cfg, EXACT)!;
  assert.ok(out);
  assert.equal(out.root.jt, out.root.jf);
});

test('peephole folds and-then-compare into jset', () => {
  const cfg = graph((f, yes, no) => branch(f, [ldb(0), { code: 0x54, k: 1 }], BPF_JEQ, 0, no, yes));
  const out = pass('peephole').run(cfg, EXACT)!;
  assert.ok(out);
  assert.equal(out.root.code & 0xf0, BPF_JSET);
  assert.equal(out.root.jt!.k, ACCEPT);
  assert.deepEqual(out.root.stmts, [ldb(0)]);
});

test('each pass alone keeps random expressions equivalent, truncated packets included', () => {
  const perLinkType = LONG ? 40 : 4;
  const failures: string[] = [];
  for (const dlt of RANDOM_LINK_TYPES) {
    const packets = packetsFor(dlt, LONG ? 300 : 120);
    const gen = new RandomExpressions(dlt * 31 + 5);
    for (let i = 0; i < perLinkType; i++) {
      const expression = gen.expression(dlt);
      let cfg: Cfg;
      try { cfg = buildCfg(expression, { linkType: dlt }); } catch { continue; }
      const plain = linearize(cfg);
      for (const p of PASSES) {
        const alone = linearize(optimizeCfg(cfg, { passes: [p.name] }));
        const n = sameResults(plain, alone, packets);
        if (n > 0) failures.push(`${p.name} on DLT ${dlt} ${JSON.stringify(expression)}: ${n} packets differ`);
      }
    }
  }
  assert.deepEqual(failures, []);
});

test('with loads assumed to succeed, results stay the same on packets long enough for every load', () => {
  const perLinkType = LONG ? 60 : 8;
  const failures: string[] = [];
  for (const dlt of RANDOM_LINK_TYPES) {
    // Zero-padded well past any offset a filter reads; the wire length (what `len` reads) is unchanged.
    const packets = packetsFor(dlt, LONG ? 300 : 120).map((p) => {
      const data = new Uint8Array(p.data.length + 1024);
      data.set(p.data);
      return { data, wireLength: p.wireLength };
    });
    const gen = new RandomExpressions(dlt * 131 + 7);
    for (let i = 0; i < perLinkType; i++) {
      const expression = gen.expression(dlt);
      let cfg: Cfg;
      try { cfg = buildCfg(expression, { linkType: dlt }); } catch { continue; }
      const n = sameResults(linearize(cfg), linearize(optimizeCfg(cfg, { exactLoads: false })), packets);
      if (n > 0) failures.push(`DLT ${dlt} ${JSON.stringify(expression)}: ${n} packets differ`);
    }
  }
  assert.deepEqual(failures, []);
});

test('optimizeCfg leaves its input alone, reports each pass, and dumps DOT', () => {
  const cfg = buildCfg('tcp port 80 and ip', { linkType: 1 });
  const before = linearize(cfg);
  const seen: string[] = [];
  const out = optimizeCfg(cfg, { onPass: (name) => seen.push(name) });
  assert.deepEqual(linearize(cfg), before, 'input unchanged');
  assert.ok(seen.includes('value-numbering') && seen.includes('jump-threading'), seen.join(','));
  assert.ok(linearize(out).length < before.length);
  const dot = dumpCfgDot(out, 'tcp port 80');
  assert.match(dot, /^digraph "tcp port 80" \{/);
  assert.match(dot, /B0 -> B\d+ \[color=darkgreen/);
  assert.throws(() => optimizeCfg(cfg, { passes: ['no-such-pass'] }), /unknown optimizer pass no-such-pass/);
});

const hosts = (n: number): string => Array.from({ length: n }, (_, i) => `host 10.1.${i >> 8}.${i & 255}`).join(' or ');

test('long optimized programs reach their returns through islands, not trampolines', () => {
  const prog = compile(hosts(200), { linkType: 1 });
  assert.ok(prog.length > 500, `a long program: ${prog.length}`);
  // Each address family's tests grouped by the field they read, ARP's and RARP's shared, as libpcap's -O does.
  assert.ok(prog.length <= 3 * 200 + 20, `about three instructions per host: ${prog.length}`);
  // Only the jump from the IPv4 test over the whole IPv4 chain to the ARP chain is that far.
  assert.ok(prog.filter((x) => x.code === 0x05).length <= 1, 'at most one ja');
  verify(prog);
  const plain = compile(hosts(200), { linkType: 1, optimize: false });
  assert.equal(sameResults(plain, prog, packetsFor(1, 200)), 0);
});

test('a Program over the kernel limit is made (as libpcap makes it), and refused clearly when the limit is asked for', () => {
  // About three instructions per host, as libpcap's: 1,400 hosts do not fit.
  const long = compile(hosts(1400), { linkType: 1 });
  assert.ok(long.length > 4096, `${long.length}`);
  assert.throws(() => compile(hosts(1400), { linkType: 1, maxInstructions: 4096 }), /needs \d+ instructions; at most 4096 were asked for \(the kernel's limit\)/);
  assert.throws(() => verify(long), /Linux accepts at most 4096/);
});
