// The client engine's offline mail (docs/protocol.md §5.2, §5.7) on the memory network, with the real
// gateway mailbox service over a temporary SQLite store at every node: asking a friend to hold, minting
// and handing out tokens, depositing when a friend is away, fetching, de-duplicating, ordering,
// deleting, refusing, revoking, and a forged envelope that is dropped without losing the rest.
import { afterEach, describe, expect, it } from 'vitest';
import { MailboxStore } from '../../gateway/mailbox/store.js';
import { tempDir } from '../../gateway/mailbox/testing.js';
import { realMailboxHost } from '../support/mailbox-host.js';
import { fetchKey, mailboxId, epochOf } from '../../shared/mailbox/ids.js';
import { blindTokens } from '../../shared/mailbox/tokens.js';
import type { MailTo } from '../../shared/protocol/mail-state.js';
import { createMemoryNetwork, type MemoryMailboxHost } from '../../shared/protocol/memory.js';
import { befriend, incoming, makeNode, settle, until, type Node } from '../../shared/protocol/testing.js';
import { fromBase64Url } from '../../shared/util/bytes.js';
import { FrameKind } from '../../shared/wire/frame.js';
import {
  decodeDeposit,
  decodeMbxError,
  encodeDeposit,
  encodeIssue,
  MbxErrorCode,
  type DepositBody,
} from '../../shared/wire/mailbox.js';

const dirs: { remove(): void }[] = [];
/** Every DEPOSIT any holder saw, to replay one. */
const deposits: DepositBody[] = [];
const stores: MailboxStore[] = [];

function hostFor(): MemoryMailboxHost {
  const d = tempDir();
  dirs.push(d);
  const store = MailboxStore.open({ dataDir: d.dir });
  stores.push(store);
  return realMailboxHost(store, (f) => {
    if (f.kind === FrameKind.DEPOSIT) deposits.push(decodeDeposit(f.body));
  });
}

afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) d.remove();
});

const mailOpts = { depositAfterMs: 50, fetchEveryMs: 3_600_000, retryMs: 100 };

async function threeFriends(carolOpts = {}) {
  const net = createMemoryNetwork({ mailbox: hostFor });
  const alice = await makeNode(net, 'alice', mailOpts);
  const bob = await makeNode(net, 'bob', mailOpts);
  const carol = await makeNode(net, 'carol', { ...mailOpts, ...carolOpts });
  const { ab: bobAtAlice } = await befriend(alice, bob);
  const { ab: carolAtBob } = await befriend(bob, carol);
  return { net, alice, bob, carol, bobAtAlice, carolAtBob };
}

/** Protocol errors other than the replays that outbox resends cause on the direct link (§4.5). */
function unexpected(n: Node): { code: string; message: string }[] {
  return n.errors().filter((e) => e.code !== 'E_REPLAY');
}

async function mailTo(n: Node, contactId: string): Promise<MailTo | undefined> {
  return (await n.storage.getMeta<MailTo | null>(`mbx:to:${contactId}`)) ?? undefined;
}

async function holding(bob: Node, carolId: string): Promise<void> {
  await bob.engine.setMailboxHolders([carolId]);
  await until(async () => {
    const s = await bob.engine.mailboxStatus();
    return s.holders.some((h) => h.contactId === carolId && h.state === 'holding');
  }, 'holding');
}

