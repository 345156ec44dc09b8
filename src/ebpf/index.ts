// The public surface of src/ebpf/, re-exported by src/index.ts. Each module adds its exports here.
export {};
