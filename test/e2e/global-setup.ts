// Global setup for the e2e tier: joins the private Tor network (the one `npm test` started, named by
// CHATTOR_TESTNET_DIR, or its own), starts one gateway per node as a child process, and hands them to the
// tests in CHATTOR_E2E_NODES (see ./nodes.ts). The returned function stops everything by its handle.
import { createLogger } from '../../gateway/log.js';
import { loadTestnet, startTestnet } from '../../gateway/tor/testnet.js';
import type { Testnet } from '../../gateway/tor/testnet.js';
import { startTestGateway } from '../support/gateways.js';
import type { TestGateway } from '../support/gateways.js';

export const E2E_NODE_NAMES = ['alice', 'bob'];

export default async function globalSetup(): Promise<() => Promise<void>> {
  const log = createLogger('e2e', { level: 'warn' });
  let net: Testnet | undefined;
  const dir = process.env.CHATTOR_TESTNET_DIR;
  const info = dir ? loadTestnet(dir) : (net = await startTestnet({ log })).info;
  const lines = info.clientTorrcLines;
  const gateways: TestGateway[] = [];
  const teardown = async () => {
    await Promise.allSettled(gateways.map((g) => g.dispose()));
    await net?.stop();
  };
  try {
    gateways.push(...(await Promise.all(E2E_NODE_NAMES.map((n) => startTestGateway(n, lines)))));
  } catch (e) {
    await teardown();
    throw e;
  }
  // Specs that must stop and restart a gateway start their own on the same network.
  process.env.CHATTOR_E2E_TORRC_LINES = JSON.stringify(lines);
  // Specs that add a relay to the network must make its authorities drop it again (relay.e2e.ts).
  process.env.CHATTOR_E2E_TESTNET = JSON.stringify(info);
  process.env.CHATTOR_E2E_NODES = JSON.stringify(
    gateways.map((g) => ({
      name: g.name,
      uiUrl: `${g.uiUrl}/`,
      pairingUrl: `${g.uiUrl}/#pair=${g.token}`,
      contactOnion: g.contactOnion,
      dataDir: g.dataDir,
    })),
  );
  return teardown;
}
