// The home vault over HTTP, docs/protocol.md §2.4: `GET|PUT /api/home/vault` with the token (PUT also
// with the engine lease), and `GET /home/vault` without one, which the gateway answers only on the home
// onion's Host (a Tor Browser session has no token until the vault opens).
import { ChattorError } from '../../../../shared/util/errors';
import { AppError } from '$lib/errors/app-error';
import { MAX_VAULT_BLOB } from './vault-blob';

export interface StoredVault {
  blob: Uint8Array;
  generation: number;
}

function generationOf(res: Response): number {
  const g = Number(res.headers.get('x-chattor-generation'));
  if (!Number.isSafeInteger(g) || g < 1) throw new ChattorError('E_BAD_INPUT', 'vault generation missing');
  return g;
}

/** The stored vault; E_NO_HOME_VAULT when the gateway keeps none. `token` null: the home onion's route. */
export async function fetchVault(token: string | null, fetcher: typeof fetch = fetch): Promise<StoredVault> {
  const res = token
    ? await fetcher('/api/home/vault', { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' })
    : await fetcher('/home/vault', { cache: 'no-store' });
  if (res.status === 404) throw new AppError('E_NO_HOME_VAULT', 'no home vault');
  if (!res.ok) throw new ChattorError('E_FORBIDDEN', `the gateway refused the vault (${res.status})`);
  const blob = new Uint8Array(await res.arrayBuffer());
  if (blob.length > MAX_VAULT_BLOB) throw new ChattorError('E_TOO_LARGE', 'the home vault is too large');
  return { blob, generation: generationOf(res) };
}

/** Stores a new generation; E_LEASE_LOST when another client took the engine lease. */
export async function putVault(
  token: string,
  lease: string,
  blob: Uint8Array,
  fetcher: typeof fetch = fetch,
): Promise<number> {
  const res = await fetcher('/api/home/vault', {
    method: 'PUT',
    headers: {
      Authorization: `Bearer ${token}`,
      'X-Chattor-Lease': lease,
      'Content-Type': 'application/octet-stream',
    },
    body: blob as Uint8Array<ArrayBuffer>,
  });
  if (res.status === 409) throw new ChattorError('E_LEASE_LOST', 'another client holds the engine lease');
  if (res.status === 413) throw new ChattorError('E_TOO_LARGE', 'the home vault is too large');
  if (!res.ok) throw new ChattorError('E_FORBIDDEN', `the gateway refused the vault (${res.status})`);
  const body = (await res.json()) as { generation?: unknown };
  if (typeof body.generation !== 'number' || !Number.isSafeInteger(body.generation))
    throw new ChattorError('E_BAD_INPUT', 'vault generation missing');
  return body.generation;
}
