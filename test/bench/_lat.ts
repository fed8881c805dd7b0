// Throwaway latency driver (delete at the end).
import { chromium } from 'playwright';
import { loadTestnet } from '../../gateway/tor/testnet.js';
import { startTestGateway } from '../support/gateways.js';
import { ChatPage } from '../e2e/pages/chat.js';
import { FriendsPage } from '../e2e/pages/friends.js';
import { VaultPage } from '../e2e/pages/vault.js';
import { CHROMIUM_ARGS } from '../../playwright.config.js';
import { percentile } from './report.js';
import { startHeadlessNode } from '../../headless/node.js';
import type { EngineEvent } from '../../shared/protocol/api.js';

const mode = process.argv[2] ?? 'both';
const count = Number(process.argv[3] ?? 100);
const info = loadTestnet(process.env.TN ?? '/tmp/ct-smoke');
const stats = (t: number[]) => {
  const s = [...t].sort((a, b) => a - b);
  return `median ${percentile(s, 50).toFixed(2)} p95 ${percentile(s, 95).toFixed(2)} min ${s[0]!.toFixed(2)} max ${s[s.length - 1]!.toFixed(2)}`;
};

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
      const obs = new MutationObserver(() => { if (done()) { obs.disconnect(); resolve(); } });
      obs.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
    });
    times.push(performance.now() - t0);
  }
  return times;
}`;

const gws = await Promise.all([startTestGateway('alice', info.clientTorrcLines), startTestGateway('bob', info.clientTorrcLines)]);
console.log('gateways up');
try {
  if (mode === 'both' || mode === 'headless') {
    const [a, b] = await Promise.all(gws.map((g) => startHeadlessNode({ dataDir: g.dataDir, displayName: g.name + 'h', storagePath: g.dataDir + '/h.db', onError: () => {} }, { onFriendRequest: () => true })));
    await b!.engine.idle();
    const link = await b!.contactLink();
    const c = await a!.engine.sendFriendRequest(link, 'x');
    let resolveWait: (() => void) | null = null;
    let waitId = '';
    a!.engine.on((e: EngineEvent) => {
      if (e.t === 'ContactChanged' && e.contact.state === 'friend' && waitId === 'friend') resolveWait?.();
      if (e.t === 'MessageChanged' && e.message.id === waitId && e.message.state === 'delivered') resolveWait?.();
    });
    for (;;) {
      const cs = await a!.storage.listContacts();
      const cc = cs?.find((x: { id: string }) => x.id === c.id);
      if (cc?.state === 'friend' && cc.online) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    console.log('headless friends');
    const times: number[] = [];
    for (let i = 0; i < count + 10; i++) {
      const t0 = performance.now();
      const p = new Promise<void>((r) => (resolveWait = r));
      const m = await a!.engine.sendMessage(c.id, 'hello ' + i);
      waitId = m.id;
      if (m.state !== 'delivered') await p;
      if (i >= 10) times.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 5));
    }
    console.log('HEADLESS', stats(times));
    await a!.stop();
    await b!.stop();
  }
  if (mode === 'both' || mode === 'browser') {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
    try {
      const [a, b] = await Promise.all(
        gws.map(async (g) => {
          const page = await (await browser.newContext()).newPage();
          page.on('console', (m) => { if (m.text().startsWith('LAT')) console.log(g.name, m.text()); });
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
      await a!.page.evaluate(`(${MEASURE_IN_PAGE})(10)`);
      const times = (await a!.page.evaluate(`(${MEASURE_IN_PAGE})(${count})`)) as number[];
      console.log('BROWSER', stats(times));
      if (process.env.HOLD) await new Promise((r) => setTimeout(r, Number(process.env.HOLD)));
    } finally {
      await browser.close();
    }
  }
} finally {
  await Promise.allSettled(gws.map((g) => g.dispose()));
}
