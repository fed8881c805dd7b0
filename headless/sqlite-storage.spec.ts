import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatMessage, Contact } from '../shared/protocol/api.js';
import { SqliteStorage, decodeValue, encodeValue } from './sqlite-storage.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDb() {
  const d = mkdtempSync(join(tmpdir(), 'chattor-sqlite-'));
  dirs.push(d);
  return join(d, 'node', 'engine.db');
}

const contact = (id: string): Contact => ({
  id,
  displayName: 'bob',
  contactOnion: 'a'.repeat(56),
  state: 'friend',
  createdAt: 1,
  updatedAt: 1,
  card: 'x',
  unread: 0,
  online: false,
});
const msg = (id: string, sentAt: number, seq: number): ChatMessage => ({
  id,
  contactId: 'c1',
  direction: 'in',
  body: id,
  sentAt,
  seq,
  state: 'delivered',
});

describe('SqliteStorage', () => {
  it('keeps bytes inside values', () => {
    const v = { a: new Uint8Array([1, 2, 255]), b: [new Uint8Array(0)], c: 'x' };
    expect(decodeValue(encodeValue(v))).toEqual(v);
  });

  it('persists across reopen, with private file permissions', async () => {
    const path = tempDb();
    const s = new SqliteStorage(path);
    await s.putMeta('identity', { secret: new Uint8Array([9, 9]) });
    await s.putContact(contact('c1'));
    await s.putSession('c1', new Uint8Array([1, 2, 3]));
    s.close();
    expect(statSync(path).mode & 0o077).toBe(0);
    const t = new SqliteStorage(path);
    expect(await t.getMeta('identity')).toEqual({ secret: new Uint8Array([9, 9]) });
    expect((await t.listContacts()).map((c) => c.id)).toEqual(['c1']);
    expect(await t.getSession('c1')).toEqual(new Uint8Array([1, 2, 3]));
    t.close();
  });

  it('lists messages in display order with paging, and the outbox in send order', async () => {
    const s = new SqliteStorage(':memory:');
    for (const [id, at, seq] of [
      ['m3', 30, 3],
      ['m1', 10, 1],
      ['m2', 20, 2],
    ] as const)
      await s.putMessage(msg(id, at, seq));
    expect((await s.listMessages('c1')).map((m) => m.id)).toEqual(['m1', 'm2', 'm3']);
    expect((await s.listMessages('c1', { limit: 2 })).map((m) => m.id)).toEqual(['m2', 'm3']);
    expect((await s.listMessages('c1', { beforeSentAt: 30, limit: 1 })).map((m) => m.id)).toEqual(['m2']);
    for (const id of ['o2', 'o1', 'o3'])
      await s.putOutbox({
        messageId: id,
        contactId: 'c1',
        body: new Uint8Array([1]),
        createdAt: 1,
        attempts: 0,
      });
    await s.putOutbox({
      messageId: 'o2',
      contactId: 'c1',
      body: new Uint8Array([1]),
      createdAt: 1,
      attempts: 3,
    });
    expect((await s.listOutbox('c1')).map((o) => [o.messageId, o.attempts])).toEqual([
      ['o2', 3],
      ['o1', 0],
      ['o3', 0],
    ]);
    await s.deleteOutbox('o1');
    expect((await s.listOutbox()).length).toBe(2);
  });

  it('rolls a failed transaction back, and nests', async () => {
    const s = new SqliteStorage(':memory:');
    await expect(
      s.transaction(async () => {
        await s.putContact(contact('c1'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await s.getContact('c1')).toBeUndefined();
    await s.transaction(async () => {
      await s.transaction(async () => s.putContact(contact('c2')));
    });
    expect(await s.getContact('c2')).toBeDefined();
  });

  it('forgets seen keys when they expire', async () => {
    let now = 1000;
    const s = new SqliteStorage(':memory:', () => now);
    await s.addSeen('k', 2000, 'v');
    expect(await s.hasSeen('k')).toBe(true);
    expect(await s.getSeen('k')).toBe('v');
    now = 2000;
    expect(await s.hasSeen('k')).toBe(false);
  });
});
