/**
 * The forward analysis the value-numbering, branch-folding, jump-threading
 * and dead-code passes share: an abstract machine state (the value number
 * in A, X and each M[i], the captured length proven by loads that
 * succeeded, and predicate facts per value) carried through the DAG in
 * topological order. A block's entry state is the meet of the states on
 * its incoming edges, so one sweep is exact for a DAG and ends after
 * visiting each block once.
 *
 * Visitors see each block with its entry state (and may rewrite its
 * statements) and each outgoing edge with the state on it (and may send the
 * edge elsewhere, further down the topological order).
 */
import {
  BPF_ABS, BPF_ALU, BPF_B, BPF_DIV, BPF_H, BPF_IMM, BPF_IND, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_LD, BPF_LDX, BPF_LEN,
  BPF_MEM, BPF_MOD, BPF_MSH, BPF_NEG, BPF_ST, BPF_STX, BPF_TXA, BPF_X, bpfClass, bpfMode, bpfOp, bpfSize, bpfSrc,
} from '../../bpf/opcodes.js';
import { isReturn, topologicalOrder, type Block, type Cfg, type Stmt } from '../cfg.js';
import { decide, meetFacts, refine, type Fact } from './facts.js';
import { absoluteEnd, MEM0, REG_A, REG_X, REGS } from './graph.js';
import { Values } from './values.js';

/** The abstract machine state at one point. */
export interface State {
  /** Value number held by each register (REG_A, REG_X, MEM0 + i). */
  readonly regs: number[];
  /** Captured length every run reaching here is known to have (loads up to it succeeded). */
  extent: number;
  /** Values of packet loads that succeeded on every path here (never mutated, like `facts`). */
  loaded: readonly number[];
  /**
   * Predicates known per value number. Never mutated: states share it and
   * an edge that learns something gets a new list (few values are compared
   * on one path, and copying states is the sweep's main cost).
   */
  facts: readonly FactEntry[];
}

/** The fact known about one value. */
export interface FactEntry {
  readonly vn: number;
  readonly fact: Fact;
}

/** What executing one statement does to the state. */
export interface Effect {
  /** Register written. */
  dest: number;
  /** Value number written. */
  value: number;
  /** The statement may end the run (a load past the packet, division by X = 0). */
  mayFail: boolean;
}

/** A comparison at the end of a block: value `a` against constant `k`, or against value `x`. */
export interface Comparison {
  op: number;
  a: number;
  k?: number;
  x?: number;
}

/**
 * The state at the program's start: A, X and every M[i] hold 0.
 *
 * @example
 * const s = initialState(values);
 */
export function initialState(values: Values): State {
  const zero = values.constant(0);
  return { regs: new Array<number>(REGS).fill(zero), extent: 0, loaded: [], facts: [] };
}

/**
 * A copy that can be changed without touching the original.
 *
 * @example
 * const t = copyState(s);
 */
export function copyState(s: State): State {
  return { regs: s.regs.slice(), extent: s.extent, loaded: s.loaded, facts: s.facts };
}

/**
 * What holds on every one of several incoming states. A register holding
 * different values on different edges gets a fresh value number. A single
 * state is returned as it is (the sweep gives every edge its own state).
 *
 * @example
 * const entry = meetStates(values, [fromLeft, fromRight]);
 */
export function meetStates(values: Values, states: readonly State[]): State {
  if (states.length === 1) return states[0];
  const first = states[0];
  // Loops, not map/every/filter: this runs at every join of every sweep.
  const regs = first.regs.slice();
  let extent = first.extent;
  for (let i = 1; i < states.length; i++) {
    const other = states[i];
    if (other.extent < extent) extent = other.extent;
    for (let r = 0; r < REGS; r++) if (regs[r] !== -1 && other.regs[r] !== regs[r]) regs[r] = -1;
  }
  for (let r = 0; r < REGS; r++) if (regs[r] === -1) regs[r] = values.fresh();
  const facts: FactEntry[] = [];
  for (const { vn, fact } of first.facts) {
    let met: Fact | undefined = fact;
    for (let i = 1; i < states.length && met; i++) {
      const other = states[i].facts.find((e) => e.vn === vn);
      met = other ? (other.fact === met ? met : meetFacts(met, other.fact)) : undefined;
    }
    if (met) facts.push({ vn, fact: met });
  }
  let loaded = first.loaded;
  for (let i = 1; i < states.length; i++) {
    const theirs = states[i].loaded;
    if (theirs !== loaded) loaded = loaded.filter((vn) => theirs.includes(vn));
  }
  return { regs, extent, loaded, facts };
}

/**
 * What is known about a value in a state (its facts, or its range).
 *
 * @example
 * factOf(values, state, state.regs[REG_A]).hi
 */
export function factOf(values: Values, s: State, vn: number): Fact {
  for (const e of s.facts) if (e.vn === vn) return e.fact;
  return values.rangeFact(vn);
}

function loadKind(code: number): string {
  const size = bpfSize(code);
  const indexed = bpfMode(code) === BPF_IND;
  // Constant strings: this runs for every load of every sweep.
  if (size === BPF_B) return indexed ? 'ib' : 'b';
  if (size === BPF_H) return indexed ? 'ih' : 'h';
  return indexed ? 'iw' : 'w';
}

