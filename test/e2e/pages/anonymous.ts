// Page object for the Anonymous page (docs/protocol.md §8): friends' groups, anonymous messages, polls.
import { expect, type Locator, type Page } from '@playwright/test';

export class AnonymousPage {
  constructor(readonly page: Page) {}

  async open(): Promise<void> {
    await this.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Anonymous' })
      .click();
    await expect(this.page.getByRole('heading', { level: 1, name: 'Anonymous' })).toBeVisible();
    await expect(this.page.getByTestId('anon-groups')).toBeVisible({ timeout: 90_000 });
  }

  group(ownerName: string): Locator {
    return this.page.locator(`[data-testid="anon-group"][data-owner-name="${ownerName}"]`);
  }

  async groupNames(): Promise<string[]> {
    return this.page
      .getByTestId('anon-group')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-owner-name') ?? ''));
  }

  async join(ownerName: string): Promise<void> {
    const row = this.group(ownerName);
    await row.getByTestId('anon-join').click();
    await expect(row.getByTestId('anon-join')).toHaveText('Leave', { timeout: 30_000 });
  }

  async waitGroupSize(ownerName: string, size: number, timeout = 180_000): Promise<void> {
    await expect(this.group(ownerName).getByTestId('anon-group-size')).toHaveText(`${size} members`, {
      timeout,
    });
  }

  /** Sends an anonymous message; the progress indicator shows while the proof is made. */
  async send(text: string): Promise<void> {
    await this.page.getByTestId('anon-text').fill(text);
    await this.page.getByTestId('anon-send').click();
    await expect(this.page.getByTestId('anon-progress')).toBeVisible();
    await expect(this.page.getByTestId('anon-sent')).toBeVisible({ timeout: 180_000 });
  }

  message(text: string): Locator {
    return this.page
      .getByTestId('anon-message')
      .filter({ has: this.page.getByTestId('anon-body').getByText(text, { exact: true }) });
  }

  async createPoll(question: string, options: string[]): Promise<void> {
    await this.page.getByTestId('poll-question').fill(question);
    await this.page.getByTestId('poll-options').fill(options.join('\n'));
    await this.page.getByTestId('poll-submit').click();
    await expect(this.poll(question)).toBeVisible({ timeout: 30_000 });
  }

  poll(question: string): Locator {
    return this.page.locator(`[data-testid="poll"][data-question="${question}"]`);
  }

  async vote(question: string, option: number): Promise<void> {
    await this.poll(question).getByTestId('poll-vote').nth(option).click();
    await expect(this.page.getByTestId('anon-progress')).toBeVisible();
    await expect(this.page.getByTestId('anon-progress')).toHaveCount(0, { timeout: 180_000 });
  }

  async counts(question: string): Promise<string[]> {
    return this.poll(question).getByTestId('poll-count').allTextContents();
  }
}
