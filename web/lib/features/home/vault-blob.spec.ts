// Tests docs/protocol.md §2.4 (the home vault blob): the lock opens with the passphrase or recovery
// code only, the body with its key only, and a tampered, replaced or malformed blob is refused.
import { describe, expect, it } from 'vitest';
import { generateRecoveryCode } from '../../../../shared/crypto/backup';
import { utf8 } from '../../../../shared/util/bytes';
import {
  MAX_VAULT_BLOB,
  newVaultBlobKey,
  openVaultBlob,
  openVaultBody,
  parseVaultBlob,
  sealVaultBlob,
} from './vault-blob';

const FAST = { argon2: { m: 8192, t: 1, p: 1 } } as const;
const snapshot = utf8.encode('{"v":1,"state":"of the engine"}');

describe('home vault blob', () => {
  it('opens with the passphrase, and again with the key alone after a rewrite', async () => {
    const key = await newVaultBlobKey({ password: 'a long passphrase' }, FAST);
    const blob = await sealVaultBlob(key, snapshot);
    const opened = await openVaultBlob(blob, { password: 'a long passphrase' });
    expect(utf8.decode(opened.snapshot)).toBe(utf8.decode(snapshot));
    const next = await sealVaultBlob(opened.blobKey, utf8.encode('newer'));
    expect(utf8.decode(await openVaultBody(key, next))).toBe('newer');
    expect(parseVaultBlob(next).lock).toEqual(key.lock); // the lock is carried over, not re-derived
  });

  it('opens with a recovery code, and with PBKDF2 (Tor Browser “Safer”: no WebAssembly)', async () => {
    const code = generateRecoveryCode();
    const key = await newVaultBlobKey({ recoveryCode: code }, { kdf: 'pbkdf2-sha256' });
    expect(utf8.decode(key.lock)).toContain('pbkdf2-sha256');
    const blob = await sealVaultBlob(key, snapshot);
    const opened = await openVaultBlob(blob, { recoveryCode: code.toLowerCase() });
    expect(opened.snapshot).toEqual(snapshot);
  });

  it('refuses a wrong passphrase, a flipped bit, a replaced lock and malformed bytes', async () => {
    const key = await newVaultBlobKey({ password: 'a long passphrase' }, FAST);
    const blob = await sealVaultBlob(key, snapshot);
    await expect(openVaultBlob(blob, { password: 'another passphrase' })).rejects.toMatchObject({
      code: 'E_WRONG_PASSWORD',
    });
    const flipped = blob.slice();
    flipped[flipped.length - 5]! ^= 1;
    await expect(openVaultBody(key, flipped)).rejects.toMatchObject({ code: 'E_DECRYPT' });
    const other = await newVaultBlobKey({ password: 'a long passphrase' }, FAST);
    await expect(openVaultBody(key, await sealVaultBlob(other, snapshot))).rejects.toMatchObject({
      code: 'E_DECRYPT',
    });
    for (const bad of [new Uint8Array(0), utf8.encode('CHV2....'), blob.slice(0, 30)])
      expect(() => parseVaultBlob(bad)).toThrow(expect.objectContaining({ code: 'E_BAD_INPUT' }));
    const hugeLock = blob.slice();
    new DataView(hugeLock.buffer).setUint32(4, 0xffffffff);
    expect(() => parseVaultBlob(hugeLock)).toThrow(expect.objectContaining({ code: 'E_BAD_INPUT' }));
    expect(() => parseVaultBlob(new Uint8Array(MAX_VAULT_BLOB + 1))).toThrow(
      expect.objectContaining({ code: 'E_BAD_INPUT' }),
    );
  });
});
