// Implements docs/protocol.md §4 (client protocol): the ChatEngine that UIs and bots drive
// (api.ts ChatEngineApi). Every method and every incoming body runs on one serial queue.
import { contactCardFromLink, contactCardToLink } from '../crypto/contact-card.js';
import { toBase64Url } from '../util/bytes.js';
import { ChattorError } from '../util/errors.js';
import type { IdentitySecrets } from '../crypto/identity.js';
import type {
  AudienceInfo,
  ChatEngineApi,
  Emoji,
  FeedPost,
  Picture,
  PostInput,
  SocialProfile,
  ChatMessage,
  Contact,
  EngineEvent,
  EngineOptions,
  FileInput,
  Id,
  MailboxStatus,
  Profile,
  HandlesStatus,
  PollInfo,
  ProveStage,
} from './api.js';
import { randomId } from './body.js';
import { dropOutbox, forgetContact } from './cards.js';
import { Core } from './core.js';
import { handleBody, sendAccept } from './inbound.js';
import {
  createKeys,
  loadKeys,
  META,
  ownCard,
  readIdentitySecrets,
  storeKeys,
  type KeyOptions,
} from './keys.js';
import { startLinks } from './links.js';
import { FileAgent } from './files.js';
import { MailAgent } from './mail.js';
import { SocialAgent } from './social.js';
import { HandleAgent } from './handles.js';
import { isText, MAX_BODY_CHARS } from './payload.js';
import { MAX_ANON_BODY } from './handles.js';
import { markRead, sendFriendRequest, sendMessage } from './outbound.js';

export class ChatEngine implements ChatEngineApi {
  private readonly core: Core;
  private stopLinks: (() => void) | undefined;

  constructor(options: EngineOptions) {
    this.core = new Core(options);
    const mail = new MailAgent(this.core, (body) => handleBody(this.core, null, body), options);
    if (mail.enabled) this.core.mail = mail;
    if (options.files) this.core.files = new FileAgent(this.core, options.files, options);
    if (options.social) this.core.social = new SocialAgent(this.core, options.social);
    this.core.handles = new HandleAgent(this.core, options.zk);
  }

  private run<T>(fn: () => Promise<T>): Promise<T> {
    return this.core.serial.run(fn);
  }

  async hasIdentity(): Promise<boolean> {
    return (await this.core.storage.getMeta(META.identity)) !== undefined;
  }

  createIdentity(displayName: string): Promise<void> {
    return this.run(() => createKeys(this.core.storage, displayName, this.keyOptions()));
  }

  restoreIdentity(secrets: IdentitySecrets, displayName: string): Promise<void> {
    return this.run(async () => {
      if (typeof secrets !== 'object' || secrets === null)
        throw new ChattorError('E_BAD_INPUT', 'secrets: IdentitySecrets expected');
      await storeKeys(this.core.storage, secrets, displayName, this.keyOptions());
    });
  }

  exportIdentitySecrets(): Promise<IdentitySecrets> {
    return this.run(() => readIdentitySecrets(this.core.storage, this.core.identityBox));
  }

  myProfile(): Promise<Profile> {
    return this.run(async () => {
      const k = this.core.k;
      const signingPublic = toBase64Url(k.identity.signing.publicKey);
      return { displayName: k.displayName, contactId: k.selfId, signingPublic };
    });
  }

  private keyOptions(): KeyOptions {
    const c = this.core;
    return { rng: c.rng, kem: c.kem, ownStorageKey: !!c.storageKeyHook, box: c.identityBox };
  }

  start(): Promise<void> {
    return this.run(async () => {
      if (this.stopLinks) throw new ChattorError('E_STATE', 'engine already started');
      const c = this.core;
      c.keys = await loadKeys(c.storage, c.storageKeyHook, c.identityBox);
      this.stopLinks = await startLinks(c, (link, body) => handleBody(c, link, body));
      c.mail?.start();
      await c.files?.start();
      await c.handles?.renew();
    });
  }

  /** Stops listening and forgets the loaded keys and cached ratchet states; `start` loads them again. */
  async stop(): Promise<void> {
    await this.run(async () => {
      this.stopLinks?.();
      this.stopLinks = undefined;
      this.core.mail?.stop();
      this.core.files?.stop();
    });
    await this.core.serial.idle();
    this.core.forgetKeys();
  }

  /** Resolves once every queued task (API calls and received bodies) has finished. For tests and benches. */
  idle(): Promise<void> {
    return this.core.serial.idle();
  }

