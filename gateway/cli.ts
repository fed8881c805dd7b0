// The `chattor` command: testnet up|down|status, status, start (public Tor, demo fallback), demo.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_UI_PORT, defaultDataDir, packageRoot } from './config.js';
import { createLogger, errorMessage } from './log.js';
import { spawnGateway, spawnHeadless } from './spawn-gateway.js';
import type { GatewayChild, HeadlessChild } from './spawn-gateway.js';
import { startTestnet, stopTestnetByState, testnetStatus } from './tor/testnet.js';

const USAGE = `usage:
  chattor start [--public-timeout SECONDS]   start your node on the public Tor network (demo if unreachable)
  chattor demo                                a private Tor network on 127.0.0.1 with alice, bob and carol
  chattor status [--json] [--data-dir DIR]    the state of a running node
  chattor testnet up|down|status [--dir DIR]  a private Tor network for tests and the demo
  chattor gateway [options]                   run a gateway in the foreground (see docs/architecture.md)
  chattor node --headless --name N [--data-dir D] [--bot echo|relay] [--befriend LINK]…
                                              a headless node: the echo bot ([--greeting TEXT]) or a
                                              mass relay ([--invite CODE] [--max-friends N]), beside the
                                              gateway of D, started with gateway options if not running`;

const log = createLogger('cli', { level: process.env.CHATTOR_LOG_LEVEL === 'debug' ? 'debug' : 'warn' });
const gatewayBundle = () => join(packageRoot(), 'dist', 'gateway.mjs');
const headlessBundle = () => join(packageRoot(), 'dist', 'headless.mjs');
const defaultTestnetDir = () =>
  join(process.env.XDG_RUNTIME_DIR || join(homedir(), '.cache'), 'chattor-testnet');

async function testnet(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { dir: { type: 'string' } },
    allowPositionals: true,
  });
  const dir = resolve(values.dir ?? defaultTestnetDir());
  switch (positionals[0]) {
    case 'up': {
      if (existsSync(join(dir, 'testnet.json'))) {
        const s = await testnetStatus(dir);
        if (s.allAlive) {
          console.log(JSON.stringify({ dir, running: true, consensusComplete: s.consensusComplete }));
          return 0;
        }
        await stopTestnetByState(dir);
      }
      const net = await startTestnet({ dir, detached: true, log });
      console.log(JSON.stringify({ dir, running: true, startupMs: net.startupMs }));
      return 0;
    }
    case 'down':
      if (!existsSync(join(dir, 'testnet.json'))) {
        console.log(JSON.stringify({ dir, running: false }));
        return 0;
      }
      await stopTestnetByState(dir);
      console.log(JSON.stringify({ dir, running: false }));
      return 0;
    case 'status':
      if (!existsSync(join(dir, 'testnet.json'))) {
        console.log(JSON.stringify({ dir, running: false }));
        return 1;
      }
      console.log(JSON.stringify(await testnetStatus(dir)));
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}

async function status(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { json: { type: 'boolean' }, 'data-dir': { type: 'string' } },
  });
  const dataDir = values['data-dir'] ? resolve(values['data-dir']) : defaultDataDir();
  let port = DEFAULT_UI_PORT;
  let token: string;
  try {
    port = (JSON.parse(readFileSync(join(dataDir, 'gateway.json'), 'utf8')) as { uiPort: number }).uiPort;
    token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  } catch {
    console.error(`no gateway has run with data directory ${dataDir}`);
    return 1;
  }
  const base = `http://127.0.0.1:${port}`;
  let body: Record<string, unknown>;
  try {
    const r = await fetch(`${base}/api/status`, { headers: { authorization: `Bearer ${token}` } });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    body = (await r.json()) as Record<string, unknown>;
  } catch (e) {
    console.error(`the gateway at ${base} is not answering (${errorMessage(e)})`);
    return 1;
  }
  const out = { ...body, pairingUrl: `${base}/#pair=${token}` };
  if (values.json) console.log(JSON.stringify(out));
  else {
    const tor = body.tor as { state: string; progress: number };
    const onions = body.onions as { contact?: string; handle?: string };
    console.log(`tor: ${tor.state} (${tor.progress} %)`);
    console.log(`contact onion: ${onions.contact ?? '(not yet)'}`);
    console.log(`handle onion:  ${onions.handle ?? '(not yet)'}`);
    console.log(`open: ${out.pairingUrl}`);
  }
  return 0;
}

