// The public surface of src/demux/, re-exported by src/index.ts. Each module adds its exports here.
export {};
