// Fault injection in real browsers (hardening; the tor and gateway half is test/tor/faults.tor.spec.ts):
// alice's or bob's tab crashes (Chromium's renderer is killed over CDP: no unload, no last write) at a
// random moment while they chat, while a file goes from alice to bob, and while bob fetches mail left
// for him while he was away. A new tab is opened on the same gateway, as the user would, and nothing
// else is done for it. After every round: bob holds exactly the texts alice's history shows as sent
// (and the other way round), each once and in order; every text whose send the UI had confirmed before
// the crash is among them; every file arrives byte-identical.
//
// CHATTOR_FAULT_ROUNDS sets the rounds (default 6; with the tor tier's 14, 20 rounds of faults),
// CHATTOR_FAULT_SEED replays a run (printed first).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, expect, test, type BrowserContext } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium';
import { startTestGateway } from '../support/gateways';
import { prng, seedFrom } from '../support/prng';
import { ChatPage } from './pages/chat';
import { FriendsPage } from './pages/friends';
import { MailboxPage } from './pages/mailbox';
import { befriend, torrcLines, type BrowserUser } from './users';

test.describe.configure({ mode: 'serial', timeout: 1_800_000 });

const ROUNDS = Number(process.env.CHATTOR_FAULT_ROUNDS ?? 6);
const SEED = seedFrom('CHATTOR_FAULT_SEED');
const next = prng(SEED);
const rand = (): number => next() / 2 ** 32;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface User extends BrowserUser {
  name: 'alice' | 'bob';
  peer: 'alice' | 'bob';
  chat: ChatPage;
  /** The browser profile directory: each user runs a Chromium of their own on it. */
  profile: string;
  /** The browser went down with the crashed tab (seen now and then with Page.crash). */
  browserGone: boolean;
  /** How often the user had to start the browser again. */
  relaunches: number;
}

// Made in beforeAll, not on import: Playwright also imports spec files in its main process to list
// the tests, and a directory made there would never be removed.
let work: string;
let alice: User;
let bob: User;

/**
 * A Chromium of the user's own on a persistent profile. Now and then the browser context does not
 * survive a `Page.crash`; with a profile on disk the user then does what a real one would — starts the
 * browser again — and finds the same origin data (IndexedDB) there. Each user's own browser also keeps
 * one user's crash away from the other's tabs.
 */
async function launch(u: Pick<User, 'profile' | 'browserGone' | 'context'>): Promise<BrowserContext> {
  const context = await chromium.launchPersistentContext(u.profile, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    acceptDownloads: true,
  });
  u.browserGone = false;
  // Only the user's current browser: an old one may report its end after the new one started.
  context.on('close', () => {
    if (u.context === context) u.browserGone = true;
  });
  return context;
}

async function startUser(name: 'alice' | 'bob'): Promise<User> {
  const gw = await startTestGateway(name, torrcLines());
  const u = {
    profile: join(work, `${name}-profile`),
    browserGone: false,
    gw,
    errors: [] as string[],
    name,
    peer: name === 'alice' ? ('bob' as const) : ('alice' as const),
    relaunches: 0,
  } as User;
  u.context = await launch(u);
  u.page = u.context.pages()[0] ?? (await u.context.newPage());
  u.page.on('pageerror', (e) => u.errors.push(e.message));
  await u.page.goto(`${gw.uiUrl}/#pair=${gw.token}`);
  u.chat = new ChatPage(u.page);
  return u;
}

test.beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'chattor-faults-e2e-'));
  alice = await startUser('alice');
  bob = await startUser('bob');
});

