// The gateway's only logger (STYLE.md #6). Every message and field passes through redactText, so onion
// addresses, keys and tokens appear as `…ab12`. There is deliberately no level that prints more.
import { redactText } from '../shared/util/redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(scope: string): Logger;
}

export interface LogSink {
  write(line: string): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(
  scope: string,
  opts: { sink?: LogSink; level?: LogLevel; clock?: () => number } = {},
): Logger {
  const sink = opts.sink ?? { write: (line: string) => process.stderr.write(line + '\n') };
  const min = ORDER[opts.level ?? 'info'];
  const clock = opts.clock ?? Date.now;
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (ORDER[level] < min) return;
    const parts = [new Date(clock()).toISOString(), level.toUpperCase(), `[${scope}]`, msg];
    if (fields) {
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) parts.push(`${k}=${String(v)}`);
    }
    sink.write(redactText(parts.join(' ')));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (s) => createLogger(`${scope}:${s}`, opts),
  };
}

/** A logger that keeps lines in memory, for tests that assert what was (not) logged. */
export function memoryLogger(scope = 'test'): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = createLogger(scope, { sink: { write: (l) => lines.push(l) }, level: 'debug' });
  return Object.assign(log, { lines });
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
