// Implements docs/protocol.md §7: audiences and their keys, the own log, publishing, editing and
// deleting posts, profiles, comments and reactions (contributions relayed by the post's author), pushes
// through the outbox and sync on contact. Runs on the engine's serial queue like everything else.
import { decodeContactCard } from '../crypto/contact-card.js';
import {
  decodeContribution,
  decodeItem,
  openItem,
  sealItem,
  signContribution,
  verifyContribution,
  verifyItem,
  type SocialItem,
} from '../crypto/social-item.js';
import { fromBase64Url, fromHex, toBase64Url, toHex } from '../util/bytes.js';
import { ChattorError, missingCaseError } from '../util/errors.js';
import type {
  AudienceInfo,
  Emoji,
  EngineEvent,
  FeedPost,
  Id,
  Picture,
  PostInput,
  SocialLogEntry,
  SocialProfile,
  SocialStorage,
} from './api.js';
import { contactIdOf, isId, randomId } from './body.js';
import type { Core } from './core.js';
import { SYNC_PAGE, type Payload } from './payload.js';
import {
  decodeContribJson,
  decodeInnerContent,
  encodeContribJson,
  encodeInnerContent,
  isName,
  MAX_BIO,
  MAX_COMMENT_TEXT,
  MAX_PICTURES,
  MAX_POST_TEXT,
  PICTURE_TYPES,
  type ContribJson,
  type Inner,
  type InnerJson,
  type PictureType,
} from './social-content.js';
import {
  current,
  keyName,
  MAX_CIRCLES,
  MAX_MEMBERS,
  PENDING_TTL_MS,
  receivers,
  SOCIAL_META,
  SocialMeta,
  type AudienceRecord,
} from './social-state.js';
import { isText } from './payload.js';
import type { PeerRecord } from './state.js';

/** Items of one batch, as base64url, stay below this (a §7.5 batch payload ≤ 250 KiB of JSON). */
const BATCH_BYTES = 240 * 1024;

type SocialPayload = Payload & {
  t: 'audience-key' | 'social' | 'social-submit' | 'social-sync' | 'social-batch';
};

function bad(message: string): ChattorError {
  return new ChattorError('E_BAD_INPUT', message);
}

export class SocialAgent {
  readonly meta: SocialMeta;
  /** The link epoch each friend was last asked to sync on (one request per link opening). */
  private readonly asked = new Map<Id, string>();
  /**
   * Sends wait here until the storage transaction that made them has committed: a payload to a friend
   * must not be encrypted while that friend's own message is still being stored (its ratchet state is
   * not committed yet), and nothing leaves before the log entry it carries is durable.
   */
  private readonly outgoing: (() => Promise<void>)[] = [];

  private later(send: () => Promise<void>): void {
    this.outgoing.push(send);
  }

  /** Sends what the last changes queued (call after their transaction). */
  async flush(): Promise<void> {
    while (this.outgoing.length > 0) await this.outgoing.shift()!();
  }

  constructor(
    private readonly core: Core,
    readonly store: SocialStorage,
  ) {
    this.meta = new SocialMeta(core.storage);
  }

  private emit(e: EngineEvent): void {
    this.core.emit(e);
  }

  private get me(): { id: Id; key: Uint8Array } {
    const k = this.core.k;
    return { id: k.selfId, key: k.identity.signing.publicKey };
  }

  // ── audiences (§7.1) ─────────────────────────────────────────────────────────────────────────────

  private async friendIds(): Promise<Id[]> {
    return (await this.core.storage.listContacts()).filter((c) => c.state === 'friend').map((c) => c.id);
  }

  private newEpoch(epoch: number, members: Id[]): { epoch: number; key: string; members: Id[] } {
    return { epoch, key: toBase64Url(this.core.rng(32)), members: [...new Set(members)] };
  }

  /** The `friends` audience, made on first use with every current friend (§7.1). */
  private async friendsAudience(
    list?: AudienceRecord[],
  ): Promise<{ all: AudienceRecord[]; friends: AudienceRecord }> {
    const all = list ?? (await this.meta.audiences());
    const found = all.find((a) => a.kind === 'friends');
    if (found) return { all, friends: found };
    const friends: AudienceRecord = {
      aid: randomId(this.core.rng),
      kind: 'friends',
      name: 'All friends',
      epochs: [this.newEpoch(1, await this.friendIds())],
    };
    const next = [friends, ...all];
    await this.meta.putAudiences(next);
    await this.sendKeys(friends, current(friends).members);
    return { all: next, friends };
  }

