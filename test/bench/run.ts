// `npm run bench` body: runs every benchmark against one private Tor network and writes the report.
import { createLogger } from '../../gateway/log.js';
import { loadTestnet, startTestnet } from '../../gateway/tor/testnet.js';
import { benchBackbone } from './backbone.js';
import { benchChatRtt } from './chat-rtt.js';
import { benchRatchetChromium } from './ratchet-chromium.js';
import { Report } from './report.js';

const log = createLogger('bench', { level: 'warn' });
const report = new Report();
const dir = process.env.CHATTOR_TESTNET_DIR;
const net = dir ? null : await startTestnet({ log });
const info = dir ? loadTestnet(dir) : net!.info;
try {
  const raw = await benchBackbone(report, info.clientTorrcLines);
  await benchChatRtt(report, info.clientTorrcLines, raw);
  await benchRatchetChromium(report);
} finally {
  report.write();
  await net?.stop();
}
