import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../util/bytes.js';
import { EPOCH_MS, envelopeHash, epochOf, fetchKey, mailboxId } from './ids.js';

const SECRET = Uint8Array.from({ length: 32 }, (_, i) => i);
const ONION = 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx';

describe('mailbox ids (§5.3)', () => {
  // Computed independently with node:crypto (createHmac / createHash) from the §5.3 definitions.
  it('matches the fixed vector', () => {
    const key = fetchKey(SECRET, 20000, ONION);
    expect(toHex(key)).toBe('8b0599beac2c990ce3a369a166cdf71fe81bb4130f03626ea138f87cc2e4b6d3');
    expect(toHex(mailboxId(key))).toBe('509af62f4f99074792c8de4d7e696c4c');
    expect(toHex(envelopeHash(new Uint8Array(1024).fill(0x61)))).toBe('2edc986847e209b4016e141a6dc8716d');
  });

  it('separates epochs, onions and secrets; accepts the .onion suffix', () => {
    const key = toHex(fetchKey(SECRET, 20000, ONION));
    expect(toHex(fetchKey(SECRET, 20000, `${ONION}.onion`))).toBe(key);
    expect(toHex(fetchKey(SECRET, 20001, ONION))).not.toBe(key);
    expect(toHex(fetchKey(SECRET, 20000, 'b' + ONION.slice(1)))).not.toBe(key);
    expect(
      toHex(
        fetchKey(
          SECRET.map((b) => b ^ 1),
          20000,
          ONION,
        ),
      ),
    ).not.toBe(key);
  });

  it('counts epochs in whole UTC days', () => {
    expect(EPOCH_MS).toBe(86_400_000);
    expect(epochOf(0)).toBe(0);
    expect(epochOf(EPOCH_MS - 1)).toBe(0);
    expect(epochOf(EPOCH_MS)).toBe(1);
    expect(epochOf(Date.UTC(2026, 0, 1, 23, 59))).toBe(Date.UTC(2026, 0, 1) / EPOCH_MS);
    expect(() => epochOf(-1)).toThrow(/non-negative/);
    expect(() => epochOf(1.5)).toThrow(/integer/);
  });

  it('checks its inputs by name', () => {
    expect(() => fetchKey(new Uint8Array(31), 1, ONION)).toThrow(/secret must be 32 bytes/);
    expect(() => fetchKey(SECRET, -1, ONION)).toThrow(/epoch/);
    expect(() => fetchKey(SECRET, 1, ONION.toUpperCase())).toThrow(/onion/);
    expect(() => fetchKey(SECRET, 1, 'example.com')).toThrow(/onion/);
    expect(() => mailboxId(fromHex('00'))).toThrow(/fetchKey must be 32 bytes/);
  });
});
