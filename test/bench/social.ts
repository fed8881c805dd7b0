// Social network benchmarks (issue: the social network, Benchmarks; docs/protocol.md §7):
// - feed render with 10,000 posts in IndexedDB: the real PWA from a real gateway in Debian's Chromium
//   (persistent profile, so IndexedDB is on disk), time from navigation to the first post card on screen,
//   against the same with one page of posts, and the time to scroll through ten pages;
// - sync of 1,000 missed posts between two nodes: two ChatEngines in Node, each beside its own gateway
//   on the private Tor network; alice has posted 1,000 times before bob becomes her friend, and bob gets
//   them through §7.7 sync (pages of ≤ 200 items / 180 KiB) over the real onion link.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright';
import { startHeadlessNode, type HeadlessNode } from '../../headless/node.js';
import { MemoryStorage } from '../../shared/protocol/memory-storage.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium.js';
import { startTestGateway, type TestGateway } from '../support/gateways.js';
import { befriend, until } from '../support/headless.js';
import { median, type Report } from './report.js';

const FEED_POSTS = 10_000;
const SYNC_POSTS = 1_000;

/** Creates the identity on the onboarding screen (as test/e2e/pages/vault.ts, without the test runner). */
async function onboard(page: Page, name: string): Promise<void> {
  const onboarding = page.getByTestId('onboarding');
  await onboarding.waitFor({ timeout: 60_000 });
  await onboarding.getByTestId('onboarding-name').fill(name);
  await onboarding.getByTestId('onboarding-backup-none').check();
  await onboarding.getByTestId('onboarding-create').click();
  await onboarding.waitFor({ state: 'detached', timeout: 60_000 });
}

/**
 * Writes `n` friends' posts straight into the PWA's `posts` table (migration 0005), as the engine would
 * have stored them: text of a few hundred characters, every tenth with a small picture, some comments
 * and reactions. Runs in the app's origin; plain IndexedDB so no bundle is needed.
 */
async function seedPosts(page: Page, n: number, picture: number[]): Promise<void> {
  await page.evaluate(
    async ({ n, picture }) => {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open('chattor');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const pic = new Uint8Array(picture);
      const authors = Array.from({ length: 20 }, (_, i) => i.toString(16).padStart(32, 'a'));
      const words = 'the quick brown fox jumps over a lazy dog while friends talk about their week'.split(
        ' ',
      );
      const now = Date.now();
      const chunk = 1000;
      for (let start = 0; start < n; start += chunk) {
        await new Promise<void>((res, rej) => {
          const tx = db.transaction('posts', 'readwrite');
          const posts = tx.objectStore('posts');
          for (let i = start; i < Math.min(n, start + chunk); i++) {
            const authorId = authors[i % authors.length]!;
            const id = i.toString(16).padStart(32, '0');
            const text = Array.from({ length: 40 }, (_, k) => words[(i + k) % words.length]).join(' ');
            posts.put({
              key: `${authorId}:${id}`,
              id,
              authorId,
              mine: false,
              at: now - i * 60_000,
              edited: 0,
              text,
              pictures: i % 10 === 0 ? [{ type: 'image/png', data: pic }] : [],
              aid: 'b'.repeat(32),
              epoch: 1,
              comments:
                i % 3 === 0
                  ? [
                      {
                        id: 'c'.repeat(32),
                        by: authors[(i + 1) % 20],
                        byName: 'a friend',
                        at: now,
                        text: 'nice',
                      },
                    ]
                  : [],
              reactions:
                i % 2 === 0
                  ? [{ by: authors[(i + 2) % 20], byName: 'a friend', at: now, emoji: 'like' }]
                  : [],
            });
          }
          tx.oncomplete = () => res();
          tx.onerror = () => rej(tx.error);
        });
      }
      db.close();
    },
    { n, picture },
  );
}

/** Navigates to the feed and returns ms from navigation start to the first post card on screen. */
async function firstPostMs(page: Page, feedUrl: string): Promise<number> {
  await page.goto(feedUrl);
  await page.getByTestId('post').first().waitFor({ timeout: 60_000 });
  return (await page.evaluate('performance.now()')) as number;
}

