// Test helpers for the §3 specs (imported only by *.spec.ts): both backends, ready-made parties.
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { signContactCard, type ContactCard } from './contact-card.js';
import { generateIdentity, type Identity } from './identity.js';
import { setKemBackend } from './mlkem.js';
import { onionFromPublicKey } from './onion.js';
import { generatePrekeys, prekeyLookup } from './prekeys.js';
import { setCryptoBackend, type BackendMode } from './primitives.js';
import type { PrekeyLookup } from './x3dh.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by the vitest `browser` project (vitest.config.ts); absent in the Node projects. */
    runtime?: 'chromium';
  }
}

/** Where these specs run: the `browser` project runs the same files in Chromium (STYLE.md #9). */
export const RUNTIME: 'chromium' | 'node' | 'other' =
  typeof document !== 'undefined' && /Chrome\//.test(globalThis.navigator?.userAgent ?? '')
    ? 'chromium'
    : typeof globalThis.process?.versions?.node === 'string'
      ? 'node'
      : 'other';

/** The runtime the vitest project promises, if it promises one. */
export const expectedRuntime = (): 'chromium' | undefined => inject('runtime');

export const BACKENDS: readonly BackendMode[] = ['auto', 'noble'];

/** Runs `body` once per backend: 'auto' (WebCrypto where present) and 'noble' (as in Firefox ESR 128). */
export function describeBackends(name: string, body: (mode: BackendMode) => void): void {
  for (const mode of BACKENDS) {
    describe(`${name} [${mode}]`, () => {
      beforeAll(() => {
        setCryptoBackend(mode);
        setKemBackend(mode);
      });
      afterAll(() => {
        setCryptoBackend('auto');
        setKemBackend('auto');
      });
      body(mode);
    });
  }
}

export interface Party {
  identity: Identity;
  card: ContactCard;
  prekeys: PrekeyLookup;
}

export async function makeParty(
  name: string,
  opts: { kem?: boolean; oneTime?: number; createdAt?: number } = {},
): Promise<Party> {
  const { identity } = await generateIdentity();
  const { secrets, bundle } = await generatePrekeys(identity, {
    kem: opts.kem ?? false,
    oneTime: opts.oneTime ?? 0,
  });
  const card = await signContactCard(identity, {
    displayName: name,
    contactOnion: onionFromPublicKey(crypto.getRandomValues(new Uint8Array(32))),
    createdAt: opts.createdAt ?? Date.now(),
    ...bundle,
  });
  return { identity, card, prekeys: prekeyLookup(secrets) };
}

export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  const i = Math.floor(bit / 8) % out.length;
  out[i] = out[i]! ^ (1 << (bit % 8));
  return out;
}

/**
 * test/vectors/*.json, loaded as JSON modules: a computed specifier keeps them out of tsc's program
 * (tsconfig.node.json does not list JSON files) and works in Node and in the browser alike.
 */
export async function loadVectors(name: 'x3dh' | 'ratchet'): Promise<unknown> {
  const url = new URL(`../../test/vectors/${name}.json`, import.meta.url).href;
  const mod = (await import(/* @vite-ignore */ url, { with: { type: 'json' } })) as { default: unknown };
  return mod.default;
}
