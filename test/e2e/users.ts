// Two browser users, each paired with a gateway of their own on the private Tor network, for the e2e
// specs that stop, restart or load their gateways (they start their own rather than the global ones).
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { startTestGateway, type TestGateway } from '../support/gateways';
import { FriendsPage } from './pages/friends';
import { VaultPage } from './pages/vault';

export interface BrowserUser {
  gw: TestGateway;
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors, checked empty at the end of a spec. */
  errors: string[];
}

const torrcLines = (): string[] => JSON.parse(process.env.CHATTOR_E2E_TORRC_LINES ?? '[]') as string[];

/** Opens a new context on `gw`'s pairing link. */
export async function openUser(browser: Browser, gw: TestGateway): Promise<BrowserUser> {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${gw.uiUrl}/#pair=${gw.token}`);
  return { gw, context, page, errors };
}

/** Starts alice's and bob's gateways and opens a browser user on each. */
export async function startUsers(browser: Browser): Promise<[BrowserUser, BrowserUser]> {
  const [ga, gb] = await Promise.all([
    startTestGateway('alice', torrcLines()),
    startTestGateway('bob', torrcLines()),
  ]);
  return [await openUser(browser, ga), await openUser(browser, gb)];
}

/** Closes the users' contexts and removes their gateways. */
export async function disposeUsers(...users: (BrowserUser | undefined)[]): Promise<void> {
  for (const u of users) await u?.context.close();
  await Promise.allSettled(users.map((u) => u?.gw.dispose()));
}

/** Both create identities named alice and bob; alice sends bob a request with `note`, bob accepts. */
export async function befriend(alice: BrowserUser, bob: BrowserUser, note: string): Promise<void> {
  await new VaultPage(alice.page).createIdentity('alice');
  await new VaultPage(bob.page).createIdentity('bob');
  const bobFriends = new FriendsPage(bob.page);
  await bobFriends.open();
  const link = await bobFriends.myContactLink();
  const aliceFriends = new FriendsPage(alice.page);
  await aliceFriends.open();
  await aliceFriends.addFriend(link, note);
  await bobFriends.accept('alice');
  await aliceFriends.waitForFriend('bob');
}
