// The in-page half of ratchet-chromium.ts: bundled with shared/crypto into one IIFE and run inside
// Chromium, so the figures are the browser's WebCrypto (or @noble, when forced), not Node's.
import { generateIdentity } from '../../shared/crypto/identity.js';
import { kemBackend, setKemBackend } from '../../shared/crypto/mlkem.js';
import { onionFromPublicKey } from '../../shared/crypto/onion.js';
import { generatePrekeys, prekeyLookup } from '../../shared/crypto/prekeys.js';
import { cryptoBackend, generateDhKey, setCryptoBackend } from '../../shared/crypto/primitives.js';
import {
  initRatchetAlice,
  initRatchetBob,
  ratchetDecrypt,
  ratchetEncrypt,
  type RatchetState,
} from '../../shared/crypto/ratchet.js';
import { signContactCard } from '../../shared/crypto/contact-card.js';
import { x3dhInitiate, x3dhRespond } from '../../shared/crypto/x3dh.js';

export interface PageOptions {
  readonly backend: 'auto' | 'noble';
  /** Time spent per figure after a warm-up of a fifth of it. */
  readonly ms: number;
}

export interface PageFigures {
  readonly backend: Record<'ed25519' | 'x25519' | 'aes' | 'kem', 'webcrypto' | 'noble'>;
  /** Messages per second, each encrypted by Alice and decrypted by Bob on one sending chain. */
  readonly sameChain: number;
  /** Messages per second, alternating sender: every decryption takes a DH ratchet step. */
  readonly pingPong: number;
  /** Milliseconds for x3dhInitiate (card check, ML-KEM-768 encapsulation) + x3dhRespond, median. */
  readonly pqxdhMedianMs: number;
  readonly pqxdhRuns: number;
}

const random = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

/** Runs `step` for `ms` after a warm-up; returns completed steps per second. */
async function rate(ms: number, step: () => Promise<void>): Promise<number> {
  for (let end = performance.now() + ms / 5; performance.now() < end;) await step();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    await step();
    n += 1;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

async function pair(): Promise<{ alice: RatchetState; bob: RatchetState }> {
  const sk = random(32);
  const ad = random(130);
  const bobKey = await generateDhKey();
  const alice = await initRatchetAlice({ sk, ad, theirRatchetKey: bobKey.publicKey });
  return { alice, bob: initRatchetBob({ sk, ad, ownRatchetKey: bobKey }) };
}

async function sameChain(ms: number): Promise<number> {
  let { alice, bob } = await pair();
  const plaintext = random(1024);
  return rate(ms, async () => {
    const sent = await ratchetEncrypt(alice, plaintext);
    alice = sent.state;
    bob = (await ratchetDecrypt(bob, sent.message)).state;
  });
}

async function pingPong(ms: number): Promise<number> {
  const p = await pair();
  const st: [RatchetState, RatchetState] = [p.alice, p.bob];
  const plaintext = random(1024);
  let from = 0;
  return rate(ms, async () => {
    const to = 1 - from;
    const sent = await ratchetEncrypt(st[from]!, plaintext);
    st[from] = sent.state;
    st[to] = (await ratchetDecrypt(st[to]!, sent.message)).state;
    from = to;
  });
}

async function pqxdh(ms: number): Promise<{ median: number; runs: number }> {
  const { identity: alice } = await generateIdentity();
  const { identity: bob } = await generateIdentity();
  const { secrets, bundle } = await generatePrekeys(bob, { kem: true, oneTime: 1 });
  const card = await signContactCard(bob, {
    displayName: 'Bob',
    contactOnion: onionFromPublicKey(random(32)),
    createdAt: Date.now(),
    ...bundle,
  });
  // The lookup never deletes the one-time prekey, so every run takes the full PQXDH path with it.
  const prekeys = prekeyLookup(secrets);
  const plaintext = random(64);
  const times: number[] = [];
  const once = async (): Promise<void> => {
    const t0 = performance.now();
    const { initialMessage } = await x3dhInitiate({ identity: alice, theirCard: card, plaintext });
    await x3dhRespond({ identity: bob, initialMessage, prekeys });
    times.push(performance.now() - t0);
  };
  await rate(ms, once);
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, runs: times.length };
}

async function run(opts: PageOptions): Promise<PageFigures> {
  setCryptoBackend(opts.backend);
  setKemBackend(opts.backend);
  try {
    const backend = { ...(await cryptoBackend()), kem: await kemBackend() };
    const same = await sameChain(opts.ms);
    const pp = await pingPong(opts.ms);
    const hs = await pqxdh(opts.ms);
    return { backend, sameChain: same, pingPong: pp, pqxdhMedianMs: hs.median, pqxdhRuns: hs.runs };
  } finally {
    setCryptoBackend('auto');
    setKemBackend('auto');
  }
}

(globalThis as { chattorBench?: { run: typeof run } }).chattorBench = { run };
