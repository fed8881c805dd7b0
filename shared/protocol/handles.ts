// Implements docs/protocol.md §8 (handles): the engine's handle agent. The owner side keeps its friends
// group (opt-ins, signed versions, the handle key) and accepts SUBMITs; the member side keeps friends'
// signed versions, proves membership (outside the serial queue: ~1 s) and sends over an isolated link.
import { domain, Writer } from '../crypto/codec.js';
import { decodeContactCard } from '../crypto/contact-card.js';
import { generateMailboxKey, openEnvelope, sealEnvelope } from '../crypto/envelope.js';
import { sha256, sign, verify } from '../crypto/primitives.js';
import { fromBase64Url, fromHex, toBase64Url, utf8 } from '../util/bytes.js';
import { ChattorError, missingCaseError, type ErrorCode } from '../util/errors.js';
import { messageHash, scopeHash, toBytes32 } from '../zk/field.js';
import { nullifierKey } from '../zk/nullifiers.js';
import type * as ZkLib from '../zk/index.js';
import type { AnonMessage, HandlesStatus, Id, PollInfo, ProveStage, ZkProver } from './api.js';
import { encodeHandleBody, isId, randomId } from './body.js';
import type { Core } from './core.js';
import {
  isText,
  MAX_GROUP,
  MAX_POLL_OPTIONS,
  type Payload,
  type ZkGroupPayload,
  type ZkPollPayload,
} from './payload.js';

/**
 * Poseidon, the LeanIMT and the proof encoding load on first use (~35 KB gzipped of round constants and
 * tree code), so the PWA's first load does not carry them.
 */
let zkLib: Promise<typeof ZkLib> | undefined;
const zkLoad = (): Promise<typeof ZkLib> => (zkLib ??= import('../zk/index.js'));

/** docs/zk.md §6 (`PROOF_BYTES`; checked equal in circuits/handles.spec.ts). */
export const PROOF_BYTES = 385;

export const ROOT_TTL = 7 * 24 * 3600_000;
export const ROOT_RENEW = 2 * 24 * 3600_000;
export const VERSIONS_KEPT = 4;
export const WARN_BELOW = 5;
export const MAX_ANON_BODY = 2000;
const INBOX_KEPT = 500;
const POLLS_KEPT = 100;
const POLL_NULLIFIER_GRACE = 30 * 24 * 3600_000;
const ROOT_LABEL = 'chattor/v1/zk-root';
const MEMBER_LABEL = 'chattor/v1/zk-member';
const ONION_RE = /^[a-z2-7]{56}$/;

const M = {
  seed: 'zk-seed',
  own: 'zk-own',
  inbox: 'zk-inbox',
  polls: 'zk-polls',
  member: (owner: Id) => `zk-member:${owner}`,
} as const;

interface OwnVersion {
  ver: number;
  root: string;
  exp: number;
  size: number;
  /** The owner's signature (base64url), to send the version again to a member who asks. */
  sig: string;
}

interface OwnGroup {
  gid: Id;
  key: { publicKey: string; privateKey: string; sealed: boolean };
  /** In join order: the tree's leaves. */
  members: { contactId: Id; commitment: string }[];
  /** Newest first; proofs are accepted against these until they expire. */
  versions: OwnVersion[];
}

interface MemberGroup {
  owner: Id;
  joined: boolean;
  /** Signed versions received from the owner, newest first. */
  versions: ZkGroupPayload[];
}

interface StoredPoll extends PollInfo {
  gid: Id;
}

/** A statement (§8.4), members in the canonical order. */
type Statement =
  | { t: 'anon-msg'; gid: Id; ver: number; nonce: Id; handle: string; sentAt: number; body: string }
  | {
      t: 'anon-comment';
      gid: Id;
      ver: number;
      nonce: Id;
      handle: string;
      sentAt: number;
      post: Id;
      text: string;
    }
  | { t: 'vote'; gid: Id; ver: number; poll: Id; choice: number; handle: string; sentAt: number };

