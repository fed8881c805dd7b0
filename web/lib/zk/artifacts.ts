// The proving artifacts (docs/zk.md §8–9, docs/protocol.md §8): fetched once from the gateway's fixed
// paths, kept in the Cache API, and used only when their SHA-256 equals the value bundled here (the
// values of circuits/artifacts.json; artifacts.spec.ts fails when they drift). Runs in the zk worker
// and in benchmark pages: no DOM, only fetch, caches and crypto.subtle.
import { ChattorError } from '../../../shared/util/errors';
import { toHex } from '../../../shared/util/bytes';

export interface Artifact {
  /** Where the gateway serves it (gateway/node.ts). */
  path: string;
  sha256: string;
  bytes: number;
}

export const ZK_ARTIFACTS = {
  wasm: {
    path: '/zk/membership.wasm',
    sha256: '1f9ad7217dea93fb92528260ede4eee9d0d1d050aadcd83929aac6b2b317fb42',
    bytes: 1996459,
  },
  zkey: {
    path: '/zk/membership.zkey',
    sha256: 'f952042a5dcebac41cfb4da60aece969b71f6ad4425a40dfc8349d1a641bb2d5',
    bytes: 2194448,
  },
} as const satisfies Record<string, Artifact>;

export const ZK_CACHE = 'chattor-zk-v2';

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)));
}

/**
 * The artifact's bytes: from the cache when it holds a copy with the right hash, else fetched (and
 * then cached). A fetched copy with another hash is refused: the gateway (or whoever answers on its
 * port) must not choose the circuit or the proving key.
 */
export async function loadArtifact(a: Artifact, fetcher: typeof fetch = fetch): Promise<Uint8Array> {
  const cache = typeof caches === 'undefined' ? null : await caches.open(ZK_CACHE).catch(() => null);
  const cached = await cache?.match(a.path);
  if (cached) {
    const bytes = new Uint8Array(await cached.arrayBuffer());
    if (bytes.length === a.bytes && (await sha256Hex(bytes)) === a.sha256) return bytes;
    await cache?.delete(a.path);
  }
  const res = await fetcher(a.path, { cache: 'no-store' });
  if (!res.ok) throw new ChattorError('E_UNSUPPORTED', `the gateway has no ${a.path} (${res.status})`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.length !== a.bytes || (await sha256Hex(bytes)) !== a.sha256)
    throw new ChattorError('E_SIGNATURE', `${a.path} does not match the committed SHA-256`);
  await cache?.put(a.path, new Response(bytes as Uint8Array<ArrayBuffer>)).catch(() => undefined);
  return bytes;
}