  private async sendKeys(a: AudienceRecord, to: Id[]): Promise<void> {
    const e = current(a);
    for (const contactId of to) {
      const id = randomId(this.core.rng);
      const payload = { t: 'audience-key', id, aid: a.aid, epoch: e.epoch, key: e.key } as const;
      this.later(() => this.core.sendTo(contactId, payload, { kind: 'control', messageId: id }));
    }
  }

  /** Sets an audience's members: newcomers join the current epoch, a removal starts a new one. */
  private async setMembers(all: AudienceRecord[], a: AudienceRecord, members: Id[]): Promise<AudienceRecord> {
    const now = new Set(current(a).members);
    const want = [...new Set(members)];
    const removed = [...now].filter((m) => !want.includes(m));
    const added = want.filter((m) => !now.has(m));
    let next: AudienceRecord;
    if (removed.length > 0) {
      next = { ...a, epochs: [...a.epochs, this.newEpoch(current(a).epoch + 1, want)] };
    } else {
      const e = current(a);
      next = { ...a, epochs: [...a.epochs.slice(0, -1), { ...e, members: [...e.members, ...added] }] };
    }
    await this.meta.putAudiences(all.map((x) => (x.aid === a.aid ? next : x)));
    await this.sendKeys(next, removed.length > 0 ? want : added);
    if (removed.length > 0 && next.kind === 'friends') await this.republishProfile(next);
    this.emit({ t: 'AudiencesChanged' });
    return next;
  }

  async friendAdded(contactId: Id): Promise<void> {
    const { all, friends } = await this.friendsAudience();
    if (!current(friends).members.includes(contactId))
      await this.setMembers(all, friends, [...current(friends).members, contactId]);
    // A new friend may see this epoch's earlier posts, and we theirs (§7.7).
    this.later(() => this.requestSync(contactId));
    await this.flush();
  }

  /** A friend left (removed, blocked, or removed us): out of every audience, new epochs (§7.1). */
  async friendGone(contactId: Id): Promise<void> {
    let all = await this.meta.audiences();
    for (const a of all) {
      if (!current(a).members.includes(contactId)) continue;
      await this.setMembers(
        all,
        a,
        current(a).members.filter((m) => m !== contactId),
      );
      all = await this.meta.audiences();
    }
    this.asked.delete(contactId);
    await this.meta.forgetAuthor(contactId);
    await this.flush();
  }

  async listAudiences(): Promise<AudienceInfo[]> {
    const { all } = await this.friendsAudience();
    return all.map((a) => ({
      aid: a.aid,
      kind: a.kind,
      name: a.name,
      members: [...current(a).members],
      epoch: current(a).epoch,
    }));
  }

  private async checkMembers(members: Id[]): Promise<Id[]> {
    if (!Array.isArray(members) || members.length > MAX_MEMBERS || !members.every(isId))
      throw bad(`members: up to ${MAX_MEMBERS} contact ids`);
    const friends = new Set(await this.friendIds());
    const unknown = members.filter((m) => !friends.has(m));
    if (unknown.length > 0) throw bad('members: only friends can be in a circle');
    return [...new Set(members)];
  }

  async createCircle(name: string, members: Id[]): Promise<AudienceInfo> {
    if (!isName(name)) throw bad('circle name: 1..64 characters');
    const list = await this.checkMembers(members);
    const { all } = await this.friendsAudience();
    if (all.filter((a) => a.kind === 'circle').length >= MAX_CIRCLES)
      throw bad(`at most ${MAX_CIRCLES} circles`);
    const a: AudienceRecord = {
      aid: randomId(this.core.rng),
      kind: 'circle',
      name: name.trim(),
      epochs: [this.newEpoch(1, list)],
    };
    await this.meta.putAudiences([...all, a]);
    await this.sendKeys(a, list);
    this.emit({ t: 'AudiencesChanged' });
    return (await this.listAudiences()).find((x) => x.aid === a.aid)!;
  }

