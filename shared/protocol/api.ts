// The client engine's contract (docs/protocol.md §4): what the PWA and the headless node drive, and
// what they must provide (storage, transport). The engine itself is runtime-neutral.
import type { IdentitySecrets } from '../crypto/identity.js';

/** Ids are random 16-byte values as lowercase hex (32 chars) unless said otherwise. */
export type Id = string;

export type ContactState = 'outgoing-request' | 'incoming-request' | 'friend' | 'declined' | 'blocked';
export type DeliveryState = 'queued' | 'sent' | 'delivered' | 'read' | 'failed';

export interface Contact {
  id: Id; // derived from the peer's signing public key: hex(SHA-256(signingPublic))[:32]
  displayName: string; // from their card; the user may override with `alias`
  alias?: string;
  contactOnion: string;
  state: ContactState;
  /** The friend-request note (incoming or outgoing), ≤ 280 chars. */
  note?: string;
  createdAt: number;
  updatedAt: number;
  /** Encoded ContactCard bytes (latest accepted per the card replay rule), base64url. */
  card: string;
  unread: number;
  lastMessageAt?: number;
  online: boolean;
}

export interface ChatMessage {
  id: Id; // chosen by the sender; the de-duplication key
  contactId: Id;
  direction: 'in' | 'out';
  body: string; // ≤ 8,000 chars
  sentAt: number; // sender's clock
  receivedAt?: number;
  /** Sender's per-conversation sequence number (1, 2, …): the display order for one sender. */
  seq: number;
  state: DeliveryState;
  /** 'mailbox': received from (in) or left at (out) a friend's mailbox (§5.7), not delivered directly. */
  via?: 'mailbox';
  /** A file message (§6): `body` is the file name. */
  file?: FileInfo;
}

export type FileState = 'offered' | 'transferring' | 'paused' | 'complete' | 'failed' | 'cancelled';

export interface FileInfo {
  name: string;
  size: number;
  /** MIME type, '' when unknown. */
  type: string;
  state: FileState;
  /** Bytes durably written (receiver) or acknowledged by the receiver (sender). */
  done: number;
  /** Why it failed or was cancelled, for the user. */
  error?: string;
}

/** What the user picked: the PWA passes a File, the headless node a path; the FileStore keeps it. */
export interface FileInput {
  name: string;
  size: number;
  type: string;
  source: unknown;
}

/**
 * Where file bytes live (§6), supplied by the embedder: the PWA keeps sent files in IndexedDB and writes
 * received ones to the Origin Private File System (IndexedDB where it has none); Node uses the disk.
 * Offsets and lengths are bytes; nothing here holds a whole file in memory.
 */
export interface FileStore {
  /** Sender: keep `source` (FileInput.source) readable under `fileId` until `remove`. */
  keep(fileId: Id, source: unknown): Promise<void>;
  read(fileId: Id, offset: number, length: number): Promise<Uint8Array>;
  /** Receiver: write into the partial file (created on first write). */
  write(fileId: Id, offset: number, bytes: Uint8Array): Promise<void>;
  /** Forget what is kept or partial (after cancel, failure, or when the user deletes it). */
  remove(fileId: Id): Promise<void>;
}

