// Implements docs/protocol.md §2.4 (the home vault's snapshot): everything a stateless session needs to
// run the engine — the identity secrets, the storage key, the gateway token, the engine's tables and the
// preferences — as one byte string, and back into a database. Files (kept blobs, partial downloads) and
// the key vault's device key are not carried: the first are large and local, the second cannot leave.
import { fromBase64Url, toBase64Url, utf8 } from '../../../../shared/util/bytes';
import { ChattorError } from '../../../../shared/util/errors';
import { ENGINE_TABLES, type ChattorDb, type EngineTableName, type SettingRow } from '$lib/db/db';
import type { KeyVault } from '$lib/keys/key-vault';

export const SNAPSHOT_VERSION = 1;
const CARRIED_SETTINGS = ['pairingToken', 'readReceipts', 'holdForFriends', 'autoAcceptBytes'] as const;

interface SnapshotJson {
  v: typeof SNAPSHOT_VERSION;
  identity: string;
  storageKey: string;
  settings: unknown[];
  tables: Record<EngineTableName, unknown[]>;
}

/** Bytes and Blobs as tagged objects, so the snapshot is plain JSON. */
async function toJsonValue(x: unknown): Promise<unknown> {
  if (x instanceof Uint8Array) return { $u8: toBase64Url(x) };
  if (x instanceof ArrayBuffer) return { $u8: toBase64Url(new Uint8Array(x)) };
  if (typeof Blob !== 'undefined' && x instanceof Blob)
    return { $blob: toBase64Url(new Uint8Array(await x.arrayBuffer())), type: x.type };
  if (Array.isArray(x)) return Promise.all(x.map(toJsonValue));
  if (x !== null && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) if (v !== undefined) out[k] = await toJsonValue(v);
    return out;
  }
  return x;
}

function fromJsonValue(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(fromJsonValue);
  if (x !== null && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && typeof o.$u8 === 'string') return fromBase64Url(o.$u8, 'snapshot bytes');
    if (keys.length === 2 && typeof o.$blob === 'string' && typeof o.type === 'string')
      return new Blob([fromBase64Url(o.$blob, 'snapshot blob') as Uint8Array<ArrayBuffer>], { type: o.type });
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = fromJsonValue(o[k]);
    return out;
  }
  return x;
}

/** A consistent snapshot: the engine's tables are read in one transaction (its commits are atomic). */
export async function takeSnapshot(db: ChattorDb, vault: KeyVault): Promise<Uint8Array> {
  const tables = {} as Record<EngineTableName, unknown[]>;
  let identity: Uint8Array | undefined;
  let settings: SettingRow[] = [];
  await db.transaction('r', [...ENGINE_TABLES, 'settings'], async () => {
    for (const name of ENGINE_TABLES) {
      const rows = await db.table(name).toArray();
      tables[name] =
        name === 'meta' ? rows.filter((r: { key: string }) => r.key !== 'identity') : (rows as unknown[]);
    }
    identity = (await db.meta.get('identity'))?.value as Uint8Array | undefined;
    settings = (await db.settings.toArray()).filter((r) =>
      (CARRIED_SETTINGS as readonly string[]).includes(r.key),
    );
  });
  if (!(identity instanceof Uint8Array)) throw new ChattorError('E_STATE', 'no identity to put in the vault');
  const secrets = await vault.identityBox.open(identity);
  const storageKey = await vault.exportStorageKey();
  try {
    const json: SnapshotJson = {
      v: SNAPSHOT_VERSION,
      identity: toBase64Url(secrets),
      storageKey: toBase64Url(storageKey),
      settings: (await toJsonValue(settings)) as unknown[],
      tables: (await toJsonValue(tables)) as Record<EngineTableName, unknown[]>,
    };
    return utf8.encode(JSON.stringify(json));
  } finally {
    secrets.fill(0);
    storageKey.fill(0);
  }
}

function parseSnapshot(bytes: Uint8Array): SnapshotJson {
  const bad = (what: string) => new ChattorError('E_BAD_INPUT', `home vault snapshot: ${what}`);
  let j: unknown;
  try {
    j = JSON.parse(utf8.decode(bytes));
  } catch {
    throw bad('not JSON');
  }
  if (typeof j !== 'object' || j === null) throw bad('not an object');
  const s = j as Partial<SnapshotJson>;
  if (s.v !== SNAPSHOT_VERSION)
    throw new ChattorError('E_UNSUPPORTED', 'home vault snapshot: unknown version');
  if (typeof s.identity !== 'string' || typeof s.storageKey !== 'string') throw bad('keys missing');
  if (!Array.isArray(s.settings) || typeof s.tables !== 'object' || s.tables === null) throw bad('tables');
  for (const name of ENGINE_TABLES) if (!Array.isArray(s.tables[name])) throw bad(`table ${name}`);
  return s as SnapshotJson;
}

/**
 * Writes a snapshot into `db`, replacing its engine tables. A database without a key vault (a fresh
 * stateless session) adopts the snapshot's storage key; one with a vault (the tab that made the vault,
 * reading back what a Tor Browser session wrote) must be unlocked and hold the same identity.
 */
export async function restoreSnapshot(db: ChattorDb, vault: KeyVault, bytes: Uint8Array): Promise<void> {
  const snap = parseSnapshot(bytes);
  const secrets = fromBase64Url(snap.identity, 'identity');
  const storageKey = fromBase64Url(snap.storageKey, 'storageKey');
  try {
    if (!(await db.vault.get('vault'))) await vault.adopt(storageKey);
    else if ((await vault.load()) !== 'unlocked') throw new ChattorError('E_LOCKED', 'the vault is locked');
    const sealedIdentity = await vault.identityBox.seal(secrets);
    const tables = fromJsonValue(snap.tables) as Record<EngineTableName, unknown[]>;
    const settings = (fromJsonValue(snap.settings) as SettingRow[]).filter((r) =>
      (CARRIED_SETTINGS as readonly string[]).includes(r?.key),
    );
    await db.transaction('rw', [...ENGINE_TABLES, 'settings'], async () => {
      for (const name of ENGINE_TABLES) {
        const table = db.table(name);
        await table.clear();
        await table.bulkPut(tables[name]);
      }
      await db.meta.put({ key: 'identity', value: sealedIdentity });
      await db.settings.bulkPut(settings);
    });
  } finally {
    secrets.fill(0);
    storageKey.fill(0);
  }
}