  myContactLink(): Promise<string> {
    return this.run(async () => {
      const onion = this.core.transport.contactOnion();
      if (!onion) throw new ChattorError('E_STATE', 'contact onion not published yet');
      const { card, bytes, changed } = await ownCard(this.core.storage, this.core.k, onion, this.core.now());
      if (changed) await sendCardUpdate(this.core, bytes);
      return contactCardToLink(card);
    });
  }

  sendFriendRequest(link: string, note: string): Promise<Contact> {
    return this.run(async () => {
      const card = contactCardFromLink(link);
      return sendFriendRequest(this.core, card, note, (id) => this.acceptNow(id));
    });
  }

  acceptFriendRequest(contactId: Id): Promise<void> {
    return this.run(() => this.acceptNow(contactId));
  }

  private async acceptNow(contactId: Id): Promise<void> {
    const c = await this.contact(contactId, ['incoming-request']);
    const peer = await this.core.getPeer(contactId);
    if (!peer) throw new ChattorError('E_STATE', 'no session for this request');
    await this.core.saveContact({ ...c, state: 'friend', updatedAt: this.core.now() });
    await sendAccept(this.core, peer);
    await this.core.refreshOnline(contactId);
    this.core.mail?.friendAdded(contactId);
    await this.core.social?.friendAdded(contactId);
  }

  declineFriendRequest(contactId: Id): Promise<void> {
    return this.run(async () => {
      const c = await this.contact(contactId, ['incoming-request']);
      await this.core.storage.transaction(async () => {
        await dropOutbox(this.core, contactId);
        await this.core.storage.deleteSession(contactId);
      });
      this.core.forgetSession(contactId);
      await this.core.saveContact({ ...c, state: 'declined', online: false, updatedAt: this.core.now() });
    });
  }

  block(contactId: Id): Promise<void> {
    return this.run(async () => {
      const c = await this.contact(contactId);
      await this.core.storage.transaction(async () => {
        await dropOutbox(this.core, contactId);
        await this.core.storage.deleteSession(contactId);
      });
      this.core.forgetSession(contactId);
      this.core.replyLinks.delete(contactId);
      await this.core.mail?.forget(contactId);
      await this.core.saveContact({ ...c, state: 'blocked', online: false, updatedAt: this.core.now() });
      await this.core.social?.friendGone(contactId);
      await this.core.handles?.friendGone(contactId);
    });
  }

  removeFriend(contactId: Id): Promise<void> {
    return this.run(async () => {
      const c = await this.contact(contactId);
      const peer = await this.core.getPeer(contactId);
      if (c.state !== 'friend' || !peer) return forgetContact(this.core, contactId);
      const id = randomId(this.core.rng);
      await dropOutbox(this.core, contactId);
      const removing = { ...peer, removing: id };
      await this.core.sendPayload(
        removing,
        { t: 'removed', id },
        {
          kind: 'control',
          messageId: id,
          also: async () => {
            await this.core.putPeer(removing);
            await this.core.storage.deleteContact(contactId);
          },
        },
      );
      await this.core.mail?.forget(contactId);
      await this.core.social?.friendGone(contactId);
      await this.core.handles?.friendGone(contactId);
      this.core.emit({ t: 'ContactRemoved', contactId });
    });
  }

  renameFriend(contactId: Id, alias: string): Promise<void> {
    return this.run(async () => {
      if (!isText(alias, 0, 64) || /\p{Cc}/u.test(alias))
        throw new ChattorError('E_BAD_INPUT', 'alias: up to 64 characters, no control characters');
      const c = await this.contact(contactId);
      const { alias: _old, ...rest } = c;
      const a = alias.trim();
      await this.core.saveContact({ ...rest, ...(a ? { alias: a } : {}), updatedAt: this.core.now() });
    });
  }

  sendMessage(contactId: Id, body: string): Promise<ChatMessage> {
    return this.run(async () => {
      if (!isText(body, 1, MAX_BODY_CHARS))
        throw new ChattorError('E_BAD_INPUT', `message: 1..${MAX_BODY_CHARS} characters`);
      // The contact check and the session record are independent reads: one round trip, not two.
      const [, peer] = await Promise.all([
        this.contact(contactId, ['friend']),
        typeof contactId === 'string' ? this.core.getPeer(contactId) : undefined,
      ]);
      return sendMessage(this.core, contactId, body, peer);
    });
  }

