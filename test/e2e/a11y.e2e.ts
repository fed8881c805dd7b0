// Accessibility of every screen (issue: hardening §6): axe-core (WCAG 2 A and AA rules) in Chromium on
// the Not paired screen, onboarding, and — with a friend, a chat message and a post — chats, a chat,
// friends, the feed, a friend's profile page, the node page and settings, in the light and the dark
// theme. No serious or critical violation may remain.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { ChatPage } from './pages/chat';
import { FeedPage } from './pages/feed';
import { VaultPage } from './pages/vault';
import { connect, disposeUsers, startUsers, type BrowserUser } from './users';

test.describe.configure({ mode: 'serial', timeout: 300_000 });

let ann: BrowserUser;
let ben: BrowserUser;

/** The serious and critical violations on the page as it is now, one line each. */
async function violations(page: Page, screen: string): Promise<string[]> {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${screen}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
}

async function nav(page: Page, name: string, heading: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
}

test.beforeAll(async ({ browser }) => {
  [ann, ben] = (await startUsers(browser, ['ann', 'ben'])) as [BrowserUser, BrowserUser];
});

test.afterAll(async () => {
  await disposeUsers(ann, ben);
});

test('no serious violations on any screen', async ({ browser }) => {
  const found: string[] = [];

  const stranger = await browser.newContext();
  const notPaired = await stranger.newPage();
  await notPaired.goto(`${ann.gw.uiUrl}/`);
  await expect(notPaired.getByTestId('not-paired')).toBeVisible({ timeout: 30_000 });
  found.push(...(await violations(notPaired, 'not paired')));
  await stranger.close();

  await expect(ann.page.getByTestId('onboarding')).toBeVisible({ timeout: 30_000 });
  found.push(...(await violations(ann.page, 'onboarding')));

  await new VaultPage(ann.page).createIdentity('ann');
  await new VaultPage(ben.page).createIdentity('ben');
  await connect(ann, 'ann', ben, 'ben', 'hello ann');
  const chat = new ChatPage(ann.page);
  await chat.openList();
  await chat.open('ben');
  await chat.send('a first message');
  const feed = new FeedPage(ann.page);
  await feed.open();
  await feed.post('a first post');

  for (const theme of ['light', 'dark']) {
    const page = ann.page;
    if (theme === 'dark') await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    await nav(page, 'Chats', 'Chats');
    found.push(...(await violations(page, `chats (${theme})`)));
    await chat.open('ben');
    found.push(...(await violations(page, `chat (${theme})`)));
    await nav(page, 'Friends', 'Friends');
    found.push(...(await violations(page, `friends (${theme})`)));
    await feed.open();
    found.push(...(await violations(page, `feed (${theme})`)));
    await nav(page, 'Node', 'Node');
    found.push(...(await violations(page, `node (${theme})`)));
    await nav(page, 'Settings', 'Settings');
    found.push(...(await violations(page, `settings (${theme})`)));
  }
  const b = new FeedPage(ben.page);
  await b.open();
  await b.waitForPost('a first post');
  await ben.page.getByTestId('post').first().getByRole('link').first().click();
  await expect(ben.page.getByRole('heading', { level: 1 })).toBeVisible();
  found.push(...(await violations(ben.page, 'profile page')));

  expect(found).toEqual([]);
  expect(ann.errors).toEqual([]);
  expect(ben.errors).toEqual([]);
});
