// headless/own-gateway.ts: where a headless node without --data-dir lives, attaching to a running
// gateway (whose options are its own), and a clear error when the gateway it starts does not come up.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultNodeDir, ensureGateway, gatewayRunning } from './own-gateway.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'chattor-own-gw-'));
  dirs.push(d);
  return d;
}

describe('the gateway of a headless node', () => {
  it('keeps bots apart from the user’s own node, and needs a safe name for that', () => {
    expect(defaultNodeDir('relay-1', { XDG_DATA_HOME: '/data' })).toBe('/data/chattor-nodes/relay-1');
    for (const bad of ['', '../x', 'a b', 'x'.repeat(65)])
      expect(() => defaultNodeDir(bad, {})).toThrow(/without --data-dir/);
  });

  it('attaches to a gateway that answers, and refuses gateway options then', async () => {
    const dir = temp();
    expect(await gatewayRunning(dir)).toBe(false);
    const server = createServer((req, res) => {
      res.statusCode = req.headers.authorization === 'Bearer t0k' ? 200 : 401;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      writeFileSync(join(dir, 'gateway.json'), JSON.stringify({ uiPort: port }));
      writeFileSync(join(dir, 'token'), 'wrong\n');
      expect(await gatewayRunning(dir)).toBe(false);
      writeFileSync(join(dir, 'token'), 't0k\n');
      expect(await gatewayRunning(dir)).toBe(true);
      const gw = await ensureGateway({ name: 'x', dataDir: dir, options: {} });
      expect(gw.spawned).toBe(false);
      await expect(
        ensureGateway({ name: 'x', dataDir: dir, options: { 'mailbox-max-mib': '64' } }),
      ).rejects.toThrow(/--mailbox-max-mib is an option of that gateway/);
    } finally {
      server.close();
    }
  });

  it('says so when the gateway it starts does not come up', async () => {
    const dir = temp();
    await expect(
      ensureGateway({ name: 'x', dataDir: join(dir, 'n'), options: {}, bundle: join(dir, 'missing.mjs') }),
    ).rejects.toMatchObject({ code: 'E_STATE', message: /the gateway did not start/ });
  });
});
