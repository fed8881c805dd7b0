// TorSupervisor: runs (or attaches to) the node's tor, tracks bootstrap, restarts it with backoff.
import { type ChildProcess } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { ChattorError } from '../../shared/util/errors.js';
import { type Logger, errorMessage } from '../log.js';
import { TorControl } from './control.js';
import { parseArgs, parseBootstrapPhase } from './reply-parser.js';
import { ensurePrivateDir, spawnTor, tailFile, terminateChild, waitForControlPort } from './spawn.js';
import { buildNodeTorrc, nodeTorPaths } from './torrc.js';

export type TorState = 'starting' | 'bootstrapping' | 'ready' | 'restarting' | 'stopped';

export interface SpawnTorOptions {
  dataDir: string;
  log: Logger;
  torBinary?: string;
  /** Fixed SOCKS port, or 'auto' (default). An auto port is kept across restarts while it can be bound. */
  socksPort?: number | 'auto';
  /** Lines appended to the torrc (the private testnet's clientTorrcLines). */
  extraTorrc?: string[];
  /** How long tor may take to open its control port (default 30 s). */
  startTimeoutMs?: number;
}

export interface AttachTorOptions {
  controlPort: number;
  cookieFile?: string;
  password?: string;
  log: Logger;
}

type Mode = { kind: 'spawn'; opts: SpawnTorOptions } | { kind: 'attach'; opts: AttachTorOptions };

const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
/** A tor that stayed up this long restarts after BACKOFF_MIN_MS again. */
const STABLE_MS = 60_000;

