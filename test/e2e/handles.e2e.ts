// Anonymous handles in four real browsers through four real gateways on the private Tor network
// (docs/protocol.md §8): bob and dave join alice's friends group; bob sends alice an anonymous message
// (proved in his browser's zk worker, sent on an isolated circuit) and alice's browser verifies it and
// shows "one of your friends"; carol — bob's friend, not alice's — has no way in the UI, and a proof she
// crafts against a tree of her own (sealed with alice's group key leaked by a member, sent through her
// own gateway) is refused with its reason; bob's anonymous comment on alice's post reads "a friend of
// alice"; bob cannot vote twice in one poll.
import { expect, test } from '@playwright/test';
import { sealEnvelope } from '../../shared/crypto/envelope';
import { encodeHandleBody } from '../../shared/protocol/body';
import { encodeSubmission } from '../../shared/protocol/handles';
import { fromBase64Url, fromHex, toHex, utf8 } from '../../shared/util/bytes';
import { decodeFrame, encodeFrame, FrameKind } from '../../shared/wire/frame';
import {
  createGroupTree,
  encodeMembershipProof,
  identityCommitment,
  identitySecretFromSeed,
  membershipInputFromTree,
  messageHash,
  parsePublicSignals,
  scopeHash,
} from '../../shared/zk/index';
import { nodeProver, terminateProver } from '../../circuits/test/node-prover';
import { LocalClient } from '../support/local-client';
import { AnonymousPage } from './pages/anonymous';
import { FeedPage } from './pages/feed';
import { FriendsPage } from './pages/friends';
import { VaultPage } from './pages/vault';
import { connect, disposeUsers, startUsers, type BrowserUser } from './users';

test.describe.configure({ mode: 'serial', timeout: 900_000, retries: 1 });

let alice: BrowserUser;
let bob: BrowserUser;
let carol: BrowserUser;
let dave: BrowserUser;
const anon = (u: BrowserUser): AnonymousPage => new AnonymousPage(u.page);

test.beforeAll(async ({ browser }) => {
  [alice, bob, carol, dave] = (await startUsers(browser, ['alice', 'bob', 'carol', 'dave'])) as [
    BrowserUser,
    BrowserUser,
    BrowserUser,
    BrowserUser,
  ];
  for (const [u, n] of [
    [alice, 'alice'],
    [bob, 'bob'],
    [carol, 'carol'],
    [dave, 'dave'],
  ] as const)
    await new VaultPage(u.page).createIdentity(n);
  await connect(bob, 'bob', alice, 'alice', 'hi alice');
  await connect(dave, 'dave', alice, 'alice', 'hi alice');
  await connect(carol, 'carol', bob, 'bob', 'hi bob');
});

test.afterAll(async () => {
  await terminateProver();
  await disposeUsers(alice, bob, carol, dave);
});

test('bob sends alice an anonymous message; her browser verifies it: "one of your friends"', async () => {
  await anon(alice).open();
  for (const u of [bob, dave]) {
    await anon(u).open();
    await anon(u).join('alice');
  }
  await anon(bob).waitGroupSize('alice', 2);
  await expect(alice.page.getByTestId('anon-own-size')).toContainText('2 friends have joined');
  await anon(bob).send('guess who likes your cooking');
  const m = anon(alice).message('guess who likes your cooking');
  await expect(m).toBeVisible({ timeout: 120_000 });
  await expect(m.getByTestId('anon-from')).toHaveText('one of your friends');
  await expect(m.getByTestId('anon-set')).toHaveText('anonymity set: 2 friends');
  await expect(m.getByTestId('anon-set-warning')).toBeVisible(); // 2 < 5
  await expect(m).not.toContainText('bob');
});

