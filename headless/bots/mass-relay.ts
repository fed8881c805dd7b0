// The mass relay (docs/architecture.md, "Headless nodes and bots"): an always-on node that accepts
// friend requests — only those whose note carries its invite code, when it has one — and holds mail for
// every friend who asks (docs/protocol.md §5.2: in automatic mode a client asks its online friends, and
// a relay is always online), within the holder limits of its gateway (§5.6, the gateway's
// --mailbox-* flags). It tells each new friend so once, answers /help with the same words, never
// echoes, and never asks its friends to hold mail for itself.
import { ChattorError } from '../../shared/util/errors.js';
import type { Bot, FriendRequest, FriendRequestDecision } from '../bot.js';
import type { GatewayMailboxLimits } from '../node.js';

export interface MassRelayOptions {
  /** Accept only requests whose note contains this code as a word (4..64 of [A-Za-z0-9_-]). */
  inviteCode?: string;
  /** Decline requests once this many friends are held for (default 10,000). */
  maxFriends?: number;
}

const CODE_RE = /^[A-Za-z0-9_-]{4,64}$/;
export const DEFAULT_MAX_FRIENDS = 10_000;

export function checkRelayOptions(opts: MassRelayOptions): Required<Pick<MassRelayOptions, 'maxFriends'>> {
  if (opts.inviteCode !== undefined && !CODE_RE.test(opts.inviteCode))
    throw new ChattorError('E_BAD_INPUT', 'invite code: 4..64 letters, digits, - or _');
  const maxFriends = opts.maxFriends ?? DEFAULT_MAX_FRIENDS;
  if (!Number.isInteger(maxFriends) || maxFriends < 1 || maxFriends > 1_000_000)
    throw new ChattorError('E_BAD_INPUT', 'max friends: an integer in 1..1000000');
  return { maxFriends };
}

/** Whether a request note carries the invite code as a whole word (notes are ≤ 280 characters). */
export function noteHasCode(note: string, code: string): boolean {
  return note.split(/[^A-Za-z0-9_-]+/).includes(code);
}

function mib(bytes: number): string {
  const m = bytes / (1024 * 1024);
  return m >= 1024 ? `${(m / 1024).toFixed(m % 1024 === 0 ? 0 : 1)} GiB` : `${Math.round(m)} MiB`;
}

/** What the relay tells a new friend (and answers to /help). */
export function relayGreeting(name: string, limits?: GatewayMailboxLimits): string {
  const kept = limits
    ? ` Your mail waits here up to ${limits.ttlDays} days; I keep at most ${limits.maxEnvelopes.toLocaleString('en')} ` +
      `envelopes (${mib(limits.maxBytes)}) for everyone together, and each friend may receive up to ` +
      `${limits.issuePerDay.toLocaleString('en')} deposits a day.`
    : '';
  return (
    `Hi! I'm ${name}, a mass relay: an always-on Chattor node that holds offline mail for its friends. ` +
    `I can hold yours: with mailboxes on automatic, Chattor asks me by itself; or choose me in ` +
    `Settings › Mailboxes.${kept} I can't read your mail or tell who sent it. I don't answer messages ` +
    `(except /help).`
  );
}

/** Makes `bot` a mass relay. Call before `bot.start()`; run its engine with holding for friends on. */
export function runMassRelay(bot: Bot, opts: MassRelayOptions = {}): void {
  const { maxFriends } = checkRelayOptions(opts);
  const greeting = () => relayGreeting(bot.name, bot.node.gateway.mailbox);
  // The relay is always online: it needs nobody to hold its own mail, and asks no friend to.
  bot.onStart(async () => {
    const s = await bot.node.engine.mailboxStatus();
    if (s.auto || s.holders.length > 0) await bot.node.engine.setMailboxHolders([]);
  });
  bot.onFriendRequest(async (req: FriendRequest): Promise<FriendRequestDecision> => {
    if (opts.inviteCode !== undefined && !noteHasCode(req.note, opts.inviteCode)) return 'decline';
    if ((await bot.friends()).length >= maxFriends) return 'decline';
    return 'accept';
  });
  bot.onFriend(async (friend) => {
    if ((await bot.node.storage.listMessages(friend.id, { limit: 1 })).length === 0)
      await bot.send(friend.id, greeting());
  });
  bot.onMessage(async (m) => {
    if (m.file) await bot.node.engine.cancelFile(m.message.id);
    else if (m.text.trim().toLowerCase() === '/help') await bot.send(m.contact.id, greeting());
  });
}
