// The home onion's keys and switch (docs/protocol.md §2.3).
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from './mailbox/testing.js';
import {
  HomeAccess,
  clientAuthPublic,
  clientKeyLine,
  generateClientKey,
  loadOrCreateClientKey,
} from './home.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});
function dir(): string {
  const t = tempDir('chattor-home-');
  cleanup.push(t.remove);
  return t.dir;
}

describe('home onion client key', () => {
  it('is an x25519 pair node agrees with (a DH with another key matches both ways)', () => {
    const key = generateClientKey();
    const other = generateKeyPairSync('x25519');
    const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), key.privateKey]);
    const ours = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    const pub = createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(key.publicKey).toString('base64url') },
      format: 'jwk',
    });
    expect(diffieHellman({ privateKey: ours, publicKey: other.publicKey })).toEqual(
      diffieHellman({ privateKey: other.privateKey, publicKey: pub }),
    );
  });

  it('prints the line Tor Browser imports and the ClientAuthV3 public key in base32', () => {
    const key = generateClientKey();
    const onion = 'a'.repeat(56);
    expect(clientKeyLine(onion, key)).toMatch(/^a{56}:descriptor:x25519:[A-Z2-7]{52}$/);
    expect(clientAuthPublic(key)).toMatch(/^[A-Z2-7]{52}$/);
  });

  it('is stored 0600 and read back; a group-readable or malformed file is refused', async () => {
    const path = join(dir(), 'home-client.key');
    const a = await loadOrCreateClientKey(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await loadOrCreateClientKey(path)).privateKey).toEqual(a.privateKey);
    chmodSync(path, 0o640);
    await expect(loadOrCreateClientKey(path)).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
    writeFileSync(path, 'garbage\n', { mode: 0o600 });
    chmodSync(path, 0o600);
    await expect(loadOrCreateClientKey(path)).rejects.toMatchObject({ code: 'E_BAD_INPUT' });
  });
});

describe('HomeAccess', () => {
  it('is off until enabled, keeps its keys across off/on and restarts', async () => {
    const d = dir();
    const home = await HomeAccess.load(d);
    expect(home.info()).toEqual({ enabled: false });
    expect(home.host()).toBeNull();
    await home.setEnabled(true);
    const on = home.info();
    expect(on.enabled).toBe(true);
    expect(home.host()).toBe(`${on.onion}.onion`);
    expect(on.clientKey!.startsWith(`${on.onion}:descriptor:x25519:`)).toBe(true);
    await home.setEnabled(false);
    expect(home.keys).toBeNull();
    await home.setEnabled(true);
    expect(home.info()).toEqual(on);
    const again = await HomeAccess.load(d);
    expect(again.info()).toEqual(on);
    for (const f of ['home-onion.key', 'home-client.key', 'home.json'])
      expect(statSync(join(d, f)).mode & 0o777).toBe(0o600);
  });

  it('treats a damaged settings file as off', async () => {
    const d = dir();
    writeFileSync(join(d, 'home.json'), '{not json', { mode: 0o600 });
    expect((await HomeAccess.load(d)).enabled).toBe(false);
  });
});
