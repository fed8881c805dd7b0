// Page object for the app shell: pairing, the Not paired screen, and the Node page's status.
import { expect, type Locator, type Page } from '@playwright/test';

export class ShellPage {
  constructor(readonly page: Page) {}

  /** Opens a URL (a pairing link or the plain UI URL) and waits for the app to decide. */
  async goto(url: string): Promise<void> {
    await this.page.goto(url);
    await expect(this.page.getByTestId('starting')).toHaveCount(0, { timeout: 30_000 });
  }

  notPaired(): Locator {
    return this.page.getByTestId('not-paired');
  }

  async notPairedVisible(): Promise<boolean> {
    await expect(this.notPaired().getByRole('heading', { name: 'Not paired' })).toBeVisible();
    return true;
  }

  mainNav(): Locator {
    return this.page.getByRole('navigation', { name: 'Main' });
  }

  /** Goes to the Node page through the main navigation. */
  async openNode(): Promise<void> {
    await this.mainNav().getByRole('link', { name: 'Node' }).click();
    await expect(this.page.getByRole('heading', { level: 1, name: 'Node' })).toBeVisible();
  }

  /** Waits (on the Node page) until the gateway reports Tor as bootstrapped. */
  async waitForBootstrapped(timeout = 90_000): Promise<void> {
    if (!new URL(this.page.url()).pathname.startsWith('/node')) await this.openNode();
    await expect(this.page.getByTestId('tor-status')).toHaveAttribute('data-state', 'ready', { timeout });
    await expect(this.page.getByRole('heading', { name: 'Tor bootstrapped' })).toBeVisible();
  }

  async contactOnion(timeout = 60_000): Promise<string> {
    const code = this.page.getByTestId('onion-contact');
    await expect(code).toBeVisible({ timeout });
    return (await code.textContent())?.trim() ?? '';
  }

  async handleOnion(timeout = 60_000): Promise<string> {
    const code = this.page.getByTestId('onion-handle');
    await expect(code).toBeVisible({ timeout });
    return (await code.textContent())?.trim() ?? '';
  }

  async socksPort(): Promise<string> {
    return (await this.page.getByTestId('socks-port').textContent())?.trim() ?? '';
  }
}
