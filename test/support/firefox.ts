// Debian's firefox-esr as a Tor-Browser-like browser (docs/architecture.md §Tests, notes/firefox-esr.md):
// driven over WebDriver BiDi with puppeteer-core, in permanent private browsing, without service
// workers, with everything — localhost included — sent through a tor client's SOCKS port, and onions
// treated as secure contexts, as Tor Browser does. Never downloads a browser.
import { readdirSync, readFileSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

export const FIREFOX_PATH = '/usr/bin/firefox-esr';

/** Tor Browser's "Standard" level, as far as stock Firefox honours its preferences. */
export function torBrowserPrefs(socksPort: number, level: 'standard' | 'safer' = 'standard') {
  const prefs: Record<string, unknown> = {
    'browser.privatebrowsing.autostart': true,
    'privacy.resistFingerprinting': true,
    'dom.serviceWorkers.enabled': false,
    'network.proxy.type': 1,
    'network.proxy.socks': '127.0.0.1',
    'network.proxy.socks_port': socksPort,
    'network.proxy.socks_version': 5,
    'network.proxy.socks_remote_dns': true,
    'network.proxy.allow_hijacking_localhost': true,
    'network.proxy.no_proxies_on': '',
    'network.proxy.failover_direct': false,
    'network.dns.disabled': true,
    'dom.securecontext.allowlist_onions': true,
    'dom.security.https_only_mode': true,
    'dom.security.https_only_mode_pbm': true,
    'dom.security.https_only_mode.upgrade_onion': false,
    'security.mixed_content.upgrade_display_content': false,
    'media.peerconnection.enabled': false,
    'network.http.http3.enable': false,
    'services.settings.server': 'data:,#remote-settings-dummy/v1',
    'dom.ipc.processCount': 1,
  };
  if (level === 'safer') {
    prefs['javascript.options.baselinejit'] = false;
    prefs['javascript.options.ion'] = false;
    prefs['javascript.options.wasm'] = false;
  }
  return prefs;
}

export interface TorBrowserLike {
  browser: Browser;
  /** Closes the browser and kills, by PID, any child process that outlived it. */
  close(): Promise<void>;
}

/** The PIDs of `pid`'s descendants, from /proc. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

export async function launchTorBrowserLike(
  socksPort: number,
  level: 'standard' | 'safer' = 'standard',
): Promise<TorBrowserLike> {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    extraPrefsFirefox: torBrowserPrefs(socksPort, level),
    env: { ...process.env, MOZ_REMOTE_SETTINGS_DEVTOOLS: '1' },
  });
  const pid = browser.process()?.pid;
  return {
    browser,
    async close() {
      // Forkserver, RDD and Utility processes are re-parented on close and linger: reap them by PID.
      const tree = pid ? [pid, ...descendants(pid)] : [];
      await browser.close().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 500));
      for (const p of tree) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}
