// Vitest globalSetup of the tor tier: one private Tor network per run (reused from CHATTOR_TESTNET_DIR).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createLogger } from '../../gateway/log.js';
import { loadTestnet, startTestnet, testnetStatus } from '../../gateway/tor/testnet.js';
import type {} from './testnet.js'; // the ProvidedContext declaration (types only)

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const log = createLogger('testnet', { level: 'info' });
  const dir = process.env['CHATTOR_TESTNET_DIR'];
  if (dir && existsSync(join(dir, 'testnet.json'))) {
    const status = await testnetStatus(dir);
    if (status.allAlive && status.consensusComplete) {
      log.info('reusing running testnet', { dir });
      project.provide('testnet', loadTestnet(dir));
      return undefined;
    }
    log.warn('CHATTOR_TESTNET_DIR testnet is not running or not ready; starting a fresh one', { dir });
  }
  const net = await startTestnet({ log });
  log.info('testnet up', { ms: net.startupMs });
  project.provide('testnet', net.info);
  return () => net.stop();
}