export function scopeOf(s: Statement): string {
  switch (s.t) {
    case 'anon-msg':
      return `chattor/anon-msg/${s.gid}/${s.nonce}`;
    case 'anon-comment':
      return `chattor/anon-comment/${s.gid}/${s.nonce}`;
    case 'vote':
      return `chattor/poll/${s.gid}/${s.poll}`;
    default:
      throw missingCaseError(s);
  }
}

function badStatement(field: string): ChattorError {
  return new ChattorError('E_BAD_INPUT', `statement: invalid ${field}`);
}

/** Strict: canonical JSON with exactly the §8.4 members (a re-encoding must give the same bytes). */
export function decodeStatement(bytes: Uint8Array): Statement {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(utf8.decode(bytes)) as Record<string, unknown>;
  } catch {
    throw badStatement('JSON');
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw badStatement('object');
  const need = (ok: boolean, f: string) => {
    if (!ok) throw badStatement(f);
  };
  const time = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  need(isId(o.gid), 'gid');
  need(time(o.ver) && (o.ver as number) >= 1, 'ver');
  need(o.handle === '' || (typeof o.handle === 'string' && ONION_RE.test(o.handle)), 'handle');
  need(time(o.sentAt), 'sentAt');
  let s: Statement;
  if (o.t === 'anon-msg') {
    need(isId(o.nonce), 'nonce');
    need(isText(o.body, 1, MAX_ANON_BODY), 'body');
    const { gid, ver, nonce, handle, sentAt, body } = o as Statement & { t: 'anon-msg' };
    s = { t: 'anon-msg', gid, ver, nonce, handle, sentAt, body };
  } else if (o.t === 'anon-comment') {
    need(isId(o.nonce), 'nonce');
    need(isId(o.post), 'post');
    need(isText(o.text, 1, MAX_ANON_BODY), 'text');
    const { gid, ver, nonce, handle, sentAt, post, text } = o as Statement & { t: 'anon-comment' };
    s = { t: 'anon-comment', gid, ver, nonce, handle, sentAt, post, text };
  } else if (o.t === 'vote') {
    need(isId(o.poll), 'poll');
    need(time(o.choice) && (o.choice as number) < MAX_POLL_OPTIONS, 'choice');
    const { gid, ver, poll, choice, handle, sentAt } = o as Statement & { t: 'vote' };
    s = { t: 'vote', gid, ver, poll, choice, handle, sentAt };
  } else throw badStatement('t');
  const again = utf8.encode(JSON.stringify(s));
  if (again.length !== bytes.length || again.some((b, i) => b !== bytes[i])) throw badStatement('encoding');
  return s;
}

/** The zk secret for `owner`'s group (§8.1) from the zk seed; its commitment is the member's leaf. */
export async function memberSecret(seed: Uint8Array, owner: Id): Promise<bigint> {
  const z = await zkLoad();
  return z.identitySecretFromSeed(await sha256(domain(MEMBER_LABEL, seed, utf8.encode(owner))));
}

/** `u16 statementLength || statement || proof` (§8.4). */
export function encodeSubmission(statement: Uint8Array, proof: Uint8Array): Uint8Array {
  return new Writer().u16(statement.length).bytes(statement).bytes(proof).finish();
}

export function decodeSubmission(body: Uint8Array): { statement: Uint8Array; proof: Uint8Array } {
  if (body.length < 2 + PROOF_BYTES) throw new ChattorError('E_BAD_INPUT', 'submission too short');
  const n = (body[0]! << 8) | body[1]!;
  if (body.length !== 2 + n + PROOF_BYTES) throw new ChattorError('E_BAD_INPUT', 'submission length');
  return { statement: body.subarray(2, 2 + n), proof: body.subarray(2 + n) };
}

/** The bytes the owner signs for a version (§8.2). */
export function rootMessage(gid: Id, root: bigint, ver: number, exp: number, key: Uint8Array): Uint8Array {
  return domain(ROOT_LABEL, fromHex(gid), toBytes32(root), new Writer().u32(ver).u64(exp).finish(), key);
}

const commitmentHex = (c: bigint): string => c.toString(16).padStart(64, '0');
const hexToBig = (h: string): bigint => BigInt(`0x${h}`);

export type HandleResult = { ok: true } | { ok: false; code: ErrorCode; reason: string };

