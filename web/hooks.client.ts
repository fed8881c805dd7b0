import type { ClientInit, HandleClientError } from '@sveltejs/kit';
import { handleError as report } from '$lib/errors/handle-error';
import { enterStatelessSession, isStatelessSession } from '$lib/features/home/stateless';
import { captureAtStartup } from '$lib/features/session/startup';

// Before the router starts: on the home onion, keep everything in memory (docs/protocol.md §2.4); take
// the pairing token out of the URL (§2.1).
export const init: ClientInit = async () => {
  // Not caught: a stateless session must not fall back to the browser's on-disk storage.
  if (isStatelessSession()) await enterStatelessSession();
  try {
    await captureAtStartup();
  } catch (error) {
    report(error, { context: 'pairing link' });
  }
};

export const handleError: HandleClientError = ({ error, status, message }) => {
  if (status !== 404) report(error, { context: 'app' });
  return { message };
};
