// Times and delivery states as the chat shows them.
import type { DeliveryState } from '../../../../shared/protocol/api';

export function shortTime(at: number, now = Date.now()): string {
  const d = new Date(at);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  return sameDay
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

export function fullTime(at: number): string {
  return new Date(at).toLocaleString();
}

export const DELIVERY_LABEL: Record<DeliveryState, string> = {
  queued: 'Queued: waiting to be sent',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not delivered',
};

/** Markers for messages that went through a friend's mailbox (docs/protocol.md §5.7). */
export const VIA_MAILBOX = {
  in: { text: 'via mailbox', title: 'Arrived through a friend’s mailbox while you were offline' },
  out: {
    text: 'left in mailbox',
    title: 'Left in a friend’s mailbox: it is delivered when they come back online',
  },
} as const;