  async updateCircle(aid: Id, name: string, members: Id[]): Promise<AudienceInfo> {
    if (!isName(name)) throw bad('circle name: 1..64 characters');
    const list = await this.checkMembers(members);
    const all = await this.meta.audiences();
    const a = all.find((x) => x.aid === aid && x.kind === 'circle');
    if (!a) throw bad('unknown circle');
    const renamed = { ...a, name: name.trim() };
    const withName = all.map((x) => (x.aid === aid ? renamed : x));
    await this.setMembers(withName, renamed, list);
    return (await this.listAudiences()).find((x) => x.aid === aid)!;
  }

  // ── the own log (§7.2) ─────────────────────────────────────────────────────────────────────────────

  private async audience(aid: Id): Promise<AudienceRecord> {
    const a = (await this.meta.audiences()).find((x) => x.aid === aid);
    if (!a) throw bad('unknown audience');
    return a;
  }

  /** Seals a new log entry, stores it, and pushes it to the receivers of (aid, epoch) (§7.6). */
  private async append(
    a: AudienceRecord,
    epoch: number,
    kind: SocialLogEntry['kind'],
    inner: Inner,
    post?: Id,
  ): Promise<number> {
    const e = a.epochs.find((x) => x.epoch === epoch);
    if (!e) throw new ChattorError('E_STATE', 'unknown audience epoch');
    const seq = await this.meta.nextSeq();
    const item = await sealItem({
      signingKey: this.core.k.identity.signing.privateKey,
      author: this.me.key,
      aid: fromHex(a.aid),
      epoch,
      seq,
      key: fromBase64Url(e.key),
      inner: encodeInnerContent(inner),
      rng: this.core.rng,
    });
    await this.store.putLog({ seq, aid: a.aid, epoch, kind, ...(post ? { post } : {}), item });
    if (post) {
      const entries = (await this.meta.postEntries(post)) ?? { version: seq, seqs: [] };
      await this.meta.putPostEntries(post, {
        version: kind === 'post' ? seq : entries.version,
        seqs: [...entries.seqs, seq],
      });
    }
    const text = toBase64Url(item);
    for (const contactId of receivers(a, epoch)) {
      const id = randomId(this.core.rng);
      this.later(() =>
        this.core.sendTo(contactId, { t: 'social', id, item: text }, { kind: 'social', messageId: id }),
      );
    }
    return seq;
  }

  private async stub(seq: number): Promise<void> {
    const e = await this.store.getLog(seq);
    if (e?.item) {
      const { item: _gone, ...rest } = e;
      await this.store.putLog(rest);
    }
  }

  // ── posts ──────────────────────────────────────────────────────────────────────────────────────────

  private checkPost(p: { text: unknown; pictures?: unknown }): { text: string; pictures: Picture[] } {
    if (!isText(p.text, 0, MAX_POST_TEXT)) throw bad(`post: up to ${MAX_POST_TEXT} characters`);
    const pictures = (p.pictures ?? []) as Picture[];
    if (!Array.isArray(pictures) || pictures.length > MAX_PICTURES)
      throw bad(`post: up to ${MAX_PICTURES} pictures`);
    for (const pic of pictures)
      if (
        !(PICTURE_TYPES as readonly string[]).includes(pic?.type) ||
        !(pic.data instanceof Uint8Array) ||
        pic.data.length === 0
      )
        throw bad('post: pictures must be JPEG, PNG, WebP or GIF');
    if (p.text.trim().length === 0 && pictures.length === 0)
      throw bad('post: write something or add a picture');
    return { text: p.text, pictures };
  }

  private postInner(id: Id, at: number, edited: number, text: string, pictures: Picture[]): Inner {
    return {
      json: {
        t: 'post',
        id,
        at,
        edited,
        text,
        pics: pictures.map((p) => ({ type: p.type as PictureType, size: p.data.length })),
      },
      blobs: pictures.map((p) => p.data),
    };
  }

  async publish(input: PostInput): Promise<FeedPost> {
    const { text, pictures } = this.checkPost(input);
    const { all, friends } = await this.friendsAudience();
    const a = input.audience === undefined ? friends : all.find((x) => x.aid === input.audience);
    if (!a) throw bad('unknown audience');
    const id = randomId(this.core.rng);
    const at = this.core.now();
    const epoch = current(a).epoch;
    const post: FeedPost = {
      key: `${this.me.id}:${id}`,
      id,
      authorId: this.me.id,
      mine: true,
      at,
      edited: 0,
      text,
      pictures,
      aid: a.aid,
      epoch,
      audienceName: a.name,
      comments: [],
      reactions: [],
    };
    await this.core.storage.transaction(async () => {
      await this.append(a, epoch, 'post', this.postInner(id, at, 0, text, pictures), id);
      await this.store.putPost(post);
    });
    this.emit({ t: 'PostChanged', key: post.key, post });
    return post;
  }

