// Unit spec for the control-port reply parser (control-spec §2.3, §2.1 QuotedString).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isChattorError } from '../../shared/util/errors.js';
import {
  type Reply,
  createReplyParser,
  parseArgs,
  parseBootstrapPhase,
  parseKeyValues,
  parseQuotedString,
  quoteString,
  unquoteString,
} from './reply-parser.js';

const STREAM = [
  '650 STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay"\r\n',
  '250-version=0.4.9.11\r\n',
  '250+config-text=\r\nSocksPort 9050\r\n..hidden\r\n.\r\n',
  '250 OK\r\n',
  '650+NS\r\nr relay1 AAAA\r\ns Running Guard\r\n.\r\n650 OK\r\n',
  '552 Unrecognized key "foo"\r\n',
].join('');

const EXPECTED: Reply[] = [
  {
    status: 650,
    lines: [{ text: 'STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay"' }],
  },
  {
    status: 250,
    lines: [
      { text: 'version=0.4.9.11' },
      { text: 'config-text=', data: 'SocksPort 9050\n.hidden' },
      { text: 'OK' },
    ],
  },
  { status: 650, lines: [{ text: 'NS', data: 'r relay1 AAAA\ns Running Guard' }, { text: 'OK' }] },
  { status: 552, lines: [{ text: 'Unrecognized key "foo"' }] },
];

function parseAll(chunks: string[]): Reply[] {
  const p = createReplyParser();
  return chunks.flatMap((c) => p.push(c));
}

function expectControlError(fn: () => unknown, match: RegExp) {
  try {
    fn();
  } catch (e) {
    expect(isChattorError(e, 'E_TOR_CONTROL')).toBe(true);
    expect((e as Error).message).toMatch(match);
    return;
  }
  throw new Error('expected E_TOR_CONTROL');
}

describe('createReplyParser', () => {
  it('parses single, multi-line, data and async replies in order', () => {
    expect(parseAll([STREAM])).toEqual(EXPECTED);
  });

  it('gives the same replies when the stream is split at every position', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      expect(parseAll([STREAM.slice(0, i), STREAM.slice(i)])).toEqual(EXPECTED);
    }
  });

  it('gives the same replies fed one character at a time', () => {
    expect(parseAll([...STREAM])).toEqual(EXPECTED);
  });

  it('gives the same replies for any chunking (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: STREAM.length }), { maxLength: 20 }), (cuts) => {
        const sorted = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: string[] = [];
        let prev = 0;
        for (const c of sorted) {
          chunks.push(STREAM.slice(prev, c));
          prev = c;
        }
        chunks.push(STREAM.slice(prev));
        expect(parseAll(chunks)).toEqual(EXPECTED);
      }),
    );
  });

  it('round-trips arbitrary data blocks through dot-stuffing (property)', () => {
    const dataLine = fc.string({ maxLength: 12 }).filter((s) => !/[\r\n]/.test(s));
    fc.assert(
      fc.property(fc.array(dataLine, { minLength: 1, maxLength: 8 }), (dl) => {
        const stuffed = dl.map((l) => (l.startsWith('.') ? `.${l}` : l)).join('\r\n');
        const replies = parseAll([`250+k=\r\n${stuffed}\r\n.\r\n250 OK\r\n`]);
        expect(replies).toEqual([
          { status: 250, lines: [{ text: 'k=', data: dl.join('\n') }, { text: 'OK' }] },
        ]);
      }),
    );
  });

  it('accepts bare LF line endings', () => {
    expect(parseAll(['250-a=1\n250 OK\n'])).toEqual([
      { status: 250, lines: [{ text: 'a=1' }, { text: 'OK' }] },
    ]);
  });

  it('keeps an incomplete reply pending without emitting it', () => {
    const p = createReplyParser();
    expect(p.push('250-a=1\r\n250+b=\r\nxx')).toEqual([]);
    expect(p.pending).toBeGreaterThan(0);
    expect(p.push('\r\n.\r\n250 OK\r\n')).toHaveLength(1);
    expect(p.pending).toBe(0);
  });

  it('interleaves async events between synchronous replies', () => {
    const replies = parseAll(['650 HS_DESC UPLOADED abc UNKNOWN $X\r\n250 OK\r\n650 BW 1 2\r\n']);
    expect(replies.map((r) => r.status)).toEqual([650, 250, 650]);
  });

  it.each([
    ['no status', 'hello\r\n', /malformed line/],
    ['short status', '25 OK\r\n', /malformed line/],
    ['bad divider', '250*OK\r\n', /malformed line/],
    ['letters in status', '2x0 OK\r\n', /malformed line/],
    ['empty line', '\r\n', /malformed line/],
    ['status change', '250-a\r\n251 OK\r\n', /status changed/],
  ])('rejects malformed input: %s', (_name, input, match) => {
    expectControlError(() => createReplyParser().push(input), match);
  });

  it('stays broken after an error (a desynchronised stream is not trusted again)', () => {
    const p = createReplyParser();
    expect(() => p.push('nonsense\r\n')).toThrow();
    expectControlError(() => p.push('250 OK\r\n'), /malformed/);
  });

  it('rejects an oversized line even before its newline arrives', () => {
    const p = createReplyParser({ maxReplyChars: 1000 });
    expectControlError(() => p.push('250-' + 'a'.repeat(2000)), /exceeds 1000/);
  });

  it('rejects an oversized multi-line reply', () => {
    const p = createReplyParser({ maxReplyChars: 1000 });
    expectControlError(() => {
      for (let i = 0; i < 100; i++) p.push(`250-line${i}=${'x'.repeat(20)}\r\n`);
    }, /exceeds/);
  });

  it('rejects an oversized data block and caps at 1 MiB by default', () => {
    const p = createReplyParser();
    p.push('250+big=\r\n');
    expectControlError(() => {
      for (let i = 0; i < 2000; i++) p.push('y'.repeat(1000) + '\r\n');
    }, /exceeds 1048576/);
  });

  it('accepts many replies whose sum exceeds the cap (the cap is per reply)', () => {
    const p = createReplyParser({ maxReplyChars: 100 });
    let n = 0;
    for (let i = 0; i < 50; i++) n += p.push('250 OK\r\n650 BW 10 20\r\n').length;
    expect(n).toBe(100);
  });
});

