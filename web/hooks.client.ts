import type { ClientInit, HandleClientError } from '@sveltejs/kit';
import { handleError as report } from '$lib/errors/handle-error';
import { captureAtStartup } from '$lib/features/session/startup';

// Before the router starts: take the pairing token out of the URL (docs/protocol.md §2.1).
export const init: ClientInit = async () => {
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