export class HandleAgent {
  constructor(
    private readonly core: Core,
    private readonly zk: ZkProver | undefined,
  ) {}

  private emit(): void {
    this.core.emit({ t: 'HandlesChanged' });
  }

  // ── the zk identity (§8.1) ──

  private async seed(): Promise<Uint8Array> {
    const c = this.core;
    const stored = await c.storage.getMeta<{ seed: string; sealed: boolean }>(M.seed);
    if (stored) {
      const raw = fromBase64Url(stored.seed, 'zk seed');
      return stored.sealed && c.identityBox ? c.identityBox.open(raw) : raw;
    }
    const seed = c.rng(32);
    const box = c.identityBox;
    const kept = box ? await box.seal(seed) : seed;
    await c.storage.putMeta(M.seed, { seed: toBase64Url(kept), sealed: !!box });
    return seed;
  }

  private async secretFor(owner: Id): Promise<bigint> {
    const seed = await this.seed();
    try {
      return await memberSecret(seed, owner);
    } finally {
      seed.fill(0);
    }
  }

  // ── status ──

  async status(): Promise<HandlesStatus> {
    const c = this.core;
    const own = await c.storage.getMeta<OwnGroup>(M.own);
    const v = own?.versions[0];
    const groups: HandlesStatus['groups'] = [];
    for (const f of await c.storage.listContacts()) {
      if (f.state !== 'friend') continue;
      const m = await c.storage.getMeta<MemberGroup>(M.member(f.id));
      const usable = m ? await this.usableVersion(f.id, m) : undefined;
      groups.push({
        owner: f.id,
        name: f.alias ?? f.displayName,
        joined: m?.joined === true,
        size: usable?.members.length ?? 0,
        exp: usable?.exp ?? 0,
      });
    }
    const polls = ((await c.storage.getMeta<StoredPoll[]>(M.polls)) ?? []).map(({ gid: _gid, ...p }) => p);
    return {
      own: v ? { size: v.size, ver: v.ver, exp: v.exp } : null,
      groups,
      polls,
      inbox: (await c.storage.getMeta<AnonMessage[]>(M.inbox)) ?? [],
      warnBelow: WARN_BELOW,
    };
  }

  // ── member side ──

  async join(owner: Id, on: boolean): Promise<void> {
    const c = this.core;
    const friend = await c.storage.getContact(owner);
    if (friend?.state !== 'friend') throw new ChattorError('E_STATE', 'only a friend’s group can be joined');
    const { identityCommitment } = await zkLoad();
    const commitment = on ? commitmentHex(identityCommitment(await this.secretFor(owner))) : '';
    const prev = await c.storage.getMeta<MemberGroup>(M.member(owner));
    const id = randomId(c.rng);
    await c.sendTo(
      owner,
      { t: 'zk-join', id, commitment },
      {
        kind: 'control',
        messageId: id,
        also: () =>
          c.storage.putMeta<MemberGroup>(M.member(owner), {
            owner,
            joined: on,
            versions: on ? (prev?.versions ?? []) : [],
          }),
      },
    );
    this.emit();
  }

  /** The newest unexpired version that contains our commitment. */
  private async usableVersion(owner: Id, m: MemberGroup): Promise<ZkGroupPayload | undefined> {
    if (!m.joined) return undefined;
    const { identityCommitment } = await zkLoad();
    const mine = commitmentHex(identityCommitment(await this.secretFor(owner)));
    const now = this.core.now();
    return m.versions.find((v) => v.exp > now && v.members.includes(mine));
  }

