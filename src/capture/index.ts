// The public surface of src/capture/, re-exported by src/index.ts. Each module adds its exports here.
export {};
