// Implements docs/protocol.md §4 (client protocol): the public surface of shared/protocol.
export * from './api.js';
export { ChatEngine } from './engine.js';
export { BODY_VERSION, BodyType, decodeBody, deriveSessionId, contactIdOf } from './body.js';
export { decodePayload, encodePayload, type Payload } from './payload.js';
export { MemoryStorage, createMemoryNetwork, type MemoryNetwork } from './memory.js';
