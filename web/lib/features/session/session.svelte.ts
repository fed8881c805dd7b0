// The session with the local gateway: pairing check, then one GatewayClient feeding the feature
// managers. Routes never see the token or the client's plumbing, only this state.
import { getDb } from '$lib/db/db';
import { handleError } from '$lib/errors/handle-error';
import { NodeStatusManager } from '$lib/features/node/node.svelte';
import { GatewayClient, type ConnectionInfo, type GatewayClientOptions } from '$lib/transport/gateway-client';
import { checkToken, type PairingCapture, type TokenCheck } from '$lib/transport/pairing';
import { ChattorError } from '../../../../shared/util/errors';
import { startupCapture } from './startup';

export type SessionPhase = 'starting' | 'not-paired' | 'unreachable' | 'paired';
export type NotPairedReason = 'no-token' | 'rejected' | 'malformed-link';

export interface SessionDeps {
  capture: () => PairingCapture;
  loadToken: () => Promise<string | undefined>;
  checkToken: (token: string) => Promise<TokenCheck>;
  createClient: (options: GatewayClientOptions) => GatewayClient;
}

const defaultDeps: SessionDeps = {
  capture: startupCapture,
  loadToken: () => getDb().getSetting('pairingToken'),
  checkToken: (token) => checkToken(token),
  createClient: (options) => new GatewayClient(options),
};

/** Re-check the token after this many failed reconnects: the gateway may have been re-paired. */
const RECHECK_AFTER_ATTEMPTS = 2;

export class Session {
  phase = $state<SessionPhase>('starting');
  notPairedReason = $state<NotPairedReason>('no-token');
  unreachableDetail = $state('');
  connection = $state<ConnectionInfo>({ state: 'idle', attempt: 0 });
  checking = $state(false);
  readonly node = new NodeStatusManager({
    onLinkError: (e) =>
      handleError(new ChattorError('E_UNKNOWN_LINK', `link ${e.link}: ${e.code} ${e.message}`), {
        quiet: true,
        context: 'local link',
      }),
  });

  readonly #deps: SessionDeps;
  // Reactive, so that the chat engine is (re)created when a client appears.
  #client = $state.raw<GatewayClient | null>(null);
  #cleanup: (() => void)[] = [];
  #rechecking = false;

  constructor(deps: Partial<SessionDeps> = {}) {
    this.#deps = { ...defaultDeps, ...deps };
  }

  /** The live client, for features that send commands or frames; null until paired. */
  get client(): GatewayClient | null {
    return this.#client;
  }

  /** Reads the token, checks it with the gateway and, when paired, opens the local link. */
  async start(): Promise<void> {
    this.checking = true;
    try {
      const capture = this.#deps.capture();
      if (capture.storeError !== undefined) handleError(capture.storeError, { context: 'saving pairing' });
      let token = capture.token;
      if (token === null) token = (await this.#deps.loadToken().catch(failLoad)) ?? null;
      if (token === null) {
        this.#notPaired(capture.fragment === 'malformed' ? 'malformed-link' : 'no-token');
        return;
      }
      const check = await this.#deps.checkToken(token);
      if (check.kind === 'unauthorized') return this.#notPaired('rejected');
      if (check.kind === 'unreachable') {
        this.unreachableDetail = check.detail;
        this.phase = 'unreachable';
        return;
      }
      if (check.status) this.node.applyStatus(check.status);
      this.#connect(token);
      this.phase = 'paired';
    } finally {
      this.checking = false;
    }
  }

  /** From the "Not paired" and "Gateway not reachable" screens. */
  async retry(): Promise<void> {
    if (this.checking) return;
    this.phase = 'starting';
    await this.start();
  }

  stop(): void {
    this.#cleanup.splice(0).forEach((fn) => fn());
    this.#client?.stop();
    this.#client = null;
  }

  #notPaired(reason: NotPairedReason): void {
    this.stop();
    this.notPairedReason = reason;
    this.phase = 'not-paired';
  }

  #connect(token: string): void {
    this.stop();
    const client = this.#deps.createClient({
      token,
      onError: (error) => handleError(error, { quiet: true, context: 'local link' }),
    });
    this.#client = client;
    this.#cleanup.push(
      this.node.attach(client),
      client.onConnection((info) => {
        this.connection = info;
        if (info.state === 'waiting' && info.attempt >= RECHECK_AFTER_ATTEMPTS) this.#recheck(token);
      }),
    );
    const online = () => client.retryNow();
    window.addEventListener('online', online);
    this.#cleanup.push(() => window.removeEventListener('online', online));
    client.start();
  }

  /** The link keeps failing: find out whether the gateway is down or no longer knows our token. */
  #recheck(token: string): void {
    if (this.#rechecking) return;
    this.#rechecking = true;
    this.#deps
      .checkToken(token)
      .then((check) => {
        if (check.kind === 'unauthorized') this.#notPaired('rejected');
      })
      .catch((error: unknown) => handleError(error, { quiet: true, context: 'pairing check' }))
      .finally(() => (this.#rechecking = false));
  }
}

function failLoad(error: unknown): undefined {
  handleError(error, { context: 'reading pairing' });
  return undefined;
}
