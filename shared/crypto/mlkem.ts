// Implements docs/protocol.md §3.1 (KEM): ML-KEM-768 via WebCrypto where `encapsulateBits` works
// (Chromium), else @noble/post-quantum. Private keys are kept as the 64-byte FIPS 203 seed d || z.
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { ChattorError } from '../util/errors.js';
import { abytes } from '../util/bytes.js';
import { buf, defaultRng, type Rng } from './primitives.js';

export const KEM_PUBLIC_KEY_BYTES = 1184;
export const KEM_CIPHERTEXT_BYTES = 1088;
export const KEM_SEED_BYTES = 64;
const ALG = { name: 'ML-KEM-768' };

export interface KemKeyPair {
  readonly publicKey: Uint8Array;
  /** 64-byte seed d || z. */
  readonly seed: Uint8Array;
}

// WebCrypto's ML-KEM (WICG "modern algorithms") is not in TypeScript's DOM typings yet.
interface KemSubtle {
  importKey(
    format: string,
    data: BufferSource,
    alg: object,
    extractable: boolean,
    usages: string[],
  ): Promise<CryptoKey>;
  encapsulateBits(alg: object, key: CryptoKey): Promise<{ sharedKey: ArrayBuffer; ciphertext: ArrayBuffer }>;
  decapsulateBits(alg: object, key: CryptoKey, ciphertext: BufferSource): Promise<ArrayBuffer>;
}

let useWebCrypto: Promise<KemSubtle | null> | undefined;
let forceNoble = false;

/** Tests: exercise the @noble path even where WebCrypto has ML-KEM. */
export function setKemBackend(mode: 'auto' | 'noble'): void {
  forceNoble = mode === 'noble';
  useWebCrypto = undefined;
}

export async function kemBackend(): Promise<'webcrypto' | 'noble'> {
  return (await webKem()) ? 'webcrypto' : 'noble';
}

async function webKem(): Promise<KemSubtle | null> {
  useWebCrypto ??= (async () => {
    const subtle = globalThis.crypto?.subtle as unknown as Partial<KemSubtle> | undefined;
    if (forceNoble || typeof subtle?.encapsulateBits !== 'function') return null;
    const s = subtle as KemSubtle;
    try {
      const { publicKey } = ml_kem768.keygen(new Uint8Array(64).fill(1));
      const key = await s.importKey('raw-public', buf(publicKey), ALG, true, ['encapsulateBits']);
      await s.encapsulateBits(ALG, key);
      return s;
    } catch {
      return null;
    }
  })();
  return useWebCrypto;
}

/** Key generation always uses @noble (a prekey is made rarely; the seed is what gets stored). */
export function kemGenerate(rng: Rng = defaultRng): KemKeyPair {
  const seed = abytes(rng(KEM_SEED_BYTES), KEM_SEED_BYTES, 'rng output');
  return { publicKey: ml_kem768.keygen(seed).publicKey, seed };
}

/**
 * With an explicit `rng` (vectors) the encapsulation randomness comes from it, which only @noble
 * accepts; otherwise WebCrypto where available.
 */
export async function kemEncapsulate(
  publicKey: Uint8Array,
  rng?: Rng,
): Promise<{ ciphertext: Uint8Array; sharedSecret: Uint8Array }> {
  abytes(publicKey, KEM_PUBLIC_KEY_BYTES, 'kemPublicKey');
  const s = rng ? null : await webKem();
  try {
    if (s === null) {
      const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, rng ? rng(32) : undefined);
      return { ciphertext: cipherText, sharedSecret };
    }
    const key = await s.importKey('raw-public', buf(publicKey), ALG, true, ['encapsulateBits']);
    const r = await s.encapsulateBits(ALG, key);
    return { ciphertext: new Uint8Array(r.ciphertext), sharedSecret: new Uint8Array(r.sharedKey) };
  } catch (cause) {
    throw new ChattorError('E_BAD_INPUT', 'invalid ML-KEM-768 public key', { cause });
  }
}

export async function kemDecapsulate(seed: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array> {
  abytes(seed, KEM_SEED_BYTES, 'kemSeed');
  abytes(ciphertext, KEM_CIPHERTEXT_BYTES, 'kemCiphertext');
  const s = await webKem();
  if (s === null) return ml_kem768.decapsulate(ciphertext, ml_kem768.keygen(seed).secretKey);
  const key = await s.importKey('raw-seed', buf(seed), ALG, false, ['decapsulateBits']);
  return new Uint8Array(await s.decapsulateBits(ALG, key, buf(ciphertext)));
}
