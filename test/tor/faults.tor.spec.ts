// Fault injection (docs/architecture.md §Tests, hardening): tor and gateways are SIGKILLed at random
// moments while chat, a file transfer and offline mail are under way, round after round, on the private
// Tor network with real gateways and the client engine in headless nodes. After every round each side
// must hold exactly what was sent — nothing lost, nothing twice, in order, files byte-identical — and
// every node must have recovered by itself: the only help it gets is that a killed gateway process is
// started again on its data directory, as a service manager would. A killed tor is restarted by its
// gateway. (Tab crashes are the browser's part: test/e2e/faults.e2e.ts.)
//
// CHATTOR_FAULT_ROUNDS sets the number of rounds (default 14: every seventh of mail, the others of chat and
// a file), CHATTOR_FAULT_SEED replays a run: the seed is printed first, and every round prints what it
// killed, when, and how long recovery took.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ChatMessage } from '../../shared/protocol/api.js';
import { startHeadlessNode } from '../../headless/node.js';
import type { HeadlessNode } from '../../headless/node.js';
import { startTestGateway, storedEnvelopes } from '../support/gateways.js';
import type { TestGateway } from '../support/gateways.js';
import { befriend, until } from '../support/headless.js';
import { prng, seedFrom } from '../support/prng.js';

type Name = 'alice' | 'bob' | 'carol';
type Fault = `${'tor' | 'gateway'}:${Name}`;

const ROUNDS = Number(process.env.CHATTOR_FAULT_ROUNDS ?? 14);
const SEED = seedFrom('CHATTOR_FAULT_SEED');
const next = prng(SEED);
/** A uniform float in [0, 1). */
const rand = (): number => next() / 2 ** 32;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const work = mkdtempSync(join(tmpdir(), 'chattor-faults-'));
const gw = {} as Record<Name, TestGateway>;
const nodes = {} as Record<Name, HeadlessNode>;
let lines: string[] = [];
// Short timers so that recovery is the engine's own doing within a round: the outbox retries every 5 s,
// mail is deposited after 2 s without a receipt and fetched every 5 s.
const engineOptions = {
  depositAfterMs: 2000,
  fetchEveryMs: 5000,
  retryMs: 5000,
  autoAcceptBytes: () => 64 * 1024 * 1024,
};

beforeAll(async () => {
  lines = inject('testnet').clientTorrcLines;
  for (const name of ['alice', 'bob', 'carol'] as const)
    gw[name] = await startTestGateway(name, lines, { cwd: work, logFile: join(work, `${name}-gateway.log`) });
  for (const name of ['alice', 'bob', 'carol'] as const)
    nodes[name] = await startHeadlessNode({
      dataDir: gw[name].dataDir,
      displayName: name,
      storagePath: join(work, `${name}-client`, 'engine.db'),
      filesDir: join(work, `${name}-files`),
      engineOptions,
    });
}, 300_000);

afterAll(async () => {
  await Promise.allSettled(Object.values(nodes).map((n) => n.stop()));
  await Promise.allSettled(Object.values(gw).map((g) => g.dispose()));
  rmSync(work, { recursive: true, force: true });
});

/** Kills what `fault` names; a killed gateway is started again on its data directory after `downMs`. */
async function inflict(fault: Fault, downMs: number): Promise<void> {
  const [what, name] = fault.split(':') as ['tor' | 'gateway', Name];
  if (what === 'tor') {
    process.kill(await gw[name].torPid(), 'SIGKILL');
    return;
  }
  await gw[name].crash();
  await sleep(downMs);
  gw[name] = await gw[name].restart();
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** On a timeout, adds the last lines of each gateway's (redacted) log to the error, to see where it hung. */
async function withLogs<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    const tails = (['alice', 'bob', 'carol'] as const).map((name) => {
      const file = join(work, `${name}-gateway.log`);
      const lines = existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-40) : [];
      return `--- ${name}'s gateway log, last lines:\n${lines.join('\n')}`;
    });
    const states = await Promise.all((['alice', 'bob', 'carol'] as const).map((n) => engineState(n)));
    throw new Error(`${(e as Error).message}\n${tails.join('\n')}\n${states.join('\n')}`, { cause: e });
  }
}

/**
 * The engine's link and outbox bookkeeping, to see where a round hung: which links it holds open or
 * closed (onions shortened), whom it dialed, and what waits in its outbox. Test-only reading of internals.
 */
