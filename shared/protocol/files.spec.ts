// Tests docs/protocol.md §6 in the engine, on the memory network: offer, auto-accept and manual accept,
// byte-identical delivery and hash check, pause/resume, resume after a cut link and after a restart of
// either side, cancel, and hostile chunks and offers.
import { describe, expect, it } from 'vitest';
import { fromHex } from '../util/bytes.js';
import type { ChatMessage, EngineEvent } from './api.js';
import { encodeChunkBody } from './body.js';
import { MemoryFileStore } from './memory-files.js';
import { befriend, makeNode, newNetwork, until, type Node } from './testing.js';

const bytes = (n: number, seed = 7): Uint8Array => new Uint8Array(n).map((_, i) => (i * 131 + seed) & 0xff);

async function pair(opts: { autoAccept?: number; retryMs?: number } = {}) {
  const net = newNetwork();
  const aStore = new MemoryFileStore();
  const bStore = new MemoryFileStore();
  const retry = opts.retryMs ? { retryMs: opts.retryMs } : {};
  const alice = await makeNode(net, 'alice', { files: aStore, ...retry });
  const bob = await makeNode(net, 'bob', {
    files: bStore,
    ...retry,
    autoAcceptBytes: () => opts.autoAccept ?? 10 * 2 ** 20,
  });
  const { ab, ba } = await befriend(alice, bob);
  return { net, alice, bob, aStore, bStore, bobId: ab.id, aliceId: ba.id };
}

async function fileState(n: Node, id: string): Promise<ChatMessage['file']> {
  return (await n.storage.getMessage(id))?.file;
}