test.afterAll(async () => {
  for (const u of [alice, bob]) await u?.context.close().catch(() => undefined);
  await Promise.allSettled([alice?.gw.dispose(), bob?.gw.dispose()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Opens `u`'s conversation with the peer in a new tab of the same browser profile. */
async function openTab(u: User): Promise<void> {
  // Right after a crash the new tab can land in the dying renderer process ("Target closed"): the user
  // would simply open it again. When that fails twice (in CI it went on for seconds, the context still
  // claiming to be open), the user quits the browser and starts it again on the same profile.
  let restart = false;
  for (let attempt = 1; ; attempt++) {
    try {
      if (restart || u.browserGone) {
        await u.context.close().catch(() => undefined);
        u.context = await launch(u);
        u.browserGone = false; // whatever the old one reported meanwhile
        u.relaunches++;
        restart = false;
      }
      u.page = await u.context.newPage();
      u.page.on('pageerror', (e) => u.errors.push(e.message));
      await u.page.goto(`${u.gw.uiUrl}/`);
      break;
    } catch (e) {
      await u.page.close().catch(() => undefined);
      if (attempt === 6) throw e;
      restart = attempt >= 2; // a launch that failed (the old browser still holds the profile) is retried too
      await sleep(1000 * attempt);
    }
  }
  const friends = new FriendsPage(u.page);
  await friends.open();
  await friends.openChat(u.peer);
  u.chat = new ChatPage(u.page);
}

/** Kills `u`'s renderer (a tab crash: nothing of the page runs after it) and opens a new tab. */
async function crashTab(u: User): Promise<void> {
  const crashed = u.page.waitForEvent('crash');
  const cdp = await u.context.newCDPSession(u.page);
  void cdp.send('Page.crash').catch(() => undefined);
  await crashed;
  await u.page.close().catch(() => undefined);
  await openTab(u);
}

/** Sends `texts` from `u` a random pause apart; returns those whose send the UI confirmed. */
async function burst(u: User, texts: string[], spreadMs: number): Promise<string[]> {
  const confirmed: string[] = [];
  const page = u.page;
  for (const t of texts) {
    await sleep(rand() * spreadMs);
    if (u.page !== page) break; // the tab crashed: the user goes on in the new one
    try {
      await u.chat.send(t);
      confirmed.push(t);
    } catch {
      break;
    }
  }
  return confirmed;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * Waits until each side has received exactly what the other side's history shows as sent (in order,
 * once) and sees it delivered; `confirmed` must be among the sent ones.
 */
async function expectConverged(tag: string, confirmed: Record<'alice' | 'bob', string[]>): Promise<void> {
  for (const [from, to] of [
    [alice, bob],
    [bob, alice],
  ] as const) {
    const mine = (ts: string[]) => ts.filter((t) => t.startsWith(`${tag}-`));
    const sent = mine(await from.chat.textsOf('out'));
    for (const t of confirmed[from.name]) expect(sent, `${from.name}'s confirmed ${t}`).toContain(t);
    await expect
      .poll(async () => mine(await to.chat.textsOf('in')), { timeout: 300_000, intervals: [1000] })
      .toEqual(sent);
    for (const t of sent) await from.chat.waitDelivered(t, 300_000);
    const all = [...(await from.chat.textsOf('out')), ...(await from.chat.textsOf('in'))];
    expect(new Set(all).size, `${from.name} shows a message twice`).toBe(all.length);
  }
}

test('alice and bob become friends and open their chat', async () => {
  console.log(`faults e2e: seed ${SEED} (CHATTOR_FAULT_SEED=${SEED} replays it), ${ROUNDS} rounds`);
  await befriend(alice, bob, 'faults');
  // alice holds bob's mail (the automatic choice) and knows where to leave it, before any round needs it.
  const aliceId = await new FriendsPage(bob.page).contactId('alice');
  const bobMailbox = new MailboxPage(bob.page);
  await bobMailbox.open();
  await bobMailbox.waitReady();
  await bobMailbox.waitHolderState(aliceId, 'holding');
  const aliceMailbox = new MailboxPage(alice.page);
  await aliceMailbox.open();
  await aliceMailbox.waitReady();
  await aliceMailbox.waitMailToCount(1);
  for (const u of [alice, bob]) {
    await new FriendsPage(u.page).open();
    await new FriendsPage(u.page).openChat(u.peer);
    u.chat = new ChatPage(u.page);
  }
});

test('tab crashes during chat, file transfer and mail delivery lose and repeat nothing', async () => {
  for (let round = 1; round <= ROUNDS; round++) {
    const t0 = Date.now();
    const tag = `r${round}`;
    const kind = (['chat', 'file', 'mail'] as const)[(round - 1) % 3]!;
    const victim = rand() < 0.5 ? alice : bob;
    const atMs = Math.floor(rand() * 2500);
    const texts = (u: User, n: number) =>
      Array.from({ length: n }, (_, i) => `${tag}-${u.name}-${i}-${randomBytes(3).toString('hex')}`);
    let what: string;
    if (kind === 'chat') {
      // Both write at once; one of the tabs dies in the middle.
      const [ca, cb] = await Promise.all([
        burst(alice, texts(alice, 5), 600),
        burst(bob, texts(bob, 3), 900),
        sleep(atMs).then(() => crashTab(victim)),
      ]);
      await expectConverged(tag, { alice: ca, bob: cb });
      what = `${victim.name}'s tab crashed ${atMs} ms into a chat`;
    } else if (kind === 'file') {
      // alice sends a file (under the 10 MB auto-accept); the sender's or the receiver's tab dies
      // once a random share of it has arrived.
      const size = Math.floor((2 + rand() * 6) * 1024 * 1024);
      const data = randomBytes(size);
      const name = `${tag}.bin`;
      const path = join(work, name);
      writeFileSync(path, data);
      await alice.chat.attachFile(path);
      await bob.chat.waitForFile(name, 'in', 180_000);
      const share = rand();
      await bob.chat.waitFileDone(name, Math.floor(size * share * 0.9), 300_000, 'in');
      const done = (await bob.chat.fileProgress(name, 'in')).done;
      await crashTab(victim);
      await bob.chat.waitFileState(name, 'complete', 400_000, 'in');
      const saved = await bob.chat.downloadFile(name, join(work, `${name}.got`));
      expect(sha256(readFileSync(saved)), `${name} as bob got it`).toBe(sha256(data));
      await alice.chat.waitFileState(name, 'complete', 120_000, 'out');
      what = `${victim.name}'s tab crashed with ${((100 * done) / size).toFixed(0)} % of a ${(size / 2 ** 20).toFixed(1)} MiB file at bob`;
    } else {
      // bob is away (tab closed, gateway stopped); alice's messages are left in his mailbox; bob comes
      // back and his tab crashes while it fetches them.
      await bob.page.close();
      await bob.gw.stop();
      const sent = await burst(alice, texts(alice, 4), 300);
      for (const t of sent) await alice.chat.waitLeftInMailbox(t, 180_000);
      bob.gw = await bob.gw.restart();
      await openTab(bob);
      await sleep(atMs);
      await crashTab(bob);
      await expectConverged(tag, { alice: sent, bob: [] });
      what = `bob's tab crashed ${atMs} ms after he came back to ${sent.length} messages in his mailbox`;
    }
    const restarts = alice.relaunches + bob.relaunches;
    console.log(
      `faults e2e: round ${round}/${ROUNDS}: ${what}; round took ${((Date.now() - t0) / 1000).toFixed(1)} s` +
        (restarts > 0 ? ` (browsers started again so far: ${restarts})` : ''),
    );
  }
  expect(alice.errors).toEqual([]);
  expect(bob.errors).toEqual([]);
});