/** Keeps children and the testnet until Ctrl-C, then stops them by their own handles. */
function holdUntilSignal(stopAll: () => Promise<void>): Promise<number> {
  return new Promise((resolveExit) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      console.error('\nstopping…');
      stopAll().then(
        () => resolveExit(0),
        () => resolveExit(1),
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export const DEMO_NODES = [
  { name: 'alice', port: 7781 },
  { name: 'bob', port: 7782 },
  { name: 'carol', port: 7783 },
];

const DEMO_GREETING = (name: string) =>
  `Hi! I'm ${name}, a sample peer of the Chattor demo. Everything you write me is end-to-end encrypted and ` +
  `travels over onion services. I'll echo what you send; /help lists my commands.`;

async function demo(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string' } } });
  const root = resolve(values['data-dir'] ?? join(defaultDataDir(), '..', 'chattor-demo'));
  await mkdir(root, { recursive: true, mode: 0o700 });
  console.error('starting a private Tor network on 127.0.0.1 (about 20 s)…');
  const net = await startTestnet({ log });
  const torrcExtra = join(root, 'testnet-torrc');
  await writeFile(torrcExtra, net.info.clientTorrcLines.join('\n') + '\n', { mode: 0o600 });
  const gateways: GatewayChild[] = [];
  const peers: HeadlessChild[] = [];
  const stopAll = async () => {
    await Promise.allSettled(peers.map((p) => p.stop()));
    await Promise.allSettled(gateways.map((g) => g.stop()));
    await net.stop();
  };
  try {
    for (const n of DEMO_NODES) {
      gateways.push(
        spawnGateway({
          bundle: gatewayBundle(),
          name: n.name,
          args: ['--data-dir', join(root, n.name), '--port', String(n.port), '--torrc-extra', torrcExtra],
        }),
      );
    }
    const nodes = await Promise.all(
      gateways.map(async (g) => ({ g, l: await g.listening, r: await g.ready })),
    );
    // bob and carol are echo bots (headless/bots/echo.ts): friends of each other, accepting alice's request.
    const bot = (name: string, extra: string[] = []) =>
      spawnHeadless({
        bundle: headlessBundle(),
        name,
        dataDir: join(root, name),
        args: ['--bot', 'echo', '--greeting', DEMO_GREETING(name), ...extra],
      });
    const carol = bot('carol');
    peers.push(carol);
    const carolLink = (await carol.ready).contactLink;
    const bob = bot('bob', ['--befriend', carolLink]);
    peers.push(bob);
    const links: Record<string, string> = { carol: carolLink, bob: (await bob.ready).contactLink };
    for (const { g, l, r } of nodes) {
      console.log(
        JSON.stringify({
          name: g.name,
          uiUrl: l.uiUrl,
          pairingUrl: l.pairingUrl,
          contactOnion: r.contactOnion,
          socksPort: r.socksPort,
          ...(links[g.name] ? { contactLink: links[g.name], headless: true } : {}),
        }),
      );
    }
    console.error(`\nThe demo is running. You are alice: open ${nodes[0]!.l.pairingUrl}`);
    console.error(`Then add bob as a friend with his contact link:\n  ${links.bob}`);
  } catch (e) {
    console.error(`demo failed: ${errorMessage(e)}`);
    for (const g of gateways) console.error(`--- ${g.name}\n${g.stderrTail()}`);
    for (const p of peers) console.error(`--- ${p.name} (headless)\n${p.stderrTail()}`);
    await stopAll();
    return 1;
  }
  console.error('Press Ctrl-C to stop everything.');
  return holdUntilSignal(stopAll);
}

async function start(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'public-timeout': { type: 'string' } }, strict: false });
  const timeoutS = Number(values['public-timeout'] ?? 90);
  console.error('starting Chattor on the public Tor network…');
  const g = spawnGateway({ bundle: gatewayBundle(), name: 'me', args: [] });
  const l = await g.listening.catch((e: unknown) => {
    console.error(errorMessage(e));
    console.error(g.stderrTail());
    return null;
  });
  if (!l) return 1;
  const timer = new Promise<null>((r) => setTimeout(() => r(null), timeoutS * 1000).unref());
  const ready = await Promise.race([g.ready.catch(() => null), timer]);
  if (ready) {
    console.log(
      JSON.stringify({
        name: 'me',
        uiUrl: l.uiUrl,
        pairingUrl: l.pairingUrl,
        contactOnion: ready.contactOnion,
      }),
    );
    console.error(`\nChattor is running. Open ${l.pairingUrl}\nPress Ctrl-C to stop.`);
    return holdUntilSignal(() => g.stop());
  }
  console.error(`The public Tor network did not answer within ${timeoutS} s (no route to it from here?).`);
  console.error('Starting the self-contained demo on a private Tor network instead.');
  await g.stop();
  return demo([]);
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'testnet':
      return testnet(rest);
    case 'status':
      return status(rest);
    case 'demo':
      return demo(rest);
    case 'start':
      return start(rest);
    case 'gateway':
      process.argv = [process.argv[0]!, gatewayBundle(), ...rest];
      await import(gatewayBundle());
      return new Promise<number>(() => {});
    default:
      console.error(USAGE);
      return cmd ? 2 : 0;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`chattor: ${errorMessage(e)}`);
    process.exit(1);
  },
);
