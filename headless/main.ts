// `chattor node --headless`: a headless node (headless/bot.ts) beside a running gateway, optionally one
// of the shipped bots (headless/bots/). Prints JSON lines: {"event":"ready","name","contactLink"},
// {"event":"friend"|"message"|"request", …} (no bodies, no notes, contact ids shortened).
import { parseArgs } from 'node:util';
import { createBot } from './bot.js';
import { runEchoBot } from './bots/echo.js';
import { runMassRelay } from './bots/mass-relay.js';

const USAGE =
  'usage: chattor node --headless --name NAME --data-dir DIR [--bot echo|relay] [--befriend LINK]…\n' +
  '         echo:  [--greeting TEXT]\n' +
  '         relay: [--invite CODE] [--max-friends N]   (holder limits: the gateway’s --mailbox-* flags)\n';

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
    },
    strict: true,
  }));
} catch (e) {
  fail((e as Error).message);
}
const { name, bot: kind } = values;
const dataDir = values['data-dir'];
if (!name || !dataDir) fail('--name and --data-dir are required');
if (kind !== undefined && kind !== 'echo' && kind !== 'relay') fail('--bot must be echo or relay');
if (kind !== 'echo' && values.greeting !== undefined) fail('--greeting is for --bot echo');
if (kind !== 'relay' && (values.invite !== undefined || values['max-friends'] !== undefined))
  fail('--invite and --max-friends are for --bot relay');

const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
const onError = (e: unknown) => process.stderr.write(`headless ${name}: ${String(e)}\n`);
const bot = await createBot({ name, dataDir, onError }).catch((e: unknown) =>
  fail(e instanceof Error ? e.message : String(e)),
);
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
  else if (kind === 'relay')
    runMassRelay(bot, {
      inviteCode: values.invite,
      maxFriends: values['max-friends'] === undefined ? undefined : Number(values['max-friends']),
    });
} catch (e) {
  await bot.close();
  fail((e as Error).message);
}
await bot.start();

const contactLink = await bot.contactLink();
for (const link of values.befriend ?? []) {
  try {
    await bot.befriend(link, `Hi, this is ${name}.`);
  } catch (e) {
    // Already a contact (a restarted demo): nothing to do.
    process.stderr.write(`headless ${name}: friend request not sent: ${(e as Error).message}\n`);
  }
}
out({ event: 'ready', name, contactLink });

const stop = () => {
  bot.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
