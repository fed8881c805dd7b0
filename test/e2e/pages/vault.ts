// Page object for first-run onboarding (identity creation) and the backup result.
import { expect, type Locator, type Page } from '@playwright/test';

export class VaultPage {
  constructor(readonly page: Page) {}

  onboarding(): Locator {
    return this.page.getByTestId('onboarding');
  }

  /** Creates the identity from the onboarding screen (on /, /chats or /friends), without a backup. */
  async createIdentity(name: string, timeout = 30_000): Promise<void> {
    const onboarding = this.onboarding();
    await expect(onboarding).toBeVisible({ timeout });
    await onboarding.getByTestId('onboarding-name').fill(name);
    await onboarding.getByTestId('onboarding-backup-none').check();
    await onboarding.getByTestId('onboarding-create').click();
    await expect(onboarding).toHaveCount(0, { timeout });
  }

  /** Creates the identity with a recovery-code backup; returns the code shown once. */
  async createIdentityWithRecoveryCode(name: string, timeout = 60_000): Promise<string> {
    const onboarding = this.onboarding();
    await expect(onboarding).toBeVisible({ timeout });
    await onboarding.getByTestId('onboarding-name').fill(name);
    await onboarding.getByTestId('onboarding-backup-recovery').check();
    await onboarding.getByTestId('onboarding-create').click();
    const code = (await onboarding.getByTestId('recovery-code').textContent({ timeout }))?.trim() ?? '';
    await onboarding.getByTestId('onboarding-done').click();
    await expect(onboarding).toHaveCount(0);
    return code;
  }

  error(): Locator {
    return this.page.getByTestId('onboarding-error');
  }
}
