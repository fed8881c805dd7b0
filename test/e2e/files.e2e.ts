// File transfer between two real browsers (issue: file transfer, docs/protocol.md §6) through two
// gateways on the private Tor network: alice sends bob an image and a 50 MB file; bob sees the image's
// preview, accepts the big file, sees its progress, reloads his tab in the middle, and the transfer
// resumes; the downloaded file is byte-identical.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { ChatPage } from './pages/chat';
import { FriendsPage } from './pages/friends';
import { befriend, disposeUsers, startUsers, type BrowserUser } from './users';

test.describe.configure({ mode: 'serial', timeout: 600_000, retries: 1 });

// Made in beforeAll, not on import: Playwright also imports spec files in its main process to list
// the tests, and a directory made there would never be removed.
let work: string;
let alice: BrowserUser;
let bob: BrowserUser;

// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

test.beforeAll(async ({ browser }) => {
  work = mkdtempSync(join(tmpdir(), 'chattor-files-e2e-'));
  [alice, bob] = await startUsers(browser);
});

test.afterAll(async () => {
  await disposeUsers(alice, bob);
  if (work) rmSync(work, { recursive: true, force: true });
});

test('alice and bob become friends and open their chat', async () => {
  await befriend(alice, bob, 'files?');
  await new FriendsPage(alice.page).openChat('bob');
  await new FriendsPage(bob.page).openChat('alice');
});

test('an image arrives with a preview', async () => {
  const path = join(work, 'dot.png');
  writeFileSync(path, PNG);
  await new ChatPage(alice.page).attachFile(path);
  const bobChat = new ChatPage(bob.page);
  await bobChat.waitFileState('dot.png', 'complete', 180_000, 'in');
  await bobChat.waitPreview('dot.png');
});

test('a 50 MB file: progress, a reload in the middle, resume, byte-identical download', async () => {
  const path = join(work, 'big.bin');
  const data = randomBytes(50 * 1024 * 1024);
  writeFileSync(path, data);
  const want = createHash('sha256').update(data).digest('hex');
  await new ChatPage(alice.page).attachFile(path);
  let bobChat = new ChatPage(bob.page);
  await bobChat.waitForFile('big.bin', 'in', 180_000);
  await bobChat.acceptFile('big.bin'); // above the 10 MB auto-accept default
  await bobChat.waitFileDone('big.bin', 5 * 1024 * 1024, 240_000, 'in');
  const before = await bobChat.fileProgress('big.bin', 'in');
  expect(before.total).toBe(data.length);
  expect(before.done).toBeLessThan(data.length);

  await bob.page.reload();
  await new FriendsPage(bob.page).open();
  await new FriendsPage(bob.page).openChat('alice');
  bobChat = new ChatPage(bob.page);
  await bobChat.waitFileState('big.bin', 'complete', 400_000, 'in');
  const saved = await bobChat.downloadFile('big.bin', join(work, 'downloaded.bin'));
  expect(createHash('sha256').update(readFileSync(saved)).digest('hex')).toBe(want);
  await new ChatPage(alice.page).waitFileState('big.bin', 'complete', 120_000, 'out');
  expect(alice.errors).toEqual([]);
  expect(bob.errors).toEqual([]);
});
