// Anonymous handles as the "Anonymous" page shows them (docs/protocol.md §8): the engine's
// handlesStatus(), read again on every HandlesChanged; refusals of incoming anonymous actions (the
// engine's ProtocolError events with E_ZK_* codes) kept for this session; one proof at a time, with its
// progress stage for the indicator.
import type { ChatEngineApi, HandlesStatus, Id, PollInfo, ProveStage } from '../../../../shared/protocol/api';
import { AppError } from '$lib/errors/app-error';
import { handleError } from '$lib/errors/handle-error';
import { userText } from '$lib/errors/user-text';

export interface HandlesDeps {
  engine: () => ChatEngineApi | null;
}

export interface Refusal {
  at: number;
  code: string;
  text: string;
}

/** What the progress indicator says for each stage. */
export const STAGE_TEXT: Record<ProveStage, string> = {
  loading: 'Loading the proving key (once, then cached)…',
  witness: 'Computing the witness…',
  proving: 'Proving you are one of the group, without saying who…',
  sending: 'Sending over a separate Tor circuit…',
};

const REFUSALS_KEPT = 20;

export class HandlesManager {
  status = $state.raw<HandlesStatus | null>(null);
  refusals = $state.raw<Refusal[]>([]);
  /** The proof under way, if any. */
  proving = $state<{ what: string; stage: ProveStage } | null>(null);

  readonly #deps: HandlesDeps;
  #reading: Promise<void> | null = null;
  #again = false;

  constructor(deps: HandlesDeps) {
    this.#deps = deps;
  }

  #engine(): ChatEngineApi {
    const e = this.#deps.engine();
    if (!e) throw new AppError('E_ENGINE_MISSING', 'no engine');
    return e;
  }

  /** Reads the status; a read asked for while one runs is done once more after it. */
  load(): Promise<void> {
    if (this.#reading) {
      this.#again = true;
      return this.#reading;
    }
    this.#reading = (async () => {
      do {
        this.#again = false;
        const engine = this.#deps.engine();
        if (engine) this.status = await engine.handlesStatus();
      } while (this.#again);
    })().finally(() => (this.#reading = null));
    return this.#reading;
  }

  changed(): void {
    this.load().catch((e: unknown) => handleError(e, { quiet: true, context: 'anonymous' }));
  }

  /** An incoming anonymous action was refused (§8.5): say why, never what it said. */
  refused(code: string, message: string): void {
    const text = code.startsWith('E_ZK_') ? userText(code as 'E_ZK_PROOF') : message;
    this.refusals = [{ at: Date.now(), code, text }, ...this.refusals].slice(0, REFUSALS_KEPT);
  }

  async join(owner: Id, on: boolean): Promise<void> {
    await this.#engine().joinGroup(owner, on);
    await this.load();
  }

  async #prove(what: string, fn: (progress: (s: ProveStage) => void) => Promise<void>): Promise<void> {
    if (this.proving) throw new AppError('E_ENGINE_MISSING', 'a proof is already running');
    this.proving = { what, stage: 'loading' };
    try {
      await fn((stage) => {
        if (this.proving) this.proving = { what, stage };
      });
    } finally {
      this.proving = null;
    }
    await this.load();
  }

  sendAnonymous(owner: Id, body: string): Promise<void> {
    return this.#prove('message', (p) => this.#engine().sendAnonymous(owner, body, p));
  }

  vote(owner: Id, poll: Id, choice: number): Promise<void> {
    return this.#prove('vote', (p) => this.#engine().vote(owner, poll, choice, p));
  }

  async createPoll(question: string, options: string[], closesAt: number): Promise<PollInfo> {
    const p = await this.#engine().createPoll(question, options, closesAt);
    await this.load();
    return p;
  }
}
