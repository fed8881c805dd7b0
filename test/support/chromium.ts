// Debian's Chromium, the one browser every tier uses (never a downloaded one), and the flags it needs
// here: root (no sandbox), no GPU, and no background traffic towards the Internet.
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
