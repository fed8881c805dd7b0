// A typed client of the local link (docs/protocol.md §2.2): one WebSocket to the user's own gateway,
// reconnected with backoff; commands resolve on CommandDone / CommandFailed; events and frames fan out
// to subscribers. Nothing here throws into the socket callbacks: bad input and subscriber errors go
// to `onError`, which the app wires to its one `handleError`.
import { ChattorError } from '../../../shared/util/errors';
import { LocalOp, decodeLocalBinary, encodeLocalBinary } from '../../../shared/wire/local-binary';
import {
  LOCAL_PATH,
  LOCAL_SUBPROTOCOL,
  TOKEN_SUBPROTOCOL_PREFIX,
  isCapHash,
  parseCommandResult,
  parseServerMessage,
  type CommandResultMap,
  type LocalCommand,
  type LocalCommandType,
  type LocalEventMap,
  type LocalEventType,
  type LocalStatus,
  type MailboxStats,
  type RelaySettings,
  type RelayStatus,
} from './local-protocol';

/** The subset of the DOM WebSocket the client uses (tests pass a fake). */
export interface WebSocketLike {
  binaryType: BinaryType;
  readonly readyState: number;
  readonly protocol: string;
  onopen: ((ev: Event) => unknown) | null;
  onclose: ((ev: CloseEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  send(data: string | ArrayBufferLike | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  /** Bytes queued but not yet sent (browsers and `ws` both have it; fakes may leave it out). */
  readonly bufferedAmount?: number;
}
export type WebSocketFactory = (url: string, protocols: string[]) => WebSocketLike;

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'waiting' | 'stopped';
export interface ConnectionInfo {
  state: ConnectionState;
  /** Failed attempts since the link was last open. */
  attempt: number;
  /** When `state` is `waiting`: milliseconds until the next attempt. */
  retryInMs?: number;
}

export interface GatewayClientOptions {
  token: string;
  /** Defaults to `ws://<location.host>/local`. */
  url?: string;
  createSocket?: WebSocketFactory;
  commandTimeoutMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  onError?: (error: unknown) => void;
  random?: () => number;
}

/** The gateway answered a command with CommandFailed. `code` is the gateway's (e.g. E_DIAL_FAILED). */
export class GatewayCommandError extends Error {
  constructor(
    readonly command: LocalCommandType,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayCommandError';
  }
}

type CommandFields<T extends LocalCommandType> = Omit<Extract<LocalCommand, { t: T }>, 't' | 'id'>;
type Listener<T> = (value: T) => void;
type FrameListener = (link: number, frame: Uint8Array) => void;

interface Pending {
  t: LocalCommandType;
  text: string;
  sent: boolean;
  timer: ReturnType<typeof setTimeout>;
  resolve: (result: never) => void;
  reject: (error: unknown) => void;
}

const OPEN = 1;
const CLOSE_WRONG_SUBPROTOCOL = 4002;
const MAX_TEXT_MESSAGE = 1 << 20;

export class GatewayClient {
  readonly #url: string;
  readonly #token: string;
  readonly #createSocket: WebSocketFactory;
  readonly #timeoutMs: number;
  readonly #backoff: { initialMs: number; maxMs: number };
  readonly #onError: (error: unknown) => void;
  readonly #random: () => number;

  #ws: WebSocketLike | null = null;
  #info: ConnectionInfo = { state: 'idle', attempt: 0 };
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #nextId = 1;
  readonly #idPrefix: string;
  readonly #pending = new Map<string, Pending>();
  readonly #listeners = new Map<LocalEventType, Set<Listener<never>>>();
  readonly #frameListeners = new Set<FrameListener>();
  readonly #connectionListeners = new Set<Listener<ConnectionInfo>>();

  constructor(options: GatewayClientOptions) {
    this.#token = options.token;
    this.#url = options.url ?? `ws://${location.host}${LOCAL_PATH}`;
    this.#createSocket = options.createSocket ?? ((url, protocols) => new WebSocket(url, protocols));
    this.#timeoutMs = options.commandTimeoutMs ?? 20_000;
    this.#backoff = options.backoff ?? { initialMs: 500, maxMs: 15_000 };
    this.#onError = options.onError ?? (() => undefined);
    this.#random = options.random ?? Math.random;
    this.#idPrefix = Math.floor(this.#random() * 0xffffff).toString(36);
  }

  get connection(): ConnectionInfo {
    return this.#info;
  }

  /** Opens the link; afterwards the client keeps it open until `stop()`. */
  start(): void {
    if (this.#info.state !== 'idle') return;
    this.#connect();
  }

  /** Closes the link for good and fails every command still waiting. */
  stop(): void {
    if (this.#info.state === 'stopped') return;
    this.#clearRetry();
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      this.#detach(ws);
      ws.close(1000, 'client stopped');
    }
    this.#failPending(() => new ChattorError('E_STATE', 'the local link was stopped'), true);
    this.#setInfo({ state: 'stopped', attempt: 0 });
  }

  /** Skips the backoff wait (e.g. when the browser comes back online). */
  retryNow(): void {
    if (this.#info.state !== 'waiting') return;
    this.#clearRetry();
    this.#connect();
  }

  on<K extends LocalEventType>(t: K, listener: Listener<LocalEventMap[K]>): () => void {
    let set = this.#listeners.get(t);
    if (!set) this.#listeners.set(t, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  onConnection(listener: Listener<ConnectionInfo>): () => void {
    this.#connectionListeners.add(listener);
    return () => this.#connectionListeners.delete(listener);
  }

  onFrame(listener: FrameListener): () => void {
    this.#frameListeners.add(listener);
    return () => this.#frameListeners.delete(listener);
  }

  /** Sends `SendFrame` for one whole peer frame. Throws `E_STATE` when the link is not open. */
  sendFrame(link: number, frame: Uint8Array): void {
    const ws = this.#ws;
    if (!ws || ws.readyState !== OPEN) throw new ChattorError('E_STATE', 'the local link is not open');
    ws.send(encodeLocalBinary(LocalOp.SendFrame, link, frame));
  }

  /** Bytes written to the local link and not yet sent to the gateway (flow control for files, §6.4). */
  bufferedAmount(): number {
    return this.#ws?.bufferedAmount ?? 0;
  }

  /**
   * Sends a command and resolves with its checked result. Commands issued while the link is down wait
   * for it (within the timeout); a command already sent when the link drops fails with `E_STATE`,
   * because the gateway may or may not have run it.
   */
  command<T extends LocalCommandType>(
    t: T,
    fields: CommandFields<T>,
    options?: { timeoutMs?: number },
  ): Promise<CommandResultMap[T]> {
    if (this.#info.state === 'stopped' || this.#info.state === 'idle') {
      return Promise.reject(new ChattorError('E_STATE', `the local link is ${this.#info.state}`));
    }
    const id = `${this.#idPrefix}-${this.#nextId++}`;
    const text = JSON.stringify({ ...fields, t, id });
    return new Promise<CommandResultMap[T]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ChattorError('E_STATE', `${t} was not answered in time`));
      }, options?.timeoutMs ?? this.#timeoutMs);
      const pending: Pending = {
        t,
        text,
        sent: false,
        timer,
        resolve: resolve as (r: never) => void,
        reject,
      };
      this.#pending.set(id, pending);
      this.#flushOne(pending);
    });
  }

  getStatus(): Promise<LocalStatus> {
    return this.command('GetStatus', {}).then((r) => r.status);
  }
  /** `isolated: true` opens a new link on a circuit of its own, never reused (§5.6). */
  dialPeer(onion: string, options: { isolated?: boolean } = {}): Promise<number> {
    const fields = options.isolated === undefined ? { onion } : { onion, isolated: options.isolated };
    return this.command('DialPeer', fields).then((r) => r.link);
  }
  async closePeer(link: number): Promise<void> {
    await this.command('ClosePeer', { link });
  }
  rotateHandle(): Promise<string> {
    return this.command('RotateHandle', {}).then((r) => r.onion);
  }
  /**
   * Lets the holder of the capability whose SHA-256 is `capHash` (64 hex digits) mint deposit tokens
   * here (§5.2, §5.8); idempotent. Resolves with the gateway's `okey` (base64url).
   */
  openMailboxAccount(capHash: string): Promise<string> {
    if (!isCapHash(capHash))
      return Promise.reject(new ChattorError('E_BAD_INPUT', 'capHash must be 64 lower-case hex digits'));
    return this.command('OpenMailboxAccount', { capHash }).then((r) => r.okey);
  }
  async closeMailboxAccount(capHash: string): Promise<void> {
    if (!isCapHash(capHash))
      throw new ChattorError('E_BAD_INPUT', 'capHash must be 64 lower-case hex digits');
    await this.command('CloseMailboxAccount', { capHash });
  }
  /** What this node's gateway holds for friends: counts and sizes only. */
  getMailboxStats(): Promise<MailboxStats> {
    return this.command('GetMailboxStats', {}).then((r) => r.stats);
  }

  /** Relay mode as the gateway runs it now (§2.6). */
  getRelay(): Promise<RelayStatus> {
    return this.command('GetRelay', {}).then((r) => r.relay);
  }
  /** Stores and applies relay settings; the gateway checks them again (E_BAD_INPUT). */
  setRelay(settings: RelaySettings): Promise<RelayStatus> {
    return this.command('SetRelay', { settings }).then((r) => r.relay);
  }

  // ── socket lifecycle ────────────────────────────────────────────────────────────────────────────

  #connect(): void {
    this.#setInfo({ state: 'connecting', attempt: this.#info.attempt });
    let ws: WebSocketLike;
    try {
      ws = this.#createSocket(this.#url, [LOCAL_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + this.#token]);
    } catch (error) {
      this.#onError(error);
      this.#scheduleRetry();
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.#ws = ws;
    ws.onopen = () => {
      if (ws.protocol !== LOCAL_SUBPROTOCOL) {
        this.#onError(new ChattorError('E_UNSUPPORTED', `gateway selected subprotocol "${ws.protocol}"`));
        // Browsers only let pages close with 1000 or 3000–4999; 4000+ is ours.
        ws.close(CLOSE_WRONG_SUBPROTOCOL, 'subprotocol');
        return;
      }
      this.#setInfo({ state: 'open', attempt: 0 });
      for (const pending of this.#pending.values()) this.#flushOne(pending);
    };
    ws.onmessage = (ev) => this.#receive(ev.data);
    ws.onerror = () => undefined; // always followed by close, which carries what we need
    ws.onclose = () => {
      if (this.#ws !== ws) return;
      this.#detach(ws);
      this.#ws = null;
      this.#failPending(() => new ChattorError('E_STATE', 'the local link closed'), false);
      this.#scheduleRetry();
    };
  }

  #detach(ws: WebSocketLike): void {
    ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
  }

  #scheduleRetry(): void {
    const attempt = this.#info.attempt + 1;
    const base = Math.min(this.#backoff.maxMs, this.#backoff.initialMs * 2 ** Math.min(attempt - 1, 16));
    const delay = Math.round(base * (0.5 + this.#random() / 2));
    this.#setInfo({ state: 'waiting', attempt, retryInMs: delay });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#connect();
    }, delay);
  }

  #clearRetry(): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  #flushOne(pending: Pending): void {
    const ws = this.#ws;
    if (pending.sent || !ws || ws.readyState !== OPEN || this.#info.state !== 'open') return;
    ws.send(pending.text);
    pending.sent = true;
  }

  /** Fails sent commands (their fate is unknown); unsent ones keep waiting unless `all`. */
  #failPending(error: () => Error, all: boolean): void {
    for (const [id, pending] of this.#pending) {
      if (!pending.sent && !all) continue;
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(error());
    }
  }

  #setInfo(info: ConnectionInfo): void {
    this.#info = info;
    for (const listener of this.#connectionListeners) this.#call(() => listener(info));
  }

  // ── incoming ────────────────────────────────────────────────────────────────────────────────────

  #receive(data: unknown): void {
    if (typeof data === 'string') {
      this.#receiveText(data);
    } else if (data instanceof ArrayBuffer) {
      this.#receiveBinary(data);
    } else {
      this.#onError(new ChattorError('E_BAD_INPUT', 'local link: unexpected message kind'));
    }
  }

