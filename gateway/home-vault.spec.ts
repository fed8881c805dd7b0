// The home vault and the engine lease (docs/protocol.md §2.4).
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from './mailbox/testing.js';
import { HomeVault, MAX_VAULT_BLOB } from './home-vault.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});
function dir(): string {
  const t = tempDir('chattor-vault-');
  cleanup.push(t.remove);
  return t.dir;
}

describe('engine lease', () => {
  it('goes to one holder at a time; a takeover moves it and names the previous holder', async () => {
    const v = await HomeVault.open(dir());
    const tab = {};
    const torBrowser = {};
    const first = v.acquire(tab, false);
    expect(v.acquire(tab, false).lease).toBe(first.lease);
    expect(() => v.acquire(torBrowser, false)).toThrow(expect.objectContaining({ code: 'E_LEASE_HELD' }));
    const moved = v.acquire(torBrowser, true);
    expect(moved.previous).toBe(tab);
    expect(moved.lease).not.toBe(first.lease);
    expect(v.holds(first.lease)).toBe(false);
    v.release(tab); // not the holder: nothing happens
    expect(v.holder()).toBe(torBrowser);
    v.release(torBrowser);
    expect(v.holder()).toBeNull();
    expect(v.acquire(tab, false).previous).toBeUndefined();
  });
});

describe('home vault store', () => {
  it('stores blobs only for the lease holder, counts generations, and keeps them across restarts', async () => {
    const d = dir();
    const v = await HomeVault.open(d);
    expect(v.get()).toBeNull();
    await expect(v.put(Uint8Array.of(1), 'no-lease')).rejects.toMatchObject({ code: 'E_LEASE_LOST' });
    const { lease } = v.acquire({}, false);
    expect(await v.put(Uint8Array.of(1, 2, 3), lease)).toBe(1);
    expect(await v.put(Uint8Array.of(4), lease)).toBe(2);
    const reopened = await HomeVault.open(d);
    expect(reopened.get()).toEqual({ blob: Uint8Array.of(4), generation: 2 });
    await reopened.clear();
    expect(reopened.get()).toBeNull();
    expect((await HomeVault.open(d)).generation).toBe(2);
  });

  it('refuses an empty or oversized blob', async () => {
    const v = await HomeVault.open(dir());
    const { lease } = v.acquire({}, false);
    await expect(v.put(new Uint8Array(0), lease)).rejects.toMatchObject({ code: 'E_TOO_LARGE' });
    await expect(v.put(new Uint8Array(MAX_VAULT_BLOB + 1), lease)).rejects.toMatchObject({
      code: 'E_TOO_LARGE',
    });
  });
});
