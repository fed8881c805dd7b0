// In-memory EngineStorage and network for docs/protocol.md §4 (tests and benchmarks).
export { MemoryStorage } from './memory-storage.js';
export { createMemoryNetwork, type MemoryMailboxHost, type MemoryNetwork } from './memory-network.js';
