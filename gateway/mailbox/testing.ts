// Test helpers for the mailbox store and service: temp data dirs, a settable clock, envelopes and
// tokens minted the way a client would (shared/mailbox/tokens.ts). Used by specs only.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blindTokens, finalizeTokens, issueTokens } from '../../shared/mailbox/tokens.js';
import type { TokenKey } from '../../shared/mailbox/tokens.js';

export const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

export function tempDir(prefix = 'chattor-mbx-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function clock(start = T0): { now: () => number; t: number; advance(ms: number): void } {
  const c = {
    t: start,
    now: () => c.t,
    advance: (ms: number) => {
      c.t += ms;
    },
  };
  return c;
}

export const rand = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/** An envelope of `size` bytes (a bucket size), random so every one has its own hash. */
export const envelope = (size = 1024): Uint8Array => rand(size);

/** Tokens minted under `key` as a client would, proof checked. */
export function mintTokens(key: TokenKey, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  while (out.length < n) {
    const k = Math.min(64, n - out.length);
    const state = blindTokens(k);
    const { evaluated, proof } = issueTokens(key.secretKey, key.publicKey, state.blinded);
    out.push(...finalizeTokens(state, evaluated, proof, key.publicKey));
  }
  return out;
}