  /** A signed version from a friend (§8.2): checked, then kept (last VERSIONS_KEPT, unexpired). */
  async onGroup(owner: Id, p: ZkGroupPayload): Promise<void> {
    const c = this.core;
    const contact = await c.storage.getContact(owner);
    if (!contact || contact.state !== 'friend')
      throw new ChattorError('E_STATE', 'zk-group from a non-friend');
    const card = decodeContactCard(fromBase64Url(contact.card, 'card'));
    const tree = (await zkLoad()).createGroupTree(p.members.map(hexToBig));
    const ok = await verify(
      card.signingPublic,
      rootMessage(p.gid, tree.root, p.ver, p.exp, fromBase64Url(p.key, 'key')),
      fromBase64Url(p.sig, 'sig'),
    );
    if (!ok) throw new ChattorError('E_SIGNATURE', 'the friends group version is not signed by its owner');
    const m = (await c.storage.getMeta<MemberGroup>(M.member(owner))) ?? {
      owner,
      joined: false,
      versions: [],
    };
    if (m.versions.some((v) => v.ver >= p.ver && v.gid === p.gid)) return; // old or repeated
    const now = c.now();
    const versions = [p, ...m.versions.filter((v) => v.gid === p.gid && v.exp > now)].slice(0, VERSIONS_KEPT);
    await c.storage.putMeta<MemberGroup>(M.member(owner), { ...m, versions });
    this.emit();
  }

  async onPoll(owner: Id, p: ZkPollPayload): Promise<void> {
    const c = this.core;
    const m = await c.storage.getMeta<MemberGroup>(M.member(owner));
    if (!m?.versions.some((v) => v.gid === p.gid))
      throw new ChattorError('E_STATE', 'poll for an unknown group');
    await this.storePoll({
      owner,
      gid: p.gid,
      poll: p.poll,
      question: p.q,
      options: p.opts,
      closes: p.closes,
      tally: p.tally,
    });
  }

  private async storePoll(p: StoredPoll): Promise<void> {
    const polls = (await this.core.storage.getMeta<StoredPoll[]>(M.polls)) ?? [];
    const old = polls.find((x) => x.poll === p.poll && x.owner === p.owner);
    const merged: StoredPoll = old?.voted !== undefined ? { ...p, voted: old.voted } : p;
    const rest = polls.filter((x) => !(x.poll === p.poll && x.owner === p.owner));
    await this.core.storage.putMeta(M.polls, [merged, ...rest].slice(0, POLLS_KEPT));
    this.emit();
  }

  /**
   * Builds the statement and the circuit input on the serial queue (`run`), proves outside it, then
   * sends over an isolated link to the owner's contact onion and waits for the RESULT.
   */
  async submit(
    run: <T>(fn: () => Promise<T>) => Promise<T>,
    owner: Id,
    make: (gid: Id, ver: number, handle: string, sentAt: number) => Statement,
    onProgress?: (stage: ProveStage) => void,
  ): Promise<void> {
    const zk = this.zk;
    const handles = this.core.transport.handles;
    if (!zk || !handles) throw new ChattorError('E_UNSUPPORTED', 'this client cannot make membership proofs');
    onProgress?.('loading');
    const prep = await run(async () => {
      const c = this.core;
      const contact = await c.storage.getContact(owner);
      if (contact?.state !== 'friend') throw new ChattorError('E_STATE', 'not a friend');
      const m = await c.storage.getMeta<MemberGroup>(M.member(owner));
      const v = m ? await this.usableVersion(owner, m) : undefined;
      if (!v)
        throw new ChattorError('E_STATE', 'you are not in a current version of this friend’s group yet');
      if (v.members.length < 2)
        throw new ChattorError('E_STATE', 'the group has one member: you would not be anonymous');
      const statement = make(v.gid, v.ver, handles.handleOnion() ?? '', c.now());
      const bytes = utf8.encode(JSON.stringify(statement));
      const secret = await this.secretFor(owner);
      const z = await zkLoad();
      const input = z.membershipInputFromTree({
        secret,
        tree: z.createGroupTree(v.members.map(hexToBig)),
        scope: scopeHash(scopeOf(statement)),
        messageHash: messageHash(bytes),
      });
      return { bytes, input, key: fromBase64Url(v.key, 'key'), gid: v.gid, onion: contact.contactOnion };
    });
    const { proof, publicSignals } = await zk.prove(prep.input, onProgress);
    onProgress?.('sending');
    const z = await zkLoad();
    const encoded = z.encodeMembershipProof(proof, z.parsePublicSignals(publicSignals));
    const { envelope } = await sealEnvelope(
      prep.key,
      fromHex(prep.gid),
      encodeSubmission(prep.bytes, encoded),
      this.core.rng,
    );
    const reply = await handles.exchange(prep.onion, encodeHandleBody('SUBMIT', envelope));
    const result = decodeResult(reply);
    if (!result.ok) throw new ChattorError(result.code, result.reason);
  }

