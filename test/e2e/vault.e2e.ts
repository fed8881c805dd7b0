// The key vault in a real browser against a real gateway (docs/protocol.md §4.3, §3.6): create an
// identity with a recovery-code backup, protect the vault with a passphrase, lock, reload, a wrong and
// then the right passphrase; wipe, and restore the same identity from the downloaded backup file.
import { expect, test, type Page } from '@playwright/test';
import { e2eNodes } from './nodes';
import { FriendsPage } from './pages/friends';
import { ShellPage } from './pages/shell';
import { KeysPage } from './pages/vault';

const PASSPHRASE = 'a long vault passphrase';

/** IKs.pub from a `chattor:card/…` link: after v, flags, nameLength and the name (§3.3). */
function signingKeyOf(link: string): string {
  const bytes = Buffer.from(link.replace(/^chattor:card\//, ''), 'base64url');
  const nameLength = bytes[2] ?? 0;
  return bytes.subarray(3 + nameLength, 3 + nameLength + 32).toString('hex');
}

function watchPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

test('vault: passphrase lock and unlock keep the identity; wipe and restore bring it back', async ({
  browser,
}, testInfo) => {
  test.setTimeout(300_000);
  const node = e2eNodes()[0]!;
  const context = await browser.newContext({ acceptDownloads: true });
  try {
    const page = await context.newPage();
    const errors = watchPageErrors(page);
    const shell = new ShellPage(page);
    const keys = new KeysPage(page);
    const friends = new FriendsPage(page);
    const backupPath = testInfo.outputPath('chattor-backup.json');

    await shell.goto(node.pairingUrl);
    const code = await keys.createIdentityWithBackupFile('Vera', backupPath);
    expect(code).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){5}$/);
    await friends.open();
    const link = await friends.myContactLink();
    expect(link).toMatch(/^chattor:card\//);

    await keys.openSettings();
    const identity = await keys.identityId();
    await expect(keys.protection()).toHaveAttribute('data-state', 'device');
    await expect(keys.protection()).toContainText('disk');
    await keys.setPassphrase(PASSPHRASE);
    await keys.lockNow();

    await shell.goto(node.uiUrl);
    await expect(keys.unlockScreen()).toBeVisible({ timeout: 30_000 });
    await keys.submitPassphrase('not the passphrase');
    await expect(keys.unlockError()).toContainText('does not unlock');
    await expect(keys.unlockScreen()).toBeVisible();
    await keys.submitPassphrase(PASSPHRASE);
    await expect(keys.unlockScreen()).toHaveCount(0, { timeout: 30_000 });
    await friends.open();
    expect(await friends.myContactLink()).toBe(link);
    await keys.openSettings();
    expect(await keys.identityId()).toBe(identity);

    await keys.wipe();
    await expect(page.getByTestId('not-paired')).toBeVisible({ timeout: 30_000 });
    await page.goto('about:blank'); // the pairing link differs from this page only by its hash
    await shell.goto(node.pairingUrl);
    await keys.restore(backupPath, code, 'Vera');
    await friends.open();
    const restored = await friends.myContactLink();
    expect(signingKeyOf(restored)).toBe(signingKeyOf(link));
    await keys.openSettings();
    expect(await keys.identityId()).toBe(identity);
    await expect(keys.protection()).toHaveAttribute('data-state', 'device');
    expect(errors).toEqual([]);
  } finally {
    await context.close();
  }
});

/** A version-2 database as Dexie left it (IndexedDB version 20 = Dexie 2), with raw keys in `meta`. */
async function seedVersionTwo(page: Page, token: string): Promise<void> {
  await page.evaluate(async (pairingToken) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('chattor', 20);
      req.onupgradeneeded = () => {
        const d = req.result;
        d.createObjectStore('settings', { keyPath: 'key' });
        d.createObjectStore('meta', { keyPath: 'key' });
        const contacts = d.createObjectStore('contacts', { keyPath: 'id' });
        contacts.createIndex('state', 'state');
        contacts.createIndex('lastMessageAt', 'lastMessageAt');
        d.createObjectStore('sessions', { keyPath: 'contactId' });
        const messages = d.createObjectStore('messages', { keyPath: 'id' });
        messages.createIndex('[contactId+sentAt+seq]', ['contactId', 'sentAt', 'seq']);
        const outbox = d.createObjectStore('outbox', { keyPath: 'messageId' });
        outbox.createIndex('contactId', 'contactId');
        outbox.createIndex('createdAt', 'createdAt');
        d.createObjectStore('seen', { keyPath: 'key' }).createIndex('expiresAt', 'expiresAt');
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('open failed'));
    });
    const identity = crypto.getRandomValues(new Uint8Array(97));
    identity[0] = 1;
    const tx = db.transaction(['meta', 'settings'], 'readwrite');
    tx.objectStore('meta').put({ key: 'identity', value: identity });
    tx.objectStore('meta').put({ key: 'storageKey', value: crypto.getRandomValues(new Uint8Array(32)) });
    tx.objectStore('settings').put({ key: 'pairingToken', value: pairingToken });
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error ?? new Error('write failed'));
    });
    db.close();
  }, token);
}

test('migration 3 seals a version-2 database’s raw keys in Chromium', async ({ browser }) => {
  const node = e2eNodes()[0]!;
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    // A static file of the app's origin: same IndexedDB, but the app itself does not run.
    await page.goto(new URL('manifest.webmanifest', node.uiUrl).href);
    await seedVersionTwo(page, new URL(node.pairingUrl).hash.replace('#pair=', ''));
    await new ShellPage(page).goto(node.uiUrl);
    const rows = await page.evaluate(async () => {
      const open = () =>
        new Promise<IDBDatabase>((resolve, reject) => {
          const req = indexedDB.open('chattor');
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error ?? new Error('open failed'));
        });
      // The app upgrades the database as it starts: wait until it has (version 3 = 30 in dexie terms).
      let db = await open();
      for (let i = 0; db.version < 30 && i < 100; i++) {
        db.close();
        await new Promise((r) => setTimeout(r, 100));
        db = await open();
      }
      const get = (store: string, key: string) =>
        new Promise<unknown>((resolve) => {
          const req = db.transaction(store).objectStore(store).get(key);
          req.onsuccess = () => resolve(req.result);
        });
      const vault = (await get('vault', 'vault')) as { deviceKey: CryptoKey; protection: string } | undefined;
      const identity = (await get('meta', 'identity')) as { value: Uint8Array } | undefined;
      const out = {
        version: db.version,
        storageKey: (await get('meta', 'storageKey')) ?? null,
        identityLength: identity?.value.length ?? 0,
        deviceKey: vault ? `${vault.deviceKey.constructor.name}/${String(vault.deviceKey.extractable)}` : '',
        protection: vault?.protection ?? '',
      };
      db.close();
      return out;
    });
    // Migration 3 ran (and any later ones: the app upgrades to its newest version).
    expect(rows.version).toBeGreaterThanOrEqual(30);
    expect({ ...rows, version: 30 }).toEqual({
      version: 30,
      storageKey: null,
      identityLength: 13 + 97 + 16,
      deviceKey: 'CryptoKey/false',
      protection: 'device',
    });
  } finally {
    await context.close();
  }
});
