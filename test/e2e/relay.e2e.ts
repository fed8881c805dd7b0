// Relay mode in a real browser against a real gateway (issue 8, docs/protocol.md §2.6): the card after
// onboarding leads to Settings › Tor relay; a bad nickname is refused in plain words; the switch makes
// the node a relay that reaches the private network's consensus, and off again. The authorities then drop
// it (forgetRelay), so the specs after this one see the network as it was.
import { expect, test } from '@playwright/test';
import type { TestnetInfo } from '../../gateway/tor/testnet.js';
import { freePort } from '../support/gateways';
import { forgetRelay } from '../support/testnet-relays';
import { e2eNodes } from './nodes';
import { RelayPage } from './pages/relay';
import { ShellPage } from './pages/shell';
import { VaultPage } from './pages/vault';

function testnet(): TestnetInfo {
  const raw = process.env.CHATTOR_E2E_TESTNET;
  if (!raw)
    throw new Error('CHATTOR_E2E_TESTNET is not set: test/e2e/global-setup.ts must start the network');
  return JSON.parse(raw) as TestnetInfo;
}

test('relay mode: offered once after onboarding, joins the consensus from Settings, and leaves', async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const node = e2eNodes()[0]!;
  const context = await browser.newContext();
  let fingerprint: string | null = null;
  try {
    const page = await context.newPage();
    const shell = new ShellPage(page);
    const relay = new RelayPage(page);
    await shell.goto(node.pairingUrl);
    await new VaultPage(page).createIdentity('Rosa');

    await expect(relay.prompt()).toBeVisible({ timeout: 30_000 });
    await expect(relay.prompt()).toContainText('publicly listed');
    await relay.openFromPrompt();
    await expect(relay.headline()).toHaveAttribute('data-tone', 'off');
    await expect(relay.panel()).toContainText('Your IP address becomes public');

    await relay.setLimits({ orPort: 9001, nickname: 'no spaces please' });
    await expect(relay.error()).toContainText('Nickname must be 1–19 letters or digits');
    await relay.setLimits({ orPort: await freePort(), nickname: 'rosa2026' });
    await expect(relay.error()).toHaveCount(0);

    await relay.setEnabled(true);
    await expect(relay.fingerprint()).toHaveText(/^[0-9A-F]{40}$/, { timeout: 60_000 });
    fingerprint = await relay.fingerprint().textContent();
    await expect(relay.headline()).toHaveAttribute('data-tone', 'good', { timeout: 120_000 });
    await expect(relay.headline()).toContainText('listed in the consensus');
    await expect(relay.panel().getByTestId('relay-in-consensus')).toHaveText('yes');

    await relay.setEnabled(false);
    await expect(relay.headline()).toHaveAttribute('data-tone', 'off');

    // Shown once: not again on the home page.
    await shell.goto(node.uiUrl);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await expect(relay.prompt()).toHaveCount(0);
  } finally {
    if (fingerprint) await forgetRelay(testnet(), fingerprint);
    await context.close();
  }
});
