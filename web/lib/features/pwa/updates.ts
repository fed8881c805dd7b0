// The page's side of the service worker (docs/architecture.md §The installed PWA): registers it where
// the browser has service workers (Tor Browser has none; the app works the same without), and notices
// a new version waiting behind the running one. The new version takes over only when the user accepts
// ("A new version is ready — reload"): then the waiting worker is told to skip waiting, and the page
// reloads once it controls it. Never mid-conversation, never behind the user's back.
import { SKIP_WAITING } from './policy';

/** The parts of ServiceWorker / ServiceWorkerRegistration / ServiceWorkerContainer used here. */
export interface WorkerLike extends EventTarget {
  readonly state: string;
  postMessage(message: unknown): void;
}
export interface RegistrationLike extends EventTarget {
  readonly installing: WorkerLike | null;
  readonly waiting: WorkerLike | null;
  update(): Promise<unknown>;
}
export interface ContainerLike extends EventTarget {
  readonly controller: unknown;
  register(url: string, options: RegistrationOptions): Promise<RegistrationLike>;
}

export interface AppUpdatesDeps {
  /** `navigator.serviceWorker`, or undefined where there is none (Tor Browser, insecure contexts). */
  container: ContainerLike | undefined;
  scriptUrl: string;
  /** `module` in development (Vite serves the worker as an ES module), `classic` in the build. */
  type: WorkerType;
  reload: () => void;
  /** Called whenever the state changes. */
  onChange: (state: UpdateState) => void;
  /** How often a long-open app asks the gateway for a new worker; 0 = only on page loads. */
  checkEveryMs?: number;
}

export type UpdateState =
  /** Nothing to offer (no worker, first install, or up to date). */
  | 'current'
  /** A new version is installed and waits for the user. */
  | 'waiting'
  /** The user accepted; waiting for the new worker to take over, then reloading. */
  | 'applying'
  /** Another tab switched versions: this page runs the old code under the new worker. */
  | 'stale';

export class AppUpdates {
  #deps: AppUpdatesDeps;
  #state: UpdateState = 'current';
  #waiting: WorkerLike | null = null;
  #registration: RegistrationLike | null = null;
  #hadController = false;
  #cleanup: (() => void)[] = [];

  constructor(deps: AppUpdatesDeps) {
    this.#deps = deps;
  }

  get state(): UpdateState {
    return this.#state;
  }

  /** Registers the worker; resolves false where service workers are unavailable or refused. */
  async start(): Promise<boolean> {
    const container = this.#deps.container;
    if (!container) return false;
    this.#hadController = container.controller != null;
    this.#listen(container, 'controllerchange', () => this.#controllerChanged(container));
    const registration = await container.register(this.#deps.scriptUrl, {
      type: this.#deps.type,
      updateViaCache: 'none',
    });
    this.#registration = registration;
    if (registration.waiting && this.#hadController) this.#offer(registration.waiting);
    if (registration.installing) this.#track(registration.installing);
    this.#listen(registration, 'updatefound', () => {
      if (registration.installing) this.#track(registration.installing);
    });
    const every = this.#deps.checkEveryMs ?? 0;
    if (every > 0) {
      const timer = setInterval(() => void this.check(), every);
      this.#cleanup.push(() => clearInterval(timer));
    }
    return true;
  }

  /** Asks the gateway whether the worker script changed. A gateway that is down is no news. */
  async check(): Promise<void> {
    try {
      await this.#registration?.update();
    } catch {
      // Offline, or the gateway is stopped: the next check (or page load) tries again.
    }
  }

  /** The user accepted: switch to the waiting version, or reload onto the one another tab switched to. */
  apply(): void {
    if (this.#state === 'stale') return this.#deps.reload();
    if (this.#state !== 'waiting' || !this.#waiting) return;
    this.#set('applying');
    this.#waiting.postMessage(SKIP_WAITING);
  }

  stop(): void {
    this.#cleanup.splice(0).forEach((fn) => fn());
  }

  #track(worker: WorkerLike): void {
    const onState = () => {
      // Installed while another version controls the page: that is an update. Without a controller it
      // is the first install, which simply takes over (the worker claims the page on activation).
      if (worker.state === 'installed' && this.#hadController) this.#offer(worker);
      if (worker.state === 'redundant' && worker === this.#waiting && this.#state === 'waiting') {
        this.#waiting = null;
        this.#set('current');
      }
    };
    this.#listen(worker, 'statechange', onState);
    onState();
  }

  #offer(worker: WorkerLike): void {
    if (this.#state === 'applying') return;
    this.#waiting = worker;
    this.#set('waiting');
  }

  #controllerChanged(container: ContainerLike): void {
    const had = this.#hadController;
    this.#hadController = container.controller != null;
    if (this.#state === 'applying') return this.#deps.reload();
    // The first worker claiming the page is not a new version.
    if (had) {
      this.#waiting = null;
      this.#set('stale');
    }
  }

  #set(state: UpdateState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#deps.onChange(state);
  }

  #listen(target: EventTarget, type: string, fn: () => void): void {
    target.addEventListener(type, fn);
    this.#cleanup.push(() => target.removeEventListener(type, fn));
  }
}
