import { ristretto255_oprf } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { isChattorError } from '../util/errors.js';
import {
  blindTokens,
  finalizeTokens,
  generateTokenKey,
  issueTokens,
  keyIdOf,
  okeyOf,
  parseOkey,
  spentIdOf,
  verifyToken,
} from './tokens.js';

function mint(n: number, key = generateTokenKey()) {
  const state = blindTokens(n);
  const { evaluated, proof } = issueTokens(key.secretKey, key.publicKey, state.blinded);
  return { key, state, evaluated, proof, tokens: finalizeTokens(state, evaluated, proof, key.publicKey) };
}

describe('deposit tokens (§5.4)', () => {
  it('round-trips: minted tokens verify under the key that issued them', () => {
    const { key, tokens } = mint(8);
    expect(tokens).toHaveLength(8);
    for (const t of tokens) {
      expect(t).toHaveLength(96);
      expect(verifyToken(key.secretKey, t)).toBe(true);
    }
    expect(new Set(tokens.map((t) => spentIdOf(t).join())).size).toBe(8);
  });

  it('agrees with the standard VOPRF round trip (Evaluate = Finalize of BlindEvaluate)', () => {
    const { voprf } = ristretto255_oprf;
    const key = generateTokenKey();
    const x = new Uint8Array(32).fill(7);
    const b = voprf.blind(x);
    const ev = voprf.blindEvaluate(key.secretKey, key.publicKey, b.blinded);
    const y = voprf.finalize(x, b.blind, ev.evaluated, b.blinded, key.publicKey, ev.proof);
    const token = new Uint8Array(96);
    token.set(x);
    token.set(y, 32);
    expect(verifyToken(key.secretKey, token)).toBe(true);
  });

  it('refuses a token from another key and any tampered token', () => {
    const { key, tokens } = mint(2);
    const other = generateTokenKey();
    expect(verifyToken(other.secretKey, tokens[0]!)).toBe(false);
    for (const at of [0, 31, 32, 95]) {
      const bad = tokens[0]!.slice();
      bad[at]! ^= 1;
      expect(verifyToken(key.secretKey, bad)).toBe(false);
    }
    // A token is not transferable between inputs: x of one with y of another fails.
    const swapped = tokens[0]!.slice();
    swapped.set(tokens[1]!.subarray(32), 32);
    expect(verifyToken(key.secretKey, swapped)).toBe(false);
    expect(verifyToken(key.secretKey, new Uint8Array(95))).toBe(false);
    expect(verifyToken(new Uint8Array(3), tokens[0]!)).toBe(false);
  });

  it('refuses a bad proof, a proof for another key and a missing evaluation', () => {
    const { key, state, evaluated, proof } = mint(3);
    const flipped = proof.slice();
    flipped[5]! ^= 1;
    const fails = (fn: () => unknown) => {
      try {
        fn();
        return false;
      } catch (e) {
        return isChattorError(e, 'E_MAILBOX');
      }
    };
    expect(fails(() => finalizeTokens(state, evaluated, flipped, key.publicKey))).toBe(true);
    expect(fails(() => finalizeTokens(state, evaluated, proof, generateTokenKey().publicKey))).toBe(true);
    expect(fails(() => finalizeTokens(state, evaluated.slice(1), proof, key.publicKey))).toBe(true);
    // A holder that evaluates with a second (tagging) key cannot pass it off as its announced one.
    const tagger = generateTokenKey();
    const tagged = issueTokens(tagger.secretKey, tagger.publicKey, state.blinded);
    expect(fails(() => finalizeTokens(state, tagged.evaluated, tagged.proof, key.publicKey))).toBe(true);
    const swapped = [evaluated[1]!, evaluated[0]!, evaluated[2]!];
    expect(fails(() => finalizeTokens(state, swapped, proof, key.publicKey))).toBe(true);
  });

  it('checks issuance input', () => {
    const key = generateTokenKey();
    expect(() => issueTokens(key.secretKey, key.publicKey, [])).toThrow(/1..64/);
    expect(() => issueTokens(key.secretKey, key.publicKey, [new Uint8Array(32)])).toThrow(/ristretto255/);
    expect(() => issueTokens(key.secretKey, key.publicKey, [new Uint8Array(32).fill(0xff)])).toThrow(
      /ristretto255/,
    );
    expect(() => blindTokens(0)).toThrow(/1..64/);
    expect(() => blindTokens(65)).toThrow(/1..64/);
    expect(blindTokens(64).blinded).toHaveLength(64);
  });

  it('names keys by keyId and okey', () => {
    const key = generateTokenKey();
    const okey = okeyOf(key.publicKey);
    expect(okey).toHaveLength(40);
    expect(parseOkey(okey)).toEqual({ keyId: keyIdOf(key.publicKey), publicKey: key.publicKey });
    const bad = okey.slice();
    bad[0]! ^= 1;
    expect(() => parseOkey(bad)).toThrow(/keyId/);
  });
});
