// `chattor node --headless`: a headless node next to a running gateway, with the demo bot behaviours.
// Prints JSON lines: {"event":"ready","name","contactLink"}, {"event":"friend"|"message", …} (no bodies).
import { parseArgs } from 'node:util';
import { startHeadlessNode } from './node.js';
import type { BotHandlers } from './node.js';

const { values } = parseArgs({
  options: {
    name: { type: 'string' },
    'data-dir': { type: 'string' },
    'auto-accept': { type: 'boolean', default: false },
    befriend: { type: 'string', multiple: true },
    echo: { type: 'boolean', default: false },
    greeting: { type: 'string' },
  },
});
if (!values.name || !values['data-dir']) {
  process.stderr.write(
    'usage: chattor node --headless --name NAME --data-dir DIR [--auto-accept] [--echo] [--befriend LINK]…\n',
  );
  process.exit(2);
}
const name = values.name;
const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
const greeted = new Set<string>();

const bot: BotHandlers = {
  onFriendRequest: () => values['auto-accept'] ?? false,
  async onFriend(contact, node) {
    if (greeted.has(contact.id)) return;
    greeted.add(contact.id);
    out({ event: 'friend', name, friend: contact.displayName });
    if (values.greeting && (await node.storage.listMessages(contact.id, { limit: 1 })).length === 0)
      await node.engine.sendMessage(contact.id, values.greeting);
  },
  async onMessage(message, node) {
    out({ event: 'message', name, from: message.contactId.slice(0, 8) });
    if (values.echo)
      await node.engine.sendMessage(
        message.contactId,
        `${name} got your message: “${message.body.slice(0, 500)}”`,
      );
  },
};

const node = await startHeadlessNode(
  {
    dataDir: values['data-dir'],
    displayName: name,
    onError: (e) => process.stderr.write(`headless ${name}: ${String(e)}\n`),
  },
  bot,
);
const contactLink = await node.contactLink();
for (const link of values.befriend ?? []) {
  try {
    await node.engine.sendFriendRequest(link, `Hi, this is ${name}.`);
  } catch (e) {
    // Already a contact (a restarted demo): nothing to do.
    process.stderr.write(`headless ${name}: friend request not sent: ${(e as Error).message}\n`);
  }
}
out({ event: 'ready', name, contactLink });

const stop = () => {
  node.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