async function engineState(name: Name): Promise<string> {
  try {
    type Internals = {
      core: {
        links: Map<number, { open: boolean; onion?: string; epoch?: number }>;
        dialed: Map<string, number>;
        replyLinks: Map<string, number>;
        files?: {
          live: Map<string, { rec: { direction: string; state: string; next: number }; sent: number }>;
        };
      };
    };
    const core = (nodes[name].engine as unknown as Internals).core;
    const short = (o?: string) => (o ? `${o.slice(0, 6)}…` : '-');
    const links = [...core.links].map(
      ([n, l]) => `${n}:${l.open ? 'open' : 'closed'}:${short(l.onion)}:e${l.epoch}`,
    );
    const dialed = [...core.dialed].map(([o, n]) => `${short(o)}→${n}`);
    const reply = [...core.replyLinks].map(([c, n]) => `${c.slice(0, 6)}→${n}`);
    const outbox = (await nodes[name].storage.listOutbox()).map(
      (i) => `${i.contactId.slice(0, 6)}:${(i as { kind?: string }).kind ?? '?'}:${i.messageId.slice(0, 6)}`,
    );
    const files = [...(core.files?.live ?? new Map())].map(
      ([id, l]) => `${id.slice(0, 6)}:${l.rec.direction}:${l.rec.state}:next=${l.rec.next}:sent=${l.sent}`,
    );
    return `--- ${name}'s engine: links [${links.join(' ')}] dialed [${dialed.join(' ')}] replyLinks [${reply.join(' ')}] outbox [${outbox.join(' ')}] files [${files.join(' ')}]`;
  } catch (e) {
    return `--- ${name}'s engine: not readable (${(e as Error).message})`;
  }
}

/** What one side holds of a conversation: its texts each way, in display order, and its files. */
async function conversation(node: HeadlessNode, contactId: string) {
  const ms = await node.storage.listMessages(contactId);
  const texts = (dir: ChatMessage['direction']) => ms.filter((m) => m.direction === dir && !m.file);
  return {
    in: texts('in').map((m) => m.body),
    out: texts('out'),
    ids: ms.map((m) => m.id),
    files: ms.filter((m) => m.file),
  };
}

