// 100,000 envelopes (docs/protocol.md §5.6): the store must hold them without slowing down. Too long
// for the unit tier on a small machine (~5–10 s of inserts), so it runs with the slow tier.
import { afterAll, describe, expect, it } from 'vitest';
import { DAY_MS, MailboxStore } from './store.js';
import { clock, envelope, rand, tempDir } from './testing.js';

describe('mailbox store at 100,000 envelopes', () => {
  const tmp = tempDir();
  const c = clock();
  const store = MailboxStore.open({ dataDir: tmp.dir, now: c.now });
  afterAll(() => {
    store.close();
    tmp.remove();
  });
  const mids = Array.from({ length: 2000 }, () => rand(16));
  const env = envelope();
  const time = (fn: () => unknown) => {
    const t = performance.now();
    fn();
    return performance.now() - t;
  };

  it('inserts them one deposit (transaction) at a time', () => {
    const first = time(() => {
      for (let i = 0; i < 1000; i++)
        store.deposit({ mid: mids[i % 2000]!, hash: rand(16), envelope: env, spentId: rand(32) });
    });
    for (let i = 1000; i < 99_000; i++) {
      store.deposit({ mid: mids[i % 2000]!, hash: rand(16), envelope: env, spentId: rand(32) });
      if (i % 1000 === 0) c.advance(60_000);
    }
    const last = time(() => {
      for (let i = 99_000; i < 100_000; i++)
        store.deposit({ mid: mids[i % 2000]!, hash: rand(16), envelope: env, spentId: rand(32) });
    });
    expect(store.stats().envelopes).toBe(100_000);
    // The last thousand deposits cost about what the first thousand did (indexes, no scans).
    expect(last).toBeLessThan(Math.max(5 * first, 1000));
  });

  it('answers deposits, fetches, deletes and stats quickly when full', () => {
    expect(
      time(() => store.deposit({ mid: mids[7]!, hash: rand(16), envelope: env, spentId: rand(32) })),
    ).toBeLessThan(20);
    // A recipient's fetch: 20 friends × 15 epochs of mids.
    expect(time(() => store.fetch(mids.slice(0, 300), 1000))).toBeLessThan(300);
    expect(
      time(() => store.deleteEnvelopes(mids.slice(0, 100).map((mid) => ({ mid, hash: rand(16) })))),
    ).toBeLessThan(50);
    expect(time(() => store.stats())).toBeLessThan(100);
  });

  it('sweeps them all once expired', () => {
    c.advance(15 * DAY_MS);
    expect(store.fetch(mids.slice(0, 10), 10).envelopes).toHaveLength(0);
    expect(store.sweep()).toBe(100_001);
    expect(store.stats()).toEqual({ accounts: 0, envelopes: 0, bytes: 0, oldestAt: null });
  });
});
