// Contacts as the engine reports them: loaded once from storage, then kept current by ContactChanged
// and ContactRemoved events. Actions go to the engine; its events update the lists.
import type { ChatEngineApi, Contact, EngineStorage, Id } from '../../../../shared/protocol/api';
import { AppError } from '$lib/errors/app-error';
import { checkContactLink, checkNote } from './link-check';

export function contactName(c: Contact): string {
  return c.alias?.trim() || c.displayName;
}

const byName = (a: Contact, b: Contact) => contactName(a).localeCompare(contactName(b));
const byNewest = (a: Contact, b: Contact) => b.updatedAt - a.updatedAt;

export interface FriendsDeps {
  engine: () => ChatEngineApi | null;
  storage: EngineStorage;
}

export class FriendsManager {
  /** Every contact by id (the engine's objects, copied). */
  byId = $state<Record<Id, Contact>>({});
  loaded = $state(false);
  myLink = $state<string | null>(null);

  readonly all = $derived(Object.values(this.byId));
  readonly incoming = $derived(this.all.filter((c) => c.state === 'incoming-request').sort(byNewest));
  readonly outgoing = $derived(this.all.filter((c) => c.state === 'outgoing-request').sort(byNewest));
  readonly friends = $derived(this.all.filter((c) => c.state === 'friend').sort(byName));

  readonly #deps: FriendsDeps;

  constructor(deps: FriendsDeps) {
    this.#deps = deps;
  }

  async load(): Promise<void> {
    const contacts = await this.#deps.storage.listContacts();
    this.byId = Object.fromEntries(contacts.map((c) => [c.id, { ...c }]));
    this.loaded = true;
  }

  applyChanged(contact: Contact): void {
    this.byId[contact.id] = { ...contact };
  }

  applyRemoved(contactId: Id): void {
    delete this.byId[contactId];
  }

  /** Our own link (needs the contact onion, so only once the engine runs). */
  async loadMyLink(): Promise<string> {
    const link = await this.#engine().myContactLink();
    this.myLink = link;
    return link;
  }

  async sendRequest(link: string, note: string): Promise<Contact> {
    const cleanNote = checkNote(note);
    const { contactId } = await checkContactLink(link, { ownLink: this.myLink });
    const known = this.byId[contactId];
    if (
      known &&
      (known.state === 'friend' || known.state === 'incoming-request' || known.state === 'outgoing-request')
    ) {
      throw new AppError('E_LINK_KNOWN', `contact is already ${known.state}`);
    }
    const contact = await this.#engine().sendFriendRequest(link.trim(), cleanNote);
    this.applyChanged(contact);
    return contact;
  }

  accept(id: Id): Promise<void> {
    return this.#engine().acceptFriendRequest(id);
  }

  decline(id: Id): Promise<void> {
    return this.#engine().declineFriendRequest(id);
  }

  block(id: Id): Promise<void> {
    return this.#engine().block(id);
  }

  remove(id: Id): Promise<void> {
    return this.#engine().removeFriend(id);
  }

  rename(id: Id, alias: string): Promise<void> {
    return this.#engine().renameFriend(id, alias.trim());
  }

  #engine(): ChatEngineApi {
    const engine = this.#deps.engine();
    if (!engine) throw new AppError('E_ENGINE_MISSING', 'no chat engine');
    return engine;
  }
}
