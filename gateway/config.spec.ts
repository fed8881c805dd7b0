import { describe, expect, it } from 'vitest';
import { parseGatewayArgs } from './config.js';

const env = { CHATTOR_DATA_DIR: '/tmp/chattor-config-spec' };

describe('gateway options', () => {
  it('defaults the mailbox to §5.6: 14 days, 200,000 envelopes, 2 GiB', () => {
    const o = parseGatewayArgs([], env);
    expect(o.mailboxTtlDays).toBe(14);
    expect(o.mailboxMaxEnvelopes).toBe(200_000);
    expect(o.mailboxMaxBytes).toBe(2 * 1024 ** 3);
    expect(o.mailboxTokensPerDay).toBe(8192);
  });

  it('takes the mailbox flags, in range', () => {
    const o = parseGatewayArgs(
      [
        '--mailbox-ttl-days',
        '3',
        '--mailbox-max-envelopes',
        '5000',
        '--mailbox-max-mib',
        '64',
        '--mailbox-tokens-per-day',
        '640',
      ],
      env,
    );
    expect(o).toMatchObject({
      mailboxTtlDays: 3,
      mailboxMaxEnvelopes: 5000,
      mailboxMaxBytes: 64 * 1024 ** 2,
      mailboxTokensPerDay: 640,
    });
    expect(() => parseGatewayArgs(['--mailbox-tokens-per-day', '63'], env)).toThrow(
      /mailbox-tokens-per-day must be an integer in 64\.\.1000000/,
    );
    expect(() => parseGatewayArgs(['--mailbox-ttl-days', '0'], env)).toThrow(/mailbox-ttl-days must be/);
    expect(() => parseGatewayArgs(['--mailbox-ttl-days', '1.5'], env)).toThrow(/mailbox-ttl-days/);
    expect(() => parseGatewayArgs(['--mailbox-max-mib', '0'], env)).toThrow(/mailbox-max-mib/);
  });
});
