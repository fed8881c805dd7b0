// Tests docs/protocol.md §3.6 with small KDF parameters (the recovery-code profile).
import { describe, expect, it } from 'vitest';
import {
  ARGON2_RECOVERY,
  createBackup,
  createIdentityBackup,
  generateRecoveryCode,
  normalizeRecoveryCode,
  openBackup,
  openIdentityBackup,
  parseBackup,
  PBKDF2_RECOVERY_ITERATIONS,
} from './backup.js';
import { generateIdentity, loadIdentity } from './identity.js';
import { describeBackends } from './testing.js';

const small = { argon2: ARGON2_RECOVERY };
const pt = new Uint8Array([1, 2, 3, 4]);

describe('identity backup (argon2id)', () => {
  it('round-trips an identity; a wrong password is E_WRONG_PASSWORD', async () => {
    const { identity, secrets } = await generateIdentity();
    const file = await createIdentityBackup(secrets, { password: 'correct horse' }, small);
    expect(parseBackup(file).kdf).toMatchObject({ name: 'argon2id', m: 8192, t: 1, p: 1 });
    const restored = await loadIdentity(await openIdentityBackup(file, { password: 'correct horse' }));
    expect(restored.signing.publicKey).toEqual(identity.signing.publicKey);
    expect(restored.dh.publicKey).toEqual(identity.dh.publicKey);
    expect(restored.deviceCert).toEqual(identity.deviceCert);
    await expect(openIdentityBackup(file, { password: 'correct horse!' })).rejects.toMatchObject({
      code: 'E_WRONG_PASSWORD',
    });
  });

  it('normalises passwords to NFC', async () => {
    const file = await createBackup(pt, { password: 'Zo\u00eb' }, small);
    expect(await openBackup(file, { password: 'Zoe\u0308' })).toEqual(pt);
  });

  it('recovery codes: 24 base32 characters in six groups, forgiving input', async () => {
    const code = generateRecoveryCode();
    expect(code).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){5}$/);
    const file = await createBackup(pt, { recoveryCode: code });
    expect(parseBackup(file)).toMatchObject({ secret: 'recovery-code', kdf: { m: 8192, t: 1 } });
    expect(await openBackup(file, { recoveryCode: ` ${code.toLowerCase().replace(/-/g, ' ')} ` })).toEqual(
      pt,
    );
    expect(normalizeRecoveryCode('OIAA-AAAA-AAAA-AAAA-AAAA-AAAA')).toBe(
      normalizeRecoveryCode('01aa aaaa aaaa aaaa aaaa aaaa'),
    );
    expect(() => normalizeRecoveryCode('AAAA')).toThrow(expect.objectContaining({ code: 'E_BAD_INPUT' }));
  });

  it('a changed parameter within bounds is a wrong password; outside bounds is refused before any work', async () => {
    const file = JSON.parse(await createBackup(pt, { password: 'pw' }, small)) as Record<string, unknown>;
    const kdf = file.kdf as Record<string, unknown>;
    const withKdf = (k: object): string => JSON.stringify({ ...file, kdf: { ...kdf, ...k } });
    await expect(openBackup(withKdf({ t: 2 }), { password: 'pw' })).rejects.toMatchObject({
      code: 'E_WRONG_PASSWORD',
    });
    for (const k of [
      { m: 4 * 1024 * 1024 },
      { m: 1024 },
      { t: 100 },
      { p: 0 },
      { salt: 'AAAA' },
      { extra: 1 },
    ])
      await expect(openBackup(withKdf(k), { password: 'pw' })).rejects.toMatchObject({ code: 'E_BAD_INPUT' });
    for (const f of [{ ...file, nonce: 'AAAA' }, { ...file, x: 1 }, { ...file, type: 'other' }, [], 'null'])
      await expect(openBackup(JSON.stringify(f), { password: 'pw' })).rejects.toMatchObject({
        code: 'E_BAD_INPUT',
      });
    await expect(openBackup(JSON.stringify({ ...file, v: 2 }), { password: 'pw' })).rejects.toMatchObject({
      code: 'E_UNSUPPORTED',
    });
    await expect(openBackup('{', { password: 'pw' })).rejects.toMatchObject({ code: 'E_BAD_INPUT' });
    await expect(createBackup(pt, { password: '' }, small)).rejects.toMatchObject({ code: 'E_BAD_INPUT' });
  });

  it('a flipped ciphertext byte is E_WRONG_PASSWORD', async () => {
    const file = JSON.parse(await createBackup(pt, { password: 'pw' }, small)) as { ciphertext: string };
    const c = file.ciphertext;
    const flipped = (c[0] === 'A' ? 'B' : 'A') + c.slice(1);
    await expect(
      openBackup(JSON.stringify({ ...file, ciphertext: flipped }), { password: 'pw' }),
    ).rejects.toMatchObject({
      code: 'E_WRONG_PASSWORD',
    });
  });
});

describeBackends('identity backup (pbkdf2-sha256)', () => {
  it('round-trips; wrong password is E_WRONG_PASSWORD', async () => {
    const opts = { kdf: 'pbkdf2-sha256', iterations: PBKDF2_RECOVERY_ITERATIONS } as const;
    const file = await createBackup(pt, { password: 'pw' }, opts);
    expect(parseBackup(file).kdf).toMatchObject({ name: 'pbkdf2-sha256', iterations: 100_000 });
    expect(await openBackup(file, { password: 'pw' })).toEqual(pt);
    await expect(openBackup(file, { password: 'pW' })).rejects.toMatchObject({ code: 'E_WRONG_PASSWORD' });
  });
});
