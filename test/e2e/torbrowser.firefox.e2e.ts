// Tor-Browser-like access (docs/protocol.md §2.3–2.4): alice, in a normal Chromium tab, befriends bob (a
// headless node), turns the home onion on and leaves a vault on her gateway. Then a tor client of the
// private network is refused her home onion without the client key (SOCKS 0xF4); with the key, Debian's
// firefox-esr in private browsing, proxied through that tor, opens the home onion, unlocks the vault with
// her passphrase, sends bob a message, and the state it wrote back is a newer vault generation. Last, the
// normal tab takes the engine lease back and continues from that state; alice's gateway, which kept the
// vault and served the session, holds no message text and no passphrase in its memory or its files.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { Page as FirefoxPage } from 'puppeteer-core';
import { startHeadlessNode, type HeadlessNode } from '../../headless/node';
import { createLogger } from '../../gateway/log';
import { TorSupervisor } from '../../gateway/tor/process';
import { launchTorBrowserLike, type TorBrowserLike } from '../support/firefox';
import { startTestGateway, type TestGateway } from '../support/gateways';
import { until } from '../support/headless';
import { needleForms, scanFiles, scanProcessMemory } from '../support/memscan';
import { SocksError, socks5Connect } from '../support/socks';
import { ChatPage } from './pages/chat';
import { FriendsPage } from './pages/friends';
import { VaultPage } from './pages/vault';

const PASSPHRASE = 'correct horse battery staple';
const torrcLines = (): string[] => JSON.parse(process.env.CHATTOR_E2E_TORRC_LINES ?? '[]') as string[];

