// Page object for the installed PWA: the service worker, its caches, Chromium's installability verdict
// (over CDP) and the "new version" prompt.
import { expect, type Locator, type Page } from '@playwright/test';

export interface AppManifest {
  name?: string;
  short_name?: string;
  start_url?: string;
  scope?: string;
  display?: string;
  icons?: { src: string; sizes?: string; type?: string; purpose?: string }[];
}

export class PwaPage {
  constructor(readonly page: Page) {}

  /** Waits until a service worker is active and controls the page; returns its state. */
  async waitForWorker(timeout = 30_000): Promise<string> {
    await this.page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
      timeout,
    });
    return this.page.evaluate(async () => (await navigator.serviceWorker.ready).active?.state ?? 'none');
  }

  /** Chromium's own verdict: the reasons it would not offer to install the app (none = installable). */
  async installabilityErrors(): Promise<string[]> {
    const cdp = await this.page.context().newCDPSession(this.page);
    try {
      const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
      return installabilityErrors.map((e) => e.errorId);
    } finally {
      await cdp.detach();
    }
  }

  /** The manifest as Chromium read it, with its parse errors. */
  async manifest(): Promise<{ url: string; errors: string[]; data: AppManifest }> {
    const cdp = await this.page.context().newCDPSession(this.page);
    try {
      const m = await cdp.send('Page.getAppManifest', {});
      return {
        url: m.url,
        errors: m.errors.map((e) => e.message),
        data: JSON.parse(m.data ?? '{}') as AppManifest,
      };
    } finally {
      await cdp.detach();
    }
  }

  /** Every cache of the origin with the URLs stored in it. */
  async caches(): Promise<Record<string, string[]>> {
    return this.page.evaluate(async () => {
      const out: Record<string, string[]> = {};
      for (const name of await caches.keys()) {
        out[name] = (await (await caches.open(name)).keys()).map((r) => r.url);
      }
      return out;
    });
  }

  /** Whether a new worker is installed and waiting behind the active one. */
  async hasWaitingWorker(): Promise<boolean> {
    return this.page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting != null);
  }

  updatePrompt(): Locator {
    return this.page.getByTestId('update-ready');
  }

  /** Accepts the new version and waits for the page to reload onto it. */
  async acceptUpdate(): Promise<void> {
    await expect(this.updatePrompt()).toContainText('A new version is ready — reload');
    await Promise.all([
      this.page.waitForEvent('load'),
      this.updatePrompt().getByRole('button', { name: 'Reload' }).click(),
    ]);
  }
}
