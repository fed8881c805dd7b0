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

export const torrcLines = (): string[] => JSON.parse(process.env.CHATTOR_E2E_TORRC_LINES ?? '[]') as string[];

/** Opens a new context on `gw`'s pairing link. */
export async function openUser(browser: Browser, gw: TestGateway): Promise<BrowserUser> {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${gw.uiUrl}/#pair=${gw.token}`);
  return { gw, context, page, errors };
}

/** Starts one gateway per name (default alice and bob) and opens a browser user on each. */
export async function startUsers(browser: Browser): Promise<[BrowserUser, BrowserUser]>;
export async function startUsers(browser: Browser, names: string[]): Promise<BrowserUser[]>;
export async function startUsers(browser: Browser, names = ['alice', 'bob']): Promise<BrowserUser[]> {
  const gws = await Promise.all(names.map((n) => startTestGateway(n, torrcLines())));
  const users: BrowserUser[] = [];
  for (const gw of gws) users.push(await openUser(browser, gw));
  return users;
}

/** Closes the users' contexts and removes their gateways. */
export async function disposeUsers(...users: (BrowserUser | undefined)[]): Promise<void> {
  for (const u of users) await u?.context.close();
  await Promise.allSettled(users.map((u) => u?.gw.dispose()));
}

/** `a` (named `aName`) sends `b` a request with `note`; `b` accepts. Both have identities already. */
export async function connect(
  a: BrowserUser,
  aName: string,
  b: BrowserUser,
  bName: string,
  note: string,
): Promise<void> {
  const bFriends = new FriendsPage(b.page);
  await bFriends.open();
  const link = await bFriends.myContactLink();
  const aFriends = new FriendsPage(a.page);
  await aFriends.open();
  await aFriends.addFriend(link, note);
  await bFriends.accept(aName);
  await aFriends.waitForFriend(bName);
}

/** Both create identities named alice and bob; alice sends bob a request with `note`, bob accepts. */
export async function befriend(alice: BrowserUser, bob: BrowserUser, note: string): Promise<void> {
  await new VaultPage(alice.page).createIdentity('alice');
  await new VaultPage(bob.page).createIdentity('bob');
  await connect(alice, 'alice', bob, 'bob', note);
}
