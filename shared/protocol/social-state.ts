// Implements docs/protocol.md §7.1–7.2 bookkeeping: audiences with their epochs and keys, the keys
// received from friends, sync marks, waiting items and tombstones, all in storage meta.
import type { EngineStorage, Id, SocialProfile } from './api.js';

export const MAX_CIRCLES = 32;
export const MAX_MEMBERS = 1000;
export const MAX_PENDING = 256;
export const PENDING_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const MAX_GONE = 20_000;

export interface EpochRecord {
  epoch: number;
  /** base64url of the 32-byte audience key */
  key: string;
  members: Id[];
}

export interface AudienceRecord {
  aid: Id;
  kind: 'friends' | 'circle';
  name: string;
  epochs: EpochRecord[];
}

/** Our own post's log entries: the current version's seq and every entry about it (§7.8). */
export interface PostEntries {
  version: number;
  seqs: number[];
}

export interface PendingItem {
  item: string;
  at: number;
}

export const SOCIAL_META = {
  audiences: 'social:audiences',
  seq: 'social:seq',
  profileSeq: 'social:profile-seq',
  keys: (authorId: Id) => `social:keys:${authorId}`,
  sync: (authorId: Id) => `social:sync:${authorId}`,
  pending: (authorId: Id) => `social:pending:${authorId}`,
  gone: (authorId: Id) => `social:gone:${authorId}`,
  profile: (contactId: Id) => `social:profile:${contactId}`,
  post: (postId: Id) => `social:post:${postId}`,
} as const;

export const current = (a: AudienceRecord): EpochRecord => a.epochs[a.epochs.length - 1]!;

/** §7.1: members of epoch `e` who are still current members. */
export function receivers(a: AudienceRecord, epoch: number): Id[] {
  const then = a.epochs.find((e) => e.epoch === epoch)?.members ?? [];
  const now = new Set(current(a).members);
  return then.filter((m) => now.has(m));
}

export const keyName = (aid: Id, epoch: number): string => `${aid}:${epoch}`;

export class SocialMeta {
  constructor(private readonly storage: EngineStorage) {}

  async audiences(): Promise<AudienceRecord[]> {
    return (await this.storage.getMeta<AudienceRecord[]>(SOCIAL_META.audiences)) ?? [];
  }
  putAudiences(a: AudienceRecord[]): Promise<void> {
    return this.storage.putMeta(SOCIAL_META.audiences, a);
  }
  async nextSeq(): Promise<number> {
    const seq = ((await this.storage.getMeta<number>(SOCIAL_META.seq)) ?? 0) + 1;
    await this.storage.putMeta(SOCIAL_META.seq, seq);
    return seq;
  }
  async keys(authorId: Id): Promise<Record<string, string>> {
    return (await this.storage.getMeta<Record<string, string>>(SOCIAL_META.keys(authorId))) ?? {};
  }
  putKeys(authorId: Id, keys: Record<string, string>): Promise<void> {
    return this.storage.putMeta(SOCIAL_META.keys(authorId), keys);
  }
  async syncedTo(authorId: Id): Promise<number> {
    return (await this.storage.getMeta<number>(SOCIAL_META.sync(authorId))) ?? 0;
  }
  putSyncedTo(authorId: Id, upTo: number): Promise<void> {
    return this.storage.putMeta(SOCIAL_META.sync(authorId), upTo);
  }
  async pending(authorId: Id): Promise<PendingItem[]> {
    return (await this.storage.getMeta<PendingItem[]>(SOCIAL_META.pending(authorId))) ?? [];
  }
  putPending(authorId: Id, items: PendingItem[]): Promise<void> {
    return this.storage.putMeta(SOCIAL_META.pending(authorId), items.slice(-MAX_PENDING));
  }
  async gone(authorId: Id): Promise<Set<Id>> {
    return new Set((await this.storage.getMeta<Id[]>(SOCIAL_META.gone(authorId))) ?? []);
  }
  putGone(authorId: Id, ids: Set<Id>): Promise<void> {
    return this.storage.putMeta(SOCIAL_META.gone(authorId), [...ids].slice(-MAX_GONE));
  }
  async profile(contactId: Id): Promise<SocialProfile | undefined> {
    return (await this.storage.getMeta<SocialProfile | null>(SOCIAL_META.profile(contactId))) ?? undefined;
  }
  putProfile(p: SocialProfile): Promise<void> {
    return this.storage.putMeta(SOCIAL_META.profile(p.contactId), p);
  }
  async postEntries(postId: Id): Promise<PostEntries | undefined> {
    return (await this.storage.getMeta<PostEntries | null>(SOCIAL_META.post(postId))) ?? undefined;
  }
  putPostEntries(postId: Id, e: PostEntries | null): Promise<void> {
    return this.storage.putMeta(SOCIAL_META.post(postId), e);
  }
  /** Forgets what a removed contact shared with us (keys, sync mark, waiting items). */
  async forgetAuthor(authorId: Id): Promise<void> {
    await this.storage.putMeta(SOCIAL_META.keys(authorId), null);
    await this.storage.putMeta(SOCIAL_META.sync(authorId), null);
    await this.storage.putMeta(SOCIAL_META.pending(authorId), null);
  }
}
