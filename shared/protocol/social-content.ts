// Implements docs/protocol.md §7.3–7.4 content rules: the canonical JSON inside items and
// contributions, with its limits. Decoders rebuild what they parsed and reject any other encoding.
import { decodeInner, encodeInner, MAX_ITEM } from '../crypto/social-item.js';
import { ChattorError, missingCaseError } from '../util/errors.js';
import type { Emoji, Id } from './api.js';
import { isId } from './body.js';
import { isText } from './payload.js';

export const MAX_POST_TEXT = 5000;
export const MAX_COMMENT_TEXT = 2000;
export const MAX_PICTURES = 4;
export const MAX_NAME = 64;
export const MAX_BIO = 500;
export const EMOJIS: readonly Emoji[] = ['like', 'love', 'haha', 'wow', 'sad'];
export const PICTURE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'] as const;
export type PictureType = (typeof PICTURE_TYPES)[number];

export interface PictureMeta {
  type: PictureType;
  size: number;
}

export type InnerJson =
  | { t: 'post'; id: Id; at: number; edited: number; text: string; pics: PictureMeta[] }
  | { t: 'profile'; at: number; name: string; bio: string; avatar: PictureMeta | null }
  | { t: 'delete'; id: Id; at: number; post: Id; target: Id }
  | { t: 'contrib'; c: string };

export type ContribJson =
  | { t: 'comment'; id: Id; post: Id; at: number; name: string; text: string }
  | { t: 'reaction'; id: Id; post: Id; at: number; name: string; emoji: Emoji | '' }
  | { t: 'uncomment'; id: Id; post: Id; at: number; target: Id };

export interface Inner {
  json: InnerJson;
  /** The pictures' bytes, in the order of `pics` (or the avatar). */
  blobs: Uint8Array[];
}

const B64URL = /^[A-Za-z0-9_-]+$/;

function bad(what: string, reason: string): ChattorError {
  return new ChattorError('E_BAD_INPUT', `${what}: ${reason}`);
}

function isTime(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

export function isName(x: unknown): x is string {
  return isText(x, 1, MAX_NAME) && !/\p{Cc}/u.test(x) && x.trim().length > 0;
}

function isPicture(x: unknown): x is PictureMeta {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const p = x as Record<string, unknown>;
  return (
    Object.keys(p).join() === 'type,size' &&
    (PICTURE_TYPES as readonly unknown[]).includes(p.type) &&
    typeof p.size === 'number' &&
    Number.isInteger(p.size) &&
    p.size >= 1 &&
    p.size <= MAX_ITEM
  );
}

function parseObject(text: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw bad(what, 'not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(what, 'not an object');
  return v as Record<string, unknown>;
}

function canonicalInner(o: Record<string, unknown>): InnerJson {
  const need = (ok: boolean, field: string): void => {
    if (!ok) throw bad('item', `invalid ${field}`);
  };
  switch (o.t) {
    case 'post': {
      need(isId(o.id), 'id');
      need(isTime(o.at), 'at');
      need(isTime(o.edited), 'edited');
      need(isText(o.text, 0, MAX_POST_TEXT), 'text');
      need(Array.isArray(o.pics) && o.pics.length <= MAX_PICTURES && o.pics.every(isPicture), 'pics');
      const pics = (o.pics as PictureMeta[]).map((p) => ({ type: p.type, size: p.size }));
      need((o.text as string).trim().length > 0 || pics.length > 0, 'text (a post needs text or a picture)');
      return {
        t: 'post',
        id: o.id as Id,
        at: o.at as number,
        edited: o.edited as number,
        text: o.text as string,
        pics,
      };
    }
    case 'profile': {
      need(isTime(o.at), 'at');
      need(isName(o.name), 'name');
      need(isText(o.bio, 0, MAX_BIO), 'bio');
      need(o.avatar === null || isPicture(o.avatar), 'avatar');
      const a = o.avatar as PictureMeta | null;
      const avatar = a === null ? null : { type: a.type, size: a.size };
      return { t: 'profile', at: o.at as number, name: o.name as string, bio: o.bio as string, avatar };
    }
    case 'delete':
      need(isId(o.id), 'id');
      need(isTime(o.at), 'at');
      need(isId(o.post), 'post');
      need(isId(o.target), 'target');
      return { t: 'delete', id: o.id as Id, at: o.at as number, post: o.post as Id, target: o.target as Id };
    case 'contrib':
      need(typeof o.c === 'string' && o.c.length <= 22 * 1024 && B64URL.test(o.c), 'c');
      return { t: 'contrib', c: o.c as string };
    default:
      throw bad('item', 'unknown type');
  }
}

function canonicalContrib(o: Record<string, unknown>): ContribJson {
  const need = (ok: boolean, field: string): void => {
    if (!ok) throw bad('contribution', `invalid ${field}`);
  };
  need(isId(o.id), 'id');
  need(isId(o.post), 'post');
  need(isTime(o.at), 'at');
  const base = { id: o.id as Id, post: o.post as Id, at: o.at as number };
  switch (o.t) {
    case 'comment':
      need(isName(o.name), 'name');
      need(isText(o.text, 1, MAX_COMMENT_TEXT) && (o.text as string).trim().length > 0, 'text');
      return { t: 'comment', ...base, name: o.name as string, text: o.text as string };
    case 'reaction':
      need(isName(o.name), 'name');
      need(o.emoji === '' || (EMOJIS as readonly unknown[]).includes(o.emoji), 'emoji');
      return { t: 'reaction', ...base, name: o.name as string, emoji: o.emoji as Emoji | '' };
    case 'uncomment':
      need(isId(o.target), 'target');
      return { t: 'uncomment', ...base, target: o.target as Id };
    default:
      throw bad('contribution', 'unknown type');
  }
}

function blobSizes(j: InnerJson): number[] {
  switch (j.t) {
    case 'post':
      return j.pics.map((p) => p.size);
    case 'profile':
      return j.avatar ? [j.avatar.size] : [];
    case 'delete':
    case 'contrib':
      return [];
    default:
      throw missingCaseError(j);
  }
}

export function encodeInnerContent(inner: Inner): Uint8Array {
  const json = canonicalInner(inner.json as unknown as Record<string, unknown>);
  const sizes = blobSizes(json);
  if (sizes.length !== inner.blobs.length || sizes.some((s, i) => inner.blobs[i]!.length !== s))
    throw bad('item', 'picture sizes do not match the pictures');
  return encodeInner(JSON.stringify(json), inner.blobs);
}

/** Strict: canonical JSON, blobs exactly as announced, nothing after them. */
export function decodeInnerContent(bytes: Uint8Array): Inner {
  const { json: text, rest } = decodeInner(bytes);
  const json = canonicalInner(parseObject(text, 'item'));
  if (JSON.stringify(json) !== text) throw bad('item', 'not canonical');
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const size of blobSizes(json)) {
    if (offset + size > rest.length) throw bad('item', 'picture truncated');
    blobs.push(rest.slice(offset, offset + size));
    offset += size;
  }
  if (offset !== rest.length) throw bad('item', 'trailing bytes');
  return { json, blobs };
}

export function encodeContribJson(c: ContribJson): string {
  return JSON.stringify(canonicalContrib(c as unknown as Record<string, unknown>));
}

export function decodeContribJson(bytes: Uint8Array): ContribJson {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw bad('contribution', 'not UTF-8');
  }
  const c = canonicalContrib(parseObject(text, 'contribution'));
  if (JSON.stringify(c) !== text) throw bad('contribution', 'not canonical');
  return c;
}
