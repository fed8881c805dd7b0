// Page object for the Friends page: own contact link, add-friend form, requests, friends list.
import { expect, type Locator, type Page } from '@playwright/test';

export class FriendsPage {
  constructor(readonly page: Page) {}

  async open(): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Friends' }).click();
    await expect(this.page.getByRole('heading', { level: 1, name: 'Friends' })).toBeVisible();
  }

  /** The own `chattor:card/…` link, once the engine runs and the contact onion is published. */
  async myContactLink(timeout = 90_000): Promise<string> {
    const code = this.page.getByTestId('contact-link');
    await expect(code).toBeVisible({ timeout });
    return (await code.textContent())?.trim() ?? '';
  }

  qrCode(): Locator {
    return this.page.getByTestId('contact-link-qr');
  }

  async showQrCode(): Promise<void> {
    await this.page.getByRole('button', { name: 'Show QR code' }).click();
  }

  /** Fills the add-friend form and sends; does not wait for the outcome. */
  async sendRequest(link: string, note = ''): Promise<void> {
    await this.page.getByTestId('add-friend-link').fill(link);
    await this.page.getByTestId('add-friend-note').fill(note);
    await expect(this.page.getByTestId('add-friend-send')).toBeEnabled({ timeout: 90_000 });
    await this.page.getByTestId('add-friend-send').click();
  }

  /** Sends a request and waits for the confirmation. */
  async addFriend(link: string, note = ''): Promise<void> {
    await this.sendRequest(link, note);
    await expect(this.page.getByTestId('add-friend-sent')).toBeVisible({ timeout: 30_000 });
  }

  /** The inline error under the add-friend form. */
  addError(): Locator {
    return this.page.getByTestId('add-friend-error');
  }

  /** Request items; `direction` 'in' = incoming (with Accept/Decline/Block), 'out' = our pending ones. */
  requests(direction?: 'in' | 'out'): Locator {
    const items = this.page.getByTestId('request-item');
    return direction ? items.and(this.page.locator(`[data-direction="${direction}"]`)) : items;
  }

  /** The incoming request from `name` (display name or alias). */
  incomingRequest(name: string): Locator {
    return this.requests('in').filter({
      has: this.page.getByTestId('request-name').getByText(name, { exact: true }),
    });
  }

  async accept(name: string, timeout = 120_000): Promise<void> {
    const item = this.incomingRequest(name);
    await expect(item).toBeVisible({ timeout });
    await item.getByTestId('request-accept').click();
    await expect(item).toHaveCount(0);
  }

  async decline(name: string, timeout = 120_000): Promise<void> {
    const item = this.incomingRequest(name);
    await expect(item).toBeVisible({ timeout });
    await item.getByTestId('request-decline').click();
    await expect(item).toHaveCount(0);
  }

  async block(name: string, timeout = 120_000): Promise<void> {
    const item = this.incomingRequest(name);
    await expect(item).toBeVisible({ timeout });
    await item.getByTestId('request-block').click();
    await expect(item).toHaveCount(0);
  }

  /** Friend items carry `data-contact-id` and `data-online` ("true"/"false"). */
  friends(): Locator {
    return this.page.getByTestId('friend-item');
  }

  friend(name: string): Locator {
    return this.friends().filter({
      has: this.page.getByTestId('friend-name').getByText(name, { exact: true }),
    });
  }

  async waitForFriend(name: string, timeout = 120_000): Promise<Locator> {
    const item = this.friend(name);
    await expect(item).toBeVisible({ timeout });
    return item;
  }

  async waitOnline(name: string, online = true, timeout = 120_000): Promise<void> {
    await expect(this.friend(name)).toHaveAttribute('data-online', String(online), { timeout });
  }

  async contactId(name: string): Promise<string> {
    return (await (await this.waitForFriend(name)).getAttribute('data-contact-id')) ?? '';
  }

  async rename(name: string, alias: string): Promise<void> {
    const item = await this.waitForFriend(name);
    await item.getByTestId('friend-rename').click();
    await item.getByTestId('friend-alias').fill(alias);
    await item.getByTestId('friend-rename-save').click();
    await expect(this.friend(alias)).toBeVisible();
  }

  async remove(name: string): Promise<void> {
    const item = await this.waitForFriend(name);
    await item.getByTestId('friend-remove').click();
    await item.getByTestId('friend-remove-confirm').click();
    await expect(this.friend(name)).toHaveCount(0);
  }

  /** Opens the conversation with a friend from the friends list. */
  async openChat(name: string): Promise<void> {
    await (await this.waitForFriend(name)).getByTestId('friend-name').click();
    await expect(this.page.getByTestId('conversation')).toBeVisible();
  }
}