  private async ownPost(postId: Id): Promise<FeedPost> {
    const p = isId(postId) ? await this.store.getPost(`${this.me.id}:${postId}`) : undefined;
    if (!p || p.placeholder) throw bad('unknown post');
    return p;
  }

  async edit(postId: Id, input: Omit<PostInput, 'audience'>): Promise<FeedPost> {
    const p = await this.ownPost(postId);
    const { text, pictures } = this.checkPost(input);
    const a = await this.audience(p.aid);
    const edited = Math.max(this.core.now(), p.edited + 1, p.at + 1);
    const next: FeedPost = { ...p, text, pictures, edited };
    await this.core.storage.transaction(async () => {
      const before = await this.meta.postEntries(postId);
      await this.append(a, p.epoch, 'post', this.postInner(p.id, p.at, edited, text, pictures), p.id);
      if (before) await this.stub(before.version);
      await this.store.putPost(next);
    });
    this.emit({ t: 'PostChanged', key: next.key, post: next });
    return next;
  }

  async remove(postId: Id): Promise<void> {
    const p = await this.ownPost(postId);
    const a = await this.audience(p.aid);
    await this.core.storage.transaction(async () => {
      const entries = await this.meta.postEntries(postId);
      for (const seq of entries?.seqs ?? []) await this.stub(seq);
      await this.append(a, p.epoch, 'delete', {
        json: { t: 'delete', id: randomId(this.core.rng), at: this.core.now(), post: p.id, target: p.id },
        blobs: [],
      });
      await this.meta.putPostEntries(postId, null);
      await this.store.deletePost(p.key);
      const gone = await this.meta.gone(this.me.id);
      gone.add(p.id);
      await this.meta.putGone(this.me.id, gone);
    });
    this.emit({ t: 'PostChanged', key: p.key });
  }

  // ── comments and reactions (§7.4) ───────────────────────────────────────────────────────────────

  private async postForContrib(postKey: string): Promise<{ post: FeedPost; authorKey: Uint8Array }> {
    const post = typeof postKey === 'string' ? await this.store.getPost(postKey) : undefined;
    if (!post || post.placeholder) throw bad('unknown post');
    if (post.mine) return { post, authorKey: this.me.key };
    const contact = await this.core.storage.getContact(post.authorId);
    if (contact?.state !== 'friend')
      throw new ChattorError('E_STATE', "the post's author is no longer a friend");
    return { post, authorKey: await this.authorKeyOf(post.authorId) };
  }

  private async authorKeyOf(contactId: Id): Promise<Uint8Array> {
    const c = await this.core.storage.getContact(contactId);
    if (!c) throw new ChattorError('E_STATE', 'unknown contact');
    return decodeContactCard(fromBase64Url(c.card, 'card')).signingPublic;
  }

  private async myName(): Promise<string> {
    return (await this.meta.profile(this.me.id))?.name ?? this.core.k.displayName;
  }

  /** Signs a contribution; applies it here at once, and relays it (own post) or submits it to the author. */
  private async contribute(
    postKey: string,
    make: (base: { id: Id; post: Id; at: number }) => ContribJson,
  ): Promise<void> {
    const { post, authorKey } = await this.postForContrib(postKey);
    const json = make({ id: randomId(this.core.rng), post: post.id, at: this.core.now() });
    const bytes = await signContribution({
      signingKey: this.core.k.identity.signing.privateKey,
      by: this.me.key,
      postAuthor: authorKey,
      json: encodeContribJson(json),
    });
    const events: EngineEvent[] = [];
    await this.core.storage.transaction(async () => {
      if (post.mine) {
        await this.relay(post, bytes);
      } else {
        const id = randomId(this.core.rng);
        this.later(() =>
          this.core.sendTo(
            post.authorId,
            { t: 'social-submit', id, c: toBase64Url(bytes) },
            { kind: 'control', messageId: id },
          ),
        );
      }
      await this.applyContrib(post.authorId, json, this.me.id, events);
    });
    for (const e of events) this.emit(e);
  }

