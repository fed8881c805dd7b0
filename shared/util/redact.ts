// Redaction for logs (STYLE.md #6): onion addresses, keys and tokens are shown as `…ab12`.
const ONION = /\b([a-z2-7]{56})(\.onion)?\b/g;
const LONG_HEX = /\b[0-9a-fA-F]{32,}\b/g;
const LONG_B64 = /\b[A-Za-z0-9+/_-]{40,}={0,2}/g;

export function redactValue(s: string): string {
  return s.length <= 4 ? '…' : `…${s.slice(-4)}`;
}

/** Redacts anything in a string that looks like an onion address, a key or a token. */
export function redactText(text: string): string {
  return text
    .replace(ONION, (_m, id: string, suffix?: string) => `${redactValue(id)}${suffix ?? ''}`)
    .replace(LONG_HEX, (m) => redactValue(m))
    .replace(LONG_B64, (m) => redactValue(m));
}