async function benchFeedRender(report: Report, tor: string[]): Promise<void> {
  process.stdout.write(`social: feed render with ${FEED_POSTS.toLocaleString('en')} posts in Chromium\n`);
  const gw: TestGateway = await startTestGateway('feed-bench', tor);
  const profile = mkdtempSync(join(tmpdir(), 'chattor-bench-feed-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${gw.uiUrl}/#pair=${gw.token}`);
    await onboard(page, 'reader');
    const feedUrl = `${gw.uiUrl}/feed`;
    const picture = [...readFileSync('static/icons/icon-192.png')];
    const RUNS = 5;
    await seedPosts(page, 20, picture);
    await firstPostMs(page, feedUrl); // warm the HTTP cache as a returning user has it
    const small: number[] = [];
    for (let i = 0; i < RUNS; i++) small.push(await firstPostMs(page, feedUrl));
    await seedPosts(page, FEED_POSTS, picture); // the same keys again (the first 20) and 9,980 more
    const large: number[] = [];
    for (let i = 0; i < RUNS; i++) large.push(await firstPostMs(page, feedUrl));
    // Infinite scroll: ten pages of 20 (docs: feed.svelte.ts PAGE) by scrolling to the end.
    const t0 = Date.now();
    for (let shown = 0; shown < 200;) {
      await page.getByTestId('post').last().scrollIntoViewIfNeeded();
      await page.mouse.wheel(0, 10_000);
      const next = await page.getByTestId('post').count();
      if (next === shown) await page.waitForTimeout(20);
      shown = next;
    }
    const scrollMs = Date.now() - t0;
    report.add({
      name: `feed: navigation → first post on screen, ${FEED_POSTS.toLocaleString('en')} posts in IndexedDB (median of ${RUNS})`,
      value: median(large),
      unit: 'ms',
      baseline: { name: '20 posts', value: median(small) },
      note: `the whole app start (bundle from the HTTP cache, vault unlock, engine start) and the first page of 20; runs: ${large.map((x) => x.toFixed(0)).join(', ')} ms vs ${small.map((x) => x.toFixed(0)).join(', ')} ms`,
    });
    report.add({
      name: `feed: scroll through 200 posts of ${FEED_POSTS.toLocaleString('en')} (10 pages read from IndexedDB)`,
      value: scrollMs,
      unit: 'ms',
      note: 'mouse-wheel scrolling to the end until 200 post cards are in the page; every 10th has a picture',
    });
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    await gw.dispose();
  }
}

async function benchSync(report: Report, tor: string[]): Promise<void> {
  process.stdout.write(`social: sync of ${SYNC_POSTS.toLocaleString('en')} missed posts over Tor\n`);
  const gws = await Promise.all([startTestGateway('sync-alice', tor), startTestGateway('sync-bob', tor)]);
  const nodes: HeadlessNode[] = [];
  const bobPosts = new MemoryStorage();
  try {
    const [alice, bob] = [
      await startHeadlessNode({ dataDir: gws[0].dataDir, displayName: 'alice', social: new MemoryStorage() }),
      await startHeadlessNode({ dataDir: gws[1].dataDir, displayName: 'bob', social: bobPosts }),
    ];
    nodes.push(alice, bob);
    const text = 'a post of about two hundred characters, as friends write them: '.repeat(3);
    const t0 = Date.now();
    for (let i = 0; i < SYNC_POSTS; i++) await alice.engine.publishPost({ text: `${i} ${text}` });
    const publishMs = Date.now() - t0;
    // bob becomes alice's friend: the friends audience takes him into its epoch, both ask for sync (§7.7).
    await befriend(bob, alice, 'hello');
    const t1 = Date.now();
    await until(
      async () => (bobPosts.posts.size >= SYNC_POSTS ? true : undefined),
      `${SYNC_POSTS} posts at bob`,
      600_000,
    );
    const syncMs = Date.now() - t1;
    report.add({
      name: `social sync: ${SYNC_POSTS.toLocaleString('en')} missed posts, friendship accepted → all stored at the new friend`,
      value: syncMs / 1000,
      unit: 's',
      note: `two engines in Node (memory storage for posts) beside two gateways on the private Tor network; pages of ≤ 200 items / 180 KiB (§7.7); alice published them in ${(publishMs / 1000).toFixed(1)} s`,
    });
    report.add({ name: 'social sync rate', value: SYNC_POSTS / (syncMs / 1000), unit: 'posts/s' });
  } finally {
    for (const n of nodes) await n.stop();
    await Promise.allSettled(gws.map((g) => g.dispose()));
  }
}

export async function benchSocial(report: Report, tor: string[]): Promise<void> {
  await benchFeedRender(report, tor);
  await benchSync(report, tor);
}