/** What the engine keeps; the PWA implements it on dexie, the headless node on a file/SQLite. */
export interface EngineStorage {
  getMeta<T>(key: string): Promise<T | undefined>;
  putMeta<T>(key: string, value: T): Promise<void>;
  getContact(id: Id): Promise<Contact | undefined>;
  putContact(c: Contact): Promise<void>;
  deleteContact(id: Id): Promise<void>;
  listContacts(): Promise<Contact[]>;
  /** Sealed ratchet state (sealState output) per contact. */
  getSession(contactId: Id): Promise<Uint8Array | undefined>;
  putSession(contactId: Id, sealed: Uint8Array): Promise<void>;
  deleteSession(contactId: Id): Promise<void>;
  getMessage(id: Id): Promise<ChatMessage | undefined>;
  putMessage(m: ChatMessage): Promise<void>;
  /**
   * Messages of a conversation in display order (`sentAt` ascending, then `seq`; each sender keeps its
   * `sentAt` increasing with `seq`), the newest `limit` before `beforeSentAt`.
   */
  listMessages(contactId: Id, opts?: { limit?: number; beforeSentAt?: number }): Promise<ChatMessage[]>;
  /** Outbox: encrypted frames waiting for a delivery receipt, in send order per contact. */
  putOutbox(item: OutboxItem): Promise<void>;
  deleteOutbox(messageId: Id): Promise<void>;
  listOutbox(contactId?: Id): Promise<OutboxItem[]>;
  /** Replay/duplicate memory: hashes of seen initial messages and ciphertexts (hex), with expiry. */
  hasSeen(key: string): Promise<boolean>;
  /** `value` (default '') is what the engine needs to answer a duplicate, e.g. the id to re-acknowledge. */
  addSeen(key: string, expiresAt: number, value?: string): Promise<void>;
  /** The value stored by addSeen, or undefined if the key is unknown or expired. */
  getSeen(key: string): Promise<string | undefined>;
  /**
   * Runs fn so that its storage writes are all-or-nothing where the backend can do it. A call made while
   * one is running joins it (the engine nests them: a mailbox page wraps every message's own one).
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
}

export interface OutboxItem {
  messageId: Id;
  contactId: Id;
  /** The peer-frame DATA body to (re)send, exactly as first encrypted (resends are byte-identical). */
  body: Uint8Array;
  createdAt: number;
  attempts: number;
  /**
   * 'message' (a ChatMessage with the same id), 'request' (a friend request), 'control' (accept,
   * removed, card-update): kept until the peer's delivered receipt. 'receipt': deleted once written.
   */
  kind?: 'message' | 'request' | 'control' | 'receipt' | 'social';
  /** When a holder confirmed storing it (§5.7): never deposited again, still sent directly. */
  depositedAt?: number;
}

// ── social (docs/protocol.md §7) ────────────────────────────────────────────────────────────────

export type Emoji = 'like' | 'love' | 'haha' | 'wow' | 'sad';

export interface Picture {
  type: string;
  data: Uint8Array;
}

export interface PostComment {
  id: Id;
  /** hex(SHA-256(signingPublic))[:32] of the commenter: a contact id if they are a friend. */
  by: Id;
  byName: string;
  at: number;
  text: string;
}

export interface PostReaction {
  by: Id;
  byName: string;
  at: number;
  emoji: Emoji;
}

/** A post as this node shows it (decrypted, verified), with its comments and reactions. */
export interface FeedPost {
  /** `${authorId}:${id}` */
  key: string;
  id: Id;
  /** The author's contact id (our own `contactId` for our posts). */
  authorId: Id;
  mine: boolean;
  at: number;
  /** 0, or when this version was made (§7.8). */
  edited: number;
  text: string;
  pictures: Picture[];
  /** The audience the post went to (`name` only on our own posts). */
  aid: Id;
  epoch: number;
  audienceName?: string;
  comments: PostComment[];
  reactions: PostReaction[];
  /** Comments/reactions arrived before the post itself: kept, not shown. */
  placeholder?: boolean;
}

export interface SocialProfile {
  contactId: Id;
  name: string;
  bio: string;
  avatar?: Picture;
  at: number;
}

export interface AudienceInfo {
  aid: Id;
  kind: 'friends' | 'circle';
  name: string;
  members: Id[];
  epoch: number;
}

export interface PostInput {
  text: string;
  pictures?: Picture[];
  /** An audience id from `listAudiences()`; default: all friends. */
  audience?: Id;
}

/** Where the social feature keeps posts and the own log (§7.2); part of the same transactions. */
export interface SocialStorage {
  getPost(key: string): Promise<FeedPost | undefined>;
  putPost(p: FeedPost): Promise<void>;
  deletePost(key: string): Promise<void>;
  /** Newest first (by `at`, then key), skipping placeholders; `before` is the last post of the previous page. */
  listPosts(opts: {
    limit: number;
    before?: { at: number; key: string };
    authorId?: Id;
  }): Promise<FeedPost[]>;
  getLog(seq: number): Promise<SocialLogEntry | undefined>;
  putLog(e: SocialLogEntry): Promise<void>;
  /** Entries with seq > `after`, ascending, at most `limit`. */
  listLog(after: number, limit: number): Promise<SocialLogEntry[]>;
}

/** One entry of our own log (§7.2); without `item` it is a stub. */
export interface SocialLogEntry {
  seq: number;
  aid: Id;
  epoch: number;
  kind: 'post' | 'profile' | 'delete' | 'contrib';
  /** The post this entry is, or is about. */
  post?: Id;
  item?: Uint8Array;
}

/** Counts and sizes of what this node's gateway holds for friends (§5.8); never whose or what. */
export interface MailboxStats {
  accounts: number;
  envelopes: number;
  bytes: number;
  oldestAt: number | null;
}

