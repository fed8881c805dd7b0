// `chattor node --headless`: a headless node (headless/bot.ts) beside the gateway of its data directory
// — the running one, or one it starts as a child process and stops with itself —, optionally one of the
// shipped bots (headless/bots/). Prints JSON lines: {"event":"ready","name","contactLink"},
// {"event":"friend"|"message"|"request", …} (no bodies, no notes, contact ids shortened).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createBot } from './bot.js';
import type { Bot } from './bot.js';
import { defaultNodeDir, ensureGateway, GATEWAY_OPTIONS } from './own-gateway.js';
import type { GatewayOption, OwnGateway } from './own-gateway.js';
import { runEchoBot } from './bots/echo.js';
import { checkRelayOptions, runMassRelay } from './bots/mass-relay.js';

const USAGE =
  'usage: chattor node --headless --name NAME [--data-dir DIR] [--bot echo|relay] [--befriend LINK]…\n' +
  '         echo:  [--greeting TEXT]\n' +
  '         relay: [--invite CODE] [--max-friends N]\n' +
  '       Without a gateway running for DIR (default ~/.local/share/chattor-nodes/NAME) one is started,\n' +
  '       with: [--port N] [--testnet DIR] [--torrc-extra FILE] [--socks-port N] [--log-level L]\n' +
  '             [--mailbox-ttl-days N] [--mailbox-max-envelopes N] [--mailbox-max-mib N]\n' +
  '             [--mailbox-tokens-per-day N]   (the holder limits a mass relay keeps)\n';

function fail(message: string): never {
  process.stderr.write(`chattor node: ${message}\n${USAGE}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      name: { type: 'string' },
      'data-dir': { type: 'string' },
      bot: { type: 'string' },
      befriend: { type: 'string', multiple: true },
      greeting: { type: 'string' },
      invite: { type: 'string' },
      'max-friends': { type: 'string' },
      ...Object.fromEntries(GATEWAY_OPTIONS.map((o) => [o, { type: 'string' as const }])),
    },
    strict: true,
  }));
} catch (e) {
  fail((e as Error).message);
}
const { name, bot: kind } = values;
if (!name) fail('--name is required');
if (kind !== undefined && kind !== 'echo' && kind !== 'relay') fail('--bot must be echo or relay');
if (kind !== 'echo' && values.greeting !== undefined) fail('--greeting is for --bot echo');
if (kind !== 'relay' && (values.invite !== undefined || values['max-friends'] !== undefined))
  fail('--invite and --max-friends are for --bot relay');

const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
const onError = (e: unknown) => process.stderr.write(`headless ${name}: ${String(e)}\n`);
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
let dataDir: string;
try {
  dataDir = values['data-dir'] ? resolve(values['data-dir']) : defaultNodeDir(name);
} catch (e) {
  fail(message(e));
}
const gatewayOptions: Partial<Record<GatewayOption, string>> = {};
for (const o of GATEWAY_OPTIONS) {
  const v = (values as Record<string, unknown>)[o];
  if (typeof v === 'string') gatewayOptions[o] = v;
}
const relayOptions = {
  inviteCode: values.invite,
  maxFriends: values['max-friends'] === undefined ? undefined : Number(values['max-friends']),
};
try {
  if (kind === 'relay') checkRelayOptions(relayOptions);
} catch (e) {
  fail(message(e));
}
let gateway: OwnGateway;
try {
  gateway = await ensureGateway({ name, dataDir, options: gatewayOptions });
} catch (e) {
  fail(message(e));
}
let bot: Bot;
try {
  bot = await createBot({ name, dataDir, onError });
} catch (e) {
  await gateway.stop();
  fail(message(e));
}
// First: the request logger decides nothing, so the bot's own handler still does.
bot.onFriendRequest(() => {
  out({ event: 'request', name });
});
bot.onFriend((c) => {
  out({ event: 'friend', name, friend: c.displayName });
});
bot.onMessage((m) => {
  out({ event: 'message', name, from: m.contact.id.slice(0, 8) });
});
try {
  if (kind === 'echo') runEchoBot(bot, { greeting: values.greeting });
  else if (kind === 'relay') runMassRelay(bot, relayOptions);
} catch (e) {
  await bot.close();
  await gateway.stop();
  fail(message(e));
}
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  bot
    .close()
    .finally(() => gateway.stop())
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

let contactLink: string;
try {
  await bot.start();
  contactLink = await bot.contactLink();
} catch (e) {
  process.stderr.write(`chattor node: ${message(e)}\n`);
  await bot.close().catch(() => undefined);
  await gateway.stop();
  process.exit(1);
}
for (const link of values.befriend ?? []) {
  try {
    await bot.befriend(link, `Hi, this is ${name}.`);
  } catch (e) {
    // Already a contact (a restarted demo): nothing to do.
    process.stderr.write(`headless ${name}: friend request not sent: ${(e as Error).message}\n`);
  }
}
out({ event: 'ready', name, contactLink });
