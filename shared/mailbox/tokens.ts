// Deposit tokens, docs/protocol.md §5.4: RFC 9497 VOPRF, ristretto255-SHA512 (@noble/curves). The
// holder's gateway keeps one token key pair, evaluates blinded inputs for account holders with a batch
// DLEQ proof, and later checks a spent token `x || y` by recomputing Evaluate(sk, x). The client blinds
// random inputs and finalizes the evaluations, verifying the proof against the holder's `okey`, so the
// holder cannot tag tokens per account and cannot link a spent token to its issuance.
import { ristretto255_oprf } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { abytes, concatBytes, equalBytes } from '../util/bytes.js';
import { ChattorError } from '../util/errors.js';
import {
  ELEMENT_BYTES,
  ISSUE_MAX,
  KEY_ID_BYTES,
  PROOF_BYTES,
  PUBLIC_KEY_BYTES,
  TOKEN_BYTES,
  TOKEN_INPUT_BYTES,
  TOKEN_OUTPUT_BYTES,
} from '../wire/mailbox.js';

/** Random bytes of the given length (tests pass a seeded one). */
export type TokenRng = (bytesLength: number) => Uint8Array;

export const SECRET_KEY_BYTES = 32;
/** `okey = keyId (8) || publicKey (32)`, how a holder names its token key (§5.2). */
export const OKEY_BYTES = KEY_ID_BYTES + PUBLIC_KEY_BYTES;

// RFC 9497 §3.3.2 defines Evaluate for the VOPRF mode too; noble implements it (voprf.evaluate) but
// its type declaration lists it for POPRF only. The version is pinned; the spec checks Evaluate
// against the blind/evaluate/finalize round trip, so a change here cannot pass unnoticed.
const voprf = ristretto255_oprf.voprf as typeof ristretto255_oprf.voprf & {
  evaluate(secretKey: Uint8Array, input: Uint8Array): Uint8Array;
};

const nobleRng = (rng: TokenRng) => (n?: number) => rng(n ?? 32);

export interface TokenKey {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** A fresh token key pair for a holder's gateway. */
export function generateTokenKey(): TokenKey {
  const { secretKey, publicKey } = voprf.generateKeyPair();
  return { secretKey, publicKey };
}

/** `keyId = SHA-256(publicKey)[0..8)`. */
export function keyIdOf(publicKey: Uint8Array): Uint8Array {
  abytes(publicKey, PUBLIC_KEY_BYTES, 'publicKey');
  return sha256(publicKey).slice(0, KEY_ID_BYTES);
}

/** `keyId || publicKey`, sent in `holding` and returned by `OpenMailboxAccount`. */
export function okeyOf(publicKey: Uint8Array): Uint8Array {
  return concatBytes(keyIdOf(publicKey), publicKey);
}

/** Splits an `okey` and checks that its keyId belongs to its public key. */
export function parseOkey(okey: Uint8Array): { keyId: Uint8Array; publicKey: Uint8Array } {
  abytes(okey, OKEY_BYTES, 'okey');
  const keyId = okey.slice(0, KEY_ID_BYTES);
  const publicKey = okey.slice(KEY_ID_BYTES);
  if (!equalBytes(keyId, keyIdOf(publicKey)))
    throw new ChattorError('E_BAD_INPUT', 'okey: keyId does not match the public key');
  return { keyId, publicKey };
}

/** `SHA-256(x)`: what the holder remembers of a spent token. */
export function spentIdOf(token: Uint8Array): Uint8Array {
  abytes(token, TOKEN_BYTES, 'token');
  return sha256(token.subarray(0, TOKEN_INPUT_BYTES));
}

// ── holder (gateway) ──────────────────────────────────────────────────────────────────────────────

/**
 * Evaluates 1..64 blinded elements with one batch DLEQ proof (RFC 9497 BlindEvaluateBatch).
 * Throws E_BAD_INPUT if an element is not a valid non-identity ristretto255 encoding.
 */
export function issueTokens(
  secretKey: Uint8Array,
  publicKey: Uint8Array,
  blinded: readonly Uint8Array[],
  rng: TokenRng = randomBytes,
): { evaluated: Uint8Array[]; proof: Uint8Array } {
  abytes(secretKey, SECRET_KEY_BYTES, 'secretKey');
  abytes(publicKey, PUBLIC_KEY_BYTES, 'publicKey');
  if (!Array.isArray(blinded) || blinded.length < 1 || blinded.length > ISSUE_MAX)
    throw new ChattorError('E_BAD_INPUT', `blinded must hold 1..${ISSUE_MAX} elements`);
  for (const b of blinded) abytes(b, ELEMENT_BYTES, 'blinded element');
  try {
    const { evaluated, proof } = voprf.blindEvaluateBatch(secretKey, publicKey, [...blinded], nobleRng(rng));
    return { evaluated, proof };
  } catch (cause) {
    throw new ChattorError('E_BAD_INPUT', 'a blinded element is not a valid ristretto255 element', { cause });
  }
}

/**
 * True if `token = x (32) || y (64)` was issued under `secretKey`: recomputes Evaluate(sk, x) and
 * compares it with y in constant time. False on any malformed input; never throws.
 */
export function verifyToken(secretKey: Uint8Array, token: Uint8Array): boolean {
  if (!(token instanceof Uint8Array) || token.length !== TOKEN_BYTES) return false;
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_BYTES) return false;
  let expected: Uint8Array;
  try {
    expected = voprf.evaluate(secretKey, token.subarray(0, TOKEN_INPUT_BYTES));
  } catch {
    return false;
  }
  return expected.length === TOKEN_OUTPUT_BYTES && equalBytes(expected, token.subarray(TOKEN_INPUT_BYTES));
}

