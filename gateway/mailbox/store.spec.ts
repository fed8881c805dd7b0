import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { envelopeHash } from '../../shared/mailbox/ids.js';
import { toHex } from '../../shared/util/bytes.js';
import { ENVELOPES_MAX_BODY, envelopesBodySize } from '../../shared/wire/mailbox.js';
import { DAY_MS, MAILBOX_FILE, MailboxStore, SCHEMA_VERSION } from './store.js';
import type { MailboxStoreOptions } from './store.js';
import { T0, clock, envelope, rand, tempDir } from './testing.js';

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.reverse()) c();
  cleanup = [];
});

function setup(opts: Partial<MailboxStoreOptions> = {}) {
  const tmp = tempDir();
  const c = clock();
  const stores: MailboxStore[] = [];
  const open = (more: Partial<MailboxStoreOptions> = {}) => {
    const s = MailboxStore.open({ dataDir: tmp.dir, now: c.now, ...opts, ...more });
    stores.push(s);
    return s;
  };
  cleanup.push(() => {
    for (const s of stores) s.close();
    tmp.remove();
  });
  return { dir: tmp.dir, clock: c, store: open(), open };
}

const put = (store: MailboxStore, mid: Uint8Array, env = envelope()) =>
  store.deposit({ mid, hash: envelopeHash(env), envelope: env, spentId: rand(32) });

