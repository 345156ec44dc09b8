// The public surface of src/capture/, re-exported by src/index.ts. Each module adds its exports here.
export {
  openLive, LiveCapture,
  type LiveOptions, type Direction, type CaptureStats, type LiveBatch,
  type KernelFilterAttacher, type KernelFilterAttachment, type SetFilterOptions,
} from './live.js';
export {
  listInterfaces, formatInterfaceList, NoSuchInterfaceError,
  type InterfaceInfo as LiveInterfaceInfo, type InterfaceAddress, type ConnectionStatus,
} from './interfaces.js';
export { CaptureError, type CaptureErrorCode } from './errors.js';
export { formatCaptureStats } from './stats.js';
export { SyscallError } from './syscalls.js';
export { RingGeometryError } from './tpacket.js';
