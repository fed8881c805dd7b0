// Offline mail end to end (docs/protocol.md §5) on the private Tor network, with real gateways and the
// client engine in headless nodes: carol holds bob's mail while bob's gateway is stopped and carol's
// client is closed; carol's gateway (database, log, heap) never holds a plaintext marker, an identity
// key or alice's or bob's onion; it survives a restart while holding; bob comes back and gets all 20
// messages exactly once, in order; carol's store is empty after bob's delete.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeIdentitySecrets } from '../../shared/crypto/identity.js';
import type { MailTo } from '../../shared/protocol/mail-state.js';
import { startHeadlessNode } from '../../headless/node.js';
import type { HeadlessNode, HeadlessOptions } from '../../headless/node.js';
import { startTestGateway, storedEnvelopes } from '../support/gateways.js';
import { befriend, until, untilFetched } from '../support/headless.js';
import type { TestGateway } from '../support/gateways.js';
import { needleForms, scanFiles, takeHeapSnapshot } from '../support/memscan.js';

const work = mkdtempSync(join(tmpdir(), 'chattor-mailbox-'));
const gw: Record<'alice' | 'bob' | 'carol', TestGateway> = {} as never;
const nodes: Partial<Record<'alice' | 'bob' | 'carol', HeadlessNode>> = {};
const engineOptions = { depositAfterMs: 2000, fetchEveryMs: 3_600_000, retryMs: 5000 };

function headless(
  name: 'alice' | 'bob' | 'carol',
  extra: Partial<HeadlessOptions> = {},
): Promise<HeadlessNode> {
  return startHeadlessNode({
    dataDir: gw[name].dataDir,
    displayName: name,
    storagePath: join(work, `${name}-client`, 'engine.db'),
    engineOptions,
    ...extra,
  });
}

beforeAll(async () => {
  const lines = inject('testnet').clientTorrcLines;
  for (const name of ['alice', 'bob', 'carol'] as const) {
    gw[name] = await startTestGateway(name, lines, {
      nodeArgs: ['--heapsnapshot-signal=SIGUSR2'],
      cwd: work,
      logFile: join(work, `${name}-gateway.log`),
    });
  }
  for (const name of ['alice', 'bob', 'carol'] as const) nodes[name] = await headless(name);
}, 300_000);

afterAll(async () => {
  await Promise.allSettled(Object.values(nodes).map((n) => n.stop()));
  await Promise.allSettled(Object.values(gw).map((g) => g.dispose()));
  rmSync(work, { recursive: true, force: true });
});

describe('offline mail through a friend’s gateway', () => {
  it('carol holds 20 sealed messages for bob, learns nothing, and bob gets each once, in order', async () => {
    const alice = nodes.alice!;
    let bob = nodes.bob!;
    const carol = nodes.carol!;
    const [bobAtAlice] = await befriend(alice, bob);
    const [carolAtBob] = await befriend(bob, carol);
    const aliceId = (await alice.engine.myProfile()).contactId;

    await bob.engine.setMailboxHolders([carolAtBob.id]);
    await until(async () => {
      const s = await bob.engine.mailboxStatus();
      return s.holders.some((h) => h.contactId === carolAtBob.id && h.state === 'holding') ? true : undefined;
    }, 'carol holds for bob');
    // alice has bob's mailto: where to leave mail (carol only, with tokens; bob's automatic choice of
    // holders before the explicit one may have named alice too).
    const carolOnion = gw.carol.contactOnion.replace(/\.onion$/, '');
    await until(async () => {
      const to = await alice.storage.getMeta<MailTo>(`mbx:to:${bobAtAlice.id}`);
      const only = to?.holders.length === 1 ? to.holders[0] : undefined;
      return only?.onion === carolOnion && only.tokens.length > 0 ? true : undefined;
    }, "bob's mailto at alice");
    const secretsOf = async (n: HeadlessNode) =>
      decodeIdentitySecrets((await n.storage.getMeta<Uint8Array>('identity'))!);
    const keyNeedles: Buffer[] = [];
    for (const n of [alice, bob]) {
      const s = await secretsOf(n);
      for (const k of [s.signingSeed, s.dhPrivate, s.deviceSeed]) keyNeedles.push(...needleForms(k));
    }

    // carol's client goes away (her gateway keeps holding); bob's node stops entirely.
    await carol.stop();
    delete nodes.carol;
    await bob.stop();
    delete nodes.bob;
    await gw.bob.stop();

    const markers = Array.from({ length: 20 }, (_, i) => `MAILBOX-${i}-${randomBytes(10).toString('hex')}`);
    for (const m of markers) await alice.engine.sendMessage(bobAtAlice.id, m);
    await until(async () => {
      const ms = await alice.storage.listMessages(bobAtAlice.id);
      return ms.length === 20 && ms.every((m) => m.via === 'mailbox') ? true : undefined;
    }, 'all 20 deposited at carol');
    expect(storedEnvelopes(gw.carol.dataDir)).toBe(20);

    const onionNeedles = [gw.alice.contactOnion, gw.bob.contactOnion].flatMap((o) => needleForms(o));
    const markerNeedles = markers.flatMap((m) => needleForms(m));
    const dbFiles = ['mailbox.sqlite', 'mailbox.sqlite-wal']
      .map((f) => join(gw.carol.dataDir, f))
      .filter((f) => existsSync(f));
    const logFile = join(work, 'carol-gateway.log');
    // Holding: database and log hold no marker, key or onion; the heap no marker or key. (Carol's
    // gateway dialed bob for carol while her client was open — it is her friend — so his onion may
    // still be in that process; the restarted process below is checked for onions too.)
    expect([...scanFiles([...dbFiles, logFile], [...markerNeedles, ...keyNeedles, ...onionNeedles])]).toEqual(
      [],
    );
    const heap1 = await takeHeapSnapshot(gw.carol.child.child.pid!, work);
    expect([...scanFiles([heap1], [...markerNeedles, ...keyNeedles])]).toEqual([]);
    rmSync(heap1);

    // carol's gateway restarts while holding; the envelopes survive.
    gw.carol = await gw.carol.restart();
    expect(storedEnvelopes(gw.carol.dataDir)).toBe(20);
    const heap2 = await takeHeapSnapshot(gw.carol.child.child.pid!, work);
    expect([...scanFiles([heap2], [...markerNeedles, ...keyNeedles, ...onionNeedles])]).toEqual([]);
    rmSync(heap2);

    // bob comes back: his node fetches what he missed on start.
    gw.bob = await gw.bob.restart();
    bob = nodes.bob = await headless('bob');
    const got = await untilFetched(bob, aliceId, 20, 'bob has all 20');
    expect(got.map((m) => m.body)).toEqual(markers);
    expect(got.every((m) => m.via === 'mailbox')).toBe(true);
    expect(new Set(got.map((m) => m.id)).size).toBe(20);
    await until(async () => (storedEnvelopes(gw.carol.dataDir) === 0 ? true : undefined), 'carol emptied');
    // bob's delivered receipts reach alice once he can dial her.
    await until(async () => {
      const ms = await alice.storage.listMessages(bobAtAlice.id);
      return ms.every((m) => m.state === 'delivered' || m.state === 'read') ? true : undefined;
    }, 'receipts at alice');
  }, 900_000);
});
