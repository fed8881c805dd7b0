// Test helpers for the §4 specs (imported only by *.spec.ts and benchmarks): engines on a memory network.
import { onionFromPublicKey } from '../crypto/onion.js';
import type { Contact, EngineEvent, EngineOptions } from './api.js';
import { ChatEngine } from './engine.js';
import { createMemoryNetwork, MemoryStorage, type MemoryNetwork } from './memory.js';

export interface Node {
  readonly name: string;
  readonly onion: string;
  readonly storage: MemoryStorage;
  engine: ChatEngine;
  readonly events: EngineEvent[];
  readonly net: MemoryNetwork;
  /** Stops the engine and starts a new one on the same storage and transport. */
  restart(opts?: Partial<EngineOptions>): Promise<void>;
  errors(): { code: string; message: string }[];
}

export async function until(
  cond: () => boolean | Promise<boolean>,
  what = 'condition',
  ms = 10_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export async function makeNode(
  net: MemoryNetwork,
  name: string,
  opts: Partial<EngineOptions> = {},
): Promise<Node> {
  const onion = onionFromPublicKey(crypto.getRandomValues(new Uint8Array(32)));
  const storage = new MemoryStorage(opts.now);
  const events: EngineEvent[] = [];
  const transport = net.transport(onion);
  const build = (o: Partial<EngineOptions>): ChatEngine => {
    const e = new ChatEngine({ kem: false, social: storage, ...o, storage, transport });
    e.on((ev) => events.push(ev));
    return e;
  };
  const node: Node = {
    name,
    onion,
    storage,
    events,
    net,
    engine: build(opts),
    async restart(o = {}) {
      await node.engine.stop();
      node.engine = build({ ...opts, ...o });
      await node.engine.start();
    },
    errors: () =>
      events.flatMap((e) => (e.t === 'ProtocolError' ? [{ code: e.code, message: e.message }] : [])),
  };
  await node.engine.createIdentity(name);
  await node.engine.start();
  return node;
}

export function newNetwork(): MemoryNetwork {
  return createMemoryNetwork();
}

export async function contactOf(n: Node, other: Node): Promise<Contact | undefined> {
  return (await n.storage.listContacts()).find((c) => c.contactOnion === other.onion);
}

/** a sends a request to b, b accepts; resolves when both see each other as friends. */
export async function befriend(a: Node, b: Node): Promise<{ ab: Contact; ba: Contact }> {
  await a.engine.sendFriendRequest(await b.engine.myContactLink(), `hi ${b.name}`);
  await until(async () => (await contactOf(b, a))?.state === 'incoming-request', 'incoming request');
  await b.engine.acceptFriendRequest((await contactOf(b, a))!.id);
  await until(async () => (await contactOf(a, b))?.state === 'friend', 'accept');
  await settle(a, b);
  return { ab: (await contactOf(a, b))!, ba: (await contactOf(b, a))! };
}

export async function incoming(n: Node, from: Node): Promise<string[]> {
  const c = await contactOf(n, from);
  if (!c) return [];
  return (await n.storage.listMessages(c.id)).filter((m) => m.direction === 'in').map((m) => m.body);
}

/** Waits until both outboxes are empty and both engines are idle (no body in flight between them). */
export async function settle(...nodes: Node[]): Promise<void> {
  for (let i = 0; i < 3; i++) {
    for (const n of nodes) await until(async () => (await n.storage.listOutbox()).length === 0, 'outbox');
    await Promise.all(nodes.map((n) => n.engine.idle()));
    await new Promise((r) => setTimeout(r, 1));
  }
}
