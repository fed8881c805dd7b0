// Words and numbers the Mailboxes settings show (docs/protocol.md §5): holder states, what the gateway
// stores (counts and sizes only), and the result of "Check for mail now".
import type { HolderState } from '../../../../shared/protocol/api';

/** A friend's answer to our `hold` request (§5.2), as a short badge and a sentence for the title. */
export const HOLDER_STATE: Record<HolderState, { badge: string; title: string }> = {
  asked: { badge: 'asked', title: 'Asked: waiting for their answer' },
  holding: { badge: 'holding', title: 'Holding your mail' },
  refused: { badge: 'refused', title: 'Said no: they do not hold mail for friends' },
};

const UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** A size in the largest binary unit below it ("1.5 MB"): one decimal under 10, none above. */
export function formatBytes(bytes: number, locale?: string): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: UNITS[unit],
    unitDisplay: unit === 0 ? 'long' : 'short',
    maximumFractionDigits: unit > 0 && value < 10 ? 1 : 0,
  }).format(value);
}

const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', Number.POSITIVE_INFINITY],
];

/** How long ago `at` was, in the largest whole unit ("3 hours ago"); a clock ahead of ours is "now". */
export function formatAge(at: number, now = Date.now(), locale?: string): string {
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  let value = Math.max(0, (now - at) / 1000);
  for (const [unit, size] of STEPS) {
    if (value < size) return rtf.format(-Math.floor(value), unit);
    value /= size;
  }
  return rtf.format(-Math.floor(value), 'day');
}

export function envelopesText(n: number): string {
  return n === 1 ? '1 sealed envelope' : `${n.toLocaleString()} sealed envelopes`;
}

/** What "Check for mail now" found (fetchMail counts envelopes: one message may sit at two holders). */
export function fetchResultText(n: number): string {
  return n === 0 ? 'No mail was waiting for you.' : `Collected ${envelopesText(n)}.`;
}
