// The public surface of src/craft/, re-exported by src/index.ts. Each module adds its exports here.
export {};
