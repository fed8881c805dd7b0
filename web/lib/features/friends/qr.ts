// A QR code for the contact link, as an SVG data: URL (the CSP allows data: images; no canvas needed).
// Always dark on light, whatever the theme: that is what scanners read best.
import QRCode from 'qrcode';

const TOO_BIG = /too big/i;

/** The QR image, or null when the text does not fit in a QR code (version 40, level L: 2,953 bytes). */
export async function qrDataUrl(text: string): Promise<string | null> {
  try {
    const svg = await QRCode.toString(text, {
      type: 'svg',
      errorCorrectionLevel: 'L',
      margin: 2,
      color: { dark: '#000000', light: '#ffffff' },
    });
    return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  } catch (error) {
    if (error instanceof Error && TOO_BIG.test(error.message)) return null;
    throw error;
  }
}
