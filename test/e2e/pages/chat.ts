// Page object for Chats: the conversation list (unread badges) and one conversation (messages with
// data-state / data-direction / data-via, the composer, the mailbox marker).
import { expect, type Locator, type Page } from '@playwright/test';

export type DeliveryState = 'queued' | 'sent' | 'delivered' | 'read' | 'failed';

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
}