export class TorSupervisor {
  readonly #mode: Mode;
  readonly #log: Logger;
  #state: TorState = 'starting';
  #control: TorControl | undefined;
  #child: ChildProcess | undefined;
  #pid: number | undefined;
  #socksPort: number | undefined;
  #pinnedSocks: number | 'auto';
  #progress = 0;
  #summary = '';
  #generation = 0;
  #backoff = BACKOFF_MIN_MS;
  #upSince = 0;
  #wake: (() => void) | undefined;
  readonly #bootstrapHandlers = new Set<(progress: number, summary: string) => void>();
  readonly #restartHandlers = new Set<(control: TorControl) => void | Promise<void>>();
  readonly #stateHandlers = new Set<(state: TorState) => void>();
  #waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  private constructor(mode: Mode) {
    this.#mode = mode;
    this.#log = mode.opts.log;
    this.#pinnedSocks = mode.kind === 'spawn' ? (mode.opts.socksPort ?? 'auto') : 'auto';
  }

  /** Spawns tor with a torrc written to `dataDir` and resolves once its control port is connected. */
  static async start(opts: SpawnTorOptions): Promise<TorSupervisor> {
    const s = new TorSupervisor({ kind: 'spawn', opts });
    await s.#launchOrCleanup();
    return s;
  }

  /** Uses an already running tor (no spawning); reconnects with backoff when the connection is lost. */
  static async attach(opts: AttachTorOptions): Promise<TorSupervisor> {
    const s = new TorSupervisor({ kind: 'attach', opts });
    await s.#launchOrCleanup();
    return s;
  }

  get state(): TorState {
    return this.#state;
  }
  get pid(): number | undefined {
    return this.#pid;
  }
  /** Read it at every dial: it can change if a restart could not rebind the previous port. */
  get socksPort(): number | undefined {
    return this.#socksPort;
  }
  get progress(): number {
    return this.#progress;
  }
  get summary(): string {
    return this.#summary;
  }
  /** The current control connection; throws E_TOR_UNAVAILABLE while tor is (re)starting. */
  get control(): TorControl {
    if (!this.#control || this.#control.closed)
      throw new ChattorError('E_TOR_UNAVAILABLE', `tor is ${this.#state}`);
    return this.#control;
  }

  onBootstrap(h: (progress: number, summary: string) => void): () => void {
    this.#bootstrapHandlers.add(h);
    return () => this.#bootstrapHandlers.delete(h);
  }
  /** After tor came back (new process or new connection): onions are gone; re-add them on `control`. */
  onRestart(h: (control: TorControl) => void | Promise<void>): () => void {
    this.#restartHandlers.add(h);
    return () => this.#restartHandlers.delete(h);
  }
  onStateChange(h: (state: TorState) => void): () => void {
    this.#stateHandlers.add(h);
    return () => this.#stateHandlers.delete(h);
  }

  /** Resolves when bootstrap reaches 100 % (immediately if it has); rejects on stop or timeout. */
  whenBootstrapped(timeoutMs = 120_000): Promise<void> {
    if (this.#state === 'ready') return Promise.resolve();
    if (this.#state === 'stopped')
      return Promise.reject(new ChattorError('E_TOR_UNAVAILABLE', 'tor is stopped'));
    return new Promise<void>((resolve, reject) => {
      const w = {
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (e: Error) => (clearTimeout(timer), reject(e)),
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        reject(
          new ChattorError(
            'E_TOR_UNAVAILABLE',
            `tor not bootstrapped after ${timeoutMs} ms (${this.#progress} %)`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  async noticeLogTail(lines = 30): Promise<string> {
    return this.#mode.kind === 'spawn'
      ? tailFile(nodeTorPaths(this.#mode.opts.dataDir).noticeLog, lines)
      : '';
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#setState('stopped');
    this.#generation++;
    this.#wake?.();
    for (const w of this.#waiters.splice(0)) w.reject(new ChattorError('E_TOR_UNAVAILABLE', 'tor stopped'));
    const control = this.#control;
    const child = this.#child;
    this.#control = undefined;
    this.#child = undefined;
    await control?.close();
    if (child) await terminateChild(child, 3000);
    this.#log.info('tor stopped');
  }

  #setState(s: TorState): void {
    if (this.#state === s) return;
    this.#state = s;
    for (const h of this.#stateHandlers) h(s);
  }

  #setProgress(progress: number, summary: string): void {
    if (progress === this.#progress && summary === this.#summary) return;
    this.#progress = progress;
    this.#summary = summary;
    for (const h of this.#bootstrapHandlers) h(progress, summary);
    if (progress === 100 && this.#state === 'bootstrapping') {
      this.#setState('ready');
      this.#log.info('tor bootstrapped');
      for (const w of this.#waiters.splice(0)) w.resolve();
    }
  }

  async #launchOrCleanup(): Promise<void> {
    try {
      await this.#launch(this.#generation);
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** One attempt to get a running tor and an authenticated control connection for generation `gen`. */
  async #launch(gen: number): Promise<void> {
    const superseded = () => gen !== this.#generation;
    let control: TorControl | undefined;
    let child: ChildProcess | undefined;
    try {
      if (this.#mode.kind === 'spawn') {
        const o = this.#mode.opts;
        const paths = nodeTorPaths(o.dataDir);
        await ensurePrivateDir(o.dataDir);
        await rm(paths.controlPortFile, { force: true });
        const torrc = buildNodeTorrc({
          dataDir: o.dataDir,
          socksPort: this.#pinnedSocks,
          ownerPid: process.pid,
          extraTorrc: o.extraTorrc ?? [],
        });
        await writeFile(paths.torrc, torrc, { mode: 0o600 });
        if (superseded()) throw new ChattorError('E_TOR_UNAVAILABLE', 'superseded');
        const tor = spawnTor({ torrc: paths.torrc, ...(o.torBinary ? { torBinary: o.torBinary } : {}) });
        const c = (child = tor.child);
        this.#child = c;
        this.#pid = c.pid;
        c.once('exit', (code, signal) => {
          if (this.#child === c) this.#onLost(`tor exited (${code ?? signal})`);
        });
        const port = await waitForControlPort(paths.controlPortFile, {
          timeoutMs: o.startTimeoutMs ?? 30_000,
          tor,
        });
        control = await TorControl.connect({
          port,
          cookieFile: paths.cookieFile,
          log: this.#log.child('control'),
        });
        // Tor exits when this connection closes, and (__OwningControllerProcess) when we do.
        await control.takeOwnership();
      } else {
        const o = this.#mode.opts;
        control = await TorControl.connect({
          port: o.controlPort,
          log: this.#log.child('control'),
          ...(o.cookieFile !== undefined ? { cookieFile: o.cookieFile } : {}),
          ...(o.password !== undefined ? { password: o.password } : {}),
        });
      }
      if (superseded()) throw new ChattorError('E_TOR_UNAVAILABLE', 'superseded');
    } catch (e) {
      if (superseded()) {
        // stop() or a newer attempt owns the state now; whatever this attempt started is ours to end.
        await control?.close();
        if (child) await terminateChild(child, 3000);
      }
      throw e;
    }
    this.#control = control;
    control.onClose(() => {
      if (this.#control === control) this.#onLost('control connection lost');
    });
    control.onEvent((ev) => {
      if (ev.name !== 'STATUS_CLIENT' || this.#control !== control) return;
      const phase = parseBootstrapPhase(ev.text);
      if (phase) this.#setProgress(phase.progress, phase.summary);
    });
    await control.addEvents(['STATUS_CLIENT']);
    const info = await control.getInfo(['net/listeners/socks', 'status/bootstrap-phase', 'process/pid']);
    const socks = parseArgs(info['net/listeners/socks'] ?? '').positional.find((a) =>
      a.startsWith('127.0.0.1:'),
    );
    this.#socksPort = socks ? Number(socks.slice('127.0.0.1:'.length)) : undefined;
    if (this.#mode.kind === 'spawn' && this.#socksPort !== undefined) this.#pinnedSocks = this.#socksPort;
    this.#pid = Number(info['process/pid']) || this.#pid;
    this.#progress = -1; // force a report for the new process
    this.#setState('bootstrapping');
    this.#upSince = Date.now();
    const phase = parseBootstrapPhase(info['status/bootstrap-phase'] ?? '');
    this.#setProgress(phase?.progress ?? 0, phase?.summary ?? '');
    this.#log.info('tor control connected', {
      pid: this.#pid,
      socksPort: this.#socksPort,
      mode: this.#mode.kind,
    });
  }

  #onLost(reason: string): void {
    if (this.#state === 'stopped' || this.#state === 'restarting') return;
    this.#log.warn('tor lost, restarting', { reason });
    if (Date.now() - this.#upSince > STABLE_MS) this.#backoff = BACKOFF_MIN_MS;
    this.#setState('restarting');
    void this.#restartLoop();
  }

  async #teardownCurrent(): Promise<void> {
    const control = this.#control;
    const child = this.#child;
    this.#control = undefined;
    this.#child = undefined;
    await control?.close();
    if (child) await terminateChild(child, 3000);
  }

  async #restartLoop(): Promise<void> {
    const gen = ++this.#generation;
    await this.#teardownCurrent();
    for (;;) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.#backoff);
        this.#wake = () => (clearTimeout(t), resolve());
      });
      this.#wake = undefined;
      if (gen !== this.#generation) return;
      const delay = this.#backoff;
      this.#backoff = Math.min(this.#backoff * 2, BACKOFF_MAX_MS);
      try {
        await this.#launch(gen);
      } catch (e) {
        if (gen !== this.#generation) return;
        this.#log.warn('tor restart failed', { error: errorMessage(e), afterMs: delay });
        await this.#teardownCurrent();
        if (this.#mode.kind === 'spawn' && this.#mode.opts.socksPort === undefined)
          this.#pinnedSocks = 'auto';
        continue;
      }
      const control = this.#control!;
      for (const h of this.#restartHandlers) {
        try {
          await h(control);
        } catch (e) {
          this.#log.warn('restart handler failed', { error: errorMessage(e) });
        }
      }
      return;
    }
  }
}