/** One isolated link to a holder's gateway for mailbox requests (§5.5–5.6). */
export interface MailboxSession {
  /** Sends a request frame of `kind` and resolves with the reply frame's kind and body. */
  request(kind: number, body: Uint8Array): Promise<{ kind: number; body: Uint8Array }>;
  close(): void;
}

/** The mailbox side of the transport: sessions to holders, and this node's own store (§5.8). */
export interface MailboxTransport {
  /** Opens an isolated link to `onion` and resolves once it is open (E_UNREACHABLE on timeout). */
  connect(onion: string): Promise<MailboxSession>;
  openAccount(capHash: string): Promise<string>;
  closeAccount(capHash: string): Promise<void>;
  stats(): Promise<MailboxStats>;
}

/** The engine's view of its gateway (the local link): links are opaque numbers. */
export interface EngineTransport {
  /**
   * Keeps a link to `onion`; resolves with the link id (may not be open yet). Dialing an onion that
   * already has a link returns that link and, if it is open, repeats its `onLink` open event (so a
   * restarted engine learns about it).
   */
  dial(onion: string): Promise<number>;
  close(link: number): Promise<void>;
  /** Sends one DATA body on a link (`stream` 0 = chat, else a file's stream, §6.2); throws if not open. */
  send(link: number, body: Uint8Array, stream?: number): void;
  /** Bytes written to the local link but not yet taken by the gateway (flow control, §6.4). */
  buffered?(): number;
  onBody(handler: (link: number, body: Uint8Array) => void): () => void;
  onLink(handler: (e: { link: number; open: boolean; onion?: string }) => void): () => void;
  /** The node's own contact onion once published. */
  contactOnion(): string | undefined;
  /** Offline mail (§5); without it the engine neither holds, deposits nor fetches mail. */
  readonly mailbox?: MailboxTransport;
  /** Handle links (§8.4); without it the engine cannot send anonymous actions. */
  readonly handles?: HandleTransport;
}

export type EngineEvent =
  | { t: 'ContactChanged'; contact: Contact }
  | { t: 'ContactRemoved'; contactId: Id }
  | { t: 'MessageAdded'; message: ChatMessage }
  | { t: 'MessageChanged'; message: ChatMessage }
  /** A transfer moved (at most a few times a second per file); the message's `file.done` is updated. */
  | { t: 'FileProgress'; messageId: Id; contactId: Id; done: number; total: number; bytesPerSecond: number }
  /** A post was added, changed (edit, comment, reaction) or removed (§7); `post` absent = removed. */
  | { t: 'PostChanged'; key: string; post?: FeedPost }
  | { t: 'ProfileChanged'; contactId: Id }
  | { t: 'AudiencesChanged' }
  /** Groups, polls or the anonymous inbox changed (§8); read `handlesStatus()` again. */
  | { t: 'HandlesChanged' }
  /** Holders, hosting or held counts changed (§5); read `mailboxStatus()` again. */
  | { t: 'MailboxChanged' }
  /** A peer sent something invalid (or replayed); diagnostic, the conversation continues. */
  | { t: 'ProtocolError'; code: string; message: string; contactId?: Id };

export interface EngineOptions {
  storage: EngineStorage;
  transport: EngineTransport;
  now?: () => number;
  rng?: (n: number) => Uint8Array;
  /** Send read receipts (the user can switch them off). Default true. */
  readReceipts?: () => boolean;
  /**
   * The key that seals ratchet states (sealState). Default: a random key kept in storage meta
   * `storageKey`. The PWA's key vault supplies a non-extractable CryptoKey it keeps sealed (§4.3).
   */
  storageKey?: () => Promise<CryptoKey | Uint8Array>;
  /** Seals the identity secrets kept in storage meta `identity` (§4.3). Default: stored raw. */
  identityBox?: SecretBox;
  /** Put an ML-KEM-768 prekey in new identities' cards (PQXDH). Default true. */
  kem?: boolean;
  /** Outbox resend interval while a link is open, ms. Default 30,000. */
  retryMs?: number;
  /** Hold mail for friends who ask (§5.2). Default true. */
  holdForFriends?: () => boolean;
  /** How long a message waits for a delivered receipt before it is deposited (§5.7). Default 20,000. */
  depositAfterMs?: number;
  /** How often mail is fetched from the holders while running (§5.7). Default 300,000. */
  fetchEveryMs?: number;
  /** Envelope lifetime at holders, for the fetch window (§5.3). Default 14 days. */
  mailTtlMs?: number;
  /** Where file bytes live (§6); without it the engine neither sends nor receives files. */
  files?: FileStore;
  /** Offers up to this size are accepted without asking (§6.4). Default 10 MiB. */
  autoAcceptBytes?: () => number;
  /** Posts and profiles (§7); without it social payloads are acknowledged and dropped. */
  social?: SocialStorage;
  /** Membership proofs (§8); without it the engine neither sends nor accepts anonymous actions. */
  zk?: ZkProver;
}

