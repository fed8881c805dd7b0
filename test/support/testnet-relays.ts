// The private network's authorities, for tests that add a relay to it (relay mode, docs/protocol.md
// §2.6). No test-runner imports: the tor tier and the e2e tier both use it.
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '../../gateway/log.js';
import { readConsensusEntry } from '../../gateway/relay.js';
import { TorControl } from '../../gateway/tor/control.js';
import type { TestnetInfo } from '../../gateway/tor/testnet.js';

/** A control connection to authority `i` of the network (cookie auth). */
export function authorityControl(info: TestnetInfo, i = 0): Promise<TorControl> {
  const a = info.authorities[i]!;
  return TorControl.connect({
    port: a.controlPort,
    cookieFile: join(a.dataDir, 'control_auth_cookie'),
    log: createLogger(`auth${i}`, { level: 'warn' }),
  });
}

/**
 * Makes every authority drop a relay that has gone: `!reject <fingerprint>` in its approved-routers file,
 * then SIGNAL RELOAD. On the public network authorities notice a relay is gone by testing its ORPort;
 * the private network's authorities never do (TestingTorNetwork implies AssumeReachable 1: "everybody
 * is up unless they say they are down"), so without this a relay that left would stay listed as a
 * Running Guard and HSDir, and later specs' tors would keep trying it. Resolves once the first
 * authority's consensus no longer lists it (~15 s: the next votes).
 */
export async function forgetRelay(info: TestnetInfo, fingerprint: string, timeoutMs = 90_000): Promise<void> {
  if (!/^[0-9A-F]{40}$/.test(fingerprint)) throw new Error('fingerprint must be 40 upper-case hex digits');
  await Promise.all(
    info.authorities.map(async (a, i) => {
      await appendFile(join(a.dataDir, 'approved-routers'), `!reject ${fingerprint}\n`);
      const c = await authorityControl(info, i);
      try {
        await c.signal('RELOAD');
      } finally {
        await c.close();
      }
    }),
  );
  const c = await authorityControl(info, 0);
  try {
    const end = Date.now() + timeoutMs;
    while ((await readConsensusEntry(c, fingerprint)) !== null) {
      if (Date.now() > end)
        throw new Error(`relay ${fingerprint} still in the consensus after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await c.close();
  }
}
