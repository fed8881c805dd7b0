// Implements docs/protocol.md §3.2 (identity: IKs certifies IKd and the device key DK).
import { abytes, concatBytes } from '../util/bytes.js';
import { domain, Reader, Writer } from './codec.js';
import {
  defaultRng,
  dhKeyFromPrivate,
  sign,
  signingKeyFromSeed,
  verify,
  type KeyPair,
  type Rng,
} from './primitives.js';

export const DH_CERT_LABEL = 'chattor/v1/dh-cert';
export const DEVICE_CERT_LABEL = 'chattor/v1/device-cert';
export const IDENTITY_SECRETS_BYTES = 97;
export const ENCODED_IDENTITY_KEY_BYTES = 65;

export interface Identity {
  /** IKs — its public key is the identity. */
  readonly signing: KeyPair;
  /** IKd — X25519 identity DH key. */
  readonly dh: KeyPair;
  readonly dhCert: Uint8Array;
  /** DK — Ed25519 device key. */
  readonly device: KeyPair;
  readonly deviceCert: Uint8Array;
}

/** The raw private bytes: what a backup holds (§3.6). Wipe with `wipeIdentitySecrets` after use. */
export interface IdentitySecrets {
  readonly signingSeed: Uint8Array;
  readonly dhPrivate: Uint8Array;
  readonly deviceSeed: Uint8Array;
}

export interface LoadOptions {
  /** Default true: non-extractable CryptoKeys where WebCrypto has Ed25519/X25519 (§3.2). */
  readonly nonExtractable?: boolean;
}

/**
 * Generates the raw secrets once (so they can go into a backup) and loads them as an Identity.
 * The caller seals `secrets` into the backup and then calls `wipeIdentitySecrets(secrets)`.
 */
export async function generateIdentity(
  opts: LoadOptions & { readonly rng?: Rng } = {},
): Promise<{ identity: Identity; secrets: IdentitySecrets }> {
  const rng = opts.rng ?? defaultRng;
  const secrets: IdentitySecrets = {
    signingSeed: abytes(rng(32), 32, 'rng output'),
    dhPrivate: abytes(rng(32), 32, 'rng output'),
    deviceSeed: abytes(rng(32), 32, 'rng output'),
  };
  return { identity: await loadIdentity(secrets, opts), secrets };
}

export async function loadIdentity(secrets: IdentitySecrets, opts: LoadOptions = {}): Promise<Identity> {
  const keyOpts = { nonExtractable: opts.nonExtractable ?? true };
  const signing = await signingKeyFromSeed(abytes(secrets.signingSeed, 32, 'signingSeed'), keyOpts);
  const dh = await dhKeyFromPrivate(abytes(secrets.dhPrivate, 32, 'dhPrivate'), keyOpts);
  const device = await signingKeyFromSeed(abytes(secrets.deviceSeed, 32, 'deviceSeed'), keyOpts);
  // Ed25519 is deterministic: the certificates are the same every time the identity is loaded.
  const dhCert = await sign(signing.privateKey, domain(DH_CERT_LABEL, dh.publicKey));
  const deviceCert = await sign(signing.privateKey, domain(DEVICE_CERT_LABEL, device.publicKey));
  return { signing, dh, dhCert, device, deviceCert };
}

export function wipeIdentitySecrets(secrets: IdentitySecrets): void {
  secrets.signingSeed.fill(0);
  secrets.dhPrivate.fill(0);
  secrets.deviceSeed.fill(0);
}

export function encodeIdentitySecrets(secrets: IdentitySecrets): Uint8Array {
  return new Writer()
    .u8(1)
    .bytes(abytes(secrets.signingSeed, 32, 'signingSeed'))
    .bytes(abytes(secrets.dhPrivate, 32, 'dhPrivate'))
    .bytes(abytes(secrets.deviceSeed, 32, 'deviceSeed'))
    .finish();
}

export function decodeIdentitySecrets(bytes: Uint8Array): IdentitySecrets {
  const r = new Reader(abytes(bytes, undefined, 'identitySecrets'), 'identitySecrets');
  if (r.u8('v') !== 1) throw r.fail('unknown version');
  const s = { signingSeed: r.bytes(32, 'signingSeed'), dhPrivate: r.bytes(32, 'dhPrivate') };
  const out = { ...s, deviceSeed: r.bytes(32, 'deviceSeed') };
  r.end();
  return out;
}

/** `Encode(IK) = 0x01 || IKs.pub || IKd.pub` (§3.2). */
export function encodeIdentityKey(signingPublic: Uint8Array, dhPublic: Uint8Array): Uint8Array {
  return concatBytes(
    Uint8Array.of(1),
    abytes(signingPublic, 32, 'signingPublic'),
    abytes(dhPublic, 32, 'dhPublic'),
  );
}

export async function verifyDhCert(
  signingPublic: Uint8Array,
  dhPublic: Uint8Array,
  dhCert: Uint8Array,
): Promise<boolean> {
  if (!(dhPublic instanceof Uint8Array) || dhPublic.length !== 32) return false;
  return verify(signingPublic, domain(DH_CERT_LABEL, dhPublic), dhCert);
}

export async function verifyDeviceCert(
  signingPublic: Uint8Array,
  devicePublic: Uint8Array,
  deviceCert: Uint8Array,
): Promise<boolean> {
  if (!(devicePublic instanceof Uint8Array) || devicePublic.length !== 32) return false;
  return verify(signingPublic, domain(DEVICE_CERT_LABEL, devicePublic), deviceCert);
}
