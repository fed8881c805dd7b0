// Checks a pasted contact link before it reaches the engine (docs/protocol.md §3.3), so the form can
// say precisely what is wrong: not a link, altered/forged, expired, or the user's own.
import {
  contactCardFromLink,
  verifyContactCard,
  type ContactCard,
} from '../../../../shared/crypto/contact-card';
import { toHex } from '../../../../shared/util/bytes';
import type { Id } from '../../../../shared/protocol/api';
import { AppError } from '$lib/errors/app-error';

export const MAX_NOTE_CHARS = 280;

/** The contact id the engine derives from a card: hex(SHA-256(signingPublic))[:32]. */
export async function contactIdOf(card: ContactCard): Promise<Id> {
  const digest = await crypto.subtle.digest('SHA-256', card.signingPublic.slice());
  return toHex(new Uint8Array(digest)).slice(0, 32);
}

export interface CheckedLink {
  card: ContactCard;
  contactId: Id;
}

export async function checkContactLink(
  link: string,
  opts: { ownLink?: string | null; now?: number } = {},
): Promise<CheckedLink> {
  let card: ContactCard;
  try {
    card = contactCardFromLink(link);
  } catch (cause) {
    throw new AppError('E_LINK_INVALID', 'contact link did not decode', { cause });
  }
  const now = opts.now ?? Date.now();
  if (!(await verifyContactCard(card, { now }))) {
    if (card.expiresAt !== undefined && card.expiresAt <= now) {
      throw new AppError('E_LINK_EXPIRED', 'contact link expired');
    }
    throw new AppError('E_LINK_FORGED', 'contact link failed verification');
  }
  const contactId = await contactIdOf(card);
  if (opts.ownLink) {
    try {
      if ((await contactIdOf(contactCardFromLink(opts.ownLink))) === contactId) {
        throw new AppError('E_LINK_OWN', 'that is our own contact link');
      }
    } catch (error) {
      if (error instanceof AppError) throw error;
      // Our own link did not parse: nothing to compare against; the engine checks again.
    }
  }
  return { card, contactId };
}

export function checkNote(note: string): string {
  const trimmed = note.trim();
  if ([...trimmed].length > MAX_NOTE_CHARS) throw new AppError('E_NOTE_TOO_LONG', 'note too long');
  return trimmed;
}