  /** The author appends a contribution to its log under the post's audience and epoch (§7.4). */
  private async relay(post: FeedPost, contribution: Uint8Array): Promise<void> {
    const a = await this.audience(post.aid);
    await this.append(
      a,
      post.epoch,
      'contrib',
      { json: { t: 'contrib', c: toBase64Url(contribution) }, blobs: [] },
      post.id,
    );
  }

  comment(postKey: string, text: string): Promise<void> {
    if (!isText(text, 1, MAX_COMMENT_TEXT) || text.trim().length === 0)
      return Promise.reject(bad(`comment: 1..${MAX_COMMENT_TEXT} characters`));
    return this.myName().then((name) =>
      this.contribute(postKey, (b) => ({ t: 'comment', ...b, name, text })),
    );
  }

  /**
   * An anonymous comment accepted by the handle agent (§8.5) on one of our own posts: we sign and relay
   * it ourselves under `byline` ("a friend of <us>"), so readers see who relayed it, not who wrote it.
   */
  async relayAnonymousComment(postId: Id, text: string, byline: string): Promise<void> {
    const post = await this.store.getPost(`${this.me.id}:${postId}`);
    if (!post?.mine || post.placeholder) throw new ChattorError('E_STATE', 'no such post of ours');
    if (!isText(text, 1, MAX_COMMENT_TEXT)) throw bad(`comment: 1..${MAX_COMMENT_TEXT} characters`);
    await this.contribute(post.key, (b) => ({ t: 'comment', ...b, name: byline, text }));
  }

  async react(postKey: string, emoji: Emoji | ''): Promise<void> {
    if (emoji !== '' && !['like', 'love', 'haha', 'wow', 'sad'].includes(emoji))
      throw bad('unknown reaction');
    const name = await this.myName();
    await this.contribute(postKey, (b) => ({ t: 'reaction', ...b, name, emoji }));
  }

  async deleteComment(postKey: string, commentId: Id): Promise<void> {
    const { post } = await this.postForContrib(postKey);
    const c = post.comments.find((x) => x.id === commentId);
    if (!c) throw bad('unknown comment');
    if (c.by === this.me.id) {
      await this.contribute(postKey, (b) => ({ t: 'uncomment', ...b, target: commentId }));
      return;
    }
    if (!post.mine)
      throw new ChattorError('E_STATE', "only the comment's or the post's author can delete it");
    // The post's author deletes someone else's comment with a tombstone (§7.8).
    const a = await this.audience(post.aid);
    const events: EngineEvent[] = [];
    await this.core.storage.transaction(async () => {
      const json = {
        t: 'delete',
        id: randomId(this.core.rng),
        at: this.core.now(),
        post: post.id,
        target: commentId,
      } as const;
      await this.append(a, post.epoch, 'delete', { json, blobs: [] }, post.id);
      await this.applyInner(this.me.id, { json, blobs: [] }, events);
    });
    for (const e of events) this.emit(e);
  }

  // ── profiles (§7.9) ──────────────────────────────────────────────────────────────────────────────

  async setProfile(p: { name: string; bio: string; avatar?: Picture | null }): Promise<void> {
    if (!isName(p.name)) throw bad('name: 1..64 characters');
    if (!isText(p.bio, 0, MAX_BIO)) throw bad(`bio: up to ${MAX_BIO} characters`);
    const avatar = p.avatar ?? undefined;
    if (
      avatar &&
      (!(PICTURE_TYPES as readonly string[]).includes(avatar.type) || !(avatar.data instanceof Uint8Array))
    )
      throw bad('avatar: a JPEG, PNG, WebP or GIF picture');
    const profile: SocialProfile = {
      contactId: this.me.id,
      name: p.name.trim(),
      bio: p.bio,
      at: this.core.now(),
      ...(avatar ? { avatar } : {}),
    };
    await this.core.storage.transaction(async () => {
      await this.meta.putProfile(profile);
      const { friends } = await this.friendsAudience();
      await this.publishProfile(friends, profile);
    });
    this.emit({ t: 'ProfileChanged', contactId: this.me.id });
  }

