// The public surface of src/filter/, re-exported by src/index.ts. Each module adds its exports here.
export {};
