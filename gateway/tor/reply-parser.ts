// Incremental parser of Tor control-port replies (control-spec §2.3 replies, §2.1 QuotedString, §4 events).
import { ChattorError } from '../../shared/util/errors.js';

export interface ReplyLine {
  /** The text after the status code and divider. For a data line (`250+key=`) this is `key=`. */
  text: string;
  /** The dot-unstuffed data block of a `+` line, its lines joined with `\n` (no trailing newline). */
  data?: string;
}

export interface Reply {
  status: number;
  lines: ReplyLine[];
}

export interface ReplyParser {
  /** Feeds decoded text; returns every reply completed by it. Throws E_TOR_CONTROL on malformed input. */
  push(chunk: string): Reply[];
  /** Characters buffered for the reply in progress (for diagnostics). */
  readonly pending: number;
}

/** A single reply (all lines and data) may not exceed this many characters. */
export const MAX_REPLY_CHARS = 1024 * 1024;

const LINE = /^([0-9]{3})([ +-])(.*)$/s;

function fail(message: string): never {
  throw new ChattorError('E_TOR_CONTROL', `control reply: ${message}`);
}

/** The parser is poisoned after the first error: a desynchronised stream cannot be trusted again. */
export function createReplyParser(opts: { maxReplyChars?: number } = {}): ReplyParser {
  const max = opts.maxReplyChars ?? MAX_REPLY_CHARS;
  let buf = '';
  let status: number | undefined;
  let lines: ReplyLine[] = [];
  let size = 0;
  let data: string[] | undefined;
  let broken: ChattorError | undefined;

  const account = (n: number) => {
    size += n;
    if (size > max) fail(`reply exceeds ${max} characters`);
  };

  const onLine = (line: string, out: Reply[]) => {
    account(line.length + 1);
    if (data) {
      if (line === '.') {
        const last = lines[lines.length - 1]!;
        last.data = data.join('\n');
        data = undefined;
      } else {
        // control-spec §2.3: a data line starting with "." is sent with an extra leading "."
        data.push(line.startsWith('.') ? line.slice(1) : line);
      }
      return;
    }
    const m = LINE.exec(line);
    if (!m)
      fail(
        `malformed line (expected 3-digit status and one of ' ', '-', '+'): ${JSON.stringify(line.slice(0, 40))}`,
      );
    const code = Number(m[1]);
    const divider = m[2]!;
    if (status !== undefined && code !== status)
      fail(`status changed within a reply (${status} then ${code})`);
    status = code;
    lines.push({ text: m[3]! });
    if (divider === '+') data = [];
    else if (divider === ' ') {
      out.push({ status: code, lines });
      status = undefined;
      lines = [];
      size = 0;
    }
  };

  return {
    get pending() {
      return size + buf.length;
    },
    push(chunk: string): Reply[] {
      if (broken) throw broken;
      const out: Reply[] = [];
      try {
        buf += chunk;
        let start = 0;
        for (;;) {
          const nl = buf.indexOf('\n', start);
          if (nl < 0) break;
          let end = nl;
          if (end > start && buf.charCodeAt(end - 1) === 13) end--;
          const line = buf.slice(start, end);
          start = nl + 1;
          onLine(line, out);
        }
        buf = buf.slice(start);
        if (size + buf.length > max) fail(`reply exceeds ${max} characters`);
      } catch (e) {
        broken =
          e instanceof ChattorError
            ? e
            : new ChattorError('E_TOR_CONTROL', 'control reply: parse error', { cause: e });
        throw broken;
      }
      return out;
    },
  };
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };

/**
 * Reads a QuotedString starting at `text[start]` (which must be `"`). Accepts the C-style escapes of
 * control-spec §2.1.1 (`\n \t \r \\ \" \'` and octal `\NNN`); any other `\X` is taken as `X` (§2.1).
 */
