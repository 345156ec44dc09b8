// The public surface of src/pcap/, re-exported by src/index.ts. Each module adds its exports here.
export {};