  private async publishProfile(friends: AudienceRecord, p: SocialProfile): Promise<void> {
    const before = await this.core.storage.getMeta<number>(SOCIAL_META.profileSeq);
    const json: InnerJson = {
      t: 'profile',
      at: p.at,
      name: p.name,
      bio: p.bio,
      avatar: p.avatar ? { type: p.avatar.type as PictureType, size: p.avatar.data.length } : null,
    };
    const seq = await this.append(friends, current(friends).epoch, 'profile', {
      json,
      blobs: p.avatar ? [p.avatar.data] : [],
    });
    await this.core.storage.putMeta(SOCIAL_META.profileSeq, seq);
    if (before !== undefined) await this.stub(before);
  }

  private async republishProfile(friends: AudienceRecord): Promise<void> {
    const p = await this.meta.profile(this.me.id);
    if (p) await this.publishProfile(friends, p);
  }

  getProfile(contactId: Id): Promise<SocialProfile | undefined> {
    return this.meta.profile(contactId);
  }

  // ── receiving (§7.3, §7.5) ───────────────────────────────────────────────────────────────────────

  /**
   * Runs inside the transaction of the MSG that carried `p` (never throws: a bad item is reported and
   * dropped, the payload still acknowledged). Follow-up sends go into `after`.
   */
  receive(
    peer: PeerRecord,
    p: SocialPayload,
    events: EngineEvent[],
    after: (() => Promise<void>)[],
  ): Promise<void> {
    after.push(() => this.flush());
    return this.receiveNow(peer, p, events);
  }

  private async receiveNow(peer: PeerRecord, p: SocialPayload, events: EngineEvent[]): Promise<void> {
    const from = peer.contactId;
    const report = (e: unknown): void => {
      const code = e instanceof ChattorError ? e.code : 'E_INTERNAL';
      const message = e instanceof ChattorError ? e.message : 'internal error';
      events.push({ t: 'ProtocolError', code, message, contactId: from });
    };
    try {
      switch (p.t) {
        case 'audience-key': {
          const keys = await this.meta.keys(from);
          keys[keyName(p.aid, p.epoch)] = p.key;
          await this.meta.putKeys(from, keys);
          await this.retryPending(from, events, report);
          return;
        }
        case 'social':
          await this.receiveItem(from, p.item, events).catch(report);
          return;
        case 'social-batch': {
          for (const item of p.items) await this.receiveItem(from, item, events).catch(report);
          if (p.upTo > (await this.meta.syncedTo(from))) await this.meta.putSyncedTo(from, p.upTo);
          if (p.more) this.later(() => this.core.sendTo(from, { t: 'social-sync', since: p.upTo }));
          return;
        }
        case 'social-submit':
          await this.receiveSubmit(from, p.c, events);
          return;
        case 'social-sync':
          this.later(() => this.serveSync(from, p.since));
          return;
        default:
          throw missingCaseError(p);
      }
    } catch (e) {
      report(e);
    }
  }

  /** §7.3 checks, cheapest first; an item without its key waits for it. */
  private async receiveItem(from: Id, text: string, events: EngineEvent[]): Promise<void> {
    const bytes = fromBase64Url(text, 'item');
    const item = decodeItem(bytes);
    if ((await contactIdOf(item.author)) !== from)
      throw new ChattorError('E_SIGNATURE', 'item from someone other than its author');
    if (!(await verifyItem(item))) throw new ChattorError('E_SIGNATURE', 'item signature does not verify');
    const key = (await this.meta.keys(from))[keyName(toHex(item.aid), item.epoch)];
    if (!key) {
      const pending = (await this.meta.pending(from)).filter((x) => x.item !== text);
      await this.meta.putPending(from, [...pending, { item: text, at: this.core.now() }]);
      return;
    }
    await this.openAndApply(from, item, fromBase64Url(key), events);
  }

  private async openAndApply(
    from: Id,
    item: SocialItem,
    key: Uint8Array,
    events: EngineEvent[],
  ): Promise<void> {
    const inner = decodeInnerContent(await openItem(item, key));
    if (inner.json.t === 'contrib') {
      const c = decodeContribution(fromBase64Url(inner.json.c, 'c'));
      if (!(await verifyContribution(c, item.author)))
        throw new ChattorError('E_SIGNATURE', 'contribution signature does not verify');
      await this.applyContrib(from, decodeContribJson(c.json), await contactIdOf(c.by), events);
      return;
    }
    await this.applyInner(from, inner, events, { aid: toHex(item.aid), epoch: item.epoch });
  }

