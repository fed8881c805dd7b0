// Runs once, from the client `init` hook, before the router reads the URL: takes a pairing token out
// of the address bar (docs/protocol.md §2.1) so that no route, page state or error report ever sees it.
import { getDb } from '$lib/db/db';
import { capturePairingLink, type PairingCapture } from '$lib/transport/pairing';

let capture: PairingCapture = { fragment: 'none', token: null };

export async function captureAtStartup(): Promise<PairingCapture> {
  capture = await capturePairingLink(window, {
    get: () => getDb().getSetting('pairingToken'),
    set: (token) => getDb().setSetting('pairingToken', token),
  });
  return capture;
}

/** What the startup capture found (read once by the session). */
export function startupCapture(): PairingCapture {
  return capture;
}
