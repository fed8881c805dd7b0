// TorControl: a client of tor's control port over TCP (control-spec §3 commands, §4 events).
import { readFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { toHex } from '../../shared/util/bytes.js';
import { ChattorError } from '../../shared/util/errors.js';
import type { Logger } from '../log.js';
import {
  type AddOnionOptions,
  type AddOnionResult,
  SERVICE_ID,
  buildAddOnion,
  buildSetConf,
  checkWord,
  parseAddOnionReply,
  replyError,
} from './control-args.js';
import { type Reply, type ReplyLine, createReplyParser, parseArgs, quoteString } from './reply-parser.js';

export type { AddOnionOptions, AddOnionResult, OnionFlag } from './control-args.js';

export interface TorEvent {
  /** Event keyword, e.g. `HS_DESC`, `STATUS_CLIENT`. */
  name: string;
  /** The first line after the keyword. */
  text: string;
  lines: ReplyLine[];
}

export interface ConnectOptions {
  port: number;
  host?: '127.0.0.1';
  /** Cookie file; if neither it nor `password` is given, the COOKIEFILE from PROTOCOLINFO is used. */
  cookieFile?: string;
  password?: string;
  log: Logger;
  /** Per-command timeout (default 30 s). A timeout closes the connection: replies are positional. */
  timeoutMs?: number;
}

interface Pending {
  line: string;
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  timeoutMs: number;
  timer?: ReturnType<typeof setTimeout>;
}

export class TorControl {
  readonly #socket: Socket;
  readonly #log: Logger;
  readonly #timeoutMs: number;
  readonly #queue: Pending[] = [];
  #inFlight: Pending | undefined;
  readonly #eventHandlers = new Set<(e: TorEvent) => void>();
  readonly #closeHandlers = new Set<(err?: Error) => void>();
  #events = new Set<string>();
  #closed: Error | undefined;
  readonly #closedPromise: Promise<void>;

  private constructor(socket: Socket, log: Logger, timeoutMs: number) {
    this.#socket = socket;
    this.#log = log;
    this.#timeoutMs = timeoutMs;
    const parser = createReplyParser();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      let replies: Reply[];
      try {
        replies = parser.push(chunk);
      } catch (e) {
        this.#shutdown(e as Error);
        return;
      }
      for (const r of replies) this.#onReply(r);
    });
    this.#closedPromise = new Promise((resolve) => {
      socket.on('close', () => {
        this.#shutdown(new ChattorError('E_TOR_CONTROL', 'control connection closed'));
        resolve();
      });
    });
    socket.on('error', (e) =>
      this.#shutdown(new ChattorError('E_TOR_CONTROL', 'control socket error', { cause: e })),
    );
  }

  /** Connects to 127.0.0.1:port and authenticates (PROTOCOLINFO 1, AUTHENTICATE). */
  static async connect(opts: ConnectOptions): Promise<TorControl> {
    const host = opts.host ?? '127.0.0.1';
    if (host !== '127.0.0.1') throw new ChattorError('E_BAD_INPUT', 'control host must be 127.0.0.1');
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect({ host, port: opts.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ChattorError('E_TOR_CONTROL', `control connect to port ${opts.port} timed out`));
      }, opts.timeoutMs ?? 10_000);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(
          new ChattorError('E_TOR_CONTROL', `control connect to port ${opts.port} failed`, { cause: e }),
        );
      });
    });
    socket.setNoDelay(true);
    const control = new TorControl(socket, opts.log, opts.timeoutMs ?? 30_000);
    try {
      await control.#authenticate(opts);
    } catch (e) {
      await control.close();
      throw e;
    }
    return control;
  }

  async #authenticate(opts: ConnectOptions): Promise<void> {
    const info = await this.command('PROTOCOLINFO 1');
    let methods: string[] = [];
    let cookieFile = opts.cookieFile;
    for (const l of info.lines) {
      if (!l.text.startsWith('AUTH ')) continue;
      const { kv } = parseArgs(l.text);
      methods = (kv['METHODS'] ?? '').split(',');
      cookieFile ??= kv['COOKIEFILE'];
    }
    let arg: string;
    if (opts.password !== undefined) arg = quoteString(opts.password);
    else if (methods.includes('COOKIE') && cookieFile) {
      const cookie = new Uint8Array(await readFile(cookieFile));
      if (cookie.length !== 32)
        throw new ChattorError('E_TOR_CONTROL', 'control cookie file is not 32 bytes');
      arg = toHex(cookie);
    } else if (methods.includes('NULL')) arg = '';
    else
      throw new ChattorError(
        'E_TOR_CONTROL',
        `no usable control auth method (tor offers ${methods.join(',')})`,
      );
    try {
      await this.command(arg ? `AUTHENTICATE ${arg}` : 'AUTHENTICATE');
    } catch (e) {
      // The message names only the status: tor does not echo the cookie, and neither do we.
      throw new ChattorError('E_TOR_CONTROL', 'control authentication failed', { cause: e });
    }
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** Sends one command line and resolves with its reply; rejects with E_TOR_CONTROL unless 2xx. */
  async command(line: string, opts: { timeoutMs?: number } = {}): Promise<Reply> {
    if (/[\r\n\0]/.test(line)) throw new ChattorError('E_BAD_INPUT', 'control command must be one line');
    const keyword = line.split(' ', 1)[0]!;
    const reply = await new Promise<Reply>((resolve, reject) => {
      if (this.#closed) return reject(this.#closed);
      this.#queue.push({ line, resolve, reject, timeoutMs: opts.timeoutMs ?? this.#timeoutMs });
      this.#pump();
    });
    if (reply.status < 200 || reply.status > 299) throw replyError(keyword, reply);
    return reply;
  }

  #pump(): void {
    if (this.#inFlight || this.#closed) return;
    const next = this.#queue.shift();
    if (!next) return;
    this.#inFlight = next;
    next.timer = setTimeout(() => {
      const keyword = next.line.split(' ', 1)[0]!;
      this.#shutdown(new ChattorError('E_TOR_CONTROL', `${keyword} timed out after ${next.timeoutMs} ms`));
    }, next.timeoutMs);
    this.#socket.write(`${next.line}\r\n`);
  }

  #onReply(r: Reply): void {
    if (r.status >= 600 && r.status <= 699) {
      const first = r.lines[0]?.text ?? '';
      const sp = first.indexOf(' ');
      const ev: TorEvent = {
        name: sp < 0 ? first : first.slice(0, sp),
        text: sp < 0 ? '' : first.slice(sp + 1),
        lines: r.lines,
      };
      for (const h of this.#eventHandlers) {
        try {
          h(ev);
        } catch (e) {
          this.#log.warn('event handler threw', { event: ev.name, error: (e as Error).message });
        }
      }
      return;
    }
    const p = this.#inFlight;
    if (!p) {
      this.#shutdown(
        new ChattorError('E_TOR_CONTROL', `unexpected reply ${r.status} with no command pending`),
      );
      return;
    }
    clearTimeout(p.timer);
    this.#inFlight = undefined;
    p.resolve(r);
    this.#pump();
  }

  #shutdown(err: Error): void {
    if (this.#closed) return;
    this.#closed = err;
    this.#log.debug('control connection down', { reason: err.message });
    const failed = this.#inFlight ? [this.#inFlight, ...this.#queue] : [...this.#queue];
    this.#inFlight = undefined;
    this.#queue.length = 0;
    for (const p of failed) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.#socket.destroy();
    for (const h of this.#closeHandlers) h(err);
  }

  /** `GETINFO`: returns a null-prototype map key → value (data blocks included). */
  async getInfo(keys: string[]): Promise<Record<string, string>> {
    if (keys.length === 0) throw new ChattorError('E_BAD_INPUT', 'getInfo needs at least one key');
    const r = await this.command(`GETINFO ${keys.map((k) => checkWord(k, 'GETINFO key')).join(' ')}`);
    const out = Object.create(null) as Record<string, string>;
    for (const l of r.lines) {
      const eq = l.text.indexOf('=');
      if (eq < 0) continue; // the final "OK"
      out[l.text.slice(0, eq)] = l.data ?? l.text.slice(eq + 1);
    }
    for (const k of keys)
      if (!(k in out)) throw new ChattorError('E_TOR_CONTROL', `GETINFO reply lacks ${k}`);
    return out;
  }

  async addOnion(opts: AddOnionOptions): Promise<AddOnionResult> {
    return parseAddOnionReply(await this.command(buildAddOnion(opts)));
  }

  async delOnion(serviceId: string): Promise<void> {
    if (!SERVICE_ID.test(serviceId)) throw new ChattorError('E_BAD_INPUT', 'serviceId must be a v3 onion id');
    await this.command(`DEL_ONION ${serviceId}`);
  }

  /** `SETEVENTS`: replaces the whole set of subscribed events. Prefer addEvents when sharing a connection. */
  async setEvents(names: string[]): Promise<void> {
    this.#events = new Set(names.map((n) => checkWord(n, 'event name').toUpperCase()));
    await this.command(['SETEVENTS', ...this.#events].join(' '));
  }

  /** Adds events to the subscribed set (keeps those another user of the connection asked for). */
  async addEvents(names: string[]): Promise<void> {
    // The set is updated before sending: commands go out in order, so concurrent callers never lose events.
    for (const n of names) this.#events.add(checkWord(n, 'event name').toUpperCase());
    await this.command(['SETEVENTS', ...this.#events].join(' '));
  }

  /** `SETCONF`: a null value resets the option to its default. */
  async setConf(kv: Record<string, string | number | null>): Promise<void> {
    if (Object.keys(kv).length) await this.command(buildSetConf(kv));
  }

  async resetConf(keys: string[]): Promise<void> {
    if (keys.length) await this.command(`RESETCONF ${keys.map((k) => checkWord(k, 'config key')).join(' ')}`);
  }

  async signal(name: string): Promise<void> {
    await this.command(`SIGNAL ${checkWord(name, 'signal')}`);
  }

  /** Tor exits when this connection closes. */
  async takeOwnership(): Promise<void> {
    await this.command('TAKEOWNERSHIP');
  }

  async onionClientAuthAdd(address: string, x25519PrivB64: string): Promise<void> {
    const id = address.replace(/\.onion$/, '');
    if (!SERVICE_ID.test(id)) throw new ChattorError('E_BAD_INPUT', 'address must be a v3 onion');
    if (!/^[A-Za-z0-9+/]{43}=$/.test(x25519PrivB64))
      throw new ChattorError('E_BAD_INPUT', 'x25519 private key must be 32 bytes of base64');
    await this.command(`ONION_CLIENT_AUTH_ADD ${id} x25519:${x25519PrivB64}`);
  }

  /** Registers a handler for async (650) events; returns an unsubscribe function. */
  onEvent(handler: (e: TorEvent) => void): () => void {
    this.#eventHandlers.add(handler);
    return () => this.#eventHandlers.delete(handler);
  }

  /** Called once when the connection closes for any reason (including close()). */
  onClose(handler: (err?: Error) => void): () => void {
    this.#closeHandlers.add(handler);
    return () => this.#closeHandlers.delete(handler);
  }

  /** Closes the connection; pending commands fail with E_TOR_CONTROL. Resolves once the socket is closed. */
  close(): Promise<void> {
    this.#shutdown(new ChattorError('E_TOR_CONTROL', 'control connection closed by us'));
    return this.#closedPromise;
  }
}