describe('file transfer', () => {
  it('sends a small file: auto-accepted, byte-identical, complete on both sides', async () => {
    const { alice, bob, bStore, bobId } = await pair();
    const data = bytes(700_000);
    const m = await alice.engine.sendFile(bobId, {
      name: 'photo.jpg',
      size: data.length,
      type: 'image/jpeg',
      source: data,
    });
    expect(m.file).toMatchObject({ name: 'photo.jpg', size: 700_000, state: 'offered' });
    await until(async () => (await fileState(bob, m.id))?.state === 'complete', 'complete at bob');
    expect(bStore.files.get(m.id)).toEqual(data);
    await until(async () => (await fileState(alice, m.id))?.state === 'complete', 'complete at alice');
    expect((await fileState(alice, m.id))?.done).toBe(700_000);
    expect(bob.events.some((e: EngineEvent) => e.t === 'FileProgress')).toBe(true);
  });

  it('waits for a large file to be accepted; an empty file works too', async () => {
    const { alice, bob, bStore, bobId } = await pair({ autoAccept: 100 });
    const data = bytes(300_000);
    const m = await alice.engine.sendFile(bobId, {
      name: 'big.bin',
      size: data.length,
      type: '',
      source: data,
    });
    await until(async () => (await fileState(bob, m.id))?.state === 'offered', 'offer at bob');
    await new Promise((r) => setTimeout(r, 50));
    expect(bStore.files.has(m.id)).toBe(false);
    await bob.engine.acceptFile(m.id);
    await until(async () => (await fileState(bob, m.id))?.state === 'complete', 'complete');
    expect(bStore.files.get(m.id)).toEqual(data);
    const e = await alice.engine.sendFile(bobId, {
      name: 'empty',
      size: 0,
      type: '',
      source: new Uint8Array(0),
    });
    await until(async () => (await fileState(bob, e.id))?.state === 'complete', 'empty complete');
  });

  it('resumes after the link is cut mid-transfer and after either side restarts', async () => {
    const { net, alice, bob, bStore, bobId } = await pair();
    const data = bytes(5 * 262_144 + 123);
    let chunks = 0;
    net.tap = (e) => {
      if (e.body[1] === 0x03 && ++chunks === 3) {
        net.setOnline(bob.onion, false); // cut after two chunks
        return false;
      }
      return true;
    };
    const m = await alice.engine.sendFile(bobId, {
      name: 'cut.bin',
      size: data.length,
      type: '',
      source: data,
    });
    await until(async () => chunks >= 3, 'cut');
    net.tap = undefined;
    await bob.restart();
    await alice.restart();
    net.setOnline(bob.onion, true);
    await until(
      async () => (await fileState(bob, m.id))?.state === 'complete',
      'complete after resume',
      20_000,
    );
    expect(bStore.files.get(m.id)).toEqual(data);
  });

  it('a crash between the last chunk and `complete` (a killed tab) finishes on the next start', async () => {
    const { alice, bob, bobId } = await pair();
    const data = bytes(3 * 262_144 + 5);
    const m = await alice.engine.sendFile(bobId, {
      name: 'last.bin',
      size: data.length,
      type: '',
      source: data,
    });
    await until(async () => (await fileState(bob, m.id))?.state === 'complete', 'complete at bob');
    // What bob's storage holds when the tab died after saving `next` = all chunks but before `complete`:
    // the record and the message still say transferring, and the transfer is still listed.
    await bob.engine.stop();
    const rec = await bob.storage.getMeta<{ state: string }>(`file:${m.id}`);
    await bob.storage.putMeta(`file:${m.id}`, { ...rec, state: 'transferring' });
    await bob.storage.putMeta('files:active', [m.id]);
    const msg = (await bob.storage.getMessage(m.id))!;
    await bob.storage.putMessage({ ...msg, file: { ...msg.file!, state: 'transferring' } });
    await bob.restart();
    await until(async () => (await fileState(bob, m.id))?.state === 'complete', 'complete after restart');
    expect(await bob.storage.getMeta('files:active')).toEqual([]);
    // Died after `complete` was saved but before the message and the list were: the same on start.
    await bob.engine.stop();
    await bob.storage.putMeta('files:active', [m.id]);
    await bob.storage.putMessage({ ...msg, file: { ...msg.file!, state: 'transferring' } });
    await bob.restart();
    await until(async () => (await fileState(bob, m.id))?.state === 'complete', 'message complete again');
    expect(await bob.storage.getMeta('files:active')).toEqual([]);
  });

  it('the sender completes even when what the receiver said at the end was lost (its tab was down)', async () => {
    const { net, alice, bob, bobId } = await pair({ retryMs: 200 });
    const data = bytes(4 * 262_144);
    let chunks = 0;
    // Once every chunk is on its way, nothing bob says reaches alice: the last file-ack is lost for good,
    // and the file-done with it, until alice is back.
    net.tap = (e) => {
      if (e.body[1] === 0x03) chunks++;
      return !(chunks >= 4 && e.from === bob.onion && e.to === alice.onion);
    };
    const m = await alice.engine.sendFile(bobId, {
      name: 'end.bin',
      size: data.length,
      type: '',
      source: data,
    });
    await until(async () => (await fileState(bob, m.id))?.state === 'complete', 'complete at bob');
    await new Promise((r) => setTimeout(r, 50));
    expect((await fileState(alice, m.id))?.state).toBe('transferring');
    await alice.restart();
    net.tap = undefined;
    await until(async () => (await fileState(alice, m.id))?.state === 'complete', 'complete at alice');
    expect(await alice.storage.getMeta('files:active')).toEqual([]);
  });

  it('pauses and resumes, and cancel removes the data on both sides', async () => {
    const { alice, bob, aStore, bStore, bobId } = await pair({ autoAccept: 0 });
    const data = bytes(3 * 262_144);
    const m = await alice.engine.sendFile(bobId, {
      name: 'p.bin',
      size: data.length,
      type: '',
      source: data,
    });
    await until(async () => (await fileState(bob, m.id))?.state === 'offered', 'offer');
    await bob.engine.acceptFile(m.id);
    await bob.engine.pauseFile(m.id).catch(() => undefined);
    await bob.engine.resumeFile(m.id).catch(() => undefined);
    await until(async () => (await fileState(bob, m.id))?.state === 'complete', 'complete');
    expect(bStore.files.get(m.id)).toEqual(data);

    const c = await alice.engine.sendFile(bobId, {
      name: 'c.bin',
      size: data.length,
      type: '',
      source: data,
    });
    await until(async () => (await fileState(bob, c.id))?.state === 'offered', 'offer 2');
    await alice.engine.cancelFile(c.id);
    await until(async () => (await fileState(bob, c.id))?.state === 'cancelled', 'cancelled at bob');
    expect(aStore.files.has(c.id)).toBe(false);
    expect(bStore.files.has(c.id)).toBe(false);
  });

  it('fails a transfer whose chunk does not authenticate, and keeps no partial file', async () => {
    const { net, alice, bob, bStore, bobId } = await pair({ autoAccept: 0 });
    const data = bytes(2 * 262_144);
    const m = await alice.engine.sendFile(bobId, {
      name: 'x.bin',
      size: data.length,
      type: '',
      source: data,
    });
    await until(async () => (await fileState(bob, m.id))?.state === 'offered', 'offer');
    net.tap = (e) => {
      if (e.body[1] !== 0x03) return true;
      const forged = encodeChunkBody(fromHex(m.id), 0, new Uint8Array(262_144 + 16));
      net.inject(alice.onion, bob.onion, forged);
      return false;
    };
    await bob.engine.acceptFile(m.id);
    await until(async () => (await fileState(bob, m.id))?.state === 'failed', 'failed');
    net.tap = undefined;
    expect((await fileState(bob, m.id))?.error).toMatch(/authentication/);
    expect(bStore.files.has(m.id)).toBe(false);
    await until(async () => (await fileState(alice, m.id))?.state === 'cancelled', 'sender told');
  });

  it('refuses bad offers from the API', async () => {
    const { alice, bobId } = await pair();
    const src = new Uint8Array(1);
    await expect(
      alice.engine.sendFile(bobId, { name: '../etc/passwd', size: 1, type: '', source: src }),
    ).rejects.toThrow(/name/);
    await expect(
      alice.engine.sendFile(bobId, { name: 'a', size: -1, type: '', source: src }),
    ).rejects.toThrow(/size/);
    await expect(
      alice.engine.sendFile('0'.repeat(32), { name: 'a', size: 1, type: '', source: src }),
    ).rejects.toThrow();
  });

  it('fails a file whose bytes do not match the offered hash, keeping nothing', async () => {
    const { alice, bob, aStore, bStore, bobId } = await pair({ autoAccept: 0 });
    const data = bytes(300_000);
    const m = await alice.engine.sendFile(bobId, {
      name: 'liar.bin',
      size: data.length,
      type: '',
      source: data,
    });
    await until(async () => (await fileState(bob, m.id))?.state === 'offered', 'offer');
    const kept = aStore.files.get(m.id)!;
    kept[1000] = kept[1000]! ^ 1; // the sender's bytes change after the hash was taken
    await bob.engine.acceptFile(m.id);
    await until(async () => (await fileState(bob, m.id))?.state === 'failed', 'failed');
    expect((await fileState(bob, m.id))?.error).toMatch(/hash/);
    expect(bStore.files.has(m.id)).toBe(false);
  });

  it('runs two transfers at once while chat messages keep flowing', async () => {
    const { alice, bob, bStore, bobId, aliceId } = await pair();
    const one = bytes(2 * 262_144, 1);
    const two = bytes(3 * 262_144, 2);
    const [m1, m2] = await Promise.all([
      alice.engine.sendFile(bobId, { name: 'one', size: one.length, type: '', source: one }),
      alice.engine.sendFile(bobId, { name: 'two', size: two.length, type: '', source: two }),
    ]);
    for (let i = 0; i < 5; i++) await bob.engine.sendMessage(aliceId, `chat ${i}`);
    for (let i = 0; i < 5; i++) await alice.engine.sendMessage(bobId, `back ${i}`);
    await until(async () => (await fileState(bob, m1.id))?.state === 'complete', 'one');
    await until(async () => (await fileState(bob, m2.id))?.state === 'complete', 'two');
    expect(bStore.files.get(m1.id)).toEqual(one);
    expect(bStore.files.get(m2.id)).toEqual(two);
    const backs = async () =>
      (await bob.storage.listMessages(aliceId)).filter((m) => m.body.startsWith('back')).map((m) => m.body);
    await until(async () => (await backs()).length === 5, 'chat while transferring');
    expect(await backs()).toEqual(['back 0', 'back 1', 'back 2', 'back 3', 'back 4']);
  });
});
