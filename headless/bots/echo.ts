// The echo/help bot (docs/architecture.md, "Headless nodes and bots"): accepts friend requests, greets
// new friends once, answers `/help` and `/ping`, and echoes everything else. The demo's sample peers
// bob and carol are echo bots.
import type { Bot } from '../bot.js';

export interface EchoBotOptions {
  /** Sent once to each new friend who has no messages yet. */
  greeting?: string;
  /** Accept every friend request (default true); false leaves them pending. */
  acceptAll?: boolean;
}

/** Longest excerpt of a message that is echoed back (a message may have 8,000 characters). */
export const ECHO_MAX_CHARS = 500;

export const ECHO_COMMANDS: Readonly<Record<string, string>> = Object.freeze({
  '/help': 'lists these commands',
  '/ping': 'answers “pong”',
});

export function echoHelp(name: string): string {
  const lines = Object.entries(ECHO_COMMANDS).map(([cmd, what]) => `${cmd} — ${what}`);
  return [`I'm ${name}, an echo bot. I echo what you write. Commands:`, ...lines].join('\n');
}

/** An echo bot's own echo: never echoed again, so that two echo bots (the demo's bob and carol) stop. */
const ECHO_RE = /^\S{1,64} got your message: “/;

/** Replies per friend and minute, whatever they write (a second guard against loops and floods). */
export const ECHO_PER_MINUTE = 30;

/** The bot's answer to one message, or null for none (a file offer is declined by saying so). */
export function echoReply(name: string, text: string, isFile = false): string | null {
  if (isFile) return `${name} does not take files.`;
  const t = text.trim();
  if (ECHO_RE.test(t)) return null;
  if (t.startsWith('/')) {
    const cmd = t.split(/\s+/, 1)[0]!.toLowerCase();
    if (cmd === '/help') return echoHelp(name);
    if (cmd === '/ping') return 'pong';
    return `Unknown command ${cmd.slice(0, 32)}. Try /help.`;
  }
  if (t === '') return null;
  return `${name} got your message: “${text.slice(0, ECHO_MAX_CHARS)}”`;
}

/** Makes `bot` an echo bot. Call before `bot.start()`. */
export function runEchoBot(bot: Bot, opts: EchoBotOptions = {}, now: () => number = Date.now): void {
  const recent = new Map<string, number[]>();
  const allowed = (contactId: string): boolean => {
    const t = now();
    const times = (recent.get(contactId) ?? []).filter((x) => t - x < 60_000);
    const ok = times.length < ECHO_PER_MINUTE;
    if (ok) times.push(t);
    recent.set(contactId, times);
    return ok;
  };
  if (opts.acceptAll ?? true) bot.onFriendRequest(() => 'accept');
  const greeting = opts.greeting;
  if (greeting)
    bot.onFriend(async (friend) => {
      // Only a conversation's first message: a restarted bot, or a friend who wrote first, is not greeted.
      if ((await bot.node.storage.listMessages(friend.id, { limit: 1 })).length === 0)
        await bot.send(friend.id, greeting);
    });
  bot.onMessage(async (m) => {
    if (m.file) await bot.node.engine.cancelFile(m.message.id);
    const reply = echoReply(bot.name, m.text, m.file !== undefined);
    if (reply !== null && allowed(m.contact.id)) await bot.send(m.contact.id, reply);
  });
}