  markRead(contactId: Id): Promise<void> {
    return this.run(async () => {
      await this.contact(contactId);
      await markRead(this.core, contactId);
    });
  }

  /** Keeping and hashing a large file takes a while: that part runs beside the queue, not on it. */
  async sendFile(contactId: Id, file: FileInput): Promise<ChatMessage> {
    const files = this.filesOrThrow();
    return files.offer(contactId, file, async () => {
      await this.contact(contactId, ['friend']);
      const peer = await this.core.getPeer(contactId);
      if (!peer) throw new ChattorError('E_STATE', 'no session with this contact');
      return peer;
    });
  }

  acceptFile(messageId: Id): Promise<void> {
    return this.run(() => this.filesOrThrow().accept(messageId));
  }

  pauseFile(messageId: Id): Promise<void> {
    return this.run(() => this.filesOrThrow().pause(messageId));
  }

  resumeFile(messageId: Id): Promise<void> {
    return this.run(() => this.filesOrThrow().resume(messageId));
  }

  cancelFile(messageId: Id): Promise<void> {
    return this.run(() => this.filesOrThrow().cancel(messageId, 'cancelled'));
  }

  private filesOrThrow(): FileAgent {
    if (!this.core.keys) throw new ChattorError('E_STATE', 'engine not started');
    if (!this.core.files) throw new ChattorError('E_UNSUPPORTED', 'this client cannot store files');
    return this.core.files;
  }

  mailboxStatus(): Promise<MailboxStatus> {
    return this.run(async () => {
      if (!this.core.mail) return { auto: true, holders: [], hosting: [], mailTo: [] };
      return this.core.mail.status();
    });
  }

  setMailboxHolders(holders: Id[] | 'auto'): Promise<void> {
    return this.run(async () => {
      if (!this.core.keys) throw new ChattorError('E_STATE', 'engine not started');
      if (!this.core.mail) throw new ChattorError('E_UNSUPPORTED', 'this gateway has no mailbox');
      await this.core.mail.setHolders(holders);
    });
  }

  fetchMail(): Promise<number> {
    return this.core.mail?.fetch() ?? Promise.resolve(0);
  }

  // ── social (§7) ──────────────────────────────────────────────────────────────────────────────────

  private social<T>(fn: (s: SocialAgent) => Promise<T>): Promise<T> {
    return this.run(() => {
      if (!this.core.keys) throw new ChattorError('E_STATE', 'engine not started');
      const social = this.core.social;
      if (!social) throw new ChattorError('E_UNSUPPORTED', 'this client keeps no posts');
      // Sends queued by the change leave once its transaction has committed (social.ts `flush`).
      return fn(social).finally(() => social.flush());
    });
  }

  publishPost(post: PostInput): Promise<FeedPost> {
    return this.social((s) => s.publish(post));
  }

  editPost(postId: Id, post: Omit<PostInput, 'audience'>): Promise<FeedPost> {
    return this.social((s) => s.edit(postId, post));
  }

  deletePost(postId: Id): Promise<void> {
    return this.social((s) => s.remove(postId));
  }

  comment(postKey: string, text: string): Promise<void> {
    return this.social((s) => s.comment(postKey, text));
  }

  deleteComment(postKey: string, commentId: Id): Promise<void> {
    return this.social((s) => s.deleteComment(postKey, commentId));
  }

  react(postKey: string, emoji: Emoji | ''): Promise<void> {
    return this.social((s) => s.react(postKey, emoji));
  }

  listFeed(opts?: {
    limit?: number;
    before?: { at: number; key: string };
    authorId?: Id;
  }): Promise<FeedPost[]> {
    return this.social((s) => s.listFeed(opts));
  }

  getPost(postKey: string): Promise<FeedPost | undefined> {
    return this.social((s) => s.getPost(postKey));
  }

  getProfile(contactId: Id): Promise<SocialProfile | undefined> {
    return this.social((s) => s.getProfile(contactId));
  }

  setProfile(p: { name: string; bio: string; avatar?: Picture | null }): Promise<void> {
    return this.social((s) => s.setProfile(p));
  }

  listAudiences(): Promise<AudienceInfo[]> {
    return this.social((s) => s.listAudiences());
  }

  createCircle(name: string, members: Id[]): Promise<AudienceInfo> {
    return this.social((s) => s.createCircle(name, members));
  }

  updateCircle(aid: Id, name: string, members: Id[]): Promise<AudienceInfo> {
    return this.social((s) => s.updateCircle(aid, name, members));
  }