// ── client (the account holder R, minting for its friends) ────────────────────────────────────────

/** What `blindTokens` keeps until the holder answers; `blinded` goes into `ISSUE`. */
export interface TokenBlinds {
  inputs: Uint8Array[];
  blinds: Uint8Array[];
  blinded: Uint8Array[];
}

/** Blinds n (1..64) random 32-byte inputs. */
export function blindTokens(n: number, rng: TokenRng = randomBytes): TokenBlinds {
  if (!Number.isInteger(n) || n < 1 || n > ISSUE_MAX)
    throw new ChattorError('E_BAD_INPUT', `n must be an integer in 1..${ISSUE_MAX}`);
  const out: TokenBlinds = { inputs: [], blinds: [], blinded: [] };
  for (let i = 0; i < n; i++) {
    const x = abytes(rng(TOKEN_INPUT_BYTES), TOKEN_INPUT_BYTES, 'rng output');
    const { blind, blinded } = voprf.blind(x, nobleRng(rng));
    out.inputs.push(x);
    out.blinds.push(blind);
    out.blinded.push(blinded);
  }
  return out;
}

/**
 * Verifies the holder's batch proof against `publicKey` (from the `okey` R got in `holding`, never from
 * the reply) and returns the tokens `x || y`. Throws E_MAILBOX if the proof or an element is bad: the
 * holder did not evaluate with the key it announced.
 */
export function finalizeTokens(
  state: TokenBlinds,
  evaluated: readonly Uint8Array[],
  proof: Uint8Array,
  publicKey: Uint8Array,
): Uint8Array[] {
  abytes(publicKey, PUBLIC_KEY_BYTES, 'publicKey');
  abytes(proof, PROOF_BYTES, 'proof');
  const n = state.blinded.length;
  if (evaluated.length !== n || state.inputs.length !== n || state.blinds.length !== n)
    throw new ChattorError('E_MAILBOX', `expected ${n} evaluated elements, got ${evaluated.length}`);
  for (const e of evaluated) abytes(e, ELEMENT_BYTES, 'evaluated element');
  let outputs: Uint8Array[];
  try {
    outputs = voprf.finalizeBatch(
      state.inputs.map((input, i) => ({
        input,
        blind: state.blinds[i]!,
        blinded: state.blinded[i]!,
        evaluated: evaluated[i]!,
      })),
      publicKey,
      proof,
    );
  } catch (cause) {
    throw new ChattorError('E_MAILBOX', 'the holder’s token proof does not verify', { cause });
  }
  return outputs.map((y, i) => concatBytes(state.inputs[i]!, y));
}