  async markVoted(owner: Id, poll: Id, choice: number): Promise<void> {
    const polls = (await this.core.storage.getMeta<StoredPoll[]>(M.polls)) ?? [];
    await this.core.storage.putMeta(
      M.polls,
      polls.map((p) => (p.owner === owner && p.poll === poll ? { ...p, voted: choice } : p)),
    );
    this.emit();
  }

  async pollOf(owner: Id, poll: Id): Promise<StoredPoll | undefined> {
    const polls = (await this.core.storage.getMeta<StoredPoll[]>(M.polls)) ?? [];
    return polls.find((p) => p.owner === owner && p.poll === poll);
  }

  // ── owner side ──

  private async ownGroup(): Promise<OwnGroup> {
    const c = this.core;
    const g = await c.storage.getMeta<OwnGroup>(M.own);
    if (g) return g;
    const kp = generateMailboxKey(c.rng);
    const box = c.identityBox;
    const privateKey = toBase64Url(box ? await box.seal(kp.privateKey) : kp.privateKey);
    kp.privateKey.fill(0);
    const fresh: OwnGroup = {
      gid: randomId(c.rng),
      key: { publicKey: toBase64Url(kp.publicKey), privateKey, sealed: !!box },
      members: [],
      versions: [],
    };
    await c.storage.putMeta(M.own, fresh);
    return fresh;
  }

  /** A friend's zk-join: add, replace or remove its commitment; a change makes a new version. */
  async onJoin(contactId: Id, commitment: string): Promise<void> {
    const g = await this.ownGroup();
    const old = g.members.find((m) => m.contactId === contactId);
    // The same opt-in again (the member lost its copy): send it the current version again.
    if (old && old.commitment === commitment) return this.sendVersion(g, g.versions[0], [contactId]);
    if (!old && commitment === '') return;
    if (commitment !== '' && g.members.some((m) => m.commitment === commitment && m.contactId !== contactId))
      throw new ChattorError('E_BAD_INPUT', 'zk-join: commitment already in the group');
    const members = g.members.filter((m) => m.contactId !== contactId);
    if (commitment !== '') {
      if (members.length >= MAX_GROUP) throw new ChattorError('E_STATE', 'the friends group is full');
      members.push({ contactId, commitment });
    }
    await this.newVersion({ ...g, members }, old !== undefined);
  }

  /** A friend removed or blocked: out of the group; older versions stop being accepted. */
  async friendGone(contactId: Id): Promise<void> {
    const g = await this.core.storage.getMeta<OwnGroup>(M.own);
    if (g?.members.some((m) => m.contactId === contactId))
      await this.newVersion({ ...g, members: g.members.filter((m) => m.contactId !== contactId) }, true);
  }

  /** Re-signs when the current version is close to expiry (on start). */
  async renew(): Promise<void> {
    const g = await this.core.storage.getMeta<OwnGroup>(M.own);
    const v = g?.versions[0];
    if (g && v && g.members.length > 0 && v.exp - this.core.now() < ROOT_RENEW)
      await this.newVersion(g, false);
  }

  /**
   * Signs a new version and sends it to every member. `removal`: someone left, so versions that still
   * contain them are no longer accepted (only the new one is).
   */
  private async newVersion(g: OwnGroup, removal: boolean): Promise<void> {
    const c = this.core;
    const now = c.now();
    const ver = (g.versions[0]?.ver ?? 0) + 1;
    if (g.members.length === 0) {
      await c.storage.putMeta<OwnGroup>(M.own, { ...g, versions: [] });
      this.emit();
      return;
    }
    const tree = (await zkLoad()).createGroupTree(g.members.map((m) => hexToBig(m.commitment)));
    const exp = now + ROOT_TTL;
    const key = fromBase64Url(g.key.publicKey, 'key');
    const sig = await sign(c.k.identity.signing.privateKey, rootMessage(g.gid, tree.root, ver, exp, key));
    const version: OwnVersion = {
      ver,
      root: commitmentHex(tree.root),
      exp,
      size: g.members.length,
      sig: toBase64Url(sig),
    };
    const kept = removal ? [] : g.versions.filter((v) => v.exp > now);
    const next: OwnGroup = { ...g, versions: [version, ...kept].slice(0, VERSIONS_KEPT) };
    await c.storage.putMeta(M.own, next);
    await this.sendVersion(
      next,
      version,
      g.members.map((m) => m.contactId),
    );
    this.emit();
  }