  // ── handles (§8) ─────────────────────────────────────────────────────────────────────────────────

  private handles<T>(fn: (h: HandleAgent) => Promise<T>): Promise<T> {
    return this.run(() => {
      if (!this.core.keys) throw new ChattorError('E_STATE', 'engine not started');
      return fn(this.core.handles!);
    });
  }

  handlesStatus(): Promise<HandlesStatus> {
    return this.handles((h) => h.status());
  }

  joinGroup(owner: Id, on: boolean): Promise<void> {
    return this.handles((h) => h.join(owner, on));
  }

  /** Proving takes about a second: only the preparation runs on the queue (handles.ts `submit`). */
  async sendAnonymous(owner: Id, body: string, onProgress?: (stage: ProveStage) => void): Promise<void> {
    if (!isText(body, 1, MAX_ANON_BODY) || body.trim().length === 0)
      throw new ChattorError('E_BAD_INPUT', `message: 1..${MAX_ANON_BODY} characters`);
    const rng = this.core.rng;
    await this.core.handles!.submit(
      (fn) => this.handles(() => fn()),
      owner,
      (gid, ver, handle, sentAt) => ({
        t: 'anon-msg',
        gid,
        ver,
        nonce: randomId(rng),
        handle,
        sentAt,
        body,
      }),
      onProgress,
    );
  }

  /** An anonymous comment on a friend's post, relayed by them as "a friend of <them>" (§8.4). */
  async commentAnonymously(
    postKey: string,
    text: string,
    onProgress?: (stage: ProveStage) => void,
  ): Promise<void> {
    if (!isText(text, 1, MAX_ANON_BODY) || text.trim().length === 0)
      throw new ChattorError('E_BAD_INPUT', `comment: 1..${MAX_ANON_BODY} characters`);
    const post = await this.social((s) => s.getPost(postKey));
    if (!post || post.mine) throw new ChattorError('E_BAD_INPUT', "not a friend's post");
    const rng = this.core.rng;
    await this.core.handles!.submit(
      (fn) => this.handles(() => fn()),
      post.authorId,
      (gid, ver, handle, sentAt) => ({
        t: 'anon-comment',
        gid,
        ver,
        nonce: randomId(rng),
        handle,
        sentAt,
        post: post.id,
        text,
      }),
      onProgress,
    );
  }

  createPoll(question: string, options: string[], closesAt: number): Promise<PollInfo> {
    return this.handles((h) => h.createPoll(question, options, closesAt));
  }

  async vote(owner: Id, poll: Id, choice: number, onProgress?: (stage: ProveStage) => void): Promise<void> {
    const h = this.core.handles!;
    await h.submit(
      (fn) =>
        this.handles(async () => {
          const p = await h.pollOf(owner, poll);
          if (!p) throw new ChattorError('E_BAD_INPUT', 'unknown poll');
          if (!Number.isInteger(choice) || choice < 0 || choice >= p.options.length)
            throw new ChattorError('E_BAD_INPUT', 'no such option');
          return fn();
        }),
      owner,
      (gid, ver, handle, sentAt) => ({ t: 'vote', gid, ver, poll, choice, handle, sentAt }),
      onProgress,
    );
    await this.handles((x) => x.markVoted(owner, poll, choice));
  }

  on(handler: (e: EngineEvent) => void): () => void {
    return this.core.subscribe(handler);
  }

  private async contact(contactId: Id, states?: Contact['state'][]): Promise<Contact> {
    if (!this.core.keys) throw new ChattorError('E_STATE', 'engine not started');
    const c = typeof contactId === 'string' ? await this.core.storage.getContact(contactId) : undefined;
    if (!c) throw new ChattorError('E_BAD_INPUT', 'unknown contact');
    if (states && !states.includes(c.state))
      throw new ChattorError('E_STATE', `contact is ${c.state}, expected ${states.join(' or ')}`);
    return c;
  }
}

async function sendCardUpdate(core: Core, cardBytes: Uint8Array): Promise<void> {
  for (const c of await core.storage.listContacts()) {
    const peer = c.state === 'friend' ? await core.getPeer(c.id) : undefined;
    if (!peer) continue;
    const id = randomId(core.rng);
    await core.sendPayload(
      peer,
      { t: 'card', id, card: toBase64Url(cardBytes) },
      { kind: 'control', messageId: id },
    );
  }
}
