// Arguments and replies of control commands that carry structure (control-spec §3.27 ADD_ONION), validated
// so that nothing a caller passes can add a second command or option to the line.
import { ChattorError } from '../../shared/util/errors.js';
import { redactText } from '../../shared/util/redact.js';
import { type Reply, parseKeyValues, quoteString } from './reply-parser.js';

export type OnionFlag = 'DiscardPK' | 'Detach' | 'V3Auth';

export interface AddOnionOptions {
  key: 'NEW:ED25519-V3' | { ed25519ExpandedSecret: Uint8Array };
  ports: { virtPort: number; target: string }[];
  flags?: OnionFlag[];
  /** Base32 x25519 public keys of authorized clients (needs flag V3Auth). */
  clientAuthV3?: string[];
}

export interface AddOnionResult {
  /** The 56-character v3 address, without `.onion`. */
  serviceId: string;
  /** The 64-byte expanded secret tor generated (NEW key without DiscardPK). */
  privateKey?: Uint8Array;
}

export const SERVICE_ID = /^[a-z2-7]{56}$/;
const KEYWORD = /^[A-Za-z0-9_/.:-]+$/;

export function checkWord(value: string, field: string): string {
  if (!KEYWORD.test(value)) throw new ChattorError('E_BAD_INPUT', `${field} has invalid characters`);
  return value;
}

/** `SETCONF k="v" …` (control-spec §3.1); a null value resets the option to its default. */
export function buildSetConf(kv: Record<string, string | number | null>): string {
  const args = Object.entries(kv).map(([k, v]) => {
    checkWord(k, 'config key');
    return v === null ? k : `${k}=${quoteString(String(v))}`;
  });
  if (args.length === 0) throw new ChattorError('E_BAD_INPUT', 'setConf needs at least one option');
  return `SETCONF ${args.join(' ')}`;
}

export function replyError(command: string, r: Reply): ChattorError {
  const text = redactText(r.lines.map((l) => l.text).join('; ')).slice(0, 200);
  return new ChattorError('E_TOR_CONTROL', `${command} failed: ${r.status} ${text}`);
}

/** `ADD_ONION KeyType:KeyBlob [Flags=…] Port=… [ClientAuthV3=…]`. */
export function buildAddOnion(opts: AddOnionOptions): string {
  let key: string;
  if (opts.key === 'NEW:ED25519-V3') key = opts.key;
  else {
    const secret = opts.key.ed25519ExpandedSecret;
    if (!(secret instanceof Uint8Array) || secret.length !== 64)
      throw new ChattorError('E_BAD_INPUT', 'ed25519ExpandedSecret must be 64 bytes');
    key = `ED25519-V3:${btoa(String.fromCharCode(...secret))}`;
  }
  if (opts.ports.length === 0) throw new ChattorError('E_BAD_INPUT', 'addOnion needs at least one port');
  const parts = ['ADD_ONION', key];
  const flags = [...(opts.flags ?? [])];
  // Without V3Auth tor answers "512 No auth type specified" (notes/tor-testnet.md).
  if (opts.clientAuthV3?.length && !flags.includes('V3Auth')) flags.push('V3Auth');
  if (flags.length) parts.push(`Flags=${flags.map((f) => checkWord(f, 'flag')).join(',')}`);
  for (const p of opts.ports) {
    if (!Number.isInteger(p.virtPort) || p.virtPort < 1 || p.virtPort > 65535)
      throw new ChattorError('E_BAD_INPUT', 'virtPort must be 1..65535');
    if (!/^127\.0\.0\.1:[0-9]{1,5}$/.test(p.target))
      throw new ChattorError('E_BAD_INPUT', 'onion target must be 127.0.0.1:<port>');
    parts.push(`Port=${p.virtPort},${p.target}`);
  }
  for (const c of opts.clientAuthV3 ?? []) {
    if (!/^[a-z2-7A-Z]{52}$/.test(c))
      throw new ChattorError('E_BAD_INPUT', 'clientAuthV3 must be base32 x25519');
    parts.push(`ClientAuthV3=${c}`);
  }
  return parts.join(' ');
}

/** Reads `250-ServiceID=…`, `250-PrivateKey=ED25519-V3:…`; other keys are tolerated (control-spec). */
export function parseAddOnionReply(r: Reply): AddOnionResult {
  const result: AddOnionResult = { serviceId: '' };
  for (const l of r.lines) {
    if (l.text === 'OK') continue;
    const kv = parseKeyValues(l.text);
    if (kv['ServiceID'] !== undefined) result.serviceId = kv['ServiceID'];
    const pk = kv['PrivateKey'];
    if (pk?.startsWith('ED25519-V3:')) {
      const bin = atob(pk.slice('ED25519-V3:'.length));
      result.privateKey = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    }
  }
  if (!SERVICE_ID.test(result.serviceId))
    throw new ChattorError('E_TOR_CONTROL', 'ADD_ONION reply lacks ServiceID');
  return result;
}
