// The chat list and the open conversation, fed by the engine's message events.
import { goto } from '$app/navigation';
import { resolve } from '$app/paths';
import type { ChatEngineApi, ChatMessage, Contact, EngineStorage, Id } from '../../../../shared/protocol/api';
import { contactName, type FriendsManager } from '$lib/features/friends/friends.svelte';
import { Conversation, type FileProgress, type FileUrls } from './conversation.svelte';
import { Notifier } from './notifications.svelte';

export interface ConversationSummary {
  contact: Contact;
  last: ChatMessage | undefined;
}

export interface ChatDeps {
  engine: () => ChatEngineApi | null;
  storage: EngineStorage;
  friends: FriendsManager;
  /** Where received and kept files are, for previews and downloads. */
  files?: FileUrls;
}

export class ChatManager {
  /** The newest message per contact, for the list's preview line. */
  lastByContact = $state<Record<Id, ChatMessage>>({});
  open = $state.raw<Conversation | null>(null);
  readonly notifier = new Notifier();
  readonly #deps: ChatDeps;

  /** Friends and anyone we have messages with, newest activity first. */
  readonly conversations: ConversationSummary[] = $derived.by(() =>
    this.#deps.friends.all
      .filter((c) => c.state === 'friend' || c.lastMessageAt !== undefined)
      .map((contact) => ({ contact, last: this.lastByContact[contact.id] }))
      .sort(
        (a, b) => activity(b) - activity(a) || contactName(a.contact).localeCompare(contactName(b.contact)),
      ),
  );
  readonly totalUnread = $derived.by(() => this.#deps.friends.all.reduce((n, c) => n + c.unread, 0));

  constructor(deps: ChatDeps) {
    this.#deps = deps;
  }

  /** Loads the preview line of every conversation. */
  async load(): Promise<void> {
    const last: Record<Id, ChatMessage> = {};
    for (const c of this.#deps.friends.all) {
      const [m] = await this.#deps.storage.listMessages(c.id, { limit: 1 });
      if (m) last[c.id] = m;
    }
    this.lastByContact = { ...last, ...this.lastByContact };
  }

  /**
   * The database was replaced by state another browser wrote (the home vault, docs/protocol.md §2.4):
   * previews from storage win, and the open conversation merges what it did not show yet.
   */
  async reload(): Promise<void> {
    const last: Record<Id, ChatMessage> = {};
    for (const c of this.#deps.friends.all) {
      const [m] = await this.#deps.storage.listMessages(c.id, { limit: 1 });
      if (m) last[c.id] = m;
    }
    this.lastByContact = last;
    await this.open?.load();
  }

  /** Opens a conversation (replacing the open one) and loads its newest messages. */
  async openConversation(contactId: Id): Promise<Conversation> {
    const current = this.open;
    if (current?.contactId === contactId) return current;
    const conversation = new Conversation(contactId, {
      engine: this.#deps.engine,
      storage: this.#deps.storage,
      files: this.#deps.files,
    });
    this.open = conversation;
    await conversation.load();
    return conversation;
  }

  closeConversation(conversation: Conversation): void {
    if (this.open === conversation) this.open = null;
  }

  async markRead(contactId: Id): Promise<void> {
    const contact = this.#deps.friends.byId[contactId];
    const engine = this.#deps.engine();
    if (!engine || !contact || contact.unread === 0) return;
    await engine.markRead(contactId);
  }

  applyAdded(message: ChatMessage): void {
    this.#applyLast(message);
    this.open?.apply(message);
    if (message.direction === 'in') {
      const contact = this.#deps.friends.byId[message.contactId];
      const name = contact ? contactName(contact) : 'a friend';
      this.notifier.notify(
        `${message.file ? 'File' : 'Message'} from ${name}`,
        `chat-${message.contactId}`,
        () => {
          void goto(resolve('/chats/[id]', { id: message.contactId }));
        },
      );
    }
  }

  applyChanged(message: ChatMessage): void {
    this.#applyLast(message);
    this.open?.apply(message);
  }

  /** Only the open conversation shows transfers; the list's preview line does not change. */
  applyProgress(e: FileProgress): void {
    this.open?.applyProgress(e);
  }

  #applyLast(message: ChatMessage): void {
    const current = this.lastByContact[message.contactId];
    if (!current || current.id === message.id || current.sentAt <= message.sentAt) {
      this.lastByContact[message.contactId] = { ...message };
    }
  }
}

function activity(s: ConversationSummary): number {
  return s.contact.lastMessageAt ?? s.last?.sentAt ?? 0;
}
