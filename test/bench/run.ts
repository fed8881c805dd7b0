// `npm run bench` body: runs every benchmark against one private Tor network and writes the report.
// `npx tsx test/bench/run.ts --only mail,ratchet` runs some of them (names below; default: all). A full
// run that finishes also puts its table into README.md (between the bench:start and bench:end markers).
import { parseArgs } from 'node:util';
import { createLogger } from '../../gateway/log.js';
import { loadTestnet, startTestnet } from '../../gateway/tor/testnet.js';
import { benchBackbone } from './backbone.js';
import { benchChatRtt } from './chat-rtt.js';
import { benchFiles } from './files.js';
import { benchMailCatchup } from './mail-catchup.js';
import { benchMailHolder } from './mail-holder.js';
import { benchPwa } from './pwa.js';
import { benchGatewayLoad } from './gateway-load.js';
import { benchRatchetChromium } from './ratchet-chromium.js';
import { Report } from './report.js';
import { benchSocial } from './social.js';
import { benchZk } from './zk.js';

const BENCHES = [
  'backbone',
  'chat',
  'ratchet',
  'mail-catchup',
  'mail-holder',
  'files',
  'social',
  'zk',
  'pwa',
  'gateway-load',
] as const;
type Bench = (typeof BENCHES)[number];
/** Short names for groups. */
const GROUPS: Record<string, Bench[]> = { mail: ['mail-catchup', 'mail-holder'] };
/** Benchmarks that need the private Tor network. */
const ON_TOR: Bench[] = ['backbone', 'chat', 'mail-holder', 'files', 'social', 'pwa', 'gateway-load'];

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const only = new Set<Bench>(
  (values.only?.split(',') ?? [...BENCHES]).flatMap((name) => {
    const n = name.trim();
    if (GROUPS[n]) return GROUPS[n];
    if ((BENCHES as readonly string[]).includes(n)) return [n as Bench];
    throw new Error(`--only: unknown benchmark ${n} (${[...BENCHES, ...Object.keys(GROUPS)].join(', ')})`);
  }),
);
if (only.has('chat')) only.add('backbone'); // the chat figures are ratios to the raw onion echo

const log = createLogger('bench', { level: 'warn' });
const report = new Report();
const dir = process.env.CHATTOR_TESTNET_DIR;
const needsTor = ON_TOR.some((b) => only.has(b));
const net = dir || !needsTor ? null : await startTestnet({ log });
const info = dir ? loadTestnet(dir) : net?.info;
let failed = true;
try {
  const tor = (): string[] => {
    if (!info) throw new Error('no private Tor network');
    return info.clientTorrcLines;
  };
  const raw = only.has('backbone') ? await benchBackbone(report, tor()) : undefined;
  if (only.has('chat')) await benchChatRtt(report, tor(), raw!);
  if (only.has('ratchet')) await benchRatchetChromium(report);
  if (only.has('mail-catchup')) await benchMailCatchup(report, { rawRttMs: raw?.median });
  if (only.has('mail-holder')) await benchMailHolder(report, tor());
  if (only.has('files')) await benchFiles(report, tor());
  if (only.has('social')) await benchSocial(report, tor());
  if (only.has('zk')) await benchZk(report);
  if (only.has('pwa')) await benchPwa(report, tor());
  if (only.has('gateway-load')) await benchGatewayLoad(report, tor());
  failed = false;
} finally {
  report.write();
  if (!values.only && !failed) report.writeReadme();
  await net?.stop();
}
