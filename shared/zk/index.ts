// Implements docs/zk.md: the public surface of shared/zk. verify.ts is separate because it loads
// snarkjs; the rest is small and pure.
export * from './field.js';
export * from './identity.js';
export * from './tree.js';
export * from './membership.js';
export * from './nullifiers.js';
