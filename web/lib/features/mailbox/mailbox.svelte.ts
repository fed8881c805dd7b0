// Offline mailboxes as Settings shows them (docs/protocol.md §5): the engine's mailboxStatus(), read
// while a view watches and again on every MailboxChanged; choosing holders and "check now" go to the
// engine, whose MailboxChanged then brings the new status.
import type { ChatEngineApi, Id, MailboxStatus } from '../../../../shared/protocol/api';
import { AppError } from '$lib/errors/app-error';
import { handleError } from '$lib/errors/handle-error';

/** The engine's limits (§5.2): at most this many chosen holders; in auto mode it asks this many. */
export const MAX_HOLDERS = 5;
export const AUTO_HOLDERS = 3;

/**
 * The gateway stores deposits without telling the browser (§5.5), so while watched the held counts are
 * read again this often as well.
 */
const REFRESH_MS = 30_000;

export interface MailboxDeps {
  engine: () => ChatEngineApi | null;
}

export class MailboxManager {
  /** The last status read, null before the first read. */
  status = $state.raw<MailboxStatus | null>(null);
  /** When `status` was read (ms). */
  readAt = $state(0);

  readonly #deps: MailboxDeps;
  #watchers = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #reading: Promise<void> | null = null;
  #again = false;

  constructor(deps: MailboxDeps) {
    this.#deps = deps;
  }

  /** Keeps `status` current until the returned function is called (views call it from an effect). */
  watch(): () => void {
    this.#watchers++;
    if (this.#watchers === 1) this.#timer = setInterval(() => this.#refreshQuietly(), REFRESH_MS);
    this.#refreshQuietly();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#watchers--;
      if (this.#watchers === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  /** The engine's MailboxChanged: read again if anyone looks (the next watch() reads anyway). */
  changed(): void {
    if (this.#watchers > 0) this.#refreshQuietly();
  }

  /** Reads the status; a read asked for while one runs is done once more after it. */
  refresh(): Promise<void> {
    if (this.#reading) {
      this.#again = true;
      return this.#reading;
    }
    this.#reading = (async () => {
      try {
        do {
          this.#again = false;
          const status = await this.#engine().mailboxStatus();
          this.status = status;
          this.readAt = Date.now();
        } while (this.#again);
      } finally {
        this.#reading = null;
      }
    })();
    return this.#reading;
  }

  /** Auto mode, or exactly these friends (at most MAX_HOLDERS; the engine checks they are friends). */
  async setHolders(holders: Id[] | 'auto'): Promise<void> {
    await this.#engine().setMailboxHolders(holders);
    await this.refresh();
  }

  /** Asks every holder for waiting mail now; resolves with the number of envelopes collected. */
  fetchNow(): Promise<number> {
    return this.#engine().fetchMail();
  }

  #refreshQuietly(): void {
    if (!this.#deps.engine()) return;
    this.refresh().catch((error: unknown) => handleError(error, { quiet: true, context: 'mailbox' }));
  }

  #engine(): ChatEngineApi {
    const engine = this.#deps.engine();
    if (!engine) throw new AppError('E_ENGINE_MISSING', 'no chat engine');
    return engine;
  }
}
