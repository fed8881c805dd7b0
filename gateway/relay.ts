// Relay mode (docs/protocol.md §2.6): the settings kept in `<data>/relay.json` (0600), applied to the
// node's tor over the control port at every (re)start, the monthly cap kept by the gateway, and the
// status Settings shows (reachable, descriptor accepted, in the consensus, traffic, uptime).
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChattorError } from '../shared/util/errors.js';
import type { RelayState, RelayStatus } from '../shared/wire/relay-settings.js';
import type { Logger } from './log.js';
import { errorMessage } from './log.js';
import type { TorControl } from './tor/control.js';
import {
  DEFAULT_RELAY_SETTINGS,
  RELAY_OPTION_KEYS,
  type RelayNetwork,
  type RelaySettings,
  parseRelaySettings,
  relayOnConf,
} from './tor/relay-config.js';

export type { RelaySettings, RelayNetwork, RelayState, RelayStatus };

interface RelayFile {
  version: 1;
  settings: RelaySettings;
  month: string;
  monthBytes: number;
}

/** How often traffic is counted for the cap. */
export const RELAY_COUNT_MS = 60_000;
const GIB = 1024 * 1024 * 1024;

export function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

export interface RelayManagerDeps {
  dataDir: string;
  network: RelayNetwork;
  control: () => TorControl | null;
  log: Logger;
  /** Something a watcher shows changed (settings, state, error). */
  changed: () => void;
  now?: () => number;
}

export class RelayManager {
  readonly #deps: RelayManagerDeps;
  readonly #path: string;
  readonly #now: () => number;
  #settings: RelaySettings = { ...DEFAULT_RELAY_SETTINGS };
  #month: string;
  #monthBytes = 0;
  #state: RelayState = 'off';
  #error: string | null = null;
  #since: number | null = null;
  /** Whether this gateway set relay options on the tor it talks to now (reset when tor restarts). */
  #applied = false;
  /** The last traffic/read + traffic/written seen, to count only what was added since. */
  #lastTotal: number | null = null;
  #busy: Promise<unknown> = Promise.resolve();
  #timer: ReturnType<typeof setInterval> | undefined;

  private constructor(deps: RelayManagerDeps) {
    this.#deps = deps;
    this.#path = join(deps.dataDir, 'relay.json');
    this.#now = deps.now ?? Date.now;
    this.#month = monthOf(this.#now());
  }

  /** Reads `<data>/relay.json`; a missing file means defaults, a damaged one is logged and replaced. */
  static async open(deps: RelayManagerDeps): Promise<RelayManager> {
    const m = new RelayManager(deps);
    let text: string | undefined;
    try {
      text = await readFile(m.#path, 'utf8');
    } catch {
      // first start: defaults (off)
    }
    if (text !== undefined) {
      try {
        const f = JSON.parse(text) as Partial<RelayFile>;
        if (f.version !== 1) throw new ChattorError('E_STATE', 'relay.json is not version 1');
        m.#settings = parseRelaySettings(f.settings);
        if (typeof f.month === 'string' && f.month === m.#month && Number.isSafeInteger(f.monthBytes))
          m.#monthBytes = Math.max(0, f.monthBytes ?? 0);
      } catch (e) {
        deps.log.warn('relay settings unreadable; relay mode off', { reason: errorMessage(e) });
      }
    }
    m.#timer = setInterval(() => void m.count().catch(() => undefined), RELAY_COUNT_MS);
    m.#timer.unref();
    return m;
  }

  get settings(): RelaySettings {
    return { ...this.#settings };
  }

  get state(): RelayState {
    return this.#state;
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Validates, stores and applies new settings; resolves with the status after applying. */
  async set(input: unknown): Promise<RelayStatus> {
    const next = parseRelaySettings(input);
    await this.#serial(async () => {
      this.#settings = next;
      await this.#save();
      this.#error = null;
      await this.#applyNow({ force: true });
    });
    this.#deps.changed();
    return this.status();
  }

  /**
   * Applies the stored settings to the current tor: after the first bootstrap and after every tor
   * restart (a new tor starts from the client-only torrc). Never throws: a refusal is kept in `error`.
   */
  apply(): Promise<void> {
    return this.#serial(async () => {
      this.#lastTotal = null; // a new tor counts from zero
      this.#applied = false; // and starts from the client-only torrc
      await this.#applyNow();
      this.#deps.changed();
    });
  }

