// The holder's mailbox service, docs/protocol.md §5.4–5.6: answers one mailbox request frame with one
// reply frame (ISSUED, STORED, ENVELOPES, DELETED or MBX_ERROR) on the request's stream. Checked at
// the edge; it never throws: a malformed body is MBX_ERROR MALFORMED, a store failure UNAVAILABLE.
// It logs kinds and outcomes only, never envelopes, capabilities, tokens, fetch keys or mids.
import { sha256 } from '@noble/hashes/sha2.js';
import { envelopeHash, mailboxId } from '../../shared/mailbox/ids.js';
import { issueTokens, spentIdOf, verifyToken } from '../../shared/mailbox/tokens.js';
import { equalBytes } from '../../shared/util/bytes.js';
import { isChattorError, missingCaseError } from '../../shared/util/errors.js';
import { FrameKind, encodeFrame } from '../../shared/wire/frame.js';
import type { MailboxRequestKind } from '../../shared/wire/frame.js';
import {
  DEPOSIT_HEADER,
  ENVELOPES_MAX_BODY,
  MbxErrorCode,
  decodeDelete,
  decodeDeposit,
  decodeFetch,
  decodeIssue,
  encodeDeleted,
  encodeEnvelopes,
  encodeIssued,
  encodeMbxErrorFrame,
  encodeStored,
  isBucketSize,
} from '../../shared/wire/mailbox.js';
import type { Logger } from '../log.js';
import type { MailboxHandler } from '../peers/links.js';
import { errorMessage } from '../log.js';
import type { MailboxStore } from './store.js';

const KIND_NAMES: Record<MailboxRequestKind, string> = {
  [FrameKind.ISSUE]: 'ISSUE',
  [FrameKind.DEPOSIT]: 'DEPOSIT',
  [FrameKind.FETCH]: 'FETCH',
  [FrameKind.DELETE]: 'DELETE',
};

export class MailboxService implements MailboxHandler {
  constructor(
    private readonly deps: {
      /** null when the store could not be opened: every request is answered UNAVAILABLE. */
      store: MailboxStore | null;
      log: Logger;
    },
  ) {}

  handle(kind: MailboxRequestKind, stream: number, body: Uint8Array): Uint8Array {
    if (stream === 0)
      return encodeMbxErrorFrame(MbxErrorCode.MALFORMED, 'a mailbox request needs a non-zero stream', 0);
    const store = this.deps.store;
    if (!store) return encodeMbxErrorFrame(MbxErrorCode.UNAVAILABLE, 'this node holds no mail', stream);
    const reply = (k: FrameKind, b: Uint8Array) => encodeFrame({ kind: k, stream, body: b });
    const error = (code: MbxErrorCode, reason: string) => {
      this.deps.log.debug('mailbox request refused', { kind: KIND_NAMES[kind], code });
      return encodeMbxErrorFrame(code, reason, stream);
    };
    try {
      switch (kind) {
        case FrameKind.ISSUE: {
          const { cap, blinded } = decodeIssue(body);
          const capHash = sha256(cap);
          const check = store.checkIssuance(capHash, blinded.length);
          if (check === 'unknown-account')
            return error(MbxErrorCode.BAD_CAPABILITY, 'no open account for this capability');
          if (check === 'exhausted')
            return error(MbxErrorCode.QUOTA, `at most ${store.limits.issuePerDay} tokens a day per account`);
          const { secretKey, publicKey, keyId } = store.tokenKey;
          const { evaluated, proof } = issueTokens(secretKey, publicKey, blinded);
          store.recordIssuance(capHash, blinded.length);
          return reply(FrameKind.ISSUED, encodeIssued({ keyId, publicKey, evaluated, proof }));
        }
        case FrameKind.DEPOSIT: {
          // A wrong size is its own answer (BAD_SIZE), so it is checked before the strict decode.
          if (body.length >= DEPOSIT_HEADER && !isBucketSize(body.length - DEPOSIT_HEADER))
            return error(MbxErrorCode.BAD_SIZE, 'the envelope is not 1, 4, 16, 64 or 128 KiB');
          const d = decodeDeposit(body);
          if (!equalBytes(d.keyId, store.tokenKey.keyId))
            return error(MbxErrorCode.UNKNOWN_KEY, 'keyId is not this holder’s token key');
          // The token is checked before anything about the store is revealed (spent, duplicate, full).
          if (!verifyToken(store.tokenKey.secretKey, d.token))
            return error(MbxErrorCode.BAD_CAPABILITY, 'the deposit token is not valid');
          const result = store.deposit({
            mid: d.mid,
            hash: envelopeHash(d.envelope),
            envelope: d.envelope,
            spentId: spentIdOf(d.token),
          });
          switch (result) {
            case 'stored':
              this.deps.log.debug('envelope stored', { size: d.envelope.length });
              return reply(FrameKind.STORED, encodeStored());
            case 'spent':
              return error(MbxErrorCode.TOKEN_SPENT, 'this token was spent before');
            case 'duplicate':
              return error(MbxErrorCode.DUPLICATE, 'this envelope is already stored');
            case 'quota':
              return error(MbxErrorCode.QUOTA, 'the mailbox is full');
            default:
              throw missingCaseError(result);
          }
        }
        case FrameKind.FETCH: {
          const { max, fetchKeys } = decodeFetch(body);
          const page = store.fetch(fetchKeys.map(mailboxId), max, ENVELOPES_MAX_BODY);
          this.deps.log.debug('fetch served', { keys: fetchKeys.length, envelopes: page.envelopes.length });
          return reply(FrameKind.ENVELOPES, encodeEnvelopes(page));
        }
        case FrameKind.DELETE: {
          const { items } = decodeDelete(body);
          const count = store.deleteEnvelopes(
            items.map((it) => ({ mid: mailboxId(it.fetchKey), hash: it.envelopeHash })),
          );
          this.deps.log.debug('envelopes deleted', { asked: items.length, count });
          return reply(FrameKind.DELETED, encodeDeleted({ count }));
        }
        default:
          throw missingCaseError(kind);
      }
    } catch (e) {
      if (isChattorError(e, 'E_FRAME_MALFORMED') || isChattorError(e, 'E_BAD_INPUT'))
        return error(MbxErrorCode.MALFORMED, errorMessage(e));
      this.deps.log.warn('mailbox request failed', { kind: KIND_NAMES[kind], reason: errorMessage(e) });
      return error(MbxErrorCode.UNAVAILABLE, 'the mailbox store failed');
    }
  }
}