  private async retryPending(from: Id, events: EngineEvent[], report: (e: unknown) => void): Promise<void> {
    const pending = await this.meta.pending(from);
    if (pending.length === 0) return;
    const keys = await this.meta.keys(from);
    const keep = [];
    for (const x of pending) {
      if (this.core.now() - x.at > PENDING_TTL_MS) continue;
      try {
        const item = decodeItem(fromBase64Url(x.item, 'item'));
        const key = keys[keyName(toHex(item.aid), item.epoch)];
        if (key) await this.openAndApply(from, item, fromBase64Url(key), events);
        else keep.push(x);
      } catch (e) {
        report(e);
      }
    }
    await this.meta.putPending(from, keep);
  }

  /** Applies a post, profile or tombstone of `authorId` idempotently (§7.2). */
  private async applyInner(
    authorId: Id,
    inner: Inner,
    events: EngineEvent[],
    at?: { aid: Id; epoch: number },
  ): Promise<void> {
    const j = inner.json;
    switch (j.t) {
      case 'post': {
        const key = `${authorId}:${j.id}`;
        if ((await this.meta.gone(authorId)).has(j.id)) return;
        const old = await this.store.getPost(key);
        if (old && !old.placeholder && old.edited >= j.edited) return;
        const pictures = j.pics.map((p, i) => ({ type: p.type, data: inner.blobs[i]! }));
        const post: FeedPost = {
          key,
          id: j.id,
          authorId,
          mine: authorId === this.me.id,
          at: j.at,
          edited: j.edited,
          text: j.text,
          pictures,
          aid: at?.aid ?? old?.aid ?? '',
          epoch: at?.epoch ?? old?.epoch ?? 1,
          comments: old?.comments ?? [],
          reactions: old?.reactions ?? [],
        };
        await this.store.putPost(post);
        events.push({ t: 'PostChanged', key, post });
        return;
      }
      case 'profile': {
        const old = await this.meta.profile(authorId);
        if (old && old.at >= j.at) return;
        const avatar = j.avatar ? { type: j.avatar.type, data: inner.blobs[0]! } : undefined;
        await this.meta.putProfile({
          contactId: authorId,
          name: j.name,
          bio: j.bio,
          at: j.at,
          ...(avatar ? { avatar } : {}),
        });
        events.push({ t: 'ProfileChanged', contactId: authorId });
        return;
      }
      case 'delete': {
        const gone = await this.meta.gone(authorId);
        gone.add(j.target);
        await this.meta.putGone(authorId, gone);
        const key = `${authorId}:${j.post}`;
        if (j.target === j.post) {
          if (await this.store.getPost(key)) {
            await this.store.deletePost(key);
            events.push({ t: 'PostChanged', key });
          }
          return;
        }
        const post = await this.store.getPost(key);
        if (!post) return;
        const next = {
          ...post,
          comments: post.comments.filter((c) => c.id !== j.target),
        };
        await this.store.putPost(next);
        events.push({ t: 'PostChanged', key, post: next });
        return;
      }
      case 'contrib':
        throw bad('contribution outside its item');
      default:
        throw missingCaseError(j);
    }
  }

  /** A verified contribution by `by` on `authorId`'s post; kept on a placeholder if the post is not here yet. */
  private async applyContrib(authorId: Id, c: ContribJson, by: Id, events: EngineEvent[]): Promise<void> {
    const key = `${authorId}:${c.post}`;
    const gone = await this.meta.gone(authorId);
    if (gone.has(c.post) || gone.has(c.id)) return;
    const old = await this.store.getPost(key);
    const post: FeedPost = old ?? {
      key,
      id: c.post,
      authorId,
      mine: false,
      at: c.at,
      edited: 0,
      text: '',
      pictures: [],
      aid: '',
      epoch: 1,
      comments: [],
      reactions: [],
      placeholder: true,
    };
    let next = post;
    switch (c.t) {
      case 'comment':
        if (post.comments.some((x) => x.id === c.id)) return;
        next = {
          ...post,
          comments: [...post.comments, { id: c.id, by, byName: c.name, at: c.at, text: c.text }].sort(
            (a, b) => a.at - b.at,
          ),
        };
        break;
      case 'reaction': {
        const mine = post.reactions.find((r) => r.by === by);
        if (mine && mine.at >= c.at) return;
        const others = post.reactions.filter((r) => r.by !== by);
        next = {
          ...post,
          reactions: c.emoji === '' ? others : [...others, { by, byName: c.name, at: c.at, emoji: c.emoji }],
        };
        break;
      }
      case 'uncomment': {
        const target = post.comments.find((x) => x.id === c.target);
        if (target && target.by !== by) throw bad('a comment can only be withdrawn by its author');
        gone.add(c.target);
        await this.meta.putGone(authorId, gone);
        next = { ...post, comments: post.comments.filter((x) => x.id !== c.target) };
        break;
      }
      default:
        throw missingCaseError(c);
    }
    await this.store.putPost(next);
    if (!next.placeholder) events.push({ t: 'PostChanged', key, post: next });
  }

