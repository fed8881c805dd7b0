// Relay mode as Settings shows it (docs/protocol.md §2.6): the gateway's RelayStatus, read while a view
// watches (and every few seconds then, since reachability and the consensus change on tor's own time),
// replaced on every RelayChanged; saving sends SetRelay and shows what the gateway answers.
import { ChattorError } from '../../../../shared/util/errors';
import type { GatewayClient } from '$lib/transport/gateway-client';
import type { RelaySettings, RelayStatus } from '$lib/transport/local-protocol';

const REFRESH_MS = 5_000;

export class RelayPanelManager {
  status = $state.raw<RelayStatus | null>(null);
  /** When `status` was read (ms), for the uptime. */
  readAt = $state(0);
  saving = $state(false);

  readonly #client: () => GatewayClient | null;

  constructor(client: () => GatewayClient | null) {
    this.#client = client;
  }

  /** Reads now, on RelayChanged and every REFRESH_MS; returns the function that stops. */
  watch(onError: (e: unknown) => void): () => void {
    const client = this.#client();
    if (!client) return () => undefined;
    const read = () => {
      client.getRelay().then((s) => this.#apply(s), onError);
    };
    const off = client.on('RelayChanged', (e) => this.#apply(e.relay));
    read();
    const timer = setInterval(read, REFRESH_MS);
    return () => {
      off();
      clearInterval(timer);
    };
  }

  async save(settings: RelaySettings): Promise<RelayStatus> {
    const client = this.#client();
    if (!client) throw new ChattorError('E_STATE', 'not connected to the gateway');
    this.saving = true;
    try {
      const s = await client.setRelay(settings);
      this.#apply(s);
      return s;
    } finally {
      this.saving = false;
    }
  }

  #apply(s: RelayStatus): void {
    this.status = s;
    this.readAt = Date.now();
  }
}