describe('offline mail in the engine', () => {
  it('deposits while bob is away and bob collects each message once, in order, via mailbox', async () => {
    const { net, alice, bob, carol, bobAtAlice, carolAtBob } = await threeFriends();
    await holding(bob, carolAtBob.id);
    await until(
      async () => ((await mailTo(alice, bobAtAlice.id))?.holders[0]?.tokens.length ?? 0) > 0,
      'mailto',
    );
    expect((await carol.engine.mailboxStatus()).hosting).toEqual([(await bob.engine.myProfile()).contactId]);
    expect((await alice.engine.mailboxStatus()).mailTo).toEqual([bobAtAlice.id]);

    net.setOnline(bob.onion, false);
    const texts = Array.from({ length: 12 }, (_, i) => `away ${i}`);
    for (const t of texts) await alice.engine.sendMessage(bobAtAlice.id, t);
    await until(async () => {
      const ms = await alice.storage.listMessages(bobAtAlice.id);
      return ms.length === 12 && ms.every((m) => m.state === 'sent' && m.via === 'mailbox');
    }, 'deposited');
    const waiting = await alice.storage.listOutbox(bobAtAlice.id);
    expect(waiting.filter((i) => i.kind === 'message').every((i) => i.depositedAt !== undefined)).toBe(true);
    expect((await carol.engine.mailboxStatus()).held?.envelopes).toBe(12);

    net.setOnline(bob.onion, true);
    expect(await bob.engine.fetchMail()).toBe(12);
    const got = (await bob.storage.listMessages((await alice.engine.myProfile()).contactId)).filter(
      (m) => m.direction === 'in',
    );
    expect(got.map((m) => m.body)).toEqual(texts);
    expect(got.every((m) => m.via === 'mailbox')).toBe(true);
    expect((await carol.engine.mailboxStatus()).held?.envelopes).toBe(0);
    expect(await bob.engine.fetchMail()).toBe(0);
    // A replayed envelope (re-deposited with a fresh token after bob deleted it) is dropped quietly.
    const old = deposits.at(-1)!;
    const to = (await mailTo(alice, bobAtAlice.id))!;
    const h = to.holders.find((x) => x.onion === carol.onion)!;
    const session = await net.transport(alice.onion).mailbox!.connect(carol.onion);
    const again = await session.request(
      FrameKind.DEPOSIT,
      encodeDeposit({ ...old, token: fromBase64Url(h.tokens.at(-1)!) }),
    );
    session.close();
    expect(again.kind).toBe(FrameKind.STORED);
    expect(await bob.engine.fetchMail()).toBe(1);
    expect(await incoming(bob, alice)).toEqual(texts);
    await until(async () => {
      const ms = await alice.storage.listMessages(bobAtAlice.id);
      return ms.every((m) => m.state === 'delivered');
    }, 'receipts');
    await until(async () => (await alice.storage.listOutbox(bobAtAlice.id)).length === 0, 'outbox empty');
    expect(unexpected(bob)).toEqual([]);
  });

  it('a message that arrives directly and via mailbox is stored once, without errors', async () => {
    const { net, alice, bob, bobAtAlice, carolAtBob } = await threeFriends();
    await holding(bob, carolAtBob.id);
    await until(async () => (await mailTo(alice, bobAtAlice.id)) !== undefined, 'mailto');
    await settle(alice, bob);
    // bob's receipts are lost, so alice deposits what bob already has.
    net.tap = (e) => !(e.from === bob.onion && e.to === alice.onion);
    await alice.engine.sendMessage(bobAtAlice.id, 'twice');
    await until(
      async () => (await alice.storage.listMessages(bobAtAlice.id)).some((m) => m.via === 'mailbox'),
      'deposit',
    );
    net.tap = undefined;
    expect(await bob.engine.fetchMail()).toBe(1);
    expect(await incoming(bob, alice)).toEqual(['twice']);
    expect(unexpected(bob)).toEqual([]);
  });

  it('a friend who does not hold for friends refuses, and nothing is deposited', async () => {
    const { bob, carolAtBob } = await threeFriends({ holdForFriends: () => false });
    await bob.engine.setMailboxHolders([carolAtBob.id]);
    await until(async () => (await bob.engine.mailboxStatus()).holders[0]?.state === 'refused', 'refused');
  });

  it('dropping the holder revokes: alice is told there is nowhere to leave mail', async () => {
    const { alice, bob, bobAtAlice, carolAtBob } = await threeFriends();
    await holding(bob, carolAtBob.id);
    await until(async () => ((await mailTo(alice, bobAtAlice.id))?.holders.length ?? 0) === 1, 'mailto');
    await bob.engine.setMailboxHolders([]);
    await until(async () => (await mailTo(alice, bobAtAlice.id))?.holders.length === 0, 'revoked');
    expect((await alice.engine.mailboxStatus()).mailTo).toEqual([]);
  });

  it('refuses bad input: holders that are not friends, and forged or spent tokens at the holder', async () => {
    const { net, alice, bob, carol, bobAtAlice, carolAtBob } = await threeFriends();
    await expect(bob.engine.setMailboxHolders(['0'.repeat(32)])).rejects.toThrow(/friends/);
    await expect(bob.engine.setMailboxHolders(Array(6).fill(carolAtBob.id))).rejects.toThrow(/up to 5/);
    await holding(bob, carolAtBob.id);
    await until(
      async () => !!(await mailTo(alice, bobAtAlice.id))?.holders.some((x) => x.onion === carol.onion),
      'mailto',
    );
    const to = (await mailTo(alice, bobAtAlice.id))!;
    const h = to.holders.find((x) => x.onion === carol.onion)!;
    const keyId = fromBase64Url(h.okey).subarray(0, 8);
    const mid = mailboxId(fetchKey(fromBase64Url(to.secret), epochOf(Date.now()), h.onion));
    const session = await net.transport(alice.onion).mailbox!.connect(carol.onion);
    const deposit = (token: Uint8Array) =>
      session.request(
        FrameKind.DEPOSIT,
        encodeDeposit({ keyId, token, mid, envelope: new Uint8Array(1024) }),
      );
    const forged = new Uint8Array(96).fill(9);
    const r1 = await deposit(forged);
    expect(r1.kind).toBe(FrameKind.MBX_ERROR);
    expect(decodeMbxError(r1.body).code).toBe(MbxErrorCode.BAD_CAPABILITY);
    const token = fromBase64Url(h.tokens.at(-1)!); // alice spends hers from the front
    expect((await deposit(token)).kind).toBe(FrameKind.STORED);
    const replay = await session.request(
      FrameKind.DEPOSIT,
      encodeDeposit({ keyId, token, mid, envelope: new Uint8Array(1024).fill(1) }),
    );
    expect(decodeMbxError(replay.body).code).toBe(MbxErrorCode.TOKEN_SPENT);
    // Minting without the account capability is refused.
    const forgedCap = new Uint8Array(32).fill(3);
    const issue = await session.request(
      FrameKind.ISSUE,
      encodeIssue({ cap: forgedCap, blinded: blindTokens(1).blinded }),
    );
    expect(decodeMbxError(issue.body).code).toBe(MbxErrorCode.BAD_CAPABILITY);
    session.close();
    // bob's fetch meets the forged (unopenable) envelope: it is reported, deleted, and mail goes on.
    net.setOnline(bob.onion, false);
    await alice.engine.sendMessage(bobAtAlice.id, 'after the junk');
    await until(
      async () => (await alice.storage.listMessages(bobAtAlice.id)).some((m) => m.via === 'mailbox'),
      'deposit',
    );
    net.setOnline(bob.onion, true);
    expect(await bob.engine.fetchMail()).toBe(2);
    expect(await incoming(bob, alice)).toEqual(['after the junk']);
    expect(unexpected(bob).map((e) => e.code)).toEqual(['E_DECRYPT']);
    expect((await carol.engine.mailboxStatus()).held?.envelopes).toBe(0);
  });
});
