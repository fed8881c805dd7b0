// The node's onion services, docs/architecture.md §3: the contact onion (stored key, stable address)
// and the handle onion (ephemeral, DiscardPK, rotated on command and on a schedule), each forwarding
// virtual port 80 to its own peer listener; and, when the user turns it on, the home onion (stored key,
// Tor client authorization, docs/protocol.md §2.3) forwarding port 80 to the local UI server.
// Everything is re-added when tor restarts.
import { ChattorError } from '../shared/util/errors.js';
import type { Logger } from './log.js';
import { errorMessage } from './log.js';
import type { OnionKind } from './peers/links.js';
import type { TorControl, TorEvent } from './tor/control.js';
import type { OnionKey } from './tor/onion-key.js';
import { clientAuthPublic } from './home.js';
import type { HomeKeys } from './home.js';

export interface OnionManagerDeps {
  control: () => TorControl | null;
  contactKey: OnionKey;
  listenerPorts: Record<'contact' | 'handle', number>;
  /** The home onion's keys while it is on (read at every publish), and the UI port it forwards to. */
  home?: { keys: () => HomeKeys | null; uiPort: number };
  log: Logger;
  published(kind: OnionKind, onion: string, previous?: string): void;
  /** How long to wait for the first descriptor upload before reporting the onion anyway. */
  uploadTimeoutMs?: number;
}

export class OnionManager {
  contact: string | undefined;
  handle: string | undefined;
  home: string | undefined;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: OnionManagerDeps) {}

  /** (Re)publishes both onions on the current tor. Safe to call after every tor (re)start. */
  publishAll(): Promise<void> {
    return this.serial(async () => {
      const control = this.requireControl();
      await control.addEvents(['HS_DESC']);
      const contact = await this.add(control, 'contact', {
        ed25519ExpandedSecret: this.deps.contactKey.expandedSecret,
      });
      this.contact = contact;
      this.deps.published('contact', contact);
      const previous = this.handle;
      this.handle = await this.add(control, 'handle', 'NEW:ED25519-V3');
      this.deps.published('handle', this.handle, previous);
      await this.addHome(control);
    });
  }

  /** Publishes or removes the home onion after the user turned it on or off. */
  syncHome(): Promise<void> {
    return this.serial(async () => {
      const control = this.deps.control();
      const wanted = this.deps.home?.keys() ?? null;
      if (this.home && (!wanted || wanted.onion.address !== this.home)) {
        const gone = this.home;
        this.home = undefined;
        if (control) await control.delOnion(gone).catch((e: unknown) => this.removeFailed(e));
      }
      if (control && wanted && !this.home) await this.addHome(control);
    });
  }

  private async addHome(control: TorControl): Promise<void> {
    const keys = this.deps.home?.keys();
    if (!keys || !this.deps.home) return;
    this.home = await this.add(control, 'home', { ed25519ExpandedSecret: keys.onion.expandedSecret }, [
      clientAuthPublic(keys.client),
    ]);
    this.deps.published('home', this.home);
  }

  private removeFailed(e: unknown): void {
    this.deps.log.warn('could not remove an onion', { reason: errorMessage(e) });
  }

  /** A new handle onion; the old one is removed once the new one is up, so it stops answering. */
  rotateHandle(): Promise<string> {
    return this.serial(async () => {
      const control = this.requireControl();
      const previous = this.handle;
      const next = await this.add(control, 'handle', 'NEW:ED25519-V3');
      this.handle = next;
      if (previous) {
        try {
          await control.delOnion(previous);
        } catch (e) {
          this.deps.log.warn('could not remove old handle onion', { reason: errorMessage(e) });
        }
      }
      this.deps.published('handle', next, previous);
      return next;
    });
  }

  /** Drops what we knew after tor died: its onions died with it. */
  forget(): void {
    this.contact = undefined;
    this.home = undefined;
  }

  private async add(
    control: TorControl,
    kind: OnionKind,
    key: 'NEW:ED25519-V3' | { ed25519ExpandedSecret: Uint8Array },
    clientAuthV3?: string[],
  ): Promise<string> {
    let resolveUpload: () => void = () => {};
    const uploaded = new Promise<void>((r) => (resolveUpload = r));
    let serviceId: string | undefined;
    const off = control.onEvent((e: TorEvent) => {
      if (e.name !== 'HS_DESC' || serviceId === undefined) return;
      const [action, address] = e.text.split(' ');
      if (action === 'UPLOADED' && address === serviceId) resolveUpload();
    });
    try {
      const target = kind === 'home' ? this.deps.home!.uiPort : this.deps.listenerPorts[kind];
      const r = await control.addOnion({
        key,
        ports: [{ virtPort: 80, target: `127.0.0.1:${target}` }],
        flags: kind === 'handle' ? ['DiscardPK'] : kind === 'home' ? ['V3Auth'] : [],
        ...(clientAuthV3 ? { clientAuthV3 } : {}),
      });
      serviceId = r.serviceId;
      if (kind === 'contact' && r.serviceId !== this.deps.contactKey.address)
        throw new ChattorError('E_TOR_CONTROL', 'tor published a different contact onion than our key');
      const timeout = new Promise<void>((r) => setTimeout(r, this.deps.uploadTimeoutMs ?? 60_000).unref());
      await Promise.race([uploaded, timeout]);
      this.deps.log.info('onion published', { kind, onion: serviceId });
      return serviceId;
    } catch (e) {
      // A contact onion already present on an attached tor is fine: it is ours.
      if (kind === 'contact' && /collision/i.test(errorMessage(e))) return this.deps.contactKey.address;
      const home = this.deps.home?.keys();
      if (kind === 'home' && home && /collision/i.test(errorMessage(e))) return home.onion.address;
      throw e;
    } finally {
      off();
    }
  }

  private requireControl(): TorControl {
    const c = this.deps.control();
    if (!c) throw new ChattorError('E_TOR_UNAVAILABLE', 'tor is not running');
    return c;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.busy.then(fn, fn);
    this.busy = next.catch(() => undefined);
    return next;
  }
}
