// Page object for the relay card after onboarding and Settings › Tor relay (docs/protocol.md §2.6).
import { expect, type Locator, type Page } from '@playwright/test';

export class RelayPage {
  constructor(readonly page: Page) {}

  prompt(): Locator {
    return this.page.getByTestId('relay-prompt');
  }

  panel(): Locator {
    return this.page.getByTestId('relay-settings');
  }

  headline(): Locator {
    return this.page.getByTestId('relay-headline');
  }

  /** Follows the card's link to Settings › Tor relay. */
  async openFromPrompt(): Promise<void> {
    await this.prompt().getByTestId('relay-prompt-open').click();
    await expect(this.page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
    await expect(this.panel()).toBeVisible();
  }

  /** Sets the ORPort and nickname under "Limits and name" and saves. */
  async setLimits(fields: { orPort: number; nickname: string }): Promise<void> {
    const limits = this.panel().getByTestId('relay-limits');
    if (!(await limits.evaluate((d) => (d as HTMLDetailsElement).open)))
      await limits.locator('summary').click();
    await limits.getByTestId('relay-orport').fill(String(fields.orPort));
    await limits.getByTestId('relay-nickname').fill(fields.nickname);
    await limits.getByTestId('relay-save').click();
  }

  async setEnabled(on: boolean): Promise<void> {
    const box = this.panel().getByTestId('relay-enabled');
    await expect(box).toBeEnabled();
    await box.setChecked(on);
  }

  fingerprint(): Locator {
    return this.panel().getByTestId('relay-fingerprint');
  }

  error(): Locator {
    return this.panel().getByTestId('relay-error');
  }
}