export type HolderState = 'asked' | 'holding' | 'refused';

export interface MailboxStatus {
  /** true: the engine picks up to 3 online friends itself; false: the user's list. */
  auto: boolean;
  holders: { contactId: Id; state: HolderState }[];
  /** Friends this node holds mail for. */
  hosting: Id[];
  /** Friends whose mailboxes this node knows (it can leave them mail while they are offline). */
  mailTo: Id[];
  /** What this node's gateway holds (counts and sizes only), if it can tell. */
  held?: MailboxStats;
}

/** At-rest protection for a secret the engine stores (the PWA's key vault, docs/protocol.md §4.3). */
export interface SecretBox {
  seal(plaintext: Uint8Array): Promise<Uint8Array>;
  /** Fails with E_LOCKED while the vault is locked, E_DECRYPT on damaged data. */
  open(sealed: Uint8Array): Promise<Uint8Array>;
}

export interface Profile {
  displayName: string;
  /** The contact id friends know this identity by (hex(SHA-256(signingPublic))[:32]). */
  contactId: Id;
  /** IKs.pub, base64url: the identity itself (§3.2). */
  signingPublic: string;
}

/** The engine's surface for UIs and bots. Every method validates its input (ChattorError E_BAD_INPUT). */
export interface ChatEngineApi {
  hasIdentity(): Promise<boolean>;
  createIdentity(displayName: string): Promise<void>;
  /**
   * Stores an identity opened from a backup file (§3.6) with fresh prekeys, storage key and card. Contacts
   * are not in a backup. E_STATE if an identity exists. The caller wipes `secrets` afterwards.
   */
  restoreIdentity(secrets: IdentitySecrets, displayName: string): Promise<void>;
  /** The stored identity secrets, opened (for a new backup file). The caller wipes them. */
  exportIdentitySecrets(): Promise<IdentitySecrets>;
  /** Who this engine is; needs a started engine. */
  myProfile(): Promise<Profile>;
  /** Loads keys and starts listening; call once after createIdentity or on start-up. */
  start(): Promise<void>;
  stop(): Promise<void>;
  myContactLink(): Promise<string>; // chattor:card/… (needs the contact onion)
  sendFriendRequest(link: string, note: string): Promise<Contact>;
  acceptFriendRequest(contactId: Id): Promise<void>;
  declineFriendRequest(contactId: Id): Promise<void>;
  block(contactId: Id): Promise<void>;
  removeFriend(contactId: Id): Promise<void>;
  renameFriend(contactId: Id, alias: string): Promise<void>;
  sendMessage(contactId: Id, body: string): Promise<ChatMessage>;
  markRead(contactId: Id): Promise<void>;
  /** Offers a file (§6); it is sent once the friend accepts. The message's `file` tracks it. */
  sendFile(contactId: Id, file: FileInput): Promise<ChatMessage>;
  acceptFile(messageId: Id): Promise<void>;
  pauseFile(messageId: Id): Promise<void>;
  resumeFile(messageId: Id): Promise<void>;
  /** Stops the transfer on both sides and deletes partial data. */
  cancelFile(messageId: Id): Promise<void>;
  mailboxStatus(): Promise<MailboxStatus>;
  /** The friends to ask to hold mail (at most 5), or 'auto' (§5.2). */
  setMailboxHolders(holders: Id[] | 'auto'): Promise<void>;
  /** Asks every holder for waiting mail now; resolves with the number of envelopes processed. */
  fetchMail(): Promise<number>;
  // social (§7); E_UNSUPPORTED without EngineOptions.social
  publishPost(post: PostInput): Promise<FeedPost>;
  editPost(postId: Id, post: Omit<PostInput, 'audience'>): Promise<FeedPost>;
  deletePost(postId: Id): Promise<void>;
  /** `postKey`: FeedPost.key */
  comment(postKey: string, text: string): Promise<void>;
  deleteComment(postKey: string, commentId: Id): Promise<void>;
  /** `''` withdraws our reaction. */
  react(postKey: string, emoji: Emoji | ''): Promise<void>;
  listFeed(opts?: {
    limit?: number;
    before?: { at: number; key: string };
    authorId?: Id;
  }): Promise<FeedPost[]>;
  getPost(postKey: string): Promise<FeedPost | undefined>;
  /** Our own profile (contactId = ours) or a friend's, if they shared one. */
  getProfile(contactId: Id): Promise<SocialProfile | undefined>;
  setProfile(p: { name: string; bio: string; avatar?: Picture | null }): Promise<void>;
  listAudiences(): Promise<AudienceInfo[]>;
  createCircle(name: string, members: Id[]): Promise<AudienceInfo>;
  /** Renames and sets the members; removing someone starts a new epoch (§7.1). */
  updateCircle(aid: Id, name: string, members: Id[]): Promise<AudienceInfo>;

