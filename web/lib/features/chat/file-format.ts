// Files as the chat shows and offers them (docs/protocol.md §6): sizes, speeds, time left, icons,
// what may be previewed, and a picked File made into a valid offer.
import type { FileInfo, FileInput } from '../../../../shared/protocol/api';
import type { IconName } from '$lib/ui/icons';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/** Binary sizes with the usual short names (1 MB = 1,048,576 bytes, as the settings page counts). */
export function humanSize(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  const digits = value < 10 ? 1 : 0;
  return `${value.toFixed(digits).replace(/\.0$/, '')} ${UNITS[unit]}`;
}

/** Whole percent done, never 100 before the last byte. */
export function percentDone(done: number, total: number): number {
  if (total <= 0) return done >= total ? 100 : 0;
  const p = Math.floor((Math.min(done, total) / total) * 100);
  return done < total ? Math.min(p, 99) : 100;
}

export function speedText(bytesPerSecond: number): string {
  return `${humanSize(bytesPerSecond)}/s`;
}

/** "45 s", "3 min", "2 h 5 min"; '' while the speed is unknown. */
export function timeLeftText(remaining: number, bytesPerSecond: number): string {
  if (!(bytesPerSecond > 0) || remaining <= 0) return '';
  const s = Math.ceil(remaining / bytesPerSecond);
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
}

export function fileIcon(type: string): IconName {
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('video/')) return 'video';
  if (type.startsWith('audio/')) return 'audio';
  return 'file';
}

// Previews only for types a browser shows as plain media. Not SVG or HTML: an object URL belongs to
// this origin, and such a document opened from it could run a friend's script here.
const PREVIEW_TYPES: Record<string, 'image' | 'video'> = {
  'image/png': 'image',
  'image/jpeg': 'image',
  'image/gif': 'image',
  'image/webp': 'image',
  'image/avif': 'image',
  'image/bmp': 'image',
  'video/mp4': 'video',
  'video/webm': 'video',
  'video/ogg': 'video',
};
/** Larger images are not decoded inline; larger videos are not "short". */
export const PREVIEW_MAX_BYTES = 64 * 1024 * 1024;

export function previewKind(file: Pick<FileInfo, 'type' | 'size'>): 'image' | 'video' | null {
  if (file.size > PREVIEW_MAX_BYTES) return null;
  return PREVIEW_TYPES[file.type] ?? null;
}

/**
 * The MIME type the object URL carries: a preview type as is, anything else as an opaque download,
 * so opening the link never renders a friend's file as a page of this origin.
 */
export function objectUrlType(type: string): string {
  return PREVIEW_TYPES[type] ? type : 'application/octet-stream';
}

// docs/protocol.md §6.1: a name of 1..255 characters without control characters, '/' or '\'; a MIME
// type of at most 100 characters in the given shape, or ''.
const MAX_NAME = 255;
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;
// eslint-disable-next-line no-control-regex
const BAD_NAME_CHARS = /[\u0000-\u001f\u007f-\u009f/\\]/g;

export function offerName(name: string): string {
  const clean =
    name
      .replace(BAD_NAME_CHARS, '_')
      .replace(/\p{Cs}/gu, '_')
      .trim() || 'file';
  const chars = [...clean];
  if (chars.length <= MAX_NAME) return clean;
  // Keep the extension: it is what tells the receiver what the file is.
  const dot = clean.lastIndexOf('.');
  const ext = dot > 0 ? [...clean.slice(dot)] : [];
  const keep = ext.length > 0 && ext.length <= 16 ? ext : [];
  return chars.slice(0, MAX_NAME - keep.length).join('') + keep.join('');
}

export function offerType(type: string): string {
  const t = type.split(';')[0]!.trim().toLowerCase();
  return t.length <= 100 && MIME.test(t) ? t : '';
}

/** What the engine's sendFile takes for a picked or dropped file. */
export function offerInput(file: File): FileInput {
  return { name: offerName(file.name), size: file.size, type: offerType(file.type), source: file };
}
