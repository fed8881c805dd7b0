// The installed PWA (issue 8, docs/architecture.md §The installed PWA), in Debian's Chromium against a
// gateway of its own: Chromium reports the app installable (manifest and an active service worker),
// the shell opens with the gateway's HTTP server stopped (showing "Gateway not reachable", not a
// browser error page), nothing token-bearing is cached, and a new version waits until the user
// accepts it, then replaces the old cache. The gateway serves a copy of build/ (--static), so the new
// version is this build with another version string in its service worker, as a rebuild would give.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, expect, test, type BrowserContext } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium';
import { startTestGateway, type TestGateway } from '../support/gateways';
import { PwaPage } from './pages/pwa';
import { ShellPage } from './pages/shell';
import { torrcLines } from './users';

test.describe.configure({ timeout: 300_000 });

let work: string;
let site: string;
let gw: TestGateway | undefined;
let context: BrowserContext | undefined;

test.beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'chattor-pwa-'));
  site = join(work, 'site');
  cpSync('build', site, { recursive: true });
});

test.afterAll(async () => {
  await context?.close();
  await gw?.dispose();
  rmSync(work, { recursive: true, force: true });
});

test('installable, opens offline, and takes a new version only when the user accepts', async () => {
  const version = (JSON.parse(readFileSync(join(site, '_app/version.json'), 'utf8')) as { version: string })
    .version;
  gw = await startTestGateway('pwa', torrcLines(), { extraArgs: ['--static', site] });
  // A browser profile on disk, as a user has: Chromium never offers to install from an incognito
  // context, which is what browser.newContext() gives.
  context = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${gw.uiUrl}/#pair=${gw.token}`);
  const shell = new ShellPage(page);
  const pwa = new PwaPage(page);
  await expect(shell.mainNav()).toBeVisible({ timeout: 30_000 });

  await test.step('Chromium reports it installable', async () => {
    expect(await pwa.waitForWorker()).toBe('activated');
    expect(await pwa.installabilityErrors()).toEqual([]);
    const manifest = await pwa.manifest();
    expect(manifest.url).toBe(`${gw!.uiUrl}/manifest.webmanifest`);
    expect(manifest.errors).toEqual([]);
    expect(manifest.data).toMatchObject({
      name: 'Chattor',
      short_name: 'Chattor',
      start_url: '/',
      scope: '/',
      display: 'standalone',
    });
    const icons = manifest.data.icons ?? [];
    for (const size of ['192x192', '512x512'])
      expect(
        icons.some((i) => i.sizes === size && i.type === 'image/png'),
        size,
      ).toBe(true);
  });

  await test.step('only this version’s files are cached, nothing token-bearing', async () => {
    const cached = await pwa.caches();
    expect(Object.keys(cached)).toEqual([`chattor-app-${version}`]);
    const urls = Object.values(cached).flat();
    expect(urls).toContain(`${gw!.uiUrl}/`);
    expect(urls).toContain(`${gw!.uiUrl}/manifest.webmanifest`);
    for (const url of urls) {
      expect(url).not.toContain(gw!.token);
      expect(url).not.toMatch(/#|pair=|\/api\/|\/local/);
    }
  });

  await test.step('the shell opens with the gateway stopped', async () => {
    await gw!.stop();
    await page.reload();
    // The app, not a browser error page: the gate's own "not reachable" state, on the app's URL.
    await expect(page.getByTestId('gateway-unreachable')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByRole('heading', { name: 'Gateway not reachable' })).toBeVisible();
    // A deep link too (the SPA shell for every route), and the API is never answered from a cache.
    await page.goto(`${gw!.uiUrl}/friends`);
    await expect(page.getByTestId('gateway-unreachable')).toBeVisible({ timeout: 30_000 });
    expect(new URL(page.url()).pathname).toBe('/friends');
    const api = await page.evaluate(() =>
      fetch('/api/status').then(
        (r) => `HTTP ${r.status}`,
        () => 'failed',
      ),
    );
    expect(api).toBe('failed');
  });

  await test.step('a new version waits for the user, then replaces the old one', async () => {
    // A rebuild with another version: the worker script changes, and with it the cache name.
    const next = `${version}.next`;
    const script = join(site, 'service-worker.js');
    const source = readFileSync(script, 'utf8');
    expect(source).toContain(version);
    writeFileSync(script, source.replaceAll(version, next));
    gw = await gw!.restart();

    await page.getByRole('button', { name: 'Retry' }).click();
    await expect(shell.mainNav()).toBeVisible({ timeout: 30_000 });
    // A page load makes the browser look for a new worker script.
    await page.reload();
    await expect(shell.mainNav()).toBeVisible({ timeout: 30_000 });
    await expect(pwa.updatePrompt()).toBeVisible({ timeout: 30_000 });
    // Installed beside the running version, which keeps its cache until the user says so.
    expect(await pwa.hasWaitingWorker()).toBe(true);
    expect(Object.keys(await pwa.caches()).sort()).toEqual(
      [`chattor-app-${version}`, `chattor-app-${next}`].sort(),
    );

    await pwa.acceptUpdate();
    await expect(shell.mainNav()).toBeVisible({ timeout: 30_000 });
    await expect(pwa.updatePrompt()).toHaveCount(0);
    expect(await pwa.hasWaitingWorker()).toBe(false);
    expect(Object.keys(await pwa.caches())).toEqual([`chattor-app-${next}`]);
  });

  expect(errors).toEqual([]);
});