  private async sendVersion(g: OwnGroup, v: OwnVersion | undefined, to: Id[]): Promise<void> {
    if (!v || v.size !== g.members.length) return;
    const payload = {
      t: 'zk-group' as const,
      gid: g.gid,
      ver: v.ver,
      exp: v.exp,
      key: g.key.publicKey,
      members: g.members.map((m) => m.commitment),
      sig: v.sig,
    };
    for (const contactId of to) {
      const id = randomId(this.core.rng);
      await this.core.sendTo(contactId, { ...payload, id }, { kind: 'control', messageId: id });
    }
  }

  async createPoll(question: string, options: string[], closesAt: number): Promise<PollInfo> {
    const c = this.core;
    if (!isText(question, 1, 300)) throw new ChattorError('E_BAD_INPUT', 'question: 1..300 characters');
    const opts = options.map((o) => o.trim()).filter((o) => o.length > 0);
    if (opts.length < 2 || opts.length > MAX_POLL_OPTIONS || new Set(opts).size !== opts.length)
      throw new ChattorError('E_BAD_INPUT', `options: 2..${MAX_POLL_OPTIONS} distinct`);
    if (!opts.every((o) => isText(o, 1, 100)))
      throw new ChattorError('E_BAD_INPUT', 'option: 1..100 characters');
    if (!Number.isSafeInteger(closesAt) || closesAt <= c.now())
      throw new ChattorError('E_BAD_INPUT', 'the poll must close in the future');
    const g = await c.storage.getMeta<OwnGroup>(M.own);
    if (!g?.versions[0]) throw new ChattorError('E_STATE', 'nobody has joined your friends group yet');
    const poll: StoredPoll = {
      owner: c.k.selfId,
      gid: g.gid,
      poll: randomId(c.rng),
      question,
      options: opts,
      closes: closesAt,
      tally: opts.map(() => 0),
    };
    await this.storePoll(poll);
    await this.sendPoll(g, poll);
    const { gid: _gid, ...info } = poll;
    return info;
  }

  private async sendPoll(g: OwnGroup, p: StoredPoll): Promise<void> {
    for (const m of g.members) {
      const id = randomId(this.core.rng);
      const payload: Payload = {
        t: 'zk-poll',
        id,
        gid: g.gid,
        poll: p.poll,
        q: p.question,
        opts: p.options,
        closes: p.closes,
        tally: p.tally,
      };
      await this.core.sendTo(m.contactId, payload, { kind: 'control', messageId: id });
    }
  }

  /** A SUBMIT on `link` (§8.5): accepted or refused with a RESULT on the same link. */
  async onSubmit(link: number, data: Uint8Array): Promise<void> {
    let result: HandleResult;
    try {
      await this.accept(data);
      result = { ok: true };
    } catch (e) {
      const err =
        e instanceof ChattorError ? e : new ChattorError('E_INTERNAL', 'the anonymous message failed');
      this.core.protocolError(err);
      result = { ok: false, code: err.code, reason: err.message };
    }
    this.core.trySend(link, encodeHandleBody('RESULT', utf8.encode(JSON.stringify(result))));
  }

