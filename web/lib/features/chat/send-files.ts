// Offers picked or dropped files one after another (docs/protocol.md §6.1). Each failure is shown on
// its own; the other files still go.
import { handleError } from '$lib/errors/handle-error';
import type { Conversation } from './conversation.svelte';

export async function sendFiles(conversation: Conversation, files: Iterable<File>): Promise<void> {
  for (const file of files) {
    try {
      await conversation.sendFile(file);
    } catch (error) {
      handleError(error, { context: 'send file' });
    }
  }
}
