// The node's onion services, docs/architecture.md §3: the contact onion (stored key, stable address)
// and the handle onion (ephemeral, DiscardPK, rotated on command and on a schedule). Each forwards
// virtual port 80 to its own peer listener. Everything is re-added when tor restarts.
import { ChattorError } from '../shared/util/errors.js';
import type { Logger } from './log.js';
import { errorMessage } from './log.js';
import type { OnionKind } from './peers/links.js';
import type { TorControl, TorEvent } from './tor/control.js';
import type { OnionKey } from './tor/onion-key.js';

export interface OnionManagerDeps {
  control: () => TorControl | null;
  contactKey: OnionKey;
  listenerPorts: Record<'contact' | 'handle', number>;
  log: Logger;
  published(kind: OnionKind, onion: string, previous?: string): void;
  /** How long to wait for the first descriptor upload before reporting the onion anyway. */
  uploadTimeoutMs?: number;
}

export class OnionManager {
  contact: string | undefined;
  handle: string | undefined;
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
    });
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
  }

  private async add(
    control: TorControl,
    kind: 'contact' | 'handle',
    key: 'NEW:ED25519-V3' | { ed25519ExpandedSecret: Uint8Array },
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
      const r = await control.addOnion({
        key,
        ports: [{ virtPort: 80, target: `127.0.0.1:${this.deps.listenerPorts[kind]}` }],
        flags: kind === 'handle' ? ['DiscardPK'] : [],
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