function held(s: State, vn: number): boolean {
  return s.regs.includes(vn);
}

/**
 * The effect of one statement in a state (the state is not changed).
 *
 * @example
 * const { dest, value } = effectOf(values, state, { code: 0x28, k: 12 });
 */
export function effectOf(values: Values, s: State, stmt: Stmt): Effect {
  const cls = bpfClass(stmt.code), mode = bpfMode(stmt.code);
  const r = s.regs;
  switch (cls) {
    case BPF_LD: case BPF_LDX: {
      const dest = cls === BPF_LD ? REG_A : REG_X;
      if (mode === BPF_IMM) return { dest, value: values.constant(stmt.k), mayFail: false };
      if (mode === BPF_MEM) return { dest, value: r[MEM0 + stmt.k], mayFail: false };
      if (mode === BPF_LEN) return { dest, value: values.load('len', 0, -1), mayFail: false };
      const value = mode === BPF_MSH ? values.load('msh', stmt.k, -1)
        : values.load(loadKind(stmt.code), stmt.k, mode === BPF_IND ? r[REG_X] : -1);
      const end = mode === BPF_ABS || mode === BPF_MSH ? absoluteEnd(stmt) : undefined;
      const mayFail = values.exactLoads && !(held(s, value) || s.loaded.includes(value) || (end !== undefined && end <= s.extent));
      return { dest, value, mayFail };
    }
    case BPF_ST: return { dest: MEM0 + stmt.k, value: r[REG_A], mayFail: false };
    case BPF_STX: return { dest: MEM0 + stmt.k, value: r[REG_X], mayFail: false };
    case BPF_ALU: {
      const op = bpfOp(stmt.code);
      if (op === BPF_NEG) return { dest: REG_A, value: values.alu(op, r[REG_A], r[REG_A]), mayFail: false };
      const byX = bpfSrc(stmt.code) === BPF_X;
      const right = byX ? r[REG_X] : values.constant(stmt.k);
      const value = values.alu(op, r[REG_A], right);
      const mayFail = byX && (op === BPF_DIV || op === BPF_MOD) && factOf(values, s, right).lo === 0 && !held(s, value);
      return { dest: REG_A, value, mayFail };
    }
    default:
      return (stmt.code & 0xf8) === BPF_TXA ? { dest: REG_A, value: r[REG_X], mayFail: false } : { dest: REG_X, value: r[REG_A], mayFail: false };
  }
}

/**
 * Applies one statement to a state in place; returns its effect.
 *
 * @example
 * for (const st of block.stmts) execute(values, state, st);
 */
export function execute(values: Values, s: State, stmt: Stmt): Effect {
  const effect = effectOf(values, s, stmt);
  s.regs[effect.dest] = effect.value;
  const end = absoluteEnd(stmt);
  if (end !== undefined && end > s.extent) s.extent = end;
  const mode = bpfMode(stmt.code), cls = bpfClass(stmt.code);
  const packetLoad = (cls === BPF_LD && (mode === BPF_ABS || mode === BPF_IND)) || (cls === BPF_LDX && mode === BPF_MSH);
  if (packetLoad && !s.loaded.includes(effect.value)) s.loaded = [...s.loaded, effect.value];
  return effect;
}

/**
 * The comparison a branch block makes in a state (after its statements).
 * A comparison with an X known to be constant is a comparison with that constant.
 *
 * @example
 * const cmp = comparisonOf(values, exitState, block);
 */
export function comparisonOf(values: Values, s: State, b: Block): Comparison {
  const op = bpfOp(b.code), a = s.regs[REG_A];
  if (bpfSrc(b.code) !== BPF_X) return { op, a, k: b.k };
  const x = s.regs[REG_X];
  const k = values.constantOf(x);
  return k !== undefined ? { op, a, k } : { op, a, x };
}

/**
 * Whether a comparison's outcome is known in a state.
 *
 * @example
 * decideComparison(values, state, cmp) // true, false or undefined
 */
export function decideComparison(values: Values, s: State, cmp: Comparison): boolean | undefined {
  if (cmp.k !== undefined) return decide(factOf(values, s, cmp.a), cmp.op, cmp.k);
  if (cmp.a === cmp.x) {
    if (cmp.op === BPF_JEQ || cmp.op === BPF_JGE) return true;
    if (cmp.op === BPF_JGT) return false;
  }
  return undefined;
}

/**
 * The state along one edge of a comparison: the facts learnt from the
 * outcome added; null when the outcome is impossible in the state. With
 * `reuse`, `s` itself becomes that state (for a caller done with it).
 *
 * @example
 * const onTrue = alongEdge(values, exit, cmp, true);
 */
