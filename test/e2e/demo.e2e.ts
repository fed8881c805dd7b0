// The demo a newcomer meets (issue: identity and chat, Demo): `chattor demo` starts a private Tor
// network, alice's gateway and the headless sample peers bob and carol, echo bots (headless/bots/
// echo.ts); alice befriends bob from the browser (Chromium), bob accepts by himself, greets her, echoes
// her message and answers /help — a browser user and a headless bot become friends and chat.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect, test } from '@playwright/test';
import { ChatPage } from './pages/chat';
import { FriendsPage } from './pages/friends';
import { VaultPage } from './pages/vault';

test.describe.configure({ timeout: 300_000 });

interface DemoNode {
  name: string;
  pairingUrl: string;
  contactLink?: string;
}

let demo: ChildProcess | undefined;
let dataDir: string | undefined;
const stderr: string[] = [];

test.afterAll(async () => {
  if (demo && demo.exitCode === null) {
    const exited = new Promise((r) => demo!.once('exit', r));
    demo.kill('SIGINT'); // the demo stops its peers, gateways and tor network itself
    const killer = setTimeout(() => demo?.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(killer);
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('a newcomer befriends the demo’s echo bot bob and chats with him', async ({ page }) => {
  dataDir = mkdtempSync(join(tmpdir(), 'chattor-demo-e2e-'));
  demo = spawn(process.execPath, ['dist/cli.mjs', 'demo', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  createInterface({ input: demo.stderr! }).on('line', (l) => stderr.push(l));
  const nodes: DemoNode[] = [];
  await new Promise<void>((resolve, reject) => {
    demo!.once('exit', (code) =>
      reject(new Error(`demo exited (${code}):\n${stderr.slice(-30).join('\n')}`)),
    );
    createInterface({ input: demo!.stdout! }).on('line', (line) => {
      nodes.push(JSON.parse(line) as DemoNode);
      if (nodes.length === 3) resolve();
    });
  });
  const alice = nodes.find((n) => n.name === 'alice')!;
  const bob = nodes.find((n) => n.name === 'bob')!;
  expect(bob.contactLink).toMatch(/^chattor:card\//);
  expect(nodes.find((n) => n.name === 'carol')!.contactLink).toMatch(/^chattor:card\//);

  await page.goto(alice.pairingUrl);
  await new VaultPage(page).createIdentity('alice', 60_000);
  const friends = new FriendsPage(page);
  await friends.open();
  await friends.addFriend(bob.contactLink!, 'hi bob');
  await friends.waitForFriend('bob');
  await friends.openChat('bob');
  const chat = new ChatPage(page);
  await expect(page.getByTestId('message-item').filter({ hasText: 'sample peer' })).toBeVisible({
    timeout: 120_000,
  });
  await chat.send('hello bob');
  await expect(chat.message('bob got your message: “hello bob”', 'in')).toBeVisible({ timeout: 120_000 });
  await chat.send('/help');
  await expect(page.getByTestId('message-item').filter({ hasText: '/ping — answers “pong”' })).toBeVisible({
    timeout: 120_000,
  });
  // bob read both (read receipts are on in a new identity).
  await expect(chat.message('/help', 'out')).toHaveAttribute('data-state', 'read', { timeout: 120_000 });
});