  #receiveText(text: string): void {
    if (text.length > MAX_TEXT_MESSAGE) {
      this.#onError(new ChattorError('E_BAD_INPUT', 'local link: text message too large'));
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      this.#onError(new ChattorError('E_BAD_INPUT', 'local link: message is not JSON', { cause }));
      return;
    }
    const parsed = parseServerMessage(json);
    if (!parsed.ok) {
      this.#onError(new ChattorError('E_BAD_INPUT', `local link: ${parsed.reason}`));
      return;
    }
    const msg = parsed.value;
    if (msg.t === 'CommandDone' || msg.t === 'CommandFailed') {
      if (msg.t === 'CommandFailed' && msg.id === null) {
        // The gateway could not read the id of something we sent.
        this.#onError(new ChattorError('E_BAD_INPUT', `gateway could not read a command: ${msg.code}`));
        return;
      }
      if (msg.id === null) return;
      const pending = this.#pending.get(msg.id);
      if (!pending) {
        this.#onError(new ChattorError('E_BAD_INPUT', `local link: reply to unknown command ${msg.id}`));
        return;
      }
      this.#pending.delete(msg.id);
      clearTimeout(pending.timer);
      if (msg.t === 'CommandFailed') {
        pending.reject(new GatewayCommandError(pending.t, msg.code, msg.message));
        return;
      }
      const result = parseCommandResult(pending.t, msg.result);
      if (result.ok) pending.resolve(result.value as never);
      else pending.reject(new ChattorError('E_BAD_INPUT', `${pending.t} result: ${result.reason}`));
      return;
    }
    const set = this.#listeners.get(msg.t);
    if (!set) return;
    for (const listener of set) this.#call(() => (listener as Listener<typeof msg>)(msg));
  }

  #receiveBinary(data: ArrayBuffer): void {
    let message: ReturnType<typeof decodeLocalBinary>;
    try {
      message = decodeLocalBinary(new Uint8Array(data));
    } catch (error) {
      this.#onError(error);
      return;
    }
    const { op, link, frame } = message;
    if (op !== LocalOp.FrameReceived) {
      this.#onError(new ChattorError('E_FRAME_MALFORMED', `local link: unexpected frame op ${op}`));
      return;
    }
    for (const listener of this.#frameListeners) this.#call(() => listener(link, frame));
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#onError(error);
    }
  }
}
