// Offline mail in two real browsers (issue: offline messages, docs/protocol.md §5): alice and bob become
// friends and each holds the other's mail (the automatic choice); bob closes his tab and stops his node;
// alice writes; her messages are left in bob's mailbox (held by her own gateway, sealed to bob); bob
// comes back and sees them marked "via mailbox", and alice sees them delivered.
import { expect, test } from '@playwright/test';
import { ChatPage } from './pages/chat';
import { FriendsPage } from './pages/friends';
import { MailboxPage } from './pages/mailbox';
import { befriend, disposeUsers, startUsers, type BrowserUser } from './users';

test.describe.configure({ mode: 'serial', timeout: 600_000, retries: 1 });

let alice: BrowserUser;
let bob: BrowserUser;

test.beforeAll(async ({ browser }) => {
  [alice, bob] = await startUsers(browser);
});

test.afterAll(async () => {
  await disposeUsers(alice, bob);
});

test('friends hold each other’s mail automatically', async () => {
  await befriend(alice, bob, 'hello');
  const aliceId = await new FriendsPage(bob.page).contactId('alice');

  const bobMailbox = new MailboxPage(bob.page);
  await bobMailbox.open();
  await bobMailbox.waitReady();
  expect(await bobMailbox.isAuto()).toBe(true);
  await bobMailbox.waitHolderState(aliceId, 'holding');
  // alice knows where to leave bob's mail (his mailto reached her).
  const aliceMailbox = new MailboxPage(alice.page);
  await aliceMailbox.open();
  await aliceMailbox.waitReady();
  await aliceMailbox.waitMailToCount(1);
  await aliceMailbox.waitHostingCount(1);
});

test('bob closes his node, alice writes, bob comes back and sees the messages via mailbox', async () => {
  await bob.page.close();
  await bob.gw.stop();
  const texts = ['while you were away 1', 'while you were away 2', 'while you were away 3'];
  const aliceChat = new ChatPage(alice.page);
  const aliceFriends = new FriendsPage(alice.page);
  await aliceFriends.open();
  await aliceFriends.openChat('bob');
  for (const t of texts) await aliceChat.send(t);
  for (const t of texts) await aliceChat.waitLeftInMailbox(t, 180_000);
  // alice's gateway holds them for bob: counts and sizes only.
  const aliceMailbox = new MailboxPage(alice.page);
  await aliceMailbox.open();
  await aliceMailbox.waitHeldEnvelopes(texts.length, 60_000);

  bob.gw = await bob.gw.restart();
  bob.page = await bob.context.newPage();
  bob.page.on('pageerror', (e) => bob.errors.push(e.message));
  await bob.page.goto(`${bob.gw.uiUrl}/`);
  const bobFriends = new FriendsPage(bob.page);
  await bobFriends.open();
  await bobFriends.openChat('alice');
  const bobChat = new ChatPage(bob.page);
  for (const t of texts) await bobChat.waitForMailboxMessage(t, 240_000);
  expect((await bobChat.messageTexts()).filter((t) => t.startsWith('while you were away'))).toEqual(texts);

  await aliceFriends.open();
  await aliceFriends.openChat('bob');
  for (const t of texts) await aliceChat.waitDelivered(t, 240_000);
  await aliceMailbox.open();
  await aliceMailbox.waitHeldEnvelopes(0, 60_000);
  expect(alice.errors).toEqual([]);
  expect(bob.errors).toEqual([]);
});
