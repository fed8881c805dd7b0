// The node's state as the gateway reports it (docs/protocol.md §2.2): tor bootstrap, onions, links.
// StatusChanged replaces everything; the finer events patch it between status messages.
import type { GatewayClient } from '$lib/transport/gateway-client';
import type {
  LinkErrorEvent,
  LinkStatus,
  LocalStatus,
  OnionPublishedEvent,
  PeerClosedEvent,
  PeerConnectedEvent,
} from '$lib/transport/local-protocol';

export function onionHost(onion: string): string {
  return onion.endsWith('.onion') ? onion : `${onion}.onion`;
}

export class NodeStatusManager {
  status = $state<LocalStatus | null>(null);
  homeOnion = $state<string | null>(null);

  readonly tor = $derived(this.status?.tor ?? null);
  readonly bootstrapped = $derived(this.status?.tor.state === 'ready');
  readonly contactOnion = $derived(
    this.status?.onions.contact ? onionHost(this.status.onions.contact) : null,
  );
  readonly handleOnion = $derived(this.status?.onions.handle ? onionHost(this.status.onions.handle) : null);
  readonly openLinks = $derived(this.status?.links.filter((l) => l.open).length ?? 0);
  readonly retryingLinks = $derived(this.status?.links.filter((l) => !l.open).length ?? 0);

  readonly #onLinkError: (e: LinkErrorEvent) => void;

  constructor(options: { onLinkError?: (e: LinkErrorEvent) => void } = {}) {
    this.#onLinkError = options.onLinkError ?? (() => undefined);
  }

  /** Follows a client's events; returns the function that stops following. */
  attach(client: GatewayClient): () => void {
    const offs = [
      client.on('StatusChanged', (e) => this.applyStatus(e.status)),
      client.on('TorBootstrapped', () => this.applyBootstrapped()),
      client.on('OnionPublished', (e) => this.applyOnion(e)),
      client.on('PeerConnected', (e) => this.applyPeerConnected(e)),
      client.on('PeerClosed', (e) => this.applyPeerClosed(e)),
      client.on('LinkError', (e) => this.#onLinkError(e)),
    ];
    return () => offs.forEach((off) => off());
  }

  applyStatus(status: LocalStatus): void {
    this.status = status;
  }

  applyBootstrapped(): void {
    if (!this.status) return;
    this.status.tor = { ...this.status.tor, state: 'ready', progress: 100 };
  }

  applyOnion(e: OnionPublishedEvent): void {
    if (e.kind === 'home') {
      this.homeOnion = e.onion;
      return;
    }
    if (this.status) this.status.onions = { ...this.status.onions, [e.kind]: e.onion };
  }

  applyPeerConnected(e: PeerConnectedEvent): void {
    if (!this.status) return;
    const link: LinkStatus = { link: e.link, direction: e.direction, open: true };
    if (e.onion !== undefined) link.onion = e.onion;
    this.status.links = [...this.status.links.filter((l) => l.link !== e.link), link];
  }

  applyPeerClosed(e: PeerClosedEvent): void {
    if (!this.status) return;
    this.status.links = e.willRetry
      ? this.status.links.map((l) => (l.link === e.link ? { ...l, open: false } : l))
      : this.status.links.filter((l) => l.link !== e.link);
  }
}
