// The public surface of src/decode/, re-exported by src/index.ts. Each module adds its exports here.
export {};
