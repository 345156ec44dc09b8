// The public surface of src/ebpf/, re-exported by src/index.ts.
export * from './opcodes.js';
export {
  type EbpfInstruction, type EbpfProgram, EbpfInstructionError, ebpfInsn, ebpfToBytes, ebpfFromBytes,
  isLdImm64, ldImm64, ldImm64Value, ldMapFd,
} from './insn.js';
/** The instruction builders (mov64Imm, ldxMem, jmpImm, exit ...) under one name: `ebpfAsm.exit()`. */
export * as ebpfAsm from './insn.js';
export * from './text.js';
export * from './interpreter.js';
export * from './translate.js';
export * from './loader.js';
export * from './maps.js';
export * from './xdp.js';
export * from './xdp-session.js';
export * from './socket.js';
export * from './live.js';
