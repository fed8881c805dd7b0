// The feed as the PWA shows it (docs/protocol.md §7): pages of posts read from IndexedDB newest first
// (infinite scroll over local data), kept current by the engine's PostChanged events; audiences
// (all friends, circles) and profiles. Every change goes to the engine, whose events bring it back.
import type {
  AudienceInfo,
  ChatEngineApi,
  Emoji,
  FeedPost,
  Id,
  Picture,
  SocialProfile,
} from '../../../../shared/protocol/api';
import { AppError } from '$lib/errors/app-error';

export const PAGE = 20;
export const MAX_POST_CHARS = 5000;
export const MAX_COMMENT_CHARS = 2000;
/** Below this many members a circle's anonymity and audience are small: the UI says so. */
export const SMALL_AUDIENCE = 3;

export interface FeedDeps {
  engine: () => ChatEngineApi | null;
}

function newestFirst(a: FeedPost, b: FeedPost): number {
  return b.at - a.at || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0);
}

/** One list of posts: the whole feed, or one author's (a profile page). */
export class PostList {
  posts = $state.raw<FeedPost[]>([]);
  /** false once a page came back short: everything local is shown. */
  more = $state(true);
  loading = $state(false);

  readonly #deps: FeedDeps;
  readonly #authorId: Id | undefined;

  constructor(deps: FeedDeps, authorId?: Id) {
    this.#deps = deps;
    this.#authorId = authorId;
  }

  #engine(): ChatEngineApi {
    const e = this.#deps.engine();
    if (!e) throw new AppError('E_ENGINE_MISSING', 'no chat engine');
    return e;
  }

  /** Reads the first page again (on open, and when the engine starts). */
  async reload(): Promise<void> {
    this.more = true;
    this.posts = [];
    await this.loadMore();
  }

  async loadMore(): Promise<void> {
    if (this.loading || !this.more) return;
    this.loading = true;
    try {
      const last = this.posts[this.posts.length - 1];
      const page = await this.#engine().listFeed({
        limit: PAGE,
        ...(last ? { before: { at: last.at, key: last.key } } : {}),
        ...(this.#authorId ? { authorId: this.#authorId } : {}),
      });
      const known = Object.fromEntries(this.posts.map((p) => [p.key, true]));
      this.posts = [...this.posts, ...page.filter((p) => !known[p.key])];
      this.more = page.length === PAGE;
    } finally {
      this.loading = false;
    }
  }

  /** PostChanged: replace, insert in order (if it falls inside what is shown), or drop. */
  apply(key: string, post: FeedPost | undefined): void {
    if (post && this.#authorId !== undefined && post.authorId !== this.#authorId) return;
    const rest = this.posts.filter((p) => p.key !== key);
    if (!post || post.placeholder) {
      if (rest.length !== this.posts.length) this.posts = rest;
      return;
    }
    const last = rest[rest.length - 1];
    // Older than everything shown while more pages wait: it will come with its page.
    if (this.more && last && newestFirst(post, last) > 0 && !this.posts.some((p) => p.key === key)) return;
    this.posts = [...rest, post].sort(newestFirst);
  }
}

export class FeedManager {
  readonly feed: PostList;
  audiences = $state.raw<AudienceInfo[]>([]);
  /** Our own contact id (for "you" and our profile), once the engine runs. */
  myId = $state('');
  /** Profiles by contact id (ours included), read on demand. */
  profiles = $state.raw<Record<Id, SocialProfile | null>>({});
  readonly #deps: FeedDeps;
  /** Lists that follow PostChanged (not state: nothing renders this). */
  #lists: PostList[] = [];

  constructor(deps: FeedDeps) {
    this.#deps = deps;
    this.feed = this.list();
  }

  #engine(): ChatEngineApi {
    const e = this.#deps.engine();
    if (!e) throw new AppError('E_ENGINE_MISSING', 'no chat engine');
    return e;
  }

  /** A list kept current by events until `release`; the feed itself is one. */
  list(authorId?: Id): PostList {
    const l = new PostList(this.#deps, authorId);
    this.#lists.push(l);
    return l;
  }

  release(list: PostList): void {
    if (list !== this.feed) this.#lists = this.#lists.filter((l) => l !== list);
  }

  applyChanged(key: string, post: FeedPost | undefined): void {
    for (const l of this.#lists) l.apply(key, post);
  }

  /** On opening a social page while the engine runs: who we are, the audiences, the first page. */
  async open(list: PostList): Promise<void> {
    this.myId = (await this.#engine().myProfile()).contactId;
    await this.loadAudiences();
    await list.reload();
  }

  async loadAudiences(): Promise<void> {
    this.audiences = await this.#engine().listAudiences();
  }

  async loadProfile(contactId: Id): Promise<SocialProfile | null> {
    const p = (await this.#engine().getProfile(contactId)) ?? null;
    this.profiles = { ...this.profiles, [contactId]: p };
    return p;
  }

  profileChanged(contactId: Id): void {
    if (contactId in this.profiles) void this.loadProfile(contactId).catch(() => undefined);
  }

  publish(text: string, pictures: Picture[], audience: Id | undefined): Promise<FeedPost> {
    return this.#engine().publishPost({ text, pictures, ...(audience ? { audience } : {}) });
  }

  edit(postId: Id, text: string, pictures: Picture[]): Promise<FeedPost> {
    return this.#engine().editPost(postId, { text, pictures });
  }

  remove(postId: Id): Promise<void> {
    return this.#engine().deletePost(postId);
  }

  comment(postKey: string, text: string): Promise<void> {
    return this.#engine().comment(postKey, text);
  }

  commentAnonymously(postKey: string, text: string): Promise<void> {
    return this.#engine().commentAnonymously(postKey, text);
  }

  deleteComment(postKey: string, commentId: Id): Promise<void> {
    return this.#engine().deleteComment(postKey, commentId);
  }

  react(postKey: string, emoji: Emoji | ''): Promise<void> {
    return this.#engine().react(postKey, emoji);
  }

  async saveProfile(contactId: Id, p: { name: string; bio: string; avatar?: Picture | null }): Promise<void> {
    await this.#engine().setProfile(p);
    await this.loadProfile(contactId);
  }

  async createCircle(name: string, members: Id[]): Promise<void> {
    await this.#engine().createCircle(name, members);
    await this.loadAudiences();
  }

  async updateCircle(aid: Id, name: string, members: Id[]): Promise<void> {
    await this.#engine().updateCircle(aid, name, members);
    await this.loadAudiences();
  }
}
