// Generates test/vectors/protocol.json for docs/protocol.md §4.1–4.3 (payload and body encodings,
// sessionId, contact id): `npx tsx shared/protocol/make-vectors.ts > test/vectors/protocol.json`
// (checked by vectors.spec.ts).
import { sha256 } from '../crypto/primitives.js';
import { concatBytes, toHex, utf8 } from '../util/bytes.js';
import { contactIdOf, deriveSessionId, encodeMsgBody } from './body.js';
import { encodePayload, type Payload } from './payload.js';

/** Deterministic bytes: SHA-256("chattor/v1/vectors/protocol" || label), repeated. */
async function fixed(label: string, n: number): Promise<Uint8Array> {
  let out: Uint8Array = new Uint8Array(0);
  for (let i = 0; out.length < n; i++)
    out = concatBytes(out, await sha256(utf8.encode(`chattor/v1/vectors/protocol${label}${i}`)));
  return out.slice(0, n);
}

export async function makeProtocolVectors(): Promise<unknown> {
  const id = toHex(await fixed('id', 16));
  const id2 = toHex(await fixed('id2', 16));
  const payloads: Payload[] = [
    { t: 'msg', id, seq: 1, sentAt: 1767225600000, body: 'Hello, Bob! 👋 Ünïcödé' },
    { t: 'receipt', ids: [id, id2], state: 'delivered' },
    { t: 'receipt', ids: [id], state: 'read' },
    { t: 'removed', id },
    { t: 'accept', id, card: 'AQEF' },
    { t: 'card', id, card: 'AQEF' },
    { t: 'request', id, sentAt: 1767225600000, card: 'AQEF', note: 'hi', sidSalt: 'AAECAwQFBgcICQoLDA0ODw' },
  ];
  const initialMessage = await fixed('initial', 300);
  const sidSalt = await fixed('salt', 16);
  const sessionId = await deriveSessionId(initialMessage, sidSalt);
  const message = await fixed('message', 72);
  const signingPublic = await fixed('signing', 32);
  return {
    payloads: payloads.map((p) => ({ payload: p, bytes: toHex(encodePayload(p)) })),
    sessionId: {
      initialMessage: toHex(initialMessage),
      sidSalt: toHex(sidSalt),
      sessionId: toHex(sessionId),
    },
    msgBody: {
      sessionId: toHex(sessionId),
      message: toHex(message),
      body: toHex(encodeMsgBody(sessionId, message)),
    },
    contactId: { signingPublic: toHex(signingPublic), contactId: await contactIdOf(signingPublic) },
  };
}

if (import.meta.url === `file://${globalThis.process?.argv[1] ?? ''}`) {
  // eslint-disable-next-line no-console
  console.log(JSON.stringify(await makeProtocolVectors(), null, 2));
}
