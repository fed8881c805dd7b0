// `npm run bench` body: runs every benchmark against one private Tor network and writes the report.
import { createLogger } from '../../gateway/log.js';
import { loadTestnet, startTestnet } from '../../gateway/tor/testnet.js';
import { benchBackbone } from './backbone.js';
import { Report } from './report.js';

const log = createLogger('bench', { level: 'warn' });
const report = new Report();
const dir = process.env.CHATTOR_TESTNET_DIR;
const net = dir ? null : await startTestnet({ log });
const info = dir ? loadTestnet(dir) : net!.info;
try {
  await benchBackbone(report, info.clientTorrcLines);
} finally {
  report.write();
  await net?.stop();
}
