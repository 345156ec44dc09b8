/**
 * The compiler pipeline: text → tokens → syntax tree → CFG → (optimizer) →
 * Program. Each call has its own Context; nothing is global.
 */
import { linkType as lookupLinkType, type LinkTypeInfo } from '../bpf/linktypes.js';
import type { Program } from '../bpf/program.js';
import type { Expr } from './ast.js';
import { BPF_JMP, BPF_MAXINSNS, BPF_W } from '../bpf/opcodes.js';
import { and, finish, type Cfg, type Cond } from './cfg.js';
import { CompileError } from './errors.js';
import { Context } from './codegen/context.js';
import { generate } from './codegen/generate.js';
import { initLinkType, linkPrologue } from './codegen/link.js';
import { linearize, LinearizeError } from './linearize.js';
import { optimizeCfg } from './optimize/index.js';
import { parse } from './parser.js';

const PPI = 192;
/** DLT_IEEE802_11 (105) as a little-endian 32-bit word read big-endian. */
const PPI_80211_LE = 0x69000000;

/** Options of `compile` (all optional). */
export interface CompileOptions {
  /** DLT name as tcpdump -y takes it ('EN10MB', 'LINUX_SLL', …) or DLT number. Default EN10MB. */
  linkType?: string | number;
  /** Run the optimizer. Default true. */
  optimize?: boolean;
  /** IPv4 netmask of the capture network, for `ip broadcast`; 0xffffffff means unknown. Default 0. */
  netmask?: number;
  /** What an accepting program returns (bytes to keep). Default 262144. */
  snaplen?: number;
  /**
   * Refuse (CompileError) a Program longer than this. Unset by default: like libpcap, compile()
   * makes Programs of any length, which files and the JIT run; the kernel refuses more than
   * BPF_MAXINSNS (4096), so pass that when the Program is meant for a socket.
   */
  maxInstructions?: number;
  /**
   * Default true: the optimizer keeps every result, truncated packets included. False takes
   * libpcap's assumption that loads succeed (smaller Programs, which accept some truncated
   * packets the unoptimized one rejects, as libpcap's -O Programs do); see docs/optimizer.md.
   * `compile('port 80 or port 443', { exactLoads: false })`
   */
  exactLoads?: boolean;
}

function resolveLinkType(expression: string, value: string | number): LinkTypeInfo {
  try {
    return lookupLinkType(value);
  } catch (e) {
    throw new CompileError(expression, 0, (e as Error).message);
  }
}

/**
 * Builds the control-flow graph of an expression, before optimization.
 *
 * @example
 * console.log(dumpCfg(buildCfg('tcp port 80', { linkType: 'EN10MB' })));
 */
export function buildCfg(expression: string, options: CompileOptions = {}): Cfg {
  const tree = parse(expression);
  return buildCfgFromTree(expression, tree, options);
}

/**
 * Builds the graph of an already parsed tree.
 *
 * @example
 * const cfg = buildCfgFromTree('ip', parse('ip'), {});
 */
export function buildCfgFromTree(expression: string, tree: Expr, options: CompileOptions = {}): Cfg {
  return generateCfg(expression, tree, options).cfg;
}

function generateCfg(expression: string, tree: Expr, options: CompileOptions): { cfg: Cfg; noOptimize: boolean } {
  const info = resolveLinkType(expression, options.linkType ?? 'EN10MB');
  const snaplen = options.snaplen ?? 262144;
  if (!Number.isInteger(snaplen) || snaplen < 0 || snaplen > 0xffffffff) {
    throw new CompileError(expression, 0, `snaplen ${snaplen} is not an integer from 0 to 4294967295`);
  }
  const netmask = options.netmask ?? 0;
  if (!Number.isInteger(netmask) || netmask < -0x80000000 || netmask > 0xffffffff) {
    throw new CompileError(expression, 0, `netmask ${netmask} is not a 32-bit number`);
  }
  // libpcap knows no link type numbered 2 to 5 (nor others below its matching range it has no table entry for).
  if (info.dlt >= 2 && info.dlt <= 5) throw new CompileError(expression, 0, `unknown data link type ${info.dlt}`);
  const ctx = new Context(expression, info, { snaplen, netmask: netmask >>> 0 });
  initLinkType(ctx);
  if (tree.kind === 'true') {
    return { cfg: { root: ctx.blocks.ret(snaplen) }, noOptimize: false };
  }
  let cond: Cond;
  try {
    cond = generate(ctx, tree);
  } catch (e) {
    if (e instanceof RangeError) throw new CompileError(expression, 1, 'expression nested too deeply for the code generator');
    throw e;
  }
  // Variable header lengths are computed once, before the first test (libpcap's insert_compute_vloffsets).
  const prologue = linkPrologue(ctx);
  if (prologue.length > 0) {
    cond.entry.stmts = [...prologue, ...cond.entry.stmts];
    if (prologue.some((s) => (s.code & 0x07) === BPF_JMP)) cond.entry.opaque = true;
  }
  // PPI carries the real link type per packet; only 802.11 inside it is understood.
  if (info.dlt === PPI) cond = and(ctx.cmp('packet', 4, BPF_W, PPI_80211_LE), cond);
  const cfg = finish(ctx.blocks, cond, snaplen);
  return { cfg, noOptimize: ctx.noOptimize };
}

/**
 * Compiles a pcap-filter(7) expression to a classic BPF Program that accepts
 * exactly the packets libpcap 1.10's program accepts.
 *
 * Errors: FilterSyntaxError (not the language) or CompileError (meaningless
 * for the link type, unknown name, out of range), both with a 1-based
 * `column` and a caret line in the message.
 *
 * @example
 * const prog = compile('tcp port 80 and not host 10.0.0.1', { linkType: 'EN10MB' });
 * const loose = compile('port 80 or port 443', { exactLoads: false }); // libpcap's -O assumption
 */
export function compile(expression: string, options: CompileOptions = {}): Program {
  const generated = generateCfg(expression, parse(expression), options);
  let cfg = generated.cfg;
  // Like libpcap, skip the optimizer when the code has loops or embedded jumps (protochain, geneve).
  if ((options.optimize ?? true) && !generated.noOptimize) cfg = optimizeCfg(cfg, { exactLoads: options.exactLoads ?? true });
  let prog: Program;
  try {
    prog = linearize(cfg);
  } catch (e) {
    // Keep compile()'s promise of typed errors.
    if (e instanceof LinearizeError) throw new CompileError(expression, 0, e.message);
    throw e;
  }
  const max = options.maxInstructions;
  if (max !== undefined && prog.length > max) {
    throw new CompileError(expression, 0, `the program needs ${prog.length} instructions; at most ${max} were asked for${max === BPF_MAXINSNS ? ' (the kernel\'s limit)' : ''}`);
  }
  return prog;
}