/** RFC 4648 base32 (either case, no padding) to bytes. */
function fromBase32(s: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of s.toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error('not base32');
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The SOCKS reply tor gives for `onion`, retrying while the descriptor is not found yet (0xF0). */
async function socksReply(socksPort: number, onion: string): Promise<number> {
  return until(
    async () => {
      try {
        const s = await socks5Connect(socksPort, `${onion}.onion`, 80, 30_000);
        s.destroy();
        return 0;
      } catch (e) {
        if (e instanceof SocksError && e.reply !== 0xf0) return e.reply;
        return undefined;
      }
    },
    'a SOCKS answer for the home onion',
    90_000,
  );
}

async function click(page: FirefoxPage, selector: string): Promise<void> {
  await page.locator(selector).setTimeout(120_000).click();
}

test.describe('Tor Browser access through the home onion', () => {
  let work: string | undefined;
  let alice: TestGateway | undefined;
  let bobGw: TestGateway | undefined;
  let bob: HeadlessNode | undefined;
  let tor: TorSupervisor | undefined;
  let firefox: TorBrowserLike | undefined;

  test.afterAll(async () => {
    await firefox?.close();
    await tor?.stop();
    await bob?.stop();
    await Promise.allSettled([alice?.dispose(), bobGw?.dispose()]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('firefox-esr opens the home onion with client authorization, unlocks the vault and chats', async ({
    page,
  }) => {
    test.setTimeout(420_000);
    work = mkdtempSync(join(tmpdir(), 'chattor-torbrowser-'));
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    [alice, bobGw] = await Promise.all([
      startTestGateway('tb-alice', torrcLines()),
      startTestGateway('tb-bob', torrcLines()),
    ]);
    bob = await startHeadlessNode({ dataDir: bobGw.dataDir, displayName: 'bob' });

    // 1. A normal tab: identity, bob as a friend, the home onion on, a vault on the gateway.
    await page.goto(`${alice.uiUrl}/#pair=${alice.token}`);
    await new VaultPage(page).createIdentity('alice');
    const friends = new FriendsPage(page);
    await friends.open();
    await friends.addFriend(await bob.contactLink(), 'from alice');
    const request = await until(
      async () => (await bob!.storage.listContacts()).find((c) => c.state === 'incoming-request'),
      'alice’s request at bob',
    );
    await bob.engine.acceptFriendRequest(request.id);
    await friends.waitForFriend('bob');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    const home = page.getByTestId('home-settings');
    await home.getByTestId('home-onion-toggle').check();
    const keyLine = (await home.getByTestId('home-client-key').textContent({ timeout: 60_000 }))!.trim();
    const m = /^([a-z2-7]{56}):descriptor:x25519:([A-Z2-7]{52})$/.exec(keyLine);
    expect(m, 'the client key line Tor Browser imports').not.toBeNull();
    const [, onion, privateKey] = m!;
    await home.getByTestId('home-backup-password').check();
    await home.getByLabel('Password', { exact: true }).fill(PASSPHRASE);
    await home.getByLabel('Repeat password').fill(PASSPHRASE);
    await home.getByTestId('home-vault-create').click();
    await expect(home.getByTestId('home-vault-status')).toContainText('version 1', { timeout: 60_000 });
    await page.close(); // its local link closes, and with it the engine lease
    expect(errors).toEqual([]);

    // 2. A tor client of the private network: without the client key the onion is unreachable.
    tor = await TorSupervisor.start({
      dataDir: join(work, 'tor'),
      log: createLogger('tb-tor', { level: 'warn' }),
      extraTorrc: torrcLines(),
    });
    await tor.whenBootstrapped(120_000);
    const socksPort = tor.socksPort!;
    expect(await socksReply(socksPort, onion!), 'SOCKS reply without the client key').toBe(0xf4);
    firefox = await launchTorBrowserLike(socksPort);
    const fx = await firefox.browser.newPage();
    const url = `http://${onion}.onion/`;
    await fx.goto(url, { timeout: 60_000 }).catch(() => undefined); // an error page, or a thrown error
    // Firefox shows its own error page (about:neterror); the app's page would be titled Chattor.
    const reachedApp = () =>
      fx
        .evaluate(() => document.title.includes('Chattor') && !document.documentURI.startsWith('about:'))
        .catch(() => false);
    const reachedWithoutKey = await reachedApp();
    expect(reachedWithoutKey, 'the browser reached the home onion without the client key').toBe(false);

    // 3. With the client key imported into that tor, as Tor Browser imports it: open, unlock from the
    //    vault, send a message.
    await tor.control.command(
      `ONION_CLIENT_AUTH_ADD ${onion} x25519:${fromBase32(privateKey!).toString('base64')}`,
    );
    expect(await socksReply(socksPort, onion!), 'SOCKS reply with the client key').toBe(0);
    const fxErrors: string[] = [];
    fx.on('pageerror', (e) => fxErrors.push(String(e)));
    await fx.goto(url, { timeout: 120_000 });
    expect(await reachedApp(), 'the same check sees the app once the key is there').toBe(true);
    expect(await fx.evaluate(() => 'serviceWorker' in navigator && !!navigator.serviceWorker)).toBe(false);
    await fx.locator('[data-testid="home-unlock-secret"]').setTimeout(120_000).fill(PASSPHRASE);
    await click(fx, '[data-testid="home-unlock-submit"]');
    await click(fx, 'nav[aria-label="Main"] a[href="/chats"]');
    await click(fx, '[data-testid="conversation-item"]');
    const text = `hello from Tor Browser ${Date.now()}`;
    await fx.locator('[data-testid="composer-input"]').setTimeout(120_000).fill(text);
    await click(fx, '[data-testid="composer-send"]');

    const bobSide = await until(async () => {
      const [contact] = (await bob!.storage.listContacts()).filter((c) => c.state === 'friend');
      if (!contact) return undefined;
      return (await bob!.storage.listMessages(contact.id)).find((msg) => msg.body === text);
    }, 'the message at bob');
    expect(bobSide.direction).toBe('in');

    // 4. The session wrote its state back: a newer vault generation than the one it opened.
    const generation = await until(
      async () => {
        const res = await fetch(`${alice!.uiUrl}/api/home/vault`, {
          headers: { Authorization: `Bearer ${alice!.token}` },
        });
        const g = Number(res.headers.get('x-chattor-generation'));
        return g > 1 ? g : undefined;
      },
      'a vault written back',
      60_000,
    );
    expect(generation).toBeGreaterThan(1);

    // 5. A normal tab again: Tor Browser holds the engine lease, so it waits; "Use Chattor here" asks
    //    Tor Browser to stop and write its state, then continues from it — the message sent from Tor
    //    Browser is in its chat, and its own next message reaches bob (no forked ratchet).
    const again = await page.context().newPage();
    again.on('pageerror', (e) => errors.push(e.message));
    await again.goto(`${alice.uiUrl}/chats`);
    await expect(again.getByTestId('engine-elsewhere')).toBeVisible({ timeout: 60_000 });
    await again.getByTestId('engine-use-here').click();
    await fx.locator('[data-testid="engine-elsewhere"]').setTimeout(60_000).wait();
    const chat = new ChatPage(again);
    await chat.open('bob');
    await chat.waitForMessage(text, 'out', 60_000);
    const after = `back in the normal tab ${Date.now()}`;
    await chat.send(after);
    await until(async () => {
      const [contact] = (await bob!.storage.listContacts()).filter((c) => c.state === 'friend');
      return (await bob!.storage.listMessages(contact!.id)).find((msg) => msg.body === after);
    }, 'the normal tab’s message at bob');

    // 6. Canary (hardening): alice's gateway kept the vault and served the Tor Browser session, yet
    //    neither its process memory nor its data directory holds a message text or the vault passphrase.
    const pid = alice.child.child.pid!;
    expect(scanProcessMemory(pid, needleForms(alice.token)).size, 'memory scan sanity check').toBeGreaterThan(
      0,
    );
    const needles = [text, after, PASSPHRASE].flatMap((s) => needleForms(s));
    expect([...scanProcessMemory(pid, needles)], 'in the gateway’s memory').toEqual([]);
    expect([...scanFiles([alice.dataDir], needles)], 'in the gateway’s data directory').toEqual([]);
    expect(errors).toEqual([]);
    expect(fxErrors).toEqual([]);
  });
});
