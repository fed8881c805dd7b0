import { describe, expect, it } from 'vitest';
import {
  fileIcon,
  humanSize,
  objectUrlType,
  offerInput,
  offerName,
  offerType,
  percentDone,
  PREVIEW_MAX_BYTES,
  previewKind,
  speedText,
  timeLeftText,
} from './file-format';

describe('file sizes, speeds and time left', () => {
  it('writes sizes in binary units with at most one decimal below 10', () => {
    expect(humanSize(0)).toBe('0 B');
    expect(humanSize(1023)).toBe('1023 B');
    expect(humanSize(1024)).toBe('1 KB');
    expect(humanSize(1536)).toBe('1.5 KB');
    expect(humanSize(10 * 1024 * 1024)).toBe('10 MB');
    expect(humanSize(123.4 * 1024 * 1024)).toBe('123 MB');
    expect(humanSize(2 ** 40)).toBe('1 TB');
    expect(speedText(2.5 * 1024 * 1024)).toBe('2.5 MB/s');
  });

  it('says 100 % only at the end, and empty files are done', () => {
    expect(percentDone(0, 100)).toBe(0);
    expect(percentDone(50, 100)).toBe(50);
    expect(percentDone(999_999, 1_000_000)).toBe(99);
    expect(percentDone(1_000_000, 1_000_000)).toBe(100);
    expect(percentDone(0, 0)).toBe(100);
  });

  it('estimates the time left from the speed, and says nothing without one', () => {
    expect(timeLeftText(1000, 0)).toBe('');
    expect(timeLeftText(0, 100)).toBe('');
    expect(timeLeftText(4500, 100)).toBe('45 s');
    expect(timeLeftText(200 * 1000, 1000)).toBe('3 min');
    expect(timeLeftText(3600 * 1000, 1000)).toBe('1 h');
    expect(timeLeftText(7500 * 1000, 1000)).toBe('2 h 5 min');
  });
});

describe('icons and previews', () => {
  it('picks an icon by MIME type', () => {
    expect(fileIcon('image/png')).toBe('image');
    expect(fileIcon('video/mp4')).toBe('video');
    expect(fileIcon('audio/ogg')).toBe('audio');
    expect(fileIcon('')).toBe('file');
  });

  it('previews plain images and short videos only; SVG and HTML become opaque downloads', () => {
    expect(previewKind({ type: 'image/jpeg', size: 1000 })).toBe('image');
    expect(previewKind({ type: 'video/webm', size: 1000 })).toBe('video');
    expect(previewKind({ type: 'image/jpeg', size: PREVIEW_MAX_BYTES + 1 })).toBeNull();
    expect(previewKind({ type: 'image/svg+xml', size: 10 })).toBeNull();
    expect(objectUrlType('image/png')).toBe('image/png');
    expect(objectUrlType('image/svg+xml')).toBe('application/octet-stream');
    expect(objectUrlType('text/html')).toBe('application/octet-stream');
  });
});

describe('offers (docs/protocol.md §6.1)', () => {
  it('makes any picked name a valid offer name', () => {
    expect(offerName('holiday.jpg')).toBe('holiday.jpg');
    expect(offerName('a/b\\c\u0000d\u009f.txt')).toBe('a_b_c_d_.txt');
    expect(offerName('   ')).toBe('file');
    expect(offerName('x\ud800y')).toBe('x_y');
    const long = offerName(`${'n'.repeat(300)}.tar.gz`);
    expect([...long].length).toBe(255);
    expect(long.endsWith('.gz')).toBe(true);
    expect([...offerName('é'.repeat(300))].length).toBe(255);
  });

  it('keeps a valid MIME type (lower-cased, without parameters) and drops anything else', () => {
    expect(offerType('image/PNG')).toBe('image/png');
    expect(offerType('text/plain; charset=utf-8')).toBe('text/plain');
    expect(offerType('')).toBe('');
    expect(offerType('not a type')).toBe('');
    expect(offerType(`application/${'x'.repeat(100)}`)).toBe('');
  });

  it('passes the File itself as the source', () => {
    const file = new File([new Uint8Array(3)], 'a.bin', { type: 'Application/Octet-Stream' });
    expect(offerInput(file)).toEqual({
      name: 'a.bin',
      size: 3,
      type: 'application/octet-stream',
      source: file,
    });
  });
});
