// The machine's public surface: re-exported by src/index.ts.
export * from './opcodes.js';
export * from './program.js';
export * from './linktypes.js';
export * from './batch.js';
export * from './context.js';
export * from './interpreter.js';
export * from './image.js';
export * from './verifier.js';
export * from './assemble-error.js';
export * from './text.js';
export * from './builders.js';
export * from './canonical.js';
export { jit, jitBatch, jitBatchSelect, jitSource, type CompiledFilter, type CompiledBatchFilter, type JitOptions } from './jit.js';
export { JitError } from './jit-check.js';
export { PacketArena, ArenaError, arenaOf, batchArena, wasmBatch, wasmBatchSelect, wasmEngine, wasmBytes, type ArenaBatch, type WasmEngine } from './wasm.js';
export { Matcher, MatcherError, createMatcher, type MatcherOptions, type MatchEngine, type BatchEngineCounts } from './filter.js';
