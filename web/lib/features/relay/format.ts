// What Settings › Relay says about the relay (docs/protocol.md §2.6): one honest headline for where it
// stands, and how long it has been up. Plain words: the user decides on these.
import type { RelayStatus } from '$lib/transport/local-protocol';

export type RelayTone = 'off' | 'working' | 'good' | 'warn';

export interface RelayHeadline {
  tone: RelayTone;
  title: string;
  detail: string;
}

/** The first failing step, in the order tor goes through them: on, reachable, accepted, listed. */
export function relayHeadline(s: RelayStatus): RelayHeadline {
  const port = s.settings.orPort;
  if (s.error)
    return {
      tone: 'warn',
      title: 'Tor refused the relay settings',
      detail: `Your node stays a plain client. Tor said: ${s.error}`,
    };
  if (s.state === 'off')
    return { tone: 'off', title: 'Relay mode is off', detail: 'Your Tor only uses the network.' };
  if (s.state === 'paused')
    return {
      tone: 'warn',
      title: 'Paused: this month’s cap is used up',
      detail: 'Relaying starts again on the first day of next month (UTC). Chats keep working.',
    };
  if (!s.torAvailable)
    return { tone: 'working', title: 'Tor is restarting', detail: 'The relay comes back with it.' };
  if (!s.reachable)
    return s.network === 'public'
      ? {
          tone: 'warn',
          title: 'Not reachable from the Internet',
          detail:
            `Tor could not yet reach port ${port} of this machine from outside. Behind a home router, ` +
            `forward TCP port ${port} to this computer. A machine without a public address (or with no ` +
            'Internet at all) will never be reachable, and then the network does not use this relay.',
        }
      : { tone: 'working', title: 'Testing reachability', detail: `Tor is checking port ${port}.` };
  if (!s.descriptorAccepted)
    return {
      tone: 'working',
      title: 'Reachable; waiting for the directory authorities',
      detail: 'Tor has sent its descriptor and waits for an authority to accept it.',
    };
  if (!s.inConsensus)
    return {
      tone: 'working',
      title: 'Accepted; not in the consensus yet',
      detail:
        s.network === 'public'
          ? 'It is listed from the next consensus on (within about an hour), and used more as it earns trust over days.'
          : 'It is listed from the next consensus on (seconds on the private network).',
    };
  return {
    tone: 'good',
    title: 'Relaying: listed in the consensus',
    detail: `Tor clients can now build circuits through this relay. Flags: ${s.flags.join(', ') || 'none'}.`,
  };
}

/** Whole days, hours and minutes since `since` ("2 d 3 h", "5 h 10 min", "4 min"). */
export function formatUptime(since: number, now = Date.now()): string {
  const minutes = Math.max(0, Math.floor((now - since) / 60_000));
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  return `${m} min`;
}

const FIELD_WORDS: [RegExp, string][] = [
  [/^orPort\b/, 'Port'],
  [/^rateKiB\b/, 'Average (KB/s)'],
  [/^burstKiB\b/, 'Peaks (KB/s)'],
  [/^monthlyCapGiB\b/, 'Monthly cap (GB)'],
  [/^nickname\b/, 'Nickname'],
  [/^contact\b/, 'Contact'],
];

/** A settings check's message with the form's words for the field ("rateKiB must…" → "Average (KB/s) must…"). */
export function plainSettingsError(message: string): string {
  for (const [re, words] of FIELD_WORDS)
    if (re.test(message)) return message.replace(re, words).replace(/rateKiB/, 'the average');
  return message;
}
