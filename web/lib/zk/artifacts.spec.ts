// The hashes bundled into the app are the committed ones (circuits/artifacts.json): a new ceremony or
// circuit that forgets to update web/lib/zk/artifacts.ts fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ZK_ARTIFACTS } from './artifacts';

const lock = JSON.parse(
  readFileSync(new URL('../../../circuits/artifacts.json', import.meta.url), 'utf8'),
) as {
  files: Record<string, { sha256: string; bytes: number }>;
};

describe('bundled zk artifact hashes', () => {
  it('equal circuits/artifacts.json', () => {
    const pick = (f: { sha256: string; bytes: number } | undefined) => ({
      sha256: f?.sha256,
      bytes: f?.bytes,
    });
    expect(ZK_ARTIFACTS.wasm).toMatchObject(pick(lock.files['circuits/build/membership_js/membership.wasm']));
    expect(ZK_ARTIFACTS.zkey).toMatchObject(pick(lock.files['circuits/keys/membership.zkey']));
  });

  it('a fetched copy with another hash is refused, a good one is used', async () => {
    const { loadArtifact } = await import('./artifacts');
    const good = new Uint8Array([1, 2, 3]);
    const digest = Buffer.from(await crypto.subtle.digest('SHA-256', good)).toString('hex');
    const a = { path: '/zk/x', sha256: digest, bytes: 3 };
    const serve = (b: Uint8Array) => (async () => new Response(b)) as unknown as typeof fetch;
    expect(await loadArtifact(a, serve(good))).toEqual(good);
    await expect(loadArtifact(a, serve(new Uint8Array([1, 2, 4])))).rejects.toThrow(/SHA-256/);
  });
});
