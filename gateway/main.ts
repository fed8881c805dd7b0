// The gateway daemon's composition root: the only module that reads argv/env and owns the process.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseGatewayArgs } from './config.js';
import { createLogger, errorMessage } from './log.js';
import { startNode } from './node.js';

async function main(): Promise<void> {
  const opts = parseGatewayArgs(process.argv.slice(2));
  const log = createLogger(`gateway:${opts.name}`, { level: opts.logLevel });
  const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
  const node = await startNode({ ...opts, log });
  // Read by `chattor status` and by headless nodes beside this gateway (a mass relay tells its friends
  // the holder limits it keeps, docs/protocol.md §5.6).
  const mailbox = {
    ttlDays: opts.mailboxTtlDays,
    maxEnvelopes: opts.mailboxMaxEnvelopes,
    maxBytes: opts.mailboxMaxBytes,
    issuePerDay: opts.mailboxTokensPerDay,
  };
  await writeFile(
    join(opts.dataDir, 'gateway.json'),
    JSON.stringify({ pid: process.pid, uiPort: opts.uiPort, mailbox }) + '\n',
    { mode: 0o600 },
  );
  if (opts.json) out({ event: 'listening', name: opts.name, uiUrl: node.uiUrl, pairingUrl: node.pairingUrl });
  else
    process.stdout.write(
      `Chattor (${opts.name}) is starting. Open this link to pair your browser:\n  ${node.pairingUrl}\n`,
    );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    const hard = setTimeout(() => process.exit(1), 10_000);
    hard.unref();
    node.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  try {
    await node.whenReady(300_000);
    const s = node.status();
    if (opts.json)
      out({
        event: 'ready',
        name: opts.name,
        contactOnion: s.onions.contact,
        handleOnion: s.onions.handle,
        socksPort: s.tor.socksPort,
      });
    else process.stdout.write(`Tor is bootstrapped and your contact onion is published.\n`);
  } catch (e) {
    log.error('not ready', { reason: errorMessage(e) });
    if (opts.json) out({ event: 'not-ready', name: opts.name, reason: errorMessage(e) });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`chattor gateway: ${errorMessage(e)}\n`);
  process.exit(1);
});
