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

/** Settings › Keys on this device, the Unlock screen, wipe and restore (test/e2e/vault.e2e.ts). */
export class KeysPage {
  constructor(readonly page: Page) {}

  /** Onboarding with a recovery-code backup whose file is saved to `path`; returns the code. */
  async createIdentityWithBackupFile(name: string, path: string, timeout = 60_000): Promise<string> {
    const onboarding = this.page.getByTestId('onboarding');
    await expect(onboarding).toBeVisible({ timeout });
    await onboarding.getByTestId('onboarding-name').fill(name);
    await onboarding.getByTestId('onboarding-backup-recovery').check();
    await onboarding.getByTestId('onboarding-create').click();
    const code = (await onboarding.getByTestId('recovery-code').textContent({ timeout }))?.trim() ?? '';
    const download = this.page.waitForEvent('download');
    await onboarding.getByTestId('backup-download').click();
    await (await download).saveAs(path);
    await onboarding.getByTestId('onboarding-done').click();
    await expect(onboarding).toHaveCount(0);
    return code;
  }

  async openSettings(): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await expect(this.page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  }

  /** The identity fingerprint Settings shows once the engine runs. */
  async identityId(timeout = 90_000): Promise<string> {
    const id = this.page.getByTestId('identity-id');
    await expect(id).toBeVisible({ timeout });
    return (await id.textContent())?.trim() ?? '';
  }

  protection(): Locator {
    return this.page.getByTestId('vault-protection');
  }

  async setPassphrase(passphrase: string): Promise<void> {
    await this.page.getByTestId('vault-passphrase').fill(passphrase);
    await this.page.getByTestId('vault-passphrase-confirm').fill(passphrase);
    await this.page.getByTestId('vault-set-passphrase').click();
    await expect(this.protection()).toHaveAttribute('data-state', 'passphrase', { timeout: 30_000 });
  }

  async lockNow(): Promise<void> {
    await this.page.getByTestId('vault-lock').click();
    await expect(this.page.getByTestId('vault-lock')).toHaveCount(0);
  }

  unlockScreen(): Locator {
    return this.page.getByTestId('unlock');
  }

  /** Submits a passphrase on the Unlock screen; does not wait for the outcome. */
  async submitPassphrase(passphrase: string): Promise<void> {
    await this.page.getByTestId('unlock-passphrase').fill(passphrase);
    await this.page.getByTestId('unlock-submit').click();
  }

  unlockError(): Locator {
    return this.page.getByTestId('unlock-error');
  }

  async wipe(): Promise<void> {
    await this.page.getByTestId('wipe-confirm').fill('wipe');
    await this.page.getByTestId('wipe-submit').click();
  }

  /** Onboarding › Restore from backup with the saved file and its recovery code. */
  async restore(path: string, code: string, name: string, timeout = 60_000): Promise<void> {
    const onboarding = this.page.getByTestId('onboarding');
    await expect(onboarding).toBeVisible({ timeout });
    await onboarding.getByTestId('onboarding-restore').click();
    await expect(onboarding.getByTestId('restore-note')).toBeVisible();
    await onboarding.getByTestId('restore-file').setInputFiles(path);
    await onboarding.getByTestId('restore-secret').fill(code);
    await onboarding.getByTestId('restore-name').fill(name);
    await onboarding.getByTestId('restore-submit').click();
    await expect(onboarding).toHaveCount(0, { timeout });
  }
}
