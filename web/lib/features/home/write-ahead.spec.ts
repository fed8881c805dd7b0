// WriteAheadTransport (docs/protocol.md §2.4): chat frames leave only after a vault write that started
// after them; file chunks go at once; a failed write sends nothing.
import { describe, expect, it } from 'vitest';
import type { EngineTransport, MailboxSession } from '../../../../shared/protocol/api';
import { WriteAheadTransport } from './write-ahead';

function fakeInner() {
  const sent: [number, number, number | undefined][] = [];
  const connected: string[] = [];
  const inner: EngineTransport = {
    dial: () => Promise.resolve(1),
    close: () => Promise.resolve(),
    send: (link, body, stream) => void sent.push([link, body[0]!, stream]),
    onBody: () => () => undefined,
    onLink: () => () => undefined,
    contactOnion: () => undefined,
    mailbox: {
      connect: (onion) => (connected.push(onion), Promise.resolve({} as MailboxSession)),
      openAccount: () => Promise.resolve(''),
      closeAccount: () => Promise.resolve(),
      stats: () => Promise.resolve({ accounts: 0, envelopes: 0, bytes: 0, oldestAt: null }),
    },
  };
  return { inner, sent, connected };
}

/** A vault writer whose writes finish when the test says so; `started` counts writes begun. */
function controlledWrites() {
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  let started = 0;
  return {
    write: () =>
      new Promise<void>((resolve, reject) => {
        started++;
        pending.push({ resolve, reject });
      }),
    finish: () => pending.shift()!.resolve(),
    fail: () => pending.shift()!.reject(new Error('vault write failed')),
    started: () => started,
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('WriteAheadTransport', () => {
  it('holds chat frames until the vault write that follows them, in order; chunks go at once', async () => {
    const { inner, sent } = fakeInner();
    const w = controlledWrites();
    const t = new WriteAheadTransport(inner, w.write);
    t.send(1, Uint8Array.of(1));
    t.send(1, Uint8Array.of(2), 0);
    t.send(1, Uint8Array.of(9), 5); // a file chunk
    expect(sent).toEqual([[1, 9, 5]]);
    await tick();
    expect(w.started()).toBe(1);
    // A frame made while the write runs waits for the next write (this snapshot may miss it).
    t.send(2, Uint8Array.of(3));
    w.finish();
    await tick();
    expect(sent).toEqual([
      [1, 9, 5],
      [1, 1, undefined],
      [1, 2, 0],
    ]);
    expect(w.started()).toBe(2);
    w.finish();
    await tick();
    expect(sent.at(-1)).toEqual([2, 3, undefined]);
  });

  it('sends nothing of a batch whose write failed, and reports it; later frames go after a new write', async () => {
    const { inner, sent } = fakeInner();
    const w = controlledWrites();
    const errors: unknown[] = [];
    const t = new WriteAheadTransport(inner, w.write, (e) => errors.push(e));
    t.send(1, Uint8Array.of(1));
    await tick();
    w.fail();
    await tick();
    expect(sent).toEqual([]);
    expect(errors).toHaveLength(1);
    t.send(1, Uint8Array.of(2));
    await tick();
    w.finish();
    await tick();
    expect(sent).toEqual([[1, 2, undefined]]);
  });

  it('opens a mailbox session only after a vault write', async () => {
    const { inner, connected } = fakeInner();
    const w = controlledWrites();
    const t = new WriteAheadTransport(inner, w.write);
    const session = t.mailbox!.connect('holder');
    await tick();
    expect(connected).toEqual([]);
    w.finish();
    await session;
    expect(connected).toEqual(['holder']);
  });
});
