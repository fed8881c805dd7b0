// Page object for Chats: the conversation list (unread badges) and one conversation (messages with
// data-state / data-direction / data-via, the composer, the mailbox marker, file cards).
import { expect, type Locator, type Page } from '@playwright/test';

export type DeliveryState = 'queued' | 'sent' | 'delivered' | 'read' | 'failed';
export type FileState = 'offered' | 'transferring' | 'paused' | 'complete' | 'failed' | 'cancelled';

export class ChatPage {
  constructor(readonly page: Page) {}

  async openList(): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chats' }).click();
    await expect(this.page.getByRole('heading', { level: 1, name: 'Chats' })).toBeVisible();
  }

  /** Conversation list items carry `data-contact-id` and `data-unread`. */
  conversations(): Locator {
    return this.page.getByTestId('conversation-item');
  }

  conversation(name: string): Locator {
    return this.conversations().filter({ hasText: name });
  }

  conversationById(contactId: string): Locator {
    return this.page.locator(`[data-testid="conversation-item"][data-contact-id="${contactId}"]`);
  }

  /** The unread count shown for a conversation, 0 when there is no badge. */
  async unread(name: string): Promise<number> {
    const badge = this.conversation(name).getByTestId('unread-badge');
    if ((await badge.count()) === 0) return 0;
    return Number.parseInt((await badge.innerText()).trim(), 10);
  }

  async waitUnread(name: string, count: number, timeout = 60_000): Promise<void> {
    await expect(this.conversation(name)).toHaveAttribute('data-unread', String(count), { timeout });
  }

  async open(name: string): Promise<void> {
    await this.conversation(name).click();
    await expect(this.page.getByTestId('conversation')).toBeVisible();
  }

  /** Message items carry `data-message-id`, `data-state`, `data-direction` and `data-via` ("mailbox"). */
  messages(direction?: 'in' | 'out'): Locator {
    const items = this.page.getByTestId('message-item');
    return direction ? items.and(this.page.locator(`[data-direction="${direction}"]`)) : items;
  }

  message(text: string, direction?: 'in' | 'out'): Locator {
    return this.messages(direction).filter({
      has: this.page.getByTestId('message-text').getByText(text, { exact: true }),
    });
  }

  async messageTexts(): Promise<string[]> {
    return (await this.page.getByTestId('message-text').allInnerTexts()).map((t) => t.trim());
  }

  /** The texts of one direction's messages, in display order. */
  async textsOf(direction: 'in' | 'out'): Promise<string[]> {
    return (await this.messages(direction).getByTestId('message-text').allInnerTexts()).map((t) => t.trim());
  }

  composer(): Locator {
    return this.page.getByTestId('composer-input');
  }

  sendButton(): Locator {
    return this.page.getByTestId('composer-send');
  }

  /** Types and sends with the button (waits until the engine runs and the button is enabled). */
  async send(text: string): Promise<void> {
    await this.composer().fill(text);
    await expect(this.sendButton()).toBeEnabled({ timeout: 60_000 });
    await this.sendButton().click();
    await expect(this.message(text, 'out')).toBeVisible();
  }

  /** Sends with the Enter key. */
  async sendWithEnter(text: string): Promise<void> {
    await this.composer().fill(text);
    await expect(this.sendButton()).toBeEnabled({ timeout: 60_000 });
    await this.composer().press('Enter');
    await expect(this.message(text, 'out')).toBeVisible();
  }

  async waitForMessage(text: string, direction: 'in' | 'out' = 'in', timeout = 120_000): Promise<Locator> {
    const item = this.message(text, direction);
    await expect(item).toBeVisible({ timeout });
    return item;
  }

  async waitState(text: string, state: DeliveryState, timeout = 120_000): Promise<void> {
    await expect(this.message(text, 'out')).toHaveAttribute('data-state', state, { timeout });
  }

  /**
   * The mailbox marker of a message (docs/protocol.md §5.7): "via mailbox" on one received from a
   * friend's mailbox, "left in mailbox" on one of ours left there and not yet delivered.
   */
  viaMailbox(text: string, direction: 'in' | 'out' = 'in'): Locator {
    return this.message(text, direction).getByTestId('via-mailbox');
  }

  /** Waits for a received message that came through a mailbox. */
  async waitForMailboxMessage(text: string, timeout = 120_000): Promise<Locator> {
    const item = await this.waitForMessage(text, 'in', timeout);
    await expect(item).toHaveAttribute('data-via', 'mailbox');
    await expect(this.viaMailbox(text, 'in')).toHaveText(/via mailbox/);
    return item;
  }

  /** Waits until one of our messages was left in a holder's mailbox (sent, not yet delivered). */
  async waitLeftInMailbox(text: string, timeout = 120_000): Promise<void> {
    const item = this.message(text, 'out');
    await expect(item).toHaveAttribute('data-via', 'mailbox', { timeout });
    await expect(item).toHaveAttribute('data-state', 'sent');
    await expect(this.viaMailbox(text, 'out')).toHaveText(/left in mailbox/);
  }

  /** Delivered or already read (a receipt came back either way). */
  async waitDelivered(text: string, timeout = 120_000): Promise<void> {
    await expect(this.message(text, 'out')).toHaveAttribute('data-state', /^(delivered|read)$/, { timeout });
  }

  // ── files (docs/protocol.md §6) ──────────────────────────────────────────────────────────────────
  // A file card (`file-card`) carries data-state, data-done and data-total; inside it: file-name,
  // file-size, file-state (data-state), file-progress (while transferring or paused), file-accept,
  // file-pause, file-resume, file-cancel (also Decline), file-download and file-preview.

  /** The hidden `<input type=file multiple>` behind the composer's paper clip. */
  fileInput(): Locator {
    return this.page.getByTestId('composer-file-input');
  }

  attachButton(): Locator {
    return this.page.getByTestId('composer-attach');
  }

  /** Offers one or more files from disk (waits until the engine runs and the paper clip is enabled). */
  async attachFile(path: string | string[]): Promise<void> {
    await expect(this.attachButton()).toBeEnabled({ timeout: 60_000 });
    await this.fileInput().setInputFiles(path);
    for (const p of Array.isArray(path) ? path : [path]) {
      await expect(this.fileCard(p.split(/[\\/]/).pop()!, 'out')).toBeVisible({ timeout: 60_000 });
    }
  }

  /** Drops a file made in the page onto the conversation, as dragging it from the desktop would. */
  async dropFile(name: string, content: string | Uint8Array, mimeType = ''): Promise<void> {
    const bytes = [...(typeof content === 'string' ? new TextEncoder().encode(content) : content)];
    const dataTransfer = await this.page.evaluateHandle(
      ({ name, bytes, mimeType }) => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(bytes)], name, { type: mimeType }));
        return dt;
      },
      { name, bytes, mimeType },
    );
    const target = this.page.getByTestId('conversation');
    await target.dispatchEvent('dragenter', { dataTransfer });
    await expect(this.page.getByTestId('drop-hint')).toBeVisible();
    await target.dispatchEvent('drop', { dataTransfer });
    await expect(this.page.getByTestId('drop-hint')).toHaveCount(0);
  }

  /** File cards, optionally only incoming or outgoing ones. */
  fileCards(direction?: 'in' | 'out'): Locator {
    return this.messages(direction).getByTestId('file-card');
  }

  fileCard(name: string, direction?: 'in' | 'out'): Locator {
    return this.fileCards(direction).filter({
      has: this.page.getByTestId('file-name').getByText(name, { exact: true }),
    });
  }

  async waitForFile(name: string, direction: 'in' | 'out' = 'in', timeout = 120_000): Promise<Locator> {
    const card = this.fileCard(name, direction);
    await expect(card).toBeVisible({ timeout });
    return card;
  }

  async fileState(name: string, direction?: 'in' | 'out'): Promise<FileState> {
    return (await this.fileCard(name, direction)
      .getByTestId('file-state')
      .getAttribute('data-state')) as FileState;
  }

  async waitFileState(
    name: string,
    state: FileState,
    timeout = 120_000,
    direction?: 'in' | 'out',
  ): Promise<void> {
    await expect(this.fileCard(name, direction).getByTestId('file-state')).toHaveAttribute(
      'data-state',
      state,
      {
        timeout,
      },
    );
  }

  /** The reason shown for a failed or cancelled transfer (the state line's text). */
  async fileStateText(name: string, direction?: 'in' | 'out'): Promise<string> {
    return (await this.fileCard(name, direction).getByTestId('file-state').innerText()).trim();
  }

  /** Accepts an incoming offer. */
  async acceptFile(name: string): Promise<void> {
    await this.fileCard(name, 'in').getByTestId('file-accept').click();
  }

  /** Declines an incoming offer (the Decline button is file-cancel). */
  async declineFile(name: string): Promise<void> {
    await this.cancelFile(name, 'in');
  }

  async pauseFile(name: string, direction?: 'in' | 'out'): Promise<void> {
    await this.fileCard(name, direction).getByTestId('file-pause').click();
  }

  async resumeFile(name: string, direction?: 'in' | 'out'): Promise<void> {
    await this.fileCard(name, direction).getByTestId('file-resume').click();
  }

  async cancelFile(name: string, direction?: 'in' | 'out'): Promise<void> {
    await this.fileCard(name, direction).getByTestId('file-cancel').click();
  }

  /** Bytes done and the file size, raw (from the card, so it works in every state). */
  async fileProgress(name: string, direction?: 'in' | 'out'): Promise<{ done: number; total: number }> {
    const card = this.fileCard(name, direction);
    const [done, total] = await Promise.all([
      card.getAttribute('data-done'),
      card.getAttribute('data-total'),
    ]);
    return { done: Number(done), total: Number(total) };
  }

  /** Waits until at least `bytes` are done (e.g. to pause or cut a link mid-transfer). */
  async waitFileDone(
    name: string,
    bytes: number,
    timeout = 120_000,
    direction?: 'in' | 'out',
  ): Promise<void> {
    await expect
      .poll(async () => (await this.fileProgress(name, direction)).done, { timeout })
      .toBeGreaterThanOrEqual(bytes);
  }

  /**
   * Clicks Download on a received file and resolves with the downloaded file's path (Playwright's
   * copy, valid until the context closes), or `saveAs` once it is saved there.
   */
  async downloadFile(name: string, saveAs?: string): Promise<string> {
    const link = this.fileCard(name, 'in').getByTestId('file-download');
    await expect(link).toBeVisible({ timeout: 60_000 });
    const [download] = await Promise.all([this.page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe(name);
    if (saveAs) {
      await download.saveAs(saveAs);
      return saveAs;
    }
    const path = await download.path();
    if (!path) throw new Error(`download of ${name} failed: ${await download.failure()}`);
    return path;
  }

  /** Waits until the inline preview (img or video) of a file has loaded; resolves with it. */
  async waitPreview(name: string, timeout = 60_000, direction: 'in' | 'out' = 'in'): Promise<Locator> {
    const preview = this.fileCard(name, direction).getByTestId('file-preview');
    await expect(preview).toBeVisible({ timeout });
    await expect
      .poll(
        () =>
          preview.evaluate((el) =>
            el instanceof HTMLImageElement
              ? el.complete && el.naturalWidth > 0
              : el instanceof HTMLVideoElement && el.readyState >= HTMLMediaElement.HAVE_METADATA,
          ),
        { timeout },
      )
      .toBe(true);
    return preview;
  }

  /** Settings › Files: "Accept files automatically up to N MB" (0: always ask). */
  async setAutoAcceptMb(mb: number): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    const input = this.page.getByTestId('file-auto-accept');
    await input.fill(String(mb));
    await input.blur();
    await expect(input).toHaveValue(String(mb));
  }
}
