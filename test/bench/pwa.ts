// PWA load time and bundle size (docs/architecture.md numbers: "PWA first load from the gateway ≤ 1 s on
// loopback, app JS ≤ 300 KB gzipped before the zk artifacts"). The build in build/ as the gateway serves
// it; first load in a fresh Chromium context (empty cache, no service worker) to the first screen the
// app draws (onboarding), and a repeat load with the HTTP cache and the service worker.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from 'playwright';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium.js';
import { startTestGateway } from '../support/gateways.js';
import { REPO_ROOT } from './browser-bundle.js';
import { median, type Report } from './report.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** ms from navigation start until the app has drawn its first screen. */
async function loadMs(page: Page, url: string): Promise<number> {
  await page.goto(url);
  await page.getByTestId('onboarding').waitFor({ timeout: 60_000 });
  return (await page.evaluate('performance.now()')) as number;
}

export async function benchPwa(report: Report, tor: string[]): Promise<void> {
  process.stdout.write('pwa: bundle size and load time\n');
  const all = files(join(REPO_ROOT, 'build'));
  const js = all.filter((f) => f.endsWith('.js') && !f.endsWith('service-worker.js'));
  const gz = (list: string[]) => list.reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);
  report.add({
    name: 'PWA JS of the whole build, gzipped (lazy chunks and the zk worker included)',
    value: gz(js) / 1024,
    unit: 'KiB',
    note: `${js.length} files, the service worker not counted; the zk proving artifacts are not part of the build`,
  });
  report.add({
    name: 'PWA whole build, gzipped (JS, CSS, HTML, icons, manifest)',
    value: gz(all) / 1024,
    unit: 'KiB',
  });

  const gw = await startTestGateway('pwa-bench', tor);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const url = `${gw.uiUrl}/#pair=${gw.token}`;
    const first: number[] = [];
    const repeat: number[] = [];
    let startJs: string[] = [];
    for (let i = 0; i < 5; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      // The scripts the app fetches before its first screen (the service worker registers after that).
      const requested = new Set<string>();
      const onRequest = (r: { url(): string }) => {
        const path = new URL(r.url()).pathname;
        if (path.endsWith('.js')) requested.add(path);
      };
      page.on('request', onRequest);
      first.push(await loadMs(page, url));
      page.off('request', onRequest);
      startJs = [...requested];
      // Let the service worker install and take over, then load again as a returning user does.
      // Polled with evaluate: waitForFunction evaluates strings in the page, which the app's CSP forbids.
      for (let t = 0; !(await page.evaluate('navigator.serviceWorker?.controller != null')); t++) {
        if (t > 300) throw new Error('the service worker never took control');
        await page.waitForTimeout(100);
      }
      repeat.push(await loadMs(page, `${gw.uiUrl}/`));
      await context.close();
    }
    report.add({
      name: 'PWA app JS loaded before the first screen, gzipped',
      value: gz(startJs.map((p) => join(REPO_ROOT, 'build', p))) / 1024,
      unit: 'KiB',
      target: '≤ 300 KB',
      note: `${startJs.length} files; the rest (${(gz(js) / 1024).toFixed(0)} KiB of JS in all) loads on demand, the zk prover only when proving`,
    });
    report.add({
      name: 'PWA first load from the gateway → first screen drawn (empty cache, median of 5)',
      value: median(first),
      unit: 'ms',
      target: '≤ 1 s',
      note: `loopback; runs ${first.map((x) => x.toFixed(0)).join(', ')} ms`,
    });
    report.add({
      name: 'PWA repeat load (HTTP cache and service worker, median of 5)',
      value: median(repeat),
      unit: 'ms',
      baseline: { name: 'first load', value: median(first) },
    });
  } finally {
    await browser.close();
    await gw.dispose();
  }
}
