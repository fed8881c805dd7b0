// Tests docs/protocol.md §4.5 as a property: whatever order (and repetition) the MSG bodies arrive in,
// each message is stored once and shown in the sender's seq order.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { befriend, incoming, makeNode, newNetwork, until } from './testing.js';

const N = 8;

describe('ChatEngine: delivery order (property)', () => {
  it('any reordering and duplication of delivery → once, in order', async () => {
    const order = fc.array(fc.nat({ max: N - 1 }), { maxLength: 4 }).chain((dups) => {
      const all = [...Array.from({ length: N }, (_, i) => i), ...dups];
      return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
    });
    await fc.assert(
      fc.asyncProperty(order, async (sequence) => {
        const net = newNetwork();
        const alice = await makeNode(net, 'Alice');
        const bob = await makeNode(net, 'Bob');
        const { ab } = await befriend(alice, bob);
        const held: Uint8Array[] = [];
        net.tap = (e) => {
          if (e.from !== alice.onion) return true;
          held.push(e.body);
          return false;
        };
        for (let i = 1; i <= N; i++) await alice.engine.sendMessage(ab.id, `m${i}`);
        await until(() => held.length === N, 'captured');
        net.tap = undefined;
        for (const i of sequence) net.inject(alice.onion, bob.onion, held[i]!);
        await until(async () => (await incoming(bob, alice)).length === N, 'all stored');
        await bob.engine.idle();
        const want = Array.from({ length: N }, (_, i) => `m${i + 1}`);
        expect(await incoming(bob, alice)).toEqual(want);
        const added = bob.events.flatMap((e) => (e.t === 'MessageAdded' ? [e.message.body] : []));
        expect(added).toEqual(want);
        expect(bob.errors().every((e) => e.code === 'E_REPLAY')).toBe(true);
        expect(bob.errors().length).toBe(sequence.length - N);
        await Promise.all([alice.engine.stop(), bob.engine.stop()]);
      }),
      { numRuns: 25 },
    );
  });
});