  // ── handles (§8) ──
  /** Our friends group, friends' groups (joined or not), polls and the anonymous inbox. */
  handlesStatus(): Promise<HandlesStatus>;
  /** Opts in to (or out of) `owner`'s friends group by sending our commitment for it (§8.2). */
  joinGroup(owner: Id, on: boolean): Promise<void>;
  /** An anonymous message to `owner` as "one of your friends" (§8.4); resolves once it was accepted. */
  sendAnonymous(owner: Id, body: string, onProgress?: (stage: ProveStage) => void): Promise<void>;
  /** An anonymous comment on a friend's post; the friend relays it as "a friend of <friend>" (§8.4). */
  commentAnonymously(postKey: string, text: string, onProgress?: (stage: ProveStage) => void): Promise<void>;
  /** A poll in our own friends group, sent to its members. */
  createPoll(question: string, options: string[], closesAt: number): Promise<PollInfo>;
  /** An anonymous vote in `owner`'s poll; refused (E_ZK_NULLIFIER) if this member voted already. */
  vote(owner: Id, poll: Id, choice: number, onProgress?: (stage: ProveStage) => void): Promise<void>;
  on(handler: (e: EngineEvent) => void): () => void;
}

/** What a prover reports while it works (the PWA's progress indicator). */
export type ProveStage = 'loading' | 'witness' | 'proving' | 'sending';

/** Groth16 membership proofs (docs/zk.md): the PWA's Web Worker, or snarkjs in Node. */
export interface ZkProver {
  prove(
    input: Record<string, unknown>,
    onProgress?: (stage: ProveStage) => void,
  ): Promise<{ proof: Groth16ProofJson; publicSignals: string[] }>;
  /**
   * docs/zk.md §6 verifyMembershipProof with the committed vkey: false for any bad proof or input; rejects
   * only when the verifier itself cannot run (the refusal then says so instead of blaming the proof).
   */
  verify(
    proof: Groth16ProofJson,
    publicSignals: string[],
    expected: { root: bigint; scope: bigint; messageHash: bigint },
  ): Promise<boolean>;
}

export interface Groth16ProofJson {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: string;
  curve: string;
}

/** The handle side of the transport (§8.4). */
export interface HandleTransport {
  /** This node's current handle onion (56 characters), once published. */
  handleOnion(): string | undefined;
  /**
   * Opens an isolated link to `onion`, writes `body`, resolves with the first DATA body answered on that
   * link, and closes it (E_DIAL_TIMEOUT when nothing comes).
   */
  exchange(onion: string, body: Uint8Array): Promise<Uint8Array>;
}

export interface HandlesStatus {
  /** Our own group's current version, or null while nobody has opted in. */
  own: { size: number; ver: number; exp: number } | null;
  /** One entry per friend: their group as we know it. */
  groups: {
    owner: Id;
    name: string;
    joined: boolean;
    /** Members in the newest version we hold that contains us (0: none yet). */
    size: number;
    exp: number;
  }[];
  polls: PollInfo[];
  inbox: AnonMessage[];
  /** Below this many members the UI warns that the anonymity set is small. */
  warnBelow: number;
}

export interface PollInfo {
  /** The group's owner: our own id for our polls. */
  owner: Id;
  poll: Id;
  question: string;
  options: string[];
  closes: number;
  tally: number[];
  /** The option we voted for, if we did. */
  voted?: number;
}

export interface AnonMessage {
  id: Id;
  body: string;
  /** The anonymity set: members of the group version the proof was made against. */
  groupSize: number;
  sentAt: number;
  receivedAt: number;
}