export function parseQuotedString(text: string, start = 0): { value: string; end: number } {
  if (text[start] !== '"') fail('quoted string must start with "');
  let out = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') return { value: out, end: i + 1 };
    if (c === '\\') {
      const n = text[i + 1];
      if (n === undefined) break;
      const oct = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4));
      if (oct) {
        const code = parseInt(oct[0], 8);
        if (code > 255) fail('octal escape out of range');
        out += String.fromCharCode(code);
        i += 1 + oct[0].length;
        continue;
      }
      out += ESCAPES[n] ?? n;
      i += 2;
      continue;
    }
    out += c;
    i++;
  }
  return fail('unterminated quoted string');
}

/** Unquotes a whole QuotedString; throws if anything follows the closing quote. */
export function unquoteString(text: string): string {
  const { value, end } = parseQuotedString(text, 0);
  if (end !== text.length) fail('text after quoted string');
  return value;
}

/** Quotes a value for a command argument (SETCONF values, passwords). CR, LF and NUL are refused. */
export function quoteString(value: string): string {
  if (/[\r\n\0]/.test(value))
    throw new ChattorError('E_BAD_INPUT', 'control argument must not contain CR, LF or NUL');
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export interface ParsedArgs {
  /** Words without `=`, in order (e.g. `NOTICE`, `BOOTSTRAP`). */
  positional: string[];
  /** `Key=Value` pairs; quoted values are unescaped. A null-prototype object. */
  kv: Record<string, string>;
}

/** Splits a reply line into positional words and `Key=Value` / `Key="quoted value"` pairs. */
export function parseArgs(text: string): ParsedArgs {
  const positional: string[] = [];
  const kv: Record<string, string> = Object.create(null) as Record<string, string>;
  let i = 0;
  while (i < text.length) {
    if (text[i] === ' ') {
      i++;
      continue;
    }
    if (text[i] === '"') {
      const q = parseQuotedString(text, i);
      positional.push(q.value);
      i = q.end;
      continue;
    }
    const m = /^([^\s="]+)(=?)/.exec(text.slice(i));
    if (!m) fail(`unexpected character at ${i}`);
    i += m[0].length;
    if (m[2] !== '=') {
      positional.push(m[1]!);
      continue;
    }
    let value: string;
    if (text[i] === '"') {
      const q = parseQuotedString(text, i);
      value = q.value;
      i = q.end;
    } else {
      const end = text.indexOf(' ', i);
      value = text.slice(i, end < 0 ? text.length : end);
      i = end < 0 ? text.length : end;
    }
    if (i < text.length && text[i] !== ' ') fail(`garbage after value of ${m[1]}`);
    kv[m[1]!] = value;
  }
  return { positional, kv };
}

/** Parses `Key=Value` pairs only (e.g. `ServiceID=… PrivateKey=…`); a bare word is an error. */
export function parseKeyValues(text: string): Record<string, string> {
  const { positional, kv } = parseArgs(text);
  if (positional.length > 0) fail('expected only Key=Value pairs');
  return kv;
}

export interface BootstrapPhase {
  severity: string;
  progress: number;
  tag: string;
  summary: string;
  /** Present on a problem report (`WARN BOOTSTRAP … WARNING=… REASON=…`). */
  warning?: string;
  reason?: string;
}

/**
 * Parses a `status/bootstrap-phase` value or a `STATUS_CLIENT` event text
 * (`[STATUS_CLIENT ]NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"`). Returns undefined for a
 * STATUS_CLIENT event that is not about bootstrapping; throws on a malformed BOOTSTRAP status.
 */
export function parseBootstrapPhase(text: string): BootstrapPhase | undefined {
  const { positional, kv } = parseArgs(text);
  if (positional[0] === 'STATUS_CLIENT') positional.shift();
  if (positional[1] !== 'BOOTSTRAP') return undefined;
  const raw = kv['PROGRESS'];
  const progress = raw !== undefined && /^[0-9]{1,3}$/.test(raw) ? Number(raw) : NaN;
  if (!(progress >= 0 && progress <= 100)) fail('bootstrap phase without a valid PROGRESS');
  const phase: BootstrapPhase = {
    severity: positional[0]!,
    progress,
    tag: kv['TAG'] ?? '',
    summary: kv['SUMMARY'] ?? '',
  };
  if (kv['WARNING'] !== undefined) phase.warning = kv['WARNING'];
  if (kv['REASON'] !== undefined) phase.reason = kv['REASON'];
  return phase;
}
