// Pictures for posts and avatars (docs/protocol.md §7.10): every picture is decoded and drawn again on a
// canvas, which drops its metadata (EXIF, GPS position, camera), then scaled down and re-encoded (WebP,
// else JPEG) until it fits its share of an item. The original file never leaves this browser.
import type { Picture } from '../../../../shared/protocol/api';
import { AppError } from '$lib/errors/app-error';

/** What all pictures of one post may take together (an item is ≤ 180 KiB with its text, §7.3). */
export const POST_PICTURE_BUDGET = 150 * 1024;
export const AVATAR_BUDGET = 48 * 1024;
export const MAX_SIDE = 1600;
const AVATAR_SIDE = 400;
const QUALITIES = [0.85, 0.72, 0.6, 0.48, 0.36];

/** The budget of each of `n` pictures in one post. */
export function shareOf(n: number): number {
  return Math.floor(POST_PICTURE_BUDGET / Math.max(1, n));
}

async function encode(canvas: OffscreenCanvas, quality: number): Promise<Blob> {
  const webp = await canvas.convertToBlob({ type: 'image/webp', quality });
  // A browser that cannot encode WebP hands back PNG: use JPEG there.
  return webp.type === 'image/webp' ? webp : canvas.convertToBlob({ type: 'image/jpeg', quality });
}

/** Scales, strips and re-encodes `file` to at most `budget` bytes. */
export async function preparePicture(file: Blob, budget: number, maxSide = MAX_SIDE): Promise<Picture> {
  if (!file.type.startsWith('image/')) throw new AppError('E_PICTURE_UNSUPPORTED', 'not a picture');
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (cause) {
    throw new AppError('E_PICTURE_UNSUPPORTED', 'picture could not be decoded', { cause });
  }
  try {
    let side = Math.min(maxSide, Math.max(bitmap.width, bitmap.height));
    for (let round = 0; round < 6 && side >= 64; round++, side = Math.floor(side * 0.7)) {
      const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
      const w = Math.max(1, Math.round(bitmap.width * scale));
      const h = Math.max(1, Math.round(bitmap.height * scale));
      const canvas = new OffscreenCanvas(w, h);
      const ctx = canvas.getContext('2d');
      if (!ctx) throw new AppError('E_PICTURE_UNSUPPORTED', 'no canvas');
      ctx.drawImage(bitmap, 0, 0, w, h);
      for (const q of QUALITIES) {
        const blob = await encode(canvas, q);
        if (blob.size <= budget) return { type: blob.type, data: new Uint8Array(await blob.arrayBuffer()) };
      }
    }
  } finally {
    bitmap.close();
  }
  throw new AppError('E_PICTURE_TOO_LARGE', 'picture does not fit');
}

export function prepareAvatar(file: Blob): Promise<Picture> {
  return preparePicture(file, AVATAR_BUDGET, AVATAR_SIDE);
}

/** An object URL for showing a stored picture; the caller revokes it. */
export function pictureUrl(p: Picture): string {
  return URL.createObjectURL(new Blob([p.data as Uint8Array<ArrayBuffer>], { type: p.type }));
}