  /** Every check of §8.5, in order; throws the refusal. */
  async accept(data: Uint8Array): Promise<void> {
    const c = this.core;
    if (!this.zk) throw new ChattorError('E_UNSUPPORTED', 'this client cannot check membership proofs');
    const g = await c.storage.getMeta<OwnGroup>(M.own);
    if (!g) throw new ChattorError('E_ZK_ROOT', 'there is no friends group here');
    const raw = fromBase64Url(g.key.privateKey, 'handle key');
    const key = g.key.sealed && c.identityBox ? await c.identityBox.open(raw) : raw;
    let body: Uint8Array;
    try {
      ({ body } = await openEnvelope([key], fromHex(g.gid), data));
    } finally {
      key.fill(0);
    }
    const sub = decodeSubmission(body);
    const s = decodeStatement(sub.statement);
    if (s.gid !== g.gid) throw new ChattorError('E_BAD_INPUT', 'statement for another group');
    const now = c.now();
    const v = g.versions.find((x) => x.ver === s.ver);
    if (!v || v.exp <= now)
      throw new ChattorError('E_ZK_ROOT', 'the proof is against an unknown or expired version of the group');
    let poll: StoredPoll | undefined;
    if (s.t === 'vote') {
      poll = await this.pollOf(c.k.selfId, s.poll);
      if (!poll || poll.gid !== g.gid) throw new ChattorError('E_STATE', 'no such poll');
      if (poll.closes <= now) throw new ChattorError('E_STATE', 'the poll is closed');
      if (s.choice >= poll.options.length) throw new ChattorError('E_BAD_INPUT', 'no such option');
    }
    const scope = scopeHash(scopeOf(s));
    const z = await zkLoad();
    const { proof, publicSignals } = z.decodeMembershipProof(sub.proof);
    const ok = await this.zk.verify(proof, z.publicSignalsToStrings(publicSignals), {
      root: hexToBig(v.root),
      scope,
      messageHash: messageHash(sub.statement),
    });
    if (!ok)
      throw new ChattorError(
        'E_ZK_PROOF',
        'the proof does not show membership of your friends group for this message',
      );
    const seenKey = `zkn:${nullifierKey(scope, publicSignals.nullifier)}`;
    // One task at a time (the serial queue): this check and the insert below cannot interleave.
    if ((await c.storage.getSeen(seenKey)) !== undefined)
      throw new ChattorError('E_ZK_NULLIFIER', 'already used: one vote per member per poll, no replays');
    const until = poll ? poll.closes + POLL_NULLIFIER_GRACE : v.exp;
    switch (s.t) {
      case 'anon-comment': {
        const social = c.social;
        if (!social) throw new ChattorError('E_UNSUPPORTED', 'this client keeps no posts');
        await c.storage.addSeen(seenKey, until, '1');
        try {
          await social.relayAnonymousComment(s.post, s.text, `a friend of ${c.k.displayName}`);
        } finally {
          await social.flush();
        }
        return;
      }
      case 'anon-msg': {
        const inbox = (await c.storage.getMeta<AnonMessage[]>(M.inbox)) ?? [];
        const m: AnonMessage = {
          id: randomId(c.rng),
          body: s.body,
          groupSize: v.size,
          sentAt: s.sentAt,
          receivedAt: now,
        };
        await c.storage.transaction(async () => {
          await c.storage.addSeen(seenKey, until, '1');
          await c.storage.putMeta(M.inbox, [m, ...inbox].slice(0, INBOX_KEPT));
        });
        this.emit();
        return;
      }
      case 'vote': {
        const p = poll!;
        const tally = p.tally.map((n, i) => (i === s.choice ? n + 1 : n));
        await c.storage.addSeen(seenKey, until, '1');
        await this.storePoll({ ...p, tally });
        await this.sendPoll(g, { ...p, tally });
        return;
      }
      default:
        throw missingCaseError(s);
    }
  }
}

function decodeResult(body: Uint8Array): HandleResult {
  if (body.length < 4 || body[0] !== 0x01 || body[1] !== 0x04 || body[2] !== 0x02)
    throw new ChattorError('E_BAD_INPUT', 'the owner did not answer with a RESULT');
  let r: unknown;
  try {
    r = JSON.parse(utf8.decode(body.subarray(3)));
  } catch {
    throw new ChattorError('E_BAD_INPUT', 'RESULT is not JSON');
  }
  const o = r as Record<string, unknown>;
  if (o?.ok === true) return { ok: true };
  if (
    o?.ok === false &&
    typeof o.code === 'string' &&
    /^E_[A-Z_]{1,30}$/.test(o.code) &&
    isText(o.reason, 0, 300)
  )
    return { ok: false, code: o.code as ErrorCode, reason: o.reason };
  throw new ChattorError('E_BAD_INPUT', 'malformed RESULT');
}
