// Implements docs/protocol.md §3 (end to end): the public surface of shared/crypto.
export * from './primitives.js';
export * from './mlkem.js';
export * from './identity.js';
export * from './onion.js';
export * from './contact-card.js';
export * from './prekeys.js';
export * from './x3dh.js';
export * from './ratchet.js';
export * from './ratchet-state.js';
export * from './backup.js';
