import { describe, expect, it } from 'vitest';
import { envelopesText, fetchResultText, formatAge, formatBytes } from './format';

describe('formatBytes', () => {
  it('uses the largest binary unit, one decimal below 10', () => {
    expect(formatBytes(0, 'en')).toBe('0 bytes');
    expect(formatBytes(1023, 'en')).toBe('1,023 bytes');
    expect(formatBytes(1024, 'en')).toBe('1 kB');
    expect(formatBytes(1536, 'en')).toBe('1.5 kB');
    expect(formatBytes(64 * 1024 * 1024, 'en')).toBe('64 MB');
    expect(formatBytes(2 * 1024 ** 3, 'en')).toBe('2 GB');
  });

  it('never shows a negative size', () => {
    expect(formatBytes(-5, 'en')).toBe('0 bytes');
  });
});

describe('formatAge', () => {
  const now = Date.UTC(2025, 0, 15, 12);
  it('says how long ago, in the largest whole unit', () => {
    expect(formatAge(now, now, 'en')).toBe('now');
    expect(formatAge(now - 5 * 60_000, now, 'en')).toBe('5 minutes ago');
    expect(formatAge(now - 3 * 3600_000 - 59_000, now, 'en')).toBe('3 hours ago');
    expect(formatAge(now - 24 * 3600_000, now, 'en')).toBe('yesterday');
    expect(formatAge(now - 13 * 24 * 3600_000, now, 'en')).toBe('13 days ago');
  });

  it('treats a time ahead of our clock as now', () => {
    expect(formatAge(now + 60_000, now, 'en')).toBe('now');
  });
});

describe('fetch result', () => {
  it('counts sealed envelopes in words', () => {
    expect(fetchResultText(0)).toBe('No mail was waiting for you.');
    expect(fetchResultText(1)).toBe('Collected 1 sealed envelope.');
    expect(envelopesText(3)).toBe('3 sealed envelopes');
  });
});
