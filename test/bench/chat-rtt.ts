// Chat round trip, browser to browser through both gateways over onion services (issue: identity and
// chat, Benchmarks): from pressing Send in alice's PWA to alice's PWA showing bob's delivery receipt, i.e.
// encrypt → alice's gateway → tor → bob's gateway → bob's browser (decrypt, store, receipt) and back.
// Compared with the raw onion echo measured in the same run.
import { chromium } from 'playwright';
import type { Page } from 'playwright';
import { startTestGateway } from '../support/gateways.js';
import type { TestGateway } from '../support/gateways.js';
import { ChatPage } from '../e2e/pages/chat.js';
import { FriendsPage } from '../e2e/pages/friends.js';
import { VaultPage } from '../e2e/pages/vault.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium.js';
import type { Report } from './report.js';
import { percentile } from './report.js';

/**
 * In-page code (plain JavaScript, so no bundler helper leaks into it): sends `count` messages one after
 * another, each timed from the click on Send until its delivered/read state shows.
 */
const MEASURE_IN_PAGE = `async (count) => {
  const input = document.querySelector('[data-testid="composer-input"]');
  const send = document.querySelector('[data-testid="composer-send"]');
  const times = [];
  for (let i = 0; i < count; i++) {
    const text = 'rtt-' + i + '-' + Math.random().toString(36).slice(2);
    input.value = text;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((r) => requestAnimationFrame(r));
    const t0 = performance.now();
    send.click();
    await new Promise((resolve) => {
      const done = () => Array.from(document.querySelectorAll('[data-testid="message-item"][data-direction="out"]')).some(
        (item) => item.textContent.includes(text) && ['delivered', 'read'].includes(item.getAttribute('data-state')),
      );
      if (done()) return resolve();
      const obs = new MutationObserver(() => {
        if (done()) {
          obs.disconnect();
          resolve();
        }
      });
      obs.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
    });
    times.push(performance.now() - t0);
  }
  return times;
}`;

const measureInPage = (page: Page, count: number): Promise<number[]> =>
  page.evaluate(`(${MEASURE_IN_PAGE})(${count})`) as Promise<number[]>;

export async function benchChatRtt(
  report: Report,
  clientTorrcLines: string[],
  raw: { median: number; p95: number },
  count = 200,
): Promise<void> {
  process.stdout.write('chat: browser-to-browser round trip\n');
  const gws: TestGateway[] = await Promise.all([
    startTestGateway('alice', clientTorrcLines),
    startTestGateway('bob', clientTorrcLines),
  ]);
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
  });
  try {
    const [a, b] = await Promise.all(
      gws.map(async (g) => {
        const page = await (await browser.newContext()).newPage();
        await page.goto(`${g.uiUrl}/#pair=${g.token}`);
        await new VaultPage(page).createIdentity(g.name, 60_000);
        const friends = new FriendsPage(page);
        await friends.open();
        return { page, friends, chat: new ChatPage(page) };
      }),
    );
    await a!.friends.addFriend(await b!.friends.myContactLink(), 'bench');
    await b!.friends.accept('alice');
    await a!.friends.waitOnline('bob');
    await b!.friends.openChat('alice');
    await a!.friends.openChat('bob');
    await measureInPage(a!.page, 10); // warm-up
    const times = (await measureInPage(a!.page, count)).sort((x, y) => x - y);
    const median = percentile(times, 50);
    const p95 = percentile(times, 95);
    report.add({
      name: 'chat round trip median (browser → browser → receipt)',
      value: median,
      unit: 'ms',
      baseline: { name: 'raw onion echo median', value: raw.median },
    });
    report.add({
      name: 'chat round trip p95',
      value: p95,
      unit: 'ms',
      baseline: { name: 'raw onion echo p95', value: raw.p95 },
    });
    report.add({
      name: 'latency Chattor adds, median',
      value: median - raw.median,
      unit: 'ms',
      target: '≤ 5 ms',
    });
    report.add({ name: 'latency Chattor adds, p95', value: p95 - raw.p95, unit: 'ms', target: '≤ 15 ms' });
  } finally {
    await browser.close();
    await Promise.allSettled(gws.map((g) => g.dispose()));
  }
}
