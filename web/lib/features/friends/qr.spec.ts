import { describe, expect, it } from 'vitest';
import { qrDataUrl } from './qr';

describe('qrDataUrl', () => {
  it('renders a link that fits as an SVG data URL', async () => {
    const url = await qrDataUrl(`chattor:card/${'A'.repeat(2300)}`);
    expect(url).toMatch(/^data:image\/svg\+xml;charset=utf-8,/);
    expect(decodeURIComponent(url!.split(',')[1]!)).toContain('<svg');
  });

  it('returns null when the text is too long for any QR code', async () => {
    expect(await qrDataUrl('a'.repeat(3100))).toBeNull();
  });
});