  /** The post's author: checks a friend's contribution (§7.4), applies and relays it. */
  private async receiveSubmit(from: Id, text: string, events: EngineEvent[]): Promise<void> {
    const c = decodeContribution(fromBase64Url(text, 'c'));
    if ((await contactIdOf(c.by)) !== from)
      throw new ChattorError('E_SIGNATURE', 'contribution from someone other than its author');
    if (!(await verifyContribution(c, this.me.key)))
      throw new ChattorError('E_SIGNATURE', 'contribution signature does not verify');
    const json = decodeContribJson(c.json);
    const post = await this.store.getPost(`${this.me.id}:${json.post}`);
    if (!post || post.placeholder) throw bad('contribution on an unknown post');
    const a = await this.audience(post.aid);
    if (!receivers(a, post.epoch).includes(from))
      throw new ChattorError('E_STATE', "contribution from outside the post's audience");
    if (json.t === 'uncomment' && !post.comments.some((x) => x.id === json.target && x.by === from))
      throw bad('a comment can only be withdrawn by its author');
    await this.relay(post, fromBase64Url(text, 'c'));
    await this.applyContrib(this.me.id, json, from, events);
  }

  // ── sync (§7.7) ─────────────────────────────────────────────────────────────────────────────────

  /** A link to `contactId` opened (`linkKey` names that opening): ask for what we missed, once per opening. */
  async linkOpened(contactId: Id, linkKey: string): Promise<void> {
    if (this.asked.get(contactId) === linkKey) return;
    const c = await this.core.storage.getContact(contactId);
    if (c?.state !== 'friend') return;
    this.asked.set(contactId, linkKey);
    await this.requestSync(contactId);
  }

  private async requestSync(contactId: Id): Promise<void> {
    await this.core.sendTo(contactId, { t: 'social-sync', since: await this.meta.syncedTo(contactId) });
  }

  private async serveSync(to: Id, since: number): Promise<void> {
    const c = await this.core.storage.getContact(to);
    if (c?.state !== 'friend') return;
    const all = await this.meta.audiences();
    const entries = await this.store.listLog(since, SYNC_PAGE);
    const items: string[] = [];
    let bytes = 0;
    let upTo = since;
    let truncated = false;
    for (const e of entries) {
      const a = all.find((x) => x.aid === e.aid);
      if (e.item && a && receivers(a, e.epoch).includes(to)) {
        const text = toBase64Url(e.item);
        if (bytes + text.length > BATCH_BYTES && items.length > 0) {
          truncated = true;
          break;
        }
        items.push(text);
        bytes += text.length + 3;
      }
      upTo = e.seq;
    }
    const more = truncated || entries.length === SYNC_PAGE;
    await this.core.sendTo(to, { t: 'social-batch', items, upTo, more });
  }

  // ── reading ───────────────────────────────────────────────────────────────────────────────────────

  listFeed(
    opts: { limit?: number; before?: { at: number; key: string }; authorId?: Id } = {},
  ): Promise<FeedPost[]> {
    const limit = Math.min(Math.max(1, opts.limit ?? 20), 200);
    return this.store.listPosts({
      limit,
      ...(opts.before ? { before: opts.before } : {}),
      ...(opts.authorId ? { authorId: opts.authorId } : {}),
    });
  }

  async getPost(key: string): Promise<FeedPost | undefined> {
    const p = typeof key === 'string' ? await this.store.getPost(key) : undefined;
    return p?.placeholder ? undefined : p;
  }
}
