// The social network in three real browsers through three real gateways on the private Tor network
// (issue: the social network, docs/protocol.md §7): alice posts to all friends and to a circle that
// excludes carol; bob sees both, comments and reacts; carol sees only what she is in; a deleted post
// disappears from bob's feed; bob is offline when alice posts and sees it after he returns; carol,
// removed from a circle, sees no later post of it.
import { expect, test } from '@playwright/test';
import { FeedPage } from './pages/feed';
import { VaultPage } from './pages/vault';
import { connect, disposeUsers, startUsers, type BrowserUser } from './users';

test.describe.configure({ mode: 'serial', timeout: 900_000, retries: 1 });

let alice: BrowserUser;
let bob: BrowserUser;
let carol: BrowserUser;
const feed = (u: BrowserUser): FeedPage => new FeedPage(u.page);
const PICTURE = 'static/icons/icon-512.png';

test.beforeAll(async ({ browser }) => {
  [alice, bob, carol] = (await startUsers(browser, ['alice', 'bob', 'carol'])) as [
    BrowserUser,
    BrowserUser,
    BrowserUser,
  ];
  await new VaultPage(alice.page).createIdentity('alice');
  await new VaultPage(bob.page).createIdentity('bob');
  await new VaultPage(carol.page).createIdentity('carol');
  await connect(alice, 'alice', bob, 'bob', 'hi bob');
  await connect(alice, 'alice', carol, 'carol', 'hi carol');
});

test.afterAll(async () => {
  await disposeUsers(alice, bob, carol);
});

test('posts to all friends and to a circle: bob sees both, carol only what she is in', async () => {
  const a = feed(alice);
  await a.open();
  await a.setCircle('close', ['bob']);
  await a.post('hello everyone', undefined, [PICTURE]);
  await a.post('just for bob', 'close');
  await a.post('marker after the circle post');
  const b = feed(bob);
  await b.open();
  await b.waitForPost('just for bob');
  const first = await b.waitForPost('hello everyone');
  await expect(first.getByTestId('post-picture')).toHaveCount(1);
  await expect
    .poll(() => first.getByTestId('post-picture').evaluate((img: HTMLImageElement) => img.naturalWidth))
    .toBeGreaterThan(0);
  const c = feed(carol);
  await c.open();
  await c.waitForPost('marker after the circle post');
  await c.waitForPost('hello everyone');
  await expect(c.postWith('just for bob')).toHaveCount(0);
  expect(await c.postTexts()).toEqual(['marker after the circle post', 'hello everyone']);
});

test('bob comments and reacts; alice and carol see it', async () => {
  const b = feed(bob);
  await b.comment('hello everyone', 'nice picture!');
  await b.react('hello everyone', 'love');
  await b.comment('just for bob', 'thanks, alice');
  const a = feed(alice);
  await a.waitForComment('hello everyone', 'nice picture!');
  await a.waitForReactionCount('hello everyone', 'love', 1);
  await a.waitForComment('just for bob', 'thanks, alice');
  const c = feed(carol);
  await c.waitForComment('hello everyone', 'nice picture!');
  await c.waitForReactionCount('hello everyone', 'love', 1);
  await expect(c.postWith('just for bob')).toHaveCount(0);
});

test('alice edits and deletes posts; bob’s feed follows', async () => {
  const a = feed(alice);
  await a.editPost('marker after the circle post', 'marker (edited)');
  const b = feed(bob);
  await b.waitForPost('marker (edited)');
  await a.deletePost('just for bob');
  await expect(b.postWith('just for bob')).toHaveCount(0, { timeout: 180_000 });
  await b.page.reload();
  await b.open();
  await b.waitForPost('marker (edited)');
  await expect(b.postWith('just for bob')).toHaveCount(0);
  await expect(b.postWith('marker after the circle post')).toHaveCount(0);
});

test('bob is offline when alice posts and sees the post after he returns', async () => {
  await bob.page.close();
  await bob.gw.stop();
  const a = feed(alice);
  await a.post('while you were away');
  bob.gw = await bob.gw.restart();
  bob.page = await bob.context.newPage();
  bob.page.on('pageerror', (e) => bob.errors.push(e.message));
  await bob.page.goto(`${bob.gw.uiUrl}/`);
  const b = feed(bob);
  await b.open();
  await b.waitForPost('while you were away', 300_000);
  await b.waitForPost('hello everyone');
});

test('carol removed from a circle sees no later post of it; bob does', async () => {
  const a = feed(alice);
  await a.open();
  await a.setCircle('team', ['bob', 'carol']);
  await a.post('team post 1', 'team');
  const c = feed(carol);
  await c.waitForPost('team post 1');
  await a.setCircle('team', ['bob']);
  await a.post('team post 2', 'team');
  await a.post('second marker');
  await feed(bob).waitForPost('team post 2', 300_000);
  await c.waitForPost('second marker');
  await c.page.reload();
  await c.open();
  await c.waitForPost('second marker');
  await expect(c.postWith('team post 2')).toHaveCount(0);
  await c.waitForPost('team post 1');
  expect(alice.errors).toEqual([]);
  expect(bob.errors).toEqual([]);
  expect(carol.errors).toEqual([]);
});