describe('quoted strings', () => {
  it('unescapes C-style and octal escapes', () => {
    expect(unquoteString('"a\\"b\\\\c\\n\\t\\101\\x"')).toBe('a"b\\c\n\tAx');
    expect(parseQuotedString('xx"Done" rest', 2)).toEqual({ value: 'Done', end: 8 });
  });
  it('rejects unterminated and trailing text', () => {
    expectControlError(() => unquoteString('"abc'), /unterminated/);
    expectControlError(() => unquoteString('"abc\\'), /unterminated/);
    expectControlError(() => unquoteString('"a"b'), /after quoted/);
    expectControlError(() => unquoteString('abc'), /must start/);
  });
  it('quotes and round-trips (property)', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/[\r\n\0]/.test(s)),
        (s) => {
          expect(unquoteString(quoteString(s))).toBe(s);
        },
      ),
    );
  });
  it('refuses CR/LF in command arguments', () => {
    expect(() => quoteString('a\r\nSIGNAL HALT')).toThrow(/CR, LF/);
  });
});

describe('parseKeyValues / parseArgs', () => {
  it('parses ADD_ONION reply lines', () => {
    expect(parseKeyValues('ServiceID=abc')).toEqual({ ServiceID: 'abc' });
    expect(parseKeyValues('PrivateKey=ED25519-V3:a+b/c==')).toEqual({ PrivateKey: 'ED25519-V3:a+b/c==' });
  });
  it('parses quoted values and positional words', () => {
    const r = parseArgs('AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE="/var/lib/tor/control auth"');
    expect(r.positional).toEqual(['AUTH']);
    expect(r.kv).toEqual({ METHODS: 'COOKIE,SAFECOOKIE', COOKIEFILE: '/var/lib/tor/control auth' });
    expect(parseArgs('"127.0.0.1:9050" "[::1]:9050"').positional).toEqual(['127.0.0.1:9050', '[::1]:9050']);
  });
  it('has no prototype keys', () => {
    expect(parseKeyValues('__proto__=x').__proto__).toBe('x');
    expect(Object.getPrototypeOf(parseKeyValues('a=1'))).toBeNull();
  });
  it('rejects bare words, junk after a quoted value and empty keys', () => {
    expectControlError(() => parseKeyValues('OK'), /only Key=Value/);
    expectControlError(() => parseKeyValues('A="x"y'), /garbage/);
    expectControlError(() => parseKeyValues('=x'), /unexpected/);
  });
});

describe('parseBootstrapPhase', () => {
  it('parses GETINFO status/bootstrap-phase', () => {
    expect(parseBootstrapPhase('NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"')).toEqual({
      severity: 'NOTICE',
      progress: 100,
      tag: 'done',
      summary: 'Done',
    });
  });
  it('parses a STATUS_CLIENT event with a warning', () => {
    const p = parseBootstrapPhase(
      'STATUS_CLIENT WARN BOOTSTRAP PROGRESS=10 TAG=conn_done SUMMARY="Connected to a relay" WARNING="Connection refused" REASON=CONNECTREFUSED COUNT=1 RECOMMENDATION=ignore',
    );
    expect(p).toMatchObject({
      severity: 'WARN',
      progress: 10,
      warning: 'Connection refused',
      reason: 'CONNECTREFUSED',
    });
  });
  it('ignores other STATUS_CLIENT events', () => {
    expect(parseBootstrapPhase('STATUS_CLIENT NOTICE CIRCUIT_ESTABLISHED')).toBeUndefined();
  });
  it('rejects a bad PROGRESS', () => {
    expectControlError(() => parseBootstrapPhase('NOTICE BOOTSTRAP PROGRESS=101 TAG=x'), /PROGRESS/);
    expectControlError(() => parseBootstrapPhase('NOTICE BOOTSTRAP TAG=x'), /PROGRESS/);
  });
});