describe('faults during chat, files and offline mail', () => {
  it(`${ROUNDS} rounds of killed tors and gateways lose, repeat and corrupt nothing`, async () => {
    console.log(`faults: seed ${SEED} (CHATTOR_FAULT_SEED=${SEED} replays it), ${ROUNDS} rounds`);
    const [bobAtAlice, aliceAtBob] = await befriend(nodes.alice, nodes.bob);
    const [carolAtBob] = await befriend(nodes.bob, nodes.carol);
    await nodes.bob.engine.setMailboxHolders([carolAtBob.id]);
    await until(async () => {
      const s = await nodes.bob.engine.mailboxStatus();
      return s.holders.some((h) => h.contactId === carolAtBob.id && h.state === 'holding') ? true : undefined;
    }, 'carol holds for bob');

    const sentAB: string[] = []; // every text alice sent bob, in order
    const sentBA: string[] = [];
    const files = new Map<string, string>(); // file message id → SHA-256 of its bytes
    const srcDir = join(work, 'sources');
    mkdirSync(srcDir, { recursive: true });

    /** Resolves once both sides hold exactly what was sent and nothing is still on its way. */
    const settled = (what: string) =>
      withLogs(
        until(
          async () => {
            const a = await conversation(nodes.alice, bobAtAlice.id);
            const b = await conversation(nodes.bob, aliceAtBob.id);
            if (b.in.length < sentAB.length || a.in.length < sentBA.length) return undefined;
            // Never more than was sent, never twice, never out of order — checked as soon as all arrived.
            expect(b.in).toEqual(sentAB);
            expect(a.in).toEqual(sentBA);
            expect(new Set(a.ids).size).toBe(a.ids.length);
            expect(new Set(b.ids).size).toBe(b.ids.length);
            const undelivered = [...a.out, ...b.out].filter(
              (m) => m.state !== 'delivered' && m.state !== 'read',
            );
            expect(undelivered.filter((m) => m.state === 'failed')).toEqual([]);
            if (undelivered.length > 0) return undefined;
            if (b.files.length < files.size) return undefined;
            expect(b.files.map((m) => m.id).sort()).toEqual([...files.keys()].sort());
            for (const m of [...a.files, ...b.files]) {
              expect(m.file!.state, `${m.file!.name}: ${m.file!.error ?? ''}`).not.toMatch(
                /failed|cancelled/,
              );
              if (m.file!.state !== 'complete') return undefined;
            }
            return true;
          },
          what,
          420_000,
        ),
      );

    // Every random value of a round is drawn before anything runs concurrently, so a seed replays the
    // same kills at the same moments.
    const pauses = (n: number, spreadMs: number) => Array.from({ length: n }, () => rand() * spreadMs);
    const say = async (from: 'alice' | 'bob', waits: number[], tag: string) => {
      for (const [i, wait] of waits.entries()) {
        await sleep(wait);
        const text = `${tag}-${from}-${i}-${randomBytes(4).toString('hex')}`;
        if (from === 'alice') {
          sentAB.push(text);
          await nodes.alice.engine.sendMessage(bobAtAlice.id, text);
        } else {
          sentBA.push(text);
          await nodes.bob.engine.sendMessage(aliceAtBob.id, text);
        }
      }
    };

    const chatFaults: Fault[] = ['tor:alice', 'tor:bob', 'gateway:alice', 'gateway:bob'];
    const mailFaults: Fault[] = ['gateway:carol', 'tor:carol', 'tor:alice'];
    for (let round = 1; round <= ROUNDS; round++) {
      const t0 = Date.now();
      const tag = `r${round}`;
      let report: string;
      if (round % 7 !== 0) {
        // Chat both ways and a file from alice, with a tor or gateway of either side killed in between.
        const fault = pick(chatFaults);
        const size = Math.floor((1 + rand() * 3) * 1024 * 1024);
        const bytes = randomBytes(size);
        const source = join(srcDir, `${tag}.bin`);
        writeFileSync(source, bytes);
        const atMs = Math.floor(rand() * 3000);
        const downMs = Math.floor(rand() * 2000);
        const file = await nodes.alice.engine.sendFile(bobAtAlice.id, {
          name: `${tag}.bin`,
          size,
          type: '',
          source,
        });
        files.set(file.id, sha256(bytes));
        const [aliceWaits, bobWaits] = [pauses(6, 700), pauses(3, 1400)];
        await Promise.all([
          say('alice', aliceWaits, tag),
          say('bob', bobWaits, tag),
          sleep(atMs).then(() => inflict(fault, downMs)),
        ]);
        const t1 = Date.now();
        await settled(`round ${round} (${fault} at ${atMs} ms)`);
        const got = readFileSync(nodes.bob.files.path(file.id));
        expect(sha256(got), `round ${round}: the file bob holds`).toBe(files.get(file.id));
        report = `${fault} at ${atMs} ms (down ${downMs} ms) during chat and a ${(size / 2 ** 20).toFixed(1)} MiB file; settled ${((Date.now() - t1) / 1000).toFixed(1)} s after the last send`;
      } else {
        // Offline mail: bob's gateway dies, alice's messages go to carol's mailbox; a fault hits while they
        // are deposited, and carol's gateway is killed again while bob fetches them.
        const fault = pick(mailFaults);
        await gw.bob.crash();
        const atMs = Math.floor(rand() * 3000);
        const [waits, downMs, fetchKillMs, carolDownMs] = [
          pauses(5, 800),
          rand() * 2000,
          rand() * 4000,
          rand() * 2000,
        ];
        const before = sentAB.length;
        await Promise.all([say('alice', waits, tag), sleep(atMs).then(() => inflict(fault, downMs))]);
        await withLogs(
          until(async () => {
            const out = (await conversation(nodes.alice, bobAtAlice.id)).out.slice(before);
            return out.every((m) => m.via === 'mailbox') ? true : undefined;
          }, `round ${round}: deposited at carol`),
        );
        gw.bob = await gw.bob.restart();
        const t1 = Date.now();
        await sleep(fetchKillMs);
        await inflict('gateway:carol', carolDownMs);
        await settled(`round ${round} (mail, ${fault} at ${atMs} ms)`);
        await until(
          async () => (storedEnvelopes(gw.carol.dataDir) === 0 ? true : undefined),
          'carol’s store emptied',
        );
        report = `mail: bob's gateway killed, ${fault} at ${atMs} ms while depositing, carol's gateway killed ${fetchKillMs.toFixed(0)} ms into the fetch; settled ${((Date.now() - t1) / 1000).toFixed(1)} s after bob's restart`;
      }
      console.log(
        `faults: round ${round}/${ROUNDS}: ${report}; round took ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
    expect(sentAB.length).toBeGreaterThan(0);
  }, 3_600_000);
});
