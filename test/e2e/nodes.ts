// The nodes the global setup started, as it hands them to the tests in CHATTOR_E2E_NODES.
export interface E2eNode {
  name: string;
  /** e.g. http://127.0.0.1:7780/ */
  uiUrl: string;
  /** e.g. http://127.0.0.1:7780/#pair=<token> */
  pairingUrl: string;
  /** The node's contact onion, with or without `.onion`. */
  contactOnion: string;
}

function isNode(x: unknown): x is E2eNode {
  if (typeof x !== 'object' || x === null) return false;
  const n = x as Record<string, unknown>;
  return (
    typeof n.name === 'string' &&
    typeof n.uiUrl === 'string' &&
    typeof n.pairingUrl === 'string' &&
    n.pairingUrl.includes('#pair=') &&
    typeof n.contactOnion === 'string'
  );
}

export function e2eNodes(): E2eNode[] {
  const raw = process.env.CHATTOR_E2E_NODES;
  if (!raw) {
    throw new Error('CHATTOR_E2E_NODES is not set: test/e2e/global-setup.ts must start the gateways');
  }
  const parsed: unknown = JSON.parse(raw);
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every(isNode)) {
    throw new Error(
      'CHATTOR_E2E_NODES must be a non-empty JSON array of {name, uiUrl, pairingUrl, contactOnion}',
    );
  }
  return parsed;
}

/** `abc….onion` and `abc…` name the same onion. */
export function normalizeOnion(onion: string): string {
  return onion
    .trim()
    .toLowerCase()
    .replace(/\.onion$/, '');
}