  /**
   * Sets the relay options, or resets them. Resetting happens only where this gateway set them (or the
   * user just switched off): an attached tor's own configuration is never touched while relay mode is off.
   */
  async #applyNow(opts: { force?: boolean } = {}): Promise<void> {
    const control = this.#deps.control();
    const capped = this.#capReached();
    const want: RelayState = !this.#settings.enabled ? 'off' : capped ? 'paused' : 'on';
    if (!control) {
      // tor is (re)starting: apply() runs again once it is back.
      this.#state = want;
      this.#since = null;
      return;
    }
    try {
      if (want === 'on') {
        await control.setConf(relayOnConf(this.#settings, this.#deps.network));
        this.#applied = true;
        if (this.#state !== 'on' || this.#since === null) this.#since = this.#now();
        this.#deps.log.info('relay mode on', { network: this.#deps.network });
      } else {
        if (this.#applied || opts.force) await control.setConf(relayOffConf());
        this.#applied = false;
        this.#since = null;
        if (this.#state === 'on') this.#deps.log.info('relay mode off', { reason: want });
      }
      this.#state = want;
    } catch (e) {
      this.#since = null;
      if (control.closed) {
        // tor went away meanwhile: apply() runs again when it is back.
        this.#state = want;
        return;
      }
      // Tor refused (a port in use, an option it does not like): stay a client, say why.
      this.#error = errorMessage(e);
      this.#state = 'off';
      this.#deps.log.warn('relay settings refused by tor', { reason: this.#error });
      await control.setConf(relayOffConf()).catch(() => undefined);
    }
  }

  #capReached(): boolean {
    const cap = this.#settings.monthlyCapGiB;
    return cap > 0 && this.#monthBytes >= cap * GIB;
  }

  /**
   * Adds the traffic since the last count to this month's total; pauses relaying at the cap and
   * resumes it in a new month. Runs every RELAY_COUNT_MS; tests call it directly.
   */
  count(): Promise<void> {
    return this.#serial(async () => {
      const month = monthOf(this.#now());
      let changed = false;
      if (month !== this.#month) {
        this.#month = month;
        this.#monthBytes = 0;
        changed = true;
      }
      const control = this.#deps.control();
      if (control && this.#state === 'on') {
        const info = await control.getInfo(['traffic/read', 'traffic/written']);
        const total = Number(info['traffic/read']) + Number(info['traffic/written']);
        if (Number.isSafeInteger(total)) {
          // A smaller total means a new tor process: everything it counted is new.
          const added = this.#lastTotal === null || total < this.#lastTotal ? 0 : total - this.#lastTotal;
          this.#lastTotal = total;
          if (added > 0) {
            this.#monthBytes += added;
            changed = true;
          }
        }
      } else this.#lastTotal = null;
      const want = !this.#settings.enabled ? 'off' : this.#capReached() ? 'paused' : 'on';
      if (want !== this.#state) {
        await this.#applyNow();
        this.#deps.changed();
      }
      if (changed) await this.#save();
    });
  }

  /** Asks tor how the relay is doing. Never throws: what tor could not answer reads as "no". */
  async status(): Promise<RelayStatus> {
    const out: RelayStatus = {
      settings: this.settings,
      network: this.#deps.network,
      state: this.#state,
      error: this.#error,
      torAvailable: false,
      fingerprint: null,
      reachable: false,
      descriptorAccepted: false,
      inConsensus: false,
      flags: [],
      trafficRead: 0,
      trafficWritten: 0,
      month: this.#month,
      monthBytes: this.#monthBytes,
      since: this.#since,
    };
    const control = this.#deps.control();
    if (!control) return out;
    try {
      const t = await control.getInfo(['traffic/read', 'traffic/written']);
      out.trafficRead = Number(t['traffic/read']) || 0;
      out.trafficWritten = Number(t['traffic/written']) || 0;
      out.torAvailable = true;
    } catch {
      return out;
    }
    if (this.#state !== 'on') return out;
    try {
      const info = await control.getInfo([
        'fingerprint',
        'status/reachability-succeeded/or',
        'status/accepted-server-descriptor',
      ]);
      const fp = info['fingerprint'] ?? '';
      if (/^[0-9A-F]{40}$/.test(fp)) out.fingerprint = fp;
      out.reachable = info['status/reachability-succeeded/or'] === '1';
      out.descriptorAccepted = info['status/accepted-server-descriptor'] === '1';
    } catch {
      return out; // not a server (yet)
    }
    if (out.fingerprint) {
      const ns = await readConsensusEntry(control, out.fingerprint);
      out.inConsensus = ns !== null;
      out.flags = ns ?? [];
    }
    return out;
  }

  async #save(): Promise<void> {
    const file: RelayFile = {
      version: 1,
      settings: this.#settings,
      month: this.#month,
      monthBytes: this.#monthBytes,
    };
    const tmp = `${this.#path}.tmp`;
    await writeFile(tmp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, this.#path);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#busy.then(fn, fn);
    this.#busy = run.catch(() => undefined);
    return run;
  }
}

/** Relay mode off: every relay option back to its default, and the node's torrc's `ClientOnly 1`. */
export function relayOffConf(): Record<string, string | number | null> {
  const conf: Record<string, string | number | null> = { ClientOnly: 1 };
  for (const k of RELAY_OPTION_KEYS) conf[k] = null;
  return conf;
}

/**
 * The flags of `fingerprint` in the consensus this tor holds (GETINFO ns/id/…), or null when it is
 * not listed. Tor answers 552 for an unknown relay.
 */
export async function readConsensusEntry(control: TorControl, fingerprint: string): Promise<string[] | null> {
  try {
    const ns = (await control.getInfo([`ns/id/${fingerprint}`]))[`ns/id/${fingerprint}`] ?? '';
    const s = ns.split('\n').find((l) => l.startsWith('s '));
    return ns.trim() ? (s ? s.slice(2).trim().split(' ') : []) : null;
  } catch {
    return null;
  }
}
