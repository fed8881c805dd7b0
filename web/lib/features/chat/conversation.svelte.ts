// One open conversation: a window of its messages (the newest PAGE first, older ones on demand),
// kept current by the engine's MessageAdded / MessageChanged / FileProgress events.
import type {
  ChatEngineApi,
  ChatMessage,
  EngineEvent,
  EngineStorage,
  Id,
} from '../../../../shared/protocol/api';
import { AppError } from '$lib/errors/app-error';
import { objectUrlType, offerInput } from './file-format';

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

export type FileProgress = Extract<EngineEvent, { t: 'FileProgress' }>;

/** Where the bytes of a file message are, for previews and downloads (BrowserFileStore). */
export interface FileUrls {
  /** An object URL the caller revokes, or null if the file's bytes are not here. */
  objectUrl(fileId: Id, type?: string): Promise<string | null>;
}

export interface ConversationDeps {
  engine: () => ChatEngineApi | null;
  storage: EngineStorage;
  files?: FileUrls;
}

export class Conversation {
  readonly contactId: Id;
  messages = $state<ChatMessage[]>([]);
  loaded = $state(false);
  hasOlder = $state(false);
  loadingOlder = $state(false);
  /** The latest speed of each running transfer, bytes per second (FileProgress). */
  rates = $state<Record<Id, number>>({});

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
    if (message.file && message.file.state !== 'transferring') delete this.rates[message.id];
  }

  /** A transfer moved: its bar and speed change; everything else waits for MessageChanged. */
  applyProgress(e: FileProgress): void {
    if (e.contactId !== this.contactId) return;
    const message = this.messages.findLast((m) => m.id === e.messageId);
    if (!message?.file) return;
    message.file.done = e.done;
    this.rates[e.messageId] = e.bytesPerSecond;
  }

  async send(body: string): Promise<ChatMessage> {
    if (messageLength(body) > MAX_MESSAGE_CHARS) throw new AppError('E_MESSAGE_TOO_LONG', 'message too long');
    const message = await this.#engine().sendMessage(this.contactId, body);
    this.apply(message);
    return message;
  }

  /** Offers a picked or dropped file (docs/protocol.md §6.1); it is sent once the friend accepts. */
  async sendFile(file: File): Promise<ChatMessage> {
    const message = await this.#engine().sendFile(this.contactId, offerInput(file));
    this.apply(message);
    return message;
  }

  acceptFile(messageId: Id): Promise<void> {
    return this.#engine().acceptFile(messageId);
  }

  pauseFile(messageId: Id): Promise<void> {
    return this.#engine().pauseFile(messageId);
  }

  resumeFile(messageId: Id): Promise<void> {
    return this.#engine().resumeFile(messageId);
  }

  /** Cancels (or, for an offer we received, declines) a transfer on both sides. */
  cancelFile(messageId: Id): Promise<void> {
    return this.#engine().cancelFile(messageId);
  }

  /** An object URL for a file message's bytes (the caller revokes it), typed so it previews safely. */
  async fileUrl(messageId: Id, type: string): Promise<string | null> {
    return (await this.#deps.files?.objectUrl(messageId, objectUrlType(type))) ?? null;
  }

  #engine(): ChatEngineApi {
    const engine = this.#deps.engine();
    if (!engine) throw new AppError('E_ENGINE_MISSING', 'no chat engine');
    return engine;
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
