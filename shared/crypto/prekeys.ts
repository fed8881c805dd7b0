// Implements docs/protocol.md §3.3–3.4 (prekeys: the owner's side of the card's prekey bundle).
import { signPrekey, type ContactCardFields } from './contact-card.js';
import type { Identity } from './identity.js';
import { kemGenerate, type KemKeyPair } from './mlkem.js';
import { defaultRng, generateDhKey, type RawKeyPair, type Rng } from './primitives.js';
import type { PrekeyLookup } from './x3dh.js';

export interface PrekeySecrets {
  readonly signedPrekey: { readonly id: number; readonly keyPair: RawKeyPair };
  readonly kemPrekey?: { readonly id: number; readonly keyPair: KemKeyPair };
  readonly oneTimePrekeys: readonly { readonly id: number; readonly keyPair: RawKeyPair }[];
}

export type PrekeyBundle = Pick<ContactCardFields, 'signedPrekey' | 'kemPrekey' | 'oneTimePrekeys'>;

function randomId(rng: Rng, used: Set<number>): number {
  for (;;) {
    const b = rng(4);
    const id = ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
    if (!used.has(id)) {
      used.add(id);
      return id;
    }
  }
}

/** Fresh prekeys and their signed public halves, ready for `signContactCard`. */
export async function generatePrekeys(
  identity: Identity,
  opts: { readonly kem?: boolean; readonly oneTime?: number; readonly rng?: Rng } = {},
): Promise<{ secrets: PrekeySecrets; bundle: PrekeyBundle }> {
  const rng = opts.rng ?? defaultRng;
  const used = new Set<number>();
  const spk = { id: randomId(rng, used), keyPair: await generateDhKey(rng) };
  const kem = opts.kem === false ? undefined : { id: randomId(rng, used), keyPair: kemGenerate(rng) };
  const oneTimePrekeys = [];
  for (let i = 0; i < (opts.oneTime ?? 0); i++)
    oneTimePrekeys.push({ id: randomId(rng, used), keyPair: await generateDhKey(rng) });
  const bundle: PrekeyBundle = {
    signedPrekey: await signPrekey(identity, 'x25519', spk.id, spk.keyPair.publicKey),
    ...(kem ? { kemPrekey: await signPrekey(identity, 'ml-kem-768', kem.id, kem.keyPair.publicKey) } : {}),
    oneTimePrekeys: oneTimePrekeys.map((k) => ({ id: k.id, publicKey: k.keyPair.publicKey })),
  };
  return { secrets: { signedPrekey: spk, ...(kem ? { kemPrekey: kem } : {}), oneTimePrekeys }, bundle };
}

/** An in-memory PrekeyLookup; one-time prekeys are removed once looked up successfully by the caller. */
export function prekeyLookup(secrets: PrekeySecrets): PrekeyLookup {
  return {
    signedPrekey: (id) => (id === secrets.signedPrekey.id ? secrets.signedPrekey.keyPair : undefined),
    oneTimePrekey: (id) => secrets.oneTimePrekeys.find((k) => k.id === id)?.keyPair,
    kemPrekey: (id) => (secrets.kemPrekey?.id === id ? secrets.kemPrekey.keyPair : undefined),
  };
}
