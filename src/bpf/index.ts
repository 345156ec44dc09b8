// The machine's public surface: re-exported by src/index.ts.
export * from './opcodes.js';
export * from './program.js';
export * from './linktypes.js';
export * from './batch.js';