export function alongEdge(values: Values, s: State, cmp: Comparison, outcome: boolean, reuse = false): State | null {
  if (cmp.k === undefined) return reuse ? s : copyState(s);
  const known = factOf(values, s, cmp.a);
  const fact = refine(known, cmp.op, cmp.k, outcome);
  if (fact === null) return null;
  const next = reuse ? s : copyState(s);
  // Nothing learnt: factOf gives the same answer from the shared list.
  if (fact === known) return next;
  const facts: FactEntry[] = [];
  for (const e of s.facts) if (e.vn !== cmp.a) facts.push(e);
  facts.push({ vn: cmp.a, fact });
  next.facts = facts;
  return next;
}

/**
 * Whether an edge of a comparison can be taken in a state (alongEdge would
 * not return null), without building the edge's state.
 *
 * @example
 * if (!feasible(values, exit, cmp, true)) … // the true edge is never taken
 */
export function feasible(values: Values, s: State, cmp: Comparison, outcome: boolean): boolean {
  return cmp.k === undefined || refine(factOf(values, s, cmp.a), cmp.op, cmp.k, outcome) !== null;
}

/**
 * Whether every run entering `b` in state `sim` comes to a good end: `end`
 * judges a block where runs stop (true or false) or lets them through
 * (undefined). A statement that may fail ends the run with 0, which counts
 * as a good end only when `failuresEnd` says so (a reject is what the
 * caller wants). False when the walk would look at more than `budget.left`
 * blocks (it spends them). `sim` is changed.
 *
 * @example
 * everyRunEnds(values, b, copyState(state), { left: 32 }, (x) => (x.code === BPF_RET ? x.k === 0 : undefined), true)
 */
export function everyRunEnds(values: Values, b: Block, sim: State, budget: { left: number },
  end: (b: Block) => boolean | undefined, failuresEnd: boolean): boolean {
  for (;;) {
    const verdict = end(b);
    if (verdict !== undefined) return verdict;
    if (b.opaque || budget.left-- <= 0) return false;
    for (const s of b.stmts) if (execute(values, sim, s).mayFail && !failuresEnd) return false;
    const cmp = comparisonOf(values, sim, b);
    const outcome = decideComparison(values, sim, cmp);
    if (outcome !== undefined) { b = outcome ? b.jt! : b.jf!; continue; }
    const onTrue = alongEdge(values, sim, cmp, true), onFalse = alongEdge(values, sim, cmp, false, true);
    if (onTrue && !everyRunEnds(values, b.jt!, onTrue, budget, end, failuresEnd)) return false;
    if (!onFalse) return true;
    b = b.jf!;
    sim = onFalse;
  }
}

/** Hooks of a forward sweep. */
export interface Visitor {
  /** Sees a reachable block with its entry state before it is executed; may rewrite its statements. */
  block?(b: Block, entry: State): void;
  /** Sees a branch's outcome when the exit state decides it (before any edge is followed). */
  decided?(b: Block, outcome: boolean): void;
  /** Sees one feasible edge and its state; returns the block the edge should go to instead, if any. */
  edge?(b: Block, side: 'jt' | 'jf', state: State): Block | undefined;
}

/**
 * Runs the analysis over the graph in topological order, calling the
 * visitor. Redirected edges must only go to blocks later in the original
 * topological order (a successor of the old target or of the branch), which
 * keeps every block's incoming states complete when it is reached, or to a
 * bare return (never analysed). `order` is the
 * graph's topological order when the caller has it already.
 *
 * @example
 * sweep(cfg, new Values(true), { block(b, entry) { … } });
 */
export function sweep(cfg: Cfg, values: Values, visitor: Visitor, order: readonly Block[] = topologicalOrder(cfg)): void {
  // States waiting at each block, by block id (ids are small and unique within a graph).
  const incoming: Array<State[] | undefined> = [];
  incoming[cfg.root.id] = [initialState(values)];
  for (const b of order) {
    const states = incoming[b.id];
    if (!states) continue;
    incoming[b.id] = undefined;
    if (isReturn(b) && b.stmts.length === 0) continue;
    const entry = meetStates(values, states);
    visitor.block?.(b, entry);
    if (isReturn(b)) continue;
    const exit = entry;
    for (const st of b.stmts) execute(values, exit, st);
    const cmp = comparisonOf(values, exit, b);
    const outcome = decideComparison(values, exit, cmp);
    if (outcome !== undefined) visitor.decided?.(b, outcome);
    for (let t = 0; t < 2; t++) {
      const side = t === 0 ? 'jt' : 'jf';
      if (outcome !== undefined && outcome !== (side === 'jt')) continue;
      const to = b[side]!;
      // Nothing would look at the state of an edge to a bare return.
      if (!visitor.edge && isReturn(to) && to.stmts.length === 0) continue;
      // The last edge taken from the block gets the exit state itself: one copy fewer per block.
      const state = alongEdge(values, exit, cmp, side === 'jt', t === 1 || outcome !== undefined);
      if (state === null) continue;
      const moved = visitor.edge?.(b, side, state);
      if (moved) b[side] = moved;
      const target = b[side]!;
      // A bare return has nothing to analyse: holding the thousands of states
      // an accepting return collects in a long `or` chain, and meeting them,
      // would only cost time and memory.
      if (isReturn(target) && target.stmts.length === 0) continue;
      const list = incoming[target.id];
      if (list) list.push(state); else incoming[target.id] = [state];
    }
  }
}
