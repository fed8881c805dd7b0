// The holder's mailbox store, docs/protocol.md §5.4–5.6: accounts (by SHA-256 of their capability),
// sealed envelopes by mailbox id, spent deposit tokens and the token key, in one SQLite file
// (`<dataDir>/mailbox.sqlite`, 0600, WAL). The clock is injected. Nothing stored here is readable by
// the holder: envelopes are sealed to the recipient, mids rotate per pair and epoch.
import { chmodSync, closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { generateTokenKey, keyIdOf, okeyOf } from '../../shared/mailbox/tokens.js';
import type { TokenKey } from '../../shared/mailbox/tokens.js';
import { abytes } from '../../shared/util/bytes.js';
import { ChattorError } from '../../shared/util/errors.js';
import {
  ENVELOPE_ENTRY_HEADER,
  ENVELOPE_HASH_BYTES,
  ENVELOPES_HEADER,
  ENVELOPES_MAX_BODY,
  ISSUE_PER_DAY,
  MAX_BYTES,
  MAX_BYTES_PER_MID,
  MAX_ENVELOPES,
  MAX_PER_MID,
  MID_BYTES,
  TTL_DAYS,
  isBucketSize,
} from '../../shared/wire/mailbox.js';

export const MAILBOX_FILE = 'mailbox.sqlite';
export const DAY_MS = 24 * 60 * 60 * 1000;

export interface MailboxLimits {
  /** Envelopes per mailbox id (§5.6). */
  maxPerMid: number;
  maxBytesPerMid: number;
  /** Envelopes and bytes for the whole holder. */
  maxEnvelopes: number;
  maxBytes: number;
  /** Tokens an account may mint per UTC day (§5.4). */
  issuePerDay: number;
  /** Envelope lifetime from `storedAt`. */
  ttlMs: number;
}

export const DEFAULT_MAILBOX_LIMITS: Readonly<MailboxLimits> = Object.freeze({
  maxPerMid: MAX_PER_MID,
  maxBytesPerMid: MAX_BYTES_PER_MID,
  maxEnvelopes: MAX_ENVELOPES,
  maxBytes: MAX_BYTES,
  issuePerDay: ISSUE_PER_DAY,
  ttlMs: TTL_DAYS * DAY_MS,
});

export interface MailboxStoreOptions {
  dataDir: string;
  now?: () => number;
  limits?: Partial<MailboxLimits>;
}

export interface MailboxStats {
  accounts: number;
  envelopes: number;
  bytes: number;
  /** `storedAt` of the oldest envelope, null when there is none. */
  oldestAt: number | null;
}

export type IssuanceCheck = 'ok' | 'unknown-account' | 'exhausted';
export type DepositResult = 'stored' | 'spent' | 'duplicate' | 'quota';

export interface DepositInput {
  mid: Uint8Array;
  /** envelopeHash(envelope). */
  hash: Uint8Array;
  envelope: Uint8Array;
  /** SHA-256(x) of the token paying for it. */
  spentId: Uint8Array;
}

export interface FetchedEnvelope {
  /** Position of the mid in the request. */
  index: number;
  storedAt: number;
  envelope: Uint8Array;
}

// Numbered migrations (STYLE.md #12): MIGRATIONS[i] takes user_version i to i + 1.
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE accounts (
     cap_hash BLOB PRIMARY KEY,
     created_at INTEGER NOT NULL,
     issue_day INTEGER NOT NULL,
     issued_today INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE envelopes (
     hash BLOB PRIMARY KEY,
     mid BLOB NOT NULL,
     stored_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     size INTEGER NOT NULL,
     body BLOB NOT NULL
   );
   -- size in the mid index makes the per-mid quota check an index-only scan.
   CREATE INDEX envelopes_by_mid ON envelopes (mid, stored_at, size);
   CREATE INDEX envelopes_by_expiry ON envelopes (expires_at);
   CREATE TABLE spent_tokens (hash BLOB PRIMARY KEY) WITHOUT ROWID;
   CREATE TABLE token_key (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     secret BLOB NOT NULL,
     public BLOB NOT NULL
   );`,
];
export const SCHEMA_VERSION = MIGRATIONS.length;

function checkLimits(l: MailboxLimits): MailboxLimits {
  for (const [name, v] of Object.entries(l))
    if (!Number.isSafeInteger(v) || v < 1)
      throw new ChattorError('E_BAD_INPUT', `mailbox limit ${name} must be a positive integer`);
  return l;
}

const bytesOf = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export class MailboxStore {
  readonly path: string;
  readonly limits: Readonly<MailboxLimits>;
  readonly tokenKey: Readonly<TokenKey & { keyId: Uint8Array }>;
  /** `keyId || publicKey` (§5.2), what OpenMailboxAccount answers. */
  readonly okey: Uint8Array;
  private readonly db: Database.Database;
  private readonly now: () => number;
  // Totals kept in memory (one gateway process owns the file): counting 200,000 rows per deposit
  // would not be cheap. Recounted at open.
  private count = 0;
  private bytes = 0;
  private readonly q: Record<
    | 'getAccount'
    | 'insertAccount'
    | 'deleteAccount'
    | 'countAccounts'
    | 'setIssued'
    | 'isSpent'
    | 'insertSpent'
    | 'hasEnvelope'
    | 'midUsage'
    | 'insertEnvelope'
    | 'clearFetch'
    | 'addFetch'
    | 'page'
    | 'body'
    | 'deleteOne'
    | 'sweep'
    | 'oldest',
    Statement
  >;
  private readonly depositTx: (d: DepositInput, now: number) => DepositResult;
  private readonly fetchTx: (mids: readonly Uint8Array[], limit: number, now: number) => PageRow[];
  private readonly deleteTx: (items: readonly { mid: Uint8Array; hash: Uint8Array }[]) => {
    count: number;
    bytes: number;
  };

  private constructor(path: string, opts: MailboxStoreOptions) {
    this.path = path;
    this.now = opts.now ?? Date.now;
    this.limits = Object.freeze(checkLimits({ ...DEFAULT_MAILBOX_LIMITS, ...opts.limits }));
    // Created 0600 before SQLite opens it; SQLite gives the -wal and -shm files the same mode.
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
    const db = new Database(path);
    this.db = db;
    try {
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a crash of the process loses nothing committed; a power cut may lose the
      // last deposits (the depositor also deposits at a second holder, §5.7).
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 2000');
      this.migrate();
      db.exec('CREATE TEMP TABLE fetch_mids (mid BLOB PRIMARY KEY, idx INTEGER NOT NULL) WITHOUT ROWID');
      this.q = {
        getAccount: db.prepare('SELECT issue_day, issued_today FROM accounts WHERE cap_hash = ?'),
        insertAccount: db.prepare(
          'INSERT OR IGNORE INTO accounts (cap_hash, created_at, issue_day, issued_today) VALUES (?, ?, 0, 0)',
        ),
        deleteAccount: db.prepare('DELETE FROM accounts WHERE cap_hash = ?'),
        countAccounts: db.prepare('SELECT count(*) AS n FROM accounts').pluck(),
        setIssued: db.prepare('UPDATE accounts SET issue_day = ?, issued_today = ? WHERE cap_hash = ?'),
        isSpent: db.prepare('SELECT 1 FROM spent_tokens WHERE hash = ?').pluck(),
        insertSpent: db.prepare('INSERT INTO spent_tokens (hash) VALUES (?)'),
        hasEnvelope: db.prepare('SELECT 1 FROM envelopes WHERE hash = ?').pluck(),
        midUsage: db.prepare('SELECT count(*) AS n, total(size) AS bytes FROM envelopes WHERE mid = ?'),
        insertEnvelope: db.prepare(
          'INSERT INTO envelopes (hash, mid, stored_at, expires_at, size, body) VALUES (?, ?, ?, ?, ?, ?)',
        ),
        clearFetch: db.prepare('DELETE FROM temp.fetch_mids'),
        addFetch: db.prepare('INSERT OR IGNORE INTO temp.fetch_mids (mid, idx) VALUES (?, ?)'),
        // CROSS JOIN keeps the requested mids as the outer loop (SQLite's planner would otherwise walk
        // every unexpired envelope by the expiry index): one index range per mid, then a small sort.
        page: db.prepare(
          `SELECT f.idx AS idx, e.hash AS hash, e.stored_at AS storedAt, e.size AS size
             FROM temp.fetch_mids f CROSS JOIN envelopes e ON e.mid = f.mid
            WHERE e.expires_at > ?
            ORDER BY e.stored_at, e.rowid
            LIMIT ?`,
        ),
        body: db.prepare('SELECT body FROM envelopes WHERE hash = ?').pluck(),
        deleteOne: db.prepare('DELETE FROM envelopes WHERE hash = ? AND mid = ? RETURNING size').pluck(),
        sweep: db.prepare('DELETE FROM envelopes WHERE expires_at <= ? RETURNING size').pluck(),
        oldest: db.prepare('SELECT min(stored_at) FROM envelopes').pluck(),
      };
      this.tokenKey = this.loadTokenKey();
      this.okey = okeyOf(this.tokenKey.publicKey);
      const totals = db.prepare('SELECT count(*) AS n, total(size) AS bytes FROM envelopes').get() as {
        n: number;
        bytes: number;
      };
      this.count = totals.n;
      this.bytes = totals.bytes;
    } catch (e) {
      db.close();
      throw e;
    }

    this.depositTx = db.transaction((d: DepositInput, now: number): DepositResult => {
      if (this.q.isSpent.get(d.spentId)) return 'spent';
      if (this.q.hasEnvelope.get(d.hash)) return 'duplicate';
      const size = d.envelope.length;
      const l = this.limits;
      if (this.count + 1 > l.maxEnvelopes || this.bytes + size > l.maxBytes) return 'quota';
      const mid = this.q.midUsage.get(d.mid) as { n: number; bytes: number };
      if (mid.n + 1 > l.maxPerMid || mid.bytes + size > l.maxBytesPerMid) return 'quota';
      this.q.insertEnvelope.run(d.hash, d.mid, now, now + l.ttlMs, size, d.envelope);
      this.q.insertSpent.run(d.spentId);
      return 'stored';
    });
    this.fetchTx = db.transaction((mids: readonly Uint8Array[], limit: number, now: number) => {
      this.q.clearFetch.run();
      mids.forEach((mid, i) => this.q.addFetch.run(mid, i));
      const rows = this.q.page.all(now, limit) as PageRow[];
      this.q.clearFetch.run();
      return rows;
    });
    this.deleteTx = db.transaction((items: readonly { mid: Uint8Array; hash: Uint8Array }[]) => {
      let count = 0;
      let bytes = 0;
      for (const it of items) {
        const size = this.q.deleteOne.get(it.hash, it.mid) as number | undefined;
        if (size === undefined) continue;
        count++;
        bytes += size;
      }
      return { count, bytes };
    });
  }

  /** Opens (creating or upgrading) `<dataDir>/mailbox.sqlite`. */
  static open(opts: MailboxStoreOptions): MailboxStore {
    return new MailboxStore(join(opts.dataDir, MAILBOX_FILE), opts);
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION)
      throw new ChattorError('E_UNSUPPORTED', `mailbox store is version ${version}, newer than this gateway`);
    for (let v = version; v < SCHEMA_VERSION; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  /** The one token key of this holder, made on first open and kept while the store lives (§5.4). */
  private loadTokenKey(): TokenKey & { keyId: Uint8Array } {
    const row = this.db.prepare('SELECT secret, public FROM token_key WHERE id = 1').get() as
      { secret: Buffer; public: Buffer } | undefined;
    let key: TokenKey;
    if (row) {
      key = { secretKey: new Uint8Array(row.secret), publicKey: new Uint8Array(row.public) };
    } else {
      key = generateTokenKey();
      this.db
        .prepare('INSERT INTO token_key (id, secret, public) VALUES (1, ?, ?)')
        .run(key.secretKey, key.publicKey);
    }
    return Object.freeze({ ...key, keyId: keyIdOf(key.publicKey) });
  }

  // ── accounts ────────────────────────────────────────────────────────────────────────────────────

  /** Registers SHA-256(cap); idempotent. */
  openAccount(capHash: Uint8Array): void {
    abytes(capHash, 32, 'capHash');
    this.q.insertAccount.run(capHash, this.now());
  }

  /** Forgets an account (no more tokens for it). False if it was not open. */
  closeAccount(capHash: Uint8Array): boolean {
    abytes(capHash, 32, 'capHash');
    return this.q.deleteAccount.run(capHash).changes > 0;
  }

  hasAccount(capHash: Uint8Array): boolean {
    return this.q.getAccount.get(capHash) !== undefined;
  }

  /** Whether the account may mint `n` more tokens today (UTC day of the injected clock). */
  checkIssuance(capHash: Uint8Array, n: number): IssuanceCheck {
    const row = this.q.getAccount.get(capHash) as { issue_day: number; issued_today: number } | undefined;
    if (!row) return 'unknown-account';
    const today = Math.floor(this.now() / DAY_MS);
    const issued = row.issue_day === today ? row.issued_today : 0;
    return issued + n <= this.limits.issuePerDay ? 'ok' : 'exhausted';
  }

  /** Counts `n` tokens minted today; call after `checkIssuance` said 'ok' and the evaluation worked. */
  recordIssuance(capHash: Uint8Array, n: number): void {
    const row = this.q.getAccount.get(capHash) as { issue_day: number; issued_today: number } | undefined;
    if (!row) return;
    const today = Math.floor(this.now() / DAY_MS);
    const issued = row.issue_day === today ? row.issued_today : 0;
    this.q.setIssued.run(today, issued + n, capHash);
  }

  // ── envelopes ───────────────────────────────────────────────────────────────────────────────────

  /**
   * Stores one envelope and marks its token spent, in one transaction. Nothing stored is ever dropped
   * to make room: beyond a limit the answer is 'quota'. 'spent', 'duplicate' and 'quota' consume
   * nothing.
   */
  deposit(d: DepositInput): DepositResult {
    abytes(d.mid, MID_BYTES, 'mid');
    abytes(d.hash, ENVELOPE_HASH_BYTES, 'hash');
    abytes(d.spentId, 32, 'spentId');
    if (!isBucketSize(abytes(d.envelope, undefined, 'envelope').length))
      throw new ChattorError('E_BAD_INPUT', 'envelope must be a bucket size');
    const result = this.depositTx(d, this.now());
    if (result === 'stored') {
      this.count++;
      this.bytes += d.envelope.length;
    }
    return result;
  }

  /**
   * One page of unexpired envelopes stored under any of `mids`, oldest first: at most `max`, and at
   * most `maxBody` bytes once framed as an ENVELOPES body. `more` says whether more are waiting.
   */
  fetch(
    mids: readonly Uint8Array[],
    max: number,
    maxBody = ENVELOPES_MAX_BODY,
  ): { envelopes: FetchedEnvelope[]; more: boolean } {
    if (mids.length === 0) return { envelopes: [], more: false };
    const rows = this.fetchTx(mids, max + 1, this.now());
    const envelopes: FetchedEnvelope[] = [];
    let size = ENVELOPES_HEADER;
    let more = false;
    for (const row of rows) {
      const cost = ENVELOPE_ENTRY_HEADER + row.size;
      if (envelopes.length === max || size + cost > maxBody) {
        more = true;
        break;
      }
      const body = this.q.body.get(row.hash) as Buffer | undefined;
      if (!body) continue; // deleted in between: cannot happen in one synchronous call, but be safe
      size += cost;
      envelopes.push({ index: row.idx, storedAt: row.storedAt, envelope: bytesOf(body) });
    }
    return { envelopes, more };
  }

  /** Deletes the envelopes whose hash and mid both match; returns how many were deleted. */
  deleteEnvelopes(items: readonly { mid: Uint8Array; hash: Uint8Array }[]): number {
    const { count, bytes } = this.deleteTx(items);
    this.count -= count;
    this.bytes -= bytes;
    return count;
  }

  /** Deletes expired envelopes (§5.6); returns how many. */
  sweep(): number {
    const sizes = this.q.sweep.all(this.now()) as number[];
    this.count -= sizes.length;
    for (const s of sizes) this.bytes -= s;
    return sizes.length;
  }

  stats(): MailboxStats {
    const oldest = this.q.oldest.get() as number | null;
    return {
      accounts: this.q.countAccounts.get() as number,
      envelopes: this.count,
      bytes: this.bytes,
      oldestAt: oldest ?? null,
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

interface PageRow {
  idx: number;
  hash: Buffer;
  storedAt: number;
  size: number;
}