test('carol (not alice’s friend) cannot produce an accepted proof', async () => {
  await anon(carol).open();
  await expect.poll(() => anon(carol).groupNames()).toEqual(['bob']);
  // A member leaks alice's group (gid, version, handle key) to carol.
  const bobFriends = new FriendsPage(bob.page);
  await bobFriends.open();
  const aliceId = await bobFriends.contactId('alice');
  const leaked = await bob.page.evaluate(async (key) => {
    return new Promise<unknown>((resolve, reject) => {
      const r = indexedDB.open('chattor');
      r.onerror = () => reject(new Error('open'));
      r.onsuccess = () => {
        const get = r.result.transaction('meta').objectStore('meta').get(key);
        get.onsuccess = () => resolve((get.result as { value: unknown } | undefined)?.value);
        get.onerror = () => reject(new Error('get'));
      };
    });
  }, `zk-member:${aliceId}`);
  const g = (leaked as { versions: { gid: string; ver: number; key: string }[] }).versions[0]!;
  // Carol proves membership of a tree of her own, for a statement to alice's group.
  const nonce = toHex(crypto.getRandomValues(new Uint8Array(16)));
  const statement = utf8.encode(
    JSON.stringify({
      t: 'anon-msg',
      gid: g.gid,
      ver: g.ver,
      nonce,
      handle: '',
      sentAt: Date.now(),
      body: 'I am one of your friends, honest',
    }),
  );
  const secret = identitySecretFromSeed(crypto.getRandomValues(new Uint8Array(32)));
  const other = identityCommitment(identitySecretFromSeed(crypto.getRandomValues(new Uint8Array(32))));
  const prover = await nodeProver();
  const { proof, publicSignals } = await prover.prove(
    membershipInputFromTree({
      secret,
      tree: createGroupTree([identityCommitment(secret), other]),
      scope: scopeHash(`chattor/anon-msg/${g.gid}/${nonce}`),
      messageHash: messageHash(statement),
    }),
  );
  const { envelope } = await sealEnvelope(
    fromBase64Url(g.key),
    fromHex(g.gid),
    encodeSubmission(statement, encodeMembershipProof(proof, parsePublicSignals(publicSignals))),
  );
  // Sent through carol's own gateway, on an isolated link to alice's contact onion.
  const client = await LocalClient.connect(carol.gw.uiUrl, carol.gw.token);
  try {
    const dialed = await client.command('DialPeer', { onion: alice.gw.contactOnion, isolated: true });
    const link = dialed.link as number;
    await client.waitForEvent((e) => e.t === 'PeerConnected' && e.link === link, 180_000);
    const reply = new Promise<Uint8Array>((resolve) =>
      client.onFrame((l, frame) => {
        if (l === link) resolve(decodeFrame(frame).body);
      }),
    );
    client.sendFrame(
      link,
      encodeFrame({ kind: FrameKind.DATA, stream: 0, body: encodeHandleBody('SUBMIT', envelope) }),
    );
    const result = JSON.parse(utf8.decode((await reply).subarray(3))) as { ok: boolean; code?: string };
    expect(result).toMatchObject({ ok: false, code: 'E_ZK_PROOF' });
    await client.command('ClosePeer', { link });
  } finally {
    client.ws.close();
  }
  const refusal = alice.page.getByTestId('anon-refusal').filter({ hasText: 'does not show membership' });
  await expect(refusal).toBeVisible({ timeout: 30_000 });
  await expect(anon(alice).message('I am one of your friends, honest')).toHaveCount(0);
});

test('bob comments anonymously on alice’s post: it reads "a friend of alice"', async () => {
  const a = new FeedPage(alice.page);
  await a.open();
  await a.post('what should I cook?');
  const b = new FeedPage(bob.page);
  await b.open();
  const post = await b.waitForPost('what should I cook?');
  await post.getByTestId('comment-input').fill('pasta, obviously');
  await post.getByTestId('comment-send-anon').click();
  for (const f of [a, b]) {
    await f.waitForComment('what should I cook?', 'pasta, obviously');
    const c = f
      .postWith('what should I cook?')
      .getByTestId('comment')
      .filter({ hasText: 'pasta, obviously' });
    await expect(c.getByTestId('comment-name')).toHaveText('a friend of alice');
  }
});

test('bob votes once in alice’s poll; his second vote is refused', async () => {
  await anon(alice).open();
  await anon(alice).createPoll('Pizza or pasta?', ['pizza', 'pasta']);
  const b = anon(bob);
  await b.open();
  await expect(b.poll('Pizza or pasta?')).toBeVisible({ timeout: 120_000 });
  await b.vote('Pizza or pasta?', 0);
  await expect
    .poll(() => anon(alice).counts('Pizza or pasta?'), { timeout: 60_000 })
    .toEqual(['1 votes', '0 votes']);
  await b.vote('Pizza or pasta?', 1);
  await expect(bob.page.getByTestId('poll-error')).toContainText('one vote per member per poll');
  expect(await anon(alice).counts('Pizza or pasta?')).toEqual(['1 votes', '0 votes']);
  for (const u of [alice, bob, carol, dave]) expect(u.errors).toEqual([]);
});
