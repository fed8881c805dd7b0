// Write-ahead for stateless sessions (docs/protocol.md §2.4): in Tor Browser on the home onion the vault
// on the gateway is the only copy of the ratchet state. A chat frame (and a mailbox deposit) leaves only
// after a vault write whose snapshot was taken after the frame's state change was committed, so a session
// that dies at any moment leaves the next engine with a state at least as new as anything sent: it never
// encrypts new plaintext under a message key that already left (no AES-GCM key and nonce reuse), and a
// receipt never acknowledges a message the vault does not hold (the sender resends it instead).
// File chunks (stream ≠ 0) are not held back: a resent chunk is the same plaintext under the same key and
// nonce (§6), so it is byte-identical and safe, and holding every chunk for a vault write would stall them.
import type { EngineTransport, MailboxTransport } from '../../../../shared/protocol/api';

type Frame = [link: number, body: Uint8Array, stream: number | undefined];

export class WriteAheadTransport implements EngineTransport {
  /** Frames waiting for the write that will include their state; null when no write is waiting to start. */
  #batch: Frame[] | null = null;
  /** The last batch's write and sends: the next batch starts its write after it. */
  #previous: Promise<void> = Promise.resolve();
  readonly mailbox?: MailboxTransport;

  constructor(
    private readonly inner: EngineTransport,
    /** Writes the vault now; its snapshot is taken when the call starts. */
    private readonly writeVault: () => Promise<void>,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {
    const mailbox = inner.mailbox;
    if (mailbox)
      this.mailbox = {
        // A deposit carries a ratchet message too: the vault holds its state before the session opens.
        connect: async (onion) => {
          await this.#afterWrite();
          return mailbox.connect(onion);
        },
        openAccount: (capHash) => mailbox.openAccount(capHash),
        closeAccount: (capHash) => mailbox.closeAccount(capHash),
        stats: () => mailbox.stats(),
      };
  }

  get handles(): EngineTransport['handles'] {
    return this.inner.handles;
  }

  dial(onion: string): Promise<number> {
    return this.inner.dial(onion);
  }

  close(link: number): Promise<void> {
    return this.inner.close(link);
  }

  buffered(): number {
    return this.inner.buffered?.() ?? 0;
  }

  onBody(handler: (link: number, body: Uint8Array) => void): () => void {
    return this.inner.onBody(handler);
  }

  onLink(handler: (e: { link: number; open: boolean; onion?: string }) => void): () => void {
    return this.inner.onLink(handler);
  }

  contactOnion(): string | undefined {
    return this.inner.contactOnion();
  }

  send(link: number, body: Uint8Array, stream?: number): void {
    if (stream !== undefined && stream !== 0) {
      this.inner.send(link, body, stream);
      return;
    }
    if (this.#batch) {
      this.#batch.push([link, body, stream]);
      return;
    }
    const batch: Frame[] = [[link, body, stream]];
    this.#batch = batch;
    this.#previous = this.#previous
      .then(() => {
        // From here on, frames wait for the next write: this one's snapshot may miss their state.
        this.#batch = null;
        return this.writeVault();
      })
      .then(
        () => {
          for (const [l, b, s] of batch) {
            try {
              this.inner.send(l, b, s);
            } catch (e) {
              // A closed link: the outbox sends it again later (byte-identical, §4.4).
              this.onError(e);
            }
          }
        },
        // The vault could not be written: nothing of the batch leaves; the outbox retries it.
        (e: unknown) => this.onError(e),
      );
  }

  /** Resolves after a vault write that started after this call. */
  #afterWrite(): Promise<void> {
    const write = this.#previous.then(() => this.writeVault());
    this.#previous = write.catch(() => undefined);
    return write;
  }
}
