// The web shell against a real gateway on the private Tor network: pairing, Tor status, onions, and
// the guard refusing a browser without the token.
import { expect, test, type ConsoleMessage, type Page } from '@playwright/test';
import { e2eNodes, normalizeOnion } from './nodes';
import { ShellPage } from './pages/shell';

const ONION_RE = /^[a-z2-7]{56}\.onion$/;

/** Collects console errors and uncaught page errors; the app must produce none. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  return errors;
}

test.describe('shell', () => {
  const node = () => e2eNodes()[0]!;

  test('pairs from the pairing link and shows Tor status and both onions', async ({ page }) => {
    const errors = watchErrors(page);
    const shell = new ShellPage(page);
    await shell.goto(node().pairingUrl);

    // The token left the address bar.
    await expect(page).not.toHaveURL(/#pair=/);
    await expect(shell.mainNav()).toBeVisible();

    await shell.waitForBootstrapped();
    const contact = await shell.contactOnion();
    const handle = await shell.handleOnion();
    expect(contact).toMatch(ONION_RE);
    expect(handle).toMatch(ONION_RE);
    expect(normalizeOnion(contact)).toBe(normalizeOnion(node().contactOnion));
    expect(normalizeOnion(handle)).not.toBe(normalizeOnion(contact));
    expect(Number(await shell.socksPort())).toBeGreaterThan(0);

    // Pairing survives a reload (token in IndexedDB, not in the URL).
    await shell.goto(node().uiUrl);
    await expect(shell.mainNav()).toBeVisible();
    await expect(shell.notPaired()).toHaveCount(0);

    expect(errors).toEqual([]);
  });

  test('without the token: Not paired, and the API answers 401', async ({ browser }) => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const errors = watchErrors(page);
      const shell = new ShellPage(page);
      await shell.goto(node().uiUrl);

      expect(await shell.notPairedVisible()).toBe(true);
      await expect(shell.mainNav()).toHaveCount(0);
      await expect(page.getByTestId('onion-contact')).toHaveCount(0);
      expect(errors).toEqual([]);

      const status = await page.evaluate(async () => (await fetch('/api/status')).status);
      expect(status).toBe(401);
    } finally {
      await context.close();
    }
  });
});
