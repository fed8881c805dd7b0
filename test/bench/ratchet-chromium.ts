// Double Ratchet and PQXDH speed inside Chromium (STYLE.md #9; docs: browser-crypto notes): the code
// that will run in the PWA, bundled from shared/crypto with esbuild, served from a throwaway
// 127.0.0.1 server (WebCrypto needs a secure context) and timed in Debian's headless Chromium —
// once with WebCrypto (ML-KEM-768 included) and once forced onto @noble, as in Tor Browser 14.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright';
import type { PageFigures, PageOptions } from './ratchet-chromium.page.js';
import { bundleForBrowser } from './browser-bundle.js';
import type { Report } from './report.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium.js';

export interface RatchetChromiumOptions {
  /** Measuring time per figure and backend (after a warm-up of a fifth of it). Default 2000 ms. */
  readonly ms?: number;
  readonly executablePath?: string;
}

function serve(script: string): Promise<Server> {
  const html = '<!doctype html><meta charset="utf-8"><title>bench</title><script src="/bench.js"></script>';
  const server = createServer((req, res) => {
    const js = req.url === '/bench.js';
    res.writeHead(js || req.url === '/' ? 200 : 404, {
      'content-type': js ? 'text/javascript; charset=utf-8' : 'text/html; charset=utf-8',
      'cache-control': 'no-store',
    });
    res.end(js ? script : req.url === '/' ? html : '');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function benchRatchetChromium(report: Report, opts: RatchetChromiumOptions = {}): Promise<void> {
  const ms = opts.ms ?? 2000;
  const server = await serve(await bundleForBrowser({ entry: 'test/bench/ratchet-chromium.page.ts' }));
  try {
    const browser = await chromium.launch({
      executablePath: opts.executablePath ?? CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
      headless: true,
    });
    try {
      const page = await browser.newPage();
      const errors: Error[] = [];
      page.on('pageerror', (e) => errors.push(e));
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page
        .waitForFunction('globalThis.chattorBench !== undefined', undefined, { timeout: 15_000 })
        .catch((cause: unknown) => {
          throw new Error(`the bench page did not load: ${errors[0]?.message ?? String(cause)}`, { cause });
        });
      // A string expression, not a function: tsx's compiled functions would not survive serialisation.
      const run = (o: PageOptions): Promise<PageFigures> =>
        page.evaluate(`globalThis.chattorBench.run(${JSON.stringify(o)})`);
      const web = await run({ backend: 'auto', ms });
      const noble = await run({ backend: 'noble', ms });
      if (Object.values(web.backend).some((b) => b !== 'webcrypto'))
        throw new Error(`Chromium fell back to @noble: ${JSON.stringify(web.backend)}`);

      const webName = 'WebCrypto';
      report.add({
        name: 'ratchet messages/s in Chromium (1 KiB, same chain)',
        value: web.sameChain,
        unit: 'msg/s',
        note: 'encrypt + decrypt per message, WebCrypto',
      });
      report.add({
        name: 'ratchet messages/s in Chromium (1 KiB, ping-pong, DH step each)',
        value: web.pingPong,
        unit: 'msg/s',
        note: 'sender alternates: every message is a DH ratchet step, WebCrypto',
      });
      report.add({
        name: 'PQXDH handshake in Chromium (initiate + respond, median)',
        value: web.pqxdhMedianMs,
        unit: 'ms',
        note: `card check, X3DH (4 DH) + ML-KEM-768 via WebCrypto, first message decrypted; ${web.pqxdhRuns} runs`,
      });
      report.add({
        name: 'ratchet messages/s in Chromium, @noble (1 KiB, same chain)',
        value: noble.sameChain,
        unit: 'msg/s',
        baseline: { name: webName, value: web.sameChain },
        note: 'the fallback for browsers without WebCrypto X25519 (Tor Browser 14)',
      });
      report.add({
        name: 'ratchet messages/s in Chromium, @noble (1 KiB, ping-pong, DH step each)',
        value: noble.pingPong,
        unit: 'msg/s',
        baseline: { name: webName, value: web.pingPong },
      });
      report.add({
        name: 'PQXDH handshake in Chromium, @noble (initiate + respond, median)',
        value: noble.pqxdhMedianMs,
        unit: 'ms',
        baseline: { name: webName, value: web.pqxdhMedianMs },
        note: `${noble.pqxdhRuns} runs`,
      });
    } finally {
      await browser.close();
    }
  } finally {
    await close(server);
  }
}