describe('mailbox store', () => {
  it('creates its file 0600 in WAL mode at the current schema version', () => {
    const { dir, store } = setup();
    const path = join(dir, MAILBOX_FILE);
    expect(store.path).toBe(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    put(store, rand(16));
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    raw.close();
  });

  it('keeps accounts, envelopes, spent tokens and the token key across close and reopen', () => {
    const { store, open } = setup();
    const cap = rand(32);
    store.openAccount(cap);
    const mid = rand(16);
    const env = envelope(4096);
    const spentId = rand(32);
    expect(store.deposit({ mid, hash: envelopeHash(env), envelope: env, spentId })).toBe('stored');
    const key = store.tokenKey;
    store.close();

    const again = open();
    expect(toHex(again.tokenKey.publicKey)).toBe(toHex(key.publicKey));
    expect(toHex(again.tokenKey.secretKey)).toBe(toHex(key.secretKey));
    expect(toHex(again.tokenKey.keyId)).toBe(toHex(key.keyId));
    expect(again.hasAccount(cap)).toBe(true);
    expect(again.stats()).toEqual({ accounts: 1, envelopes: 1, bytes: 4096, oldestAt: T0 });
    expect(toHex(again.fetch([mid], 10).envelopes[0]!.envelope)).toBe(toHex(env));
    const env2 = envelope();
    expect(again.deposit({ mid, hash: envelopeHash(env2), envelope: env2, spentId })).toBe('spent');
  });

  it('refuses a store written by a newer gateway', () => {
    const { dir, store } = setup();
    store.close();
    const raw = new Database(join(dir, MAILBOX_FILE));
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => MailboxStore.open({ dataDir: dir })).toThrow(/newer than this gateway/);
  });

  it('opens and closes accounts idempotently', () => {
    const { store } = setup();
    const cap = rand(32);
    store.openAccount(cap);
    store.openAccount(cap);
    expect(store.stats().accounts).toBe(1);
    expect(store.closeAccount(cap)).toBe(true);
    expect(store.closeAccount(cap)).toBe(false);
    expect(store.hasAccount(cap)).toBe(false);
    expect(() => store.openAccount(rand(31))).toThrow(/capHash must be 32 bytes/);
  });

  it('limits issuance per account and UTC day', () => {
    const { store, clock: c } = setup({ limits: { issuePerDay: 100 } });
    const cap = rand(32);
    expect(store.checkIssuance(cap, 1)).toBe('unknown-account');
    store.openAccount(cap);
    expect(store.checkIssuance(cap, 64)).toBe('ok');
    store.recordIssuance(cap, 64);
    expect(store.checkIssuance(cap, 36)).toBe('ok');
    expect(store.checkIssuance(cap, 37)).toBe('exhausted');
    store.recordIssuance(cap, 36);
    expect(store.checkIssuance(cap, 1)).toBe('exhausted');
    // T0 is noon UTC: the allowance comes back at midnight, not 24 h later.
    c.advance(12 * 60 * 60 * 1000 - 1);
    expect(store.checkIssuance(cap, 1)).toBe('exhausted');
    c.advance(1);
    expect(store.checkIssuance(cap, 64)).toBe('ok');
    // Another account has its own allowance.
    const other = rand(32);
    store.openAccount(other);
    expect(store.checkIssuance(other, 64)).toBe('ok');
  });

  it('refuses a spent token and a duplicate envelope without consuming anything', () => {
    const { store } = setup();
    const mid = rand(16);
    const env = envelope();
    const spentId = rand(32);
    expect(store.deposit({ mid, hash: envelopeHash(env), envelope: env, spentId })).toBe('stored');
    const freshToken = rand(32);
    expect(store.deposit({ mid, hash: envelopeHash(env), envelope: env, spentId: freshToken })).toBe(
      'duplicate',
    );
    // The token offered with the duplicate was not spent.
    expect(put(store, mid)).toBe('stored');
    const env2 = envelope();
    expect(store.deposit({ mid, hash: envelopeHash(env2), envelope: env2, spentId: freshToken })).toBe(
      'stored',
    );
    expect(store.deposit({ mid, hash: envelopeHash(envelope()), envelope: env2, spentId })).toBe('spent');
    expect(store.stats().envelopes).toBe(3);
  });

  it('enforces per-mid and holder quotas, never dropping stored mail, and spends no token on QUOTA', () => {
    const { store } = setup({ limits: { maxPerMid: 3, maxEnvelopes: 5, maxBytesPerMid: 20 * 1024 } });
    const a = rand(16);
    const b = rand(16);
    for (let i = 0; i < 3; i++) expect(put(store, a)).toBe('stored');
    const refusedToken = rand(32);
    const env = envelope();
    expect(store.deposit({ mid: a, hash: envelopeHash(env), envelope: env, spentId: refusedToken })).toBe(
      'quota',
    );
    // Another mid still accepts, with the token the full one refused.
    expect(store.deposit({ mid: b, hash: envelopeHash(env), envelope: env, spentId: refusedToken })).toBe(
      'stored',
    );
    // Per-mid bytes: 16 KiB fits, another 16 KiB does not.
    const c = rand(16);
    expect(put(store, c, envelope(16384))).toBe('stored');
    expect(put(store, c, envelope(16384))).toBe('quota');
    // The holder is full (5): nothing more anywhere, and nothing stored was dropped.
    expect(put(store, rand(16))).toBe('quota');
    expect(store.fetch([a], 10).envelopes).toHaveLength(3);
    expect(store.fetch([b, c], 10).envelopes).toHaveLength(2);
    expect(store.stats().envelopes).toBe(5);
  });

  it('enforces the holder byte limit', () => {
    const { store } = setup({ limits: { maxBytes: 8 * 1024 } });
    expect(put(store, rand(16), envelope(4096))).toBe('stored');
    expect(put(store, rand(16), envelope(4096))).toBe('stored');
    expect(put(store, rand(16), envelope(1024))).toBe('quota');
    expect(store.stats().bytes).toBe(8192);
  });

  it('expires envelopes after the TTL: never returned, then swept', () => {
    const { store, clock: c } = setup({ limits: { ttlMs: 14 * DAY_MS } });
    const mid = rand(16);
    expect(put(store, mid)).toBe('stored');
    c.advance(DAY_MS);
    expect(put(store, mid)).toBe('stored');
    c.advance(13 * DAY_MS - 1);
    expect(store.fetch([mid], 10).envelopes).toHaveLength(2);
    c.advance(1);
    // The first one is 14 days old: gone from fetches even before the sweep.
    const page = store.fetch([mid], 10);
    expect(page.envelopes.map((e) => e.storedAt)).toEqual([T0 + DAY_MS]);
    expect(store.stats().oldestAt).toBe(T0);
    expect(store.sweep()).toBe(1);
    expect(store.stats()).toMatchObject({ envelopes: 1, bytes: 1024, oldestAt: T0 + DAY_MS });
    c.advance(DAY_MS);
    expect(store.sweep()).toBe(1);
    expect(store.stats()).toEqual({ accounts: 0, envelopes: 0, bytes: 0, oldestAt: null });
    // Swept mail frees its quota.
    expect(put(store, mid)).toBe('stored');
  });

  it('pages oldest first across mids, by count and by size, with the fetch key index', () => {
    const { store, clock: c } = setup();
    const mids = [rand(16), rand(16), rand(16)];
    const order: string[] = [];
    for (let i = 0; i < 9; i++) {
      const env = envelope(i === 4 ? 131072 : 1024);
      expect(put(store, mids[i % 3]!, env)).toBe('stored');
      order.push(toHex(env));
      c.advance(1000);
    }
    // Mid 1 asked twice: the first position names it.
    const keys = [mids[2]!, mids[0]!, mids[1]!, mids[1]!, rand(16)];
    const all = store.fetch(keys, 1000);
    expect(all.more).toBe(false);
    expect(all.envelopes.map((e) => toHex(e.envelope))).toEqual(order);
    expect(all.envelopes.map((e) => e.index)).toEqual([1, 2, 0, 1, 2, 0, 1, 2, 0]);
    expect(all.envelopes.map((e) => e.storedAt)).toEqual(order.map((_, i) => T0 + i * 1000));

    const first = store.fetch(keys, 4);
    expect(first.more).toBe(true);
    expect(first.envelopes).toHaveLength(4);
    // A byte budget that holds the first four but not the 128 KiB fifth one.
    const budget = envelopesBodySize([1024, 1024, 1024, 1024, 131072]) - 1;
    const bySize = store.fetch(keys, 1000, budget);
    expect(bySize.more).toBe(true);
    expect(bySize.envelopes).toHaveLength(4);
    expect(store.fetch([mids[0]!], 1).more).toBe(true);
    expect(store.fetch([rand(16)], 10)).toEqual({ envelopes: [], more: false });
  });

  it('fills an ENVELOPES page up to 960 KiB', () => {
    const { store } = setup();
    const mid = rand(16);
    for (let i = 0; i < 8; i++) expect(put(store, mid, envelope(131072))).toBe('stored');
    const page = store.fetch([mid], 1000);
    expect(page.envelopes).toHaveLength(7);
    expect(page.more).toBe(true);
    expect(envelopesBodySize(page.envelopes.map((e) => e.envelope.length))).toBeLessThanOrEqual(
      ENVELOPES_MAX_BODY,
    );
  });

  it('deletes only envelopes whose mid and hash both match', () => {
    const { store } = setup();
    const mid = rand(16);
    const env = envelope();
    expect(put(store, mid, env)).toBe('stored');
    expect(put(store, mid)).toBe('stored');
    const hash = envelopeHash(env);
    expect(store.deleteEnvelopes([{ mid: rand(16), hash }])).toBe(0);
    expect(store.deleteEnvelopes([{ mid, hash: rand(16) }])).toBe(0);
    expect(
      store.deleteEnvelopes([
        { mid, hash },
        { mid, hash },
      ]),
    ).toBe(1);
    expect(store.stats()).toMatchObject({ envelopes: 1, bytes: 1024 });
    expect(store.fetch([mid], 10).envelopes).toHaveLength(1);
  });

  it('stays quick with thousands of envelopes (indexes)', () => {
    const { store } = setup();
    const mids = Array.from({ length: 100 }, () => rand(16));
    const env = envelope();
    for (let i = 0; i < 5000; i++)
      store.deposit({ mid: mids[i % 100]!, hash: rand(16), envelope: env, spentId: rand(32) });
    const time = (fn: () => unknown) => {
      const t = performance.now();
      fn();
      return performance.now() - t;
    };
    // Generous bounds (a loaded 2-core machine); a table scan per call would still be caught by the
    // 100,000-envelope run in store.slow.spec.ts.
    expect(time(() => put(store, mids[3]!))).toBeLessThan(50);
    expect(time(() => store.fetch(mids.slice(0, 10), 100))).toBeLessThan(100);
    expect(time(() => store.deleteEnvelopes([{ mid: mids[3]!, hash: rand(16) }]))).toBeLessThan(50);
    expect(store.stats().envelopes).toBe(5001);
  });
});
