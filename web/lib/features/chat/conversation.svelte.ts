// One open conversation: a window of its messages (the newest PAGE first, older ones on demand),
// kept current by the engine's MessageAdded / MessageChanged events.
import type { ChatEngineApi, ChatMessage, EngineStorage, Id } from '../../../../shared/protocol/api';
import { AppError } from '$lib/errors/app-error';

export const MAX_MESSAGE_CHARS = 8000;
export const FIRST_PAGE = 200;
export const OLDER_PAGE = 100;

function byDisplayOrder(a: ChatMessage, b: ChatMessage): number {
  return a.sentAt - b.sentAt || a.seq - b.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Counts what the limit counts: characters as the user sees them typed (code points). */
export function messageLength(body: string): number {
  return [...body].length;
}

export interface ConversationDeps {
  engine: () => ChatEngineApi | null;
  storage: EngineStorage;
}

export class Conversation {
  readonly contactId: Id;
  messages = $state<ChatMessage[]>([]);
  loaded = $state(false);
  hasOlder = $state(false);
  loadingOlder = $state(false);

  readonly #deps: ConversationDeps;

  constructor(contactId: Id, deps: ConversationDeps) {
    this.contactId = contactId;
    this.#deps = deps;
  }

  async load(): Promise<void> {
    const page = await this.#deps.storage.listMessages(this.contactId, { limit: FIRST_PAGE });
    this.#merge(page);
    this.hasOlder = page.length === FIRST_PAGE;
    this.loaded = true;
  }

  /** Loads the page before the oldest message shown. Returns how many messages were added. */
  async loadOlder(): Promise<number> {
    const oldest = this.messages[0];
    if (!oldest || this.loadingOlder || !this.hasOlder) return 0;
    this.loadingOlder = true;
    try {
      // +1: messages sharing the oldest one's millisecond are included and de-duplicated by id.
      const page = await this.#deps.storage.listMessages(this.contactId, {
        limit: OLDER_PAGE,
        beforeSentAt: oldest.sentAt + 1,
      });
      const added = this.#merge(page);
      this.hasOlder = page.length === OLDER_PAGE && added > 0;
      return added;
    } finally {
      this.loadingOlder = false;
    }
  }

  /** An added or changed message of any conversation; ignored unless it is this one's. */
  apply(message: ChatMessage): void {
    if (message.contactId !== this.contactId) return;
    this.#merge([message]);
  }

  async send(body: string): Promise<ChatMessage> {
    if (messageLength(body) > MAX_MESSAGE_CHARS) throw new AppError('E_MESSAGE_TOO_LONG', 'message too long');
    const engine = this.#deps.engine();
    if (!engine) throw new AppError('E_ENGINE_MISSING', 'no chat engine');
    const message = await engine.sendMessage(this.contactId, body);
    this.apply(message);
    return message;
  }

  #merge(incoming: ChatMessage[]): number {
    if (incoming.length === 0) return 0;
    const list = this.messages;
    let added = 0;
    for (const m of incoming) {
      const i = list.findLastIndex((x) => x.id === m.id);
      if (i >= 0) {
        list[i] = { ...m };
        continue;
      }
      added++;
      const last = list.at(-1);
      if (!last || byDisplayOrder(last, m) <= 0) list.push({ ...m });
      else {
        const at = list.findIndex((x) => byDisplayOrder(x, m) > 0);
        list.splice(at, 0, { ...m });
      }
    }
    return added;
  }
}
