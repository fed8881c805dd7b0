// Renders the PWA's PNG icons from static/icons/icon.svg with the system Chromium (no download):
//   node scripts/make-icons.mjs
// Writes icon-32.png, icon-192.png, icon-512.png and icon-maskable-512.png (square corners, full
// bleed: the bubble already sits inside the maskable safe circle of radius 40 %). Re-run after changing
// icon.svg and commit the PNGs.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const dir = fileURLToPath(new URL('../static/icons/', import.meta.url));
const svg = await readFile(`${dir}icon.svg`, 'utf8');
const toDataUrl = (text) => `data:image/svg+xml;base64,${Buffer.from(text).toString('base64')}`;
const maskable = svg.replace(/(<rect [^>]*?)\s+rx="\d+"/, '$1');
if (maskable === svg) throw new Error('icon.svg: expected a rounded <rect rx="…"> background');

const targets = [
  { file: 'icon-32.png', size: 32, svg },
  { file: 'icon-192.png', size: 192, svg },
  { file: 'icon-512.png', size: 512, svg },
  { file: 'icon-maskable-512.png', size: 512, svg: maskable },
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  for (const t of targets) {
    await page.setViewportSize({ width: t.size, height: t.size });
    await page.setContent(
      `<html><body style="margin:0;background:transparent">` +
        `<img src="${toDataUrl(t.svg)}" width="${t.size}" height="${t.size}" style="display:block"></body></html>`,
    );
    await page.locator('img').evaluate((img) => img.decode());
    await page.screenshot({ path: `${dir}${t.file}`, omitBackground: true });
    console.log(`wrote static/icons/${t.file}`);
  }
} finally {
  await browser.close();
}
