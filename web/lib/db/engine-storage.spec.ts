import 'fake-indexeddb/auto';
import { Dexie } from 'dexie';
import { describe, expect, it } from 'vitest';
import type { ChatMessage, Contact } from '../../../shared/protocol/api';
import { DB_VERSION } from './db';
import { DexieEngineStorage } from './engine-storage';
import { specDatabases } from './testing';

const { fresh, open } = specDatabases('chattor-engine-spec');

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

function contact(id: string, over: Partial<Contact> = {}): Contact {
  return {
    id,
    displayName: 'Alice',
    contactOnion: 'x'.repeat(56),
    state: 'friend',
    createdAt: 1,
    updatedAt: 1,
    card: 'card',
    unread: 0,
    online: false,
    ...over,
  };
}

let mid = 0;
function message(
  contactId: string,
  sentAt: number,
  seq: number,
  over: Partial<ChatMessage> = {},
): ChatMessage {
  return {
    id: (++mid).toString(16).padStart(32, '0'),
    contactId,
    direction: 'in',
    body: `m${sentAt}/${seq}`,
    sentAt,
    seq,
    state: 'delivered',
    ...over,
  };
}

describe('DexieEngineStorage', () => {
  it('keeps meta values, contacts and sealed sessions', async () => {
    const s = new DexieEngineStorage(open());
    expect(await s.getMeta('identity')).toBeUndefined();
    await s.putMeta('identity', { name: 'me', key: new Uint8Array([1, 2]) });
    expect(await s.getMeta('identity')).toEqual({ name: 'me', key: new Uint8Array([1, 2]) });

    await s.putContact(contact(A));
    await s.putContact(contact(B, { state: 'incoming-request' }));
    expect((await s.getContact(B))?.state).toBe('incoming-request');
    expect((await s.listContacts()).map((c) => c.id).sort()).toEqual([A, B]);
    await s.deleteContact(B);
    expect(await s.getContact(B)).toBeUndefined();

    // A view into a larger buffer stores only its own bytes.
    const big = new Uint8Array(1000).fill(7);
    await s.putSession(A, big.subarray(10, 14));
    const sealed = await s.getSession(A);
    expect(sealed).toEqual(new Uint8Array([7, 7, 7, 7]));
    expect(sealed?.buffer.byteLength).toBe(4);
    await s.deleteSession(A);
    expect(await s.getSession(A)).toBeUndefined();
  });

  it('lists a conversation in display order, newest `limit` before `beforeSentAt`', async () => {
    const s = new DexieEngineStorage(open());
    const ms = [
      message(A, 30, 2),
      message(A, 10, 1),
      message(B, 20, 1),
      message(A, 30, 1),
      message(A, 40, 3),
    ];
    for (const m of ms) await s.putMessage(m);
    const bodies = (list: ChatMessage[]) => list.map((m) => m.body);
    expect(bodies(await s.listMessages(A))).toEqual(['m10/1', 'm30/1', 'm30/2', 'm40/3']);
    expect(bodies(await s.listMessages(A, { limit: 2 }))).toEqual(['m30/2', 'm40/3']);
    expect(bodies(await s.listMessages(A, { limit: 2, beforeSentAt: 40 }))).toEqual(['m30/1', 'm30/2']);
    expect(bodies(await s.listMessages(A, { beforeSentAt: 30 }))).toEqual(['m10/1']);
    expect(await s.getMessage(ms[2]!.id)).toEqual(ms[2]);
  });

  it('lists the outbox in send order, per contact or all', async () => {
    const s = new DexieEngineStorage(open());
    const item = (messageId: string, contactId: string, createdAt: number) => ({
      messageId,
      contactId,
      body: new Uint8Array([createdAt]),
      createdAt,
      attempts: 0,
    });
    await s.putOutbox(item('m3', A, 3));
    await s.putOutbox(item('m1', A, 1));
    await s.putOutbox(item('m2', B, 2));
    expect((await s.listOutbox(A)).map((o) => o.messageId)).toEqual(['m1', 'm3']);
    expect((await s.listOutbox()).map((o) => o.messageId)).toEqual(['m1', 'm2', 'm3']);
    await s.deleteOutbox('m1');
    expect((await s.listOutbox(A)).map((o) => o.messageId)).toEqual(['m3']);
  });

  it('remembers seen keys until they expire', async () => {
    let now = 1000;
    const s = new DexieEngineStorage(open(), { now: () => now });
    expect(await s.hasSeen('k')).toBe(false);
    expect(await s.getSeen('k')).toBeUndefined();
    await s.addSeen('k', 2000);
    await s.addSeen('v', 2000, 'ab'.repeat(16));
    expect(await s.hasSeen('k')).toBe(true);
    expect(await s.getSeen('k')).toBe('');
    expect(await s.getSeen('v')).toBe('ab'.repeat(16));
    now = 2000;
    expect(await s.hasSeen('k')).toBe(false);
    expect(await s.getSeen('v')).toBeUndefined();
  });

  it('commits a transaction all at once, even when fn awaits WebCrypto between writes', async () => {
    const db = open();
    const s = new DexieEngineStorage(db);
    const m = message(A, 1, 1);
    const result = await s.transaction(async () => {
      await s.putContact(contact(A));
      await crypto.subtle.digest('SHA-256', new Uint8Array(32));
      await s.putSession(A, new Uint8Array([1]));
      await new Promise((r) => setTimeout(r, 5));
      await s.putMessage(m);
      // Read-your-writes inside the batch, before anything reached the database.
      expect((await s.getContact(A))?.id).toBe(A);
      expect(await db.contacts.count()).toBe(0);
      expect((await s.listMessages(A)).map((x) => x.id)).toEqual([m.id]);
      return 42;
    });
    expect(result).toBe(42);
    expect(await db.contacts.count()).toBe(1);
    expect(await s.getSession(A)).toEqual(new Uint8Array([1]));
    expect(await s.getMessage(m.id)).toEqual(m);
  });

  it('writes nothing when fn throws, and lets a nested call join the batch', async () => {
    const db = open();
    const s = new DexieEngineStorage(db);
    await s.putContact(contact(A, { alias: 'before' }));
    await expect(
      s.transaction(async () => {
        await s.putContact(contact(A, { alias: 'after' }));
        await s.transaction(() => s.putSession(A, new Uint8Array([9])));
        await s.deleteContact(A);
        expect(await s.getContact(A)).toBeUndefined();
        expect(await s.listContacts()).toEqual([]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await s.getContact(A))?.alias).toBe('before');
    expect(await s.getSession(A)).toBeUndefined();
  });

  it('snapshots values when buffering them, as IndexedDB would', async () => {
    const s = new DexieEngineStorage(open());
    const c = contact(A);
    await s.transaction(async () => {
      await s.putContact(c);
      c.alias = 'mutated later';
    });
    expect((await s.getContact(A))?.alias).toBeUndefined();
  });
});

describe('migration 0002', () => {
  it('upgrades a version-1 database, keeping the pairing token, and adds the engine tables', async () => {
    const name = fresh();
    const v1 = new Dexie(name);
    v1.version(1).stores({ settings: '&key' });
    await v1.table('settings').put({ key: 'pairingToken', value: 'T'.repeat(43) });
    v1.close();

    const db = open(name);
    await db.open();
    expect(db.verno).toBe(DB_VERSION);
    expect(DB_VERSION).toBeGreaterThanOrEqual(2);
    expect(await db.getSetting('pairingToken')).toBe('T'.repeat(43));
    for (const table of ['meta', 'contacts', 'sessions', 'messages', 'outbox', 'seen']) {
      expect(db.tables.map((t) => t.name)).toContain(table);
    }
    expect(db.messages.schema.primKey.name).toBe('id');
    expect(db.messages.schema.idxByName['[contactId+sentAt+seq]']).toBeDefined();
    expect(db.outbox.schema.idxByName.contactId).toBeDefined();
    expect(db.seen.schema.idxByName.expiresAt).toBeDefined();
  });
});
