// Unit spec for torrc builders, ns/all flag counting and the process helpers (no tor needed).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, tailFile, terminatePid } from './spawn.js';
import { authorityTorrc, clientTorrcLines, dirAuthorityLine, relaysWithFlags } from './testnet-setup.js';
import { buildNodeTorrc, torPath } from './torrc.js';

describe('buildNodeTorrc', () => {
  it('writes the node tor options and appends extra lines', () => {
    const t = buildNodeTorrc({
      dataDir: '/d',
      socksPort: 'auto',
      ownerPid: 42,
      extraTorrc: ['TestingTorNetwork 1'],
    });
    expect(t.split('\n')).toEqual([
      'DataDirectory /d',
      'ControlPort 127.0.0.1:auto',
      'ControlPortWriteToFile /d/control-port',
      'CookieAuthentication 1',
      'CookieAuthFile /d/control_auth_cookie',
      'SocksPort 127.0.0.1:auto ExtendedErrors',
      'ClientOnly 1',
      'Log notice file /d/notice.log',
      'AvoidDiskWrites 1',
      '__OwningControllerProcess 42',
      'TestingTorNetwork 1',
      '',
    ]);
    expect(buildNodeTorrc({ dataDir: '/d', socksPort: 9150 })).toContain(
      'SocksPort 127.0.0.1:9150 ExtendedErrors\n',
    );
  });

  it('refuses smuggled lines, bad ports and unsafe paths', () => {
    expect(() => buildNodeTorrc({ dataDir: '/d', socksPort: 'auto', extraTorrc: ['A 1\nB 2'] })).toThrow(
      /single/,
    );
    expect(() => buildNodeTorrc({ dataDir: '/d', socksPort: 70000 })).toThrow(/socksPort/);
    expect(() => torPath('/home/a b')).toThrow(/whitespace/);
    expect(() => torPath('/x"y')).toThrow(/quotes/);
  });
});

describe('testnet torrc', () => {
  const plan = { nick: 'chattorauth0', dataDir: '/n/auth0', orPort: 5000, dirPort: 5001, controlPort: 5002 };
  const keys = { v3ident: 'A'.repeat(40), fingerprint: 'B'.repeat(40) };

  it('builds DirAuthority lines and the client lines every tor needs', () => {
    const line = dirAuthorityLine(plan, keys);
    expect(line).toBe(
      `DirAuthority chattorauth0 orport=5000 no-v2 v3ident=${'A'.repeat(40)} 127.0.0.1:5001 ${'B'.repeat(40)}`,
    );
    expect(clientTorrcLines([line])).toEqual([
      'TestingTorNetwork 1',
      line,
      'KISTSchedRunInterval 1',
      'ShutdownWaitLength 0',
    ]);
  });

  it('gives authorities Address, fast voting and ownership only when asked', () => {
    const owned = authorityTorrc(plan, ['TestingTorNetwork 1'], 7);
    for (const l of ['Address 127.0.0.1', 'V3AuthVotingInterval 10', 'ORPort 127.0.0.1:5000', 'SocksPort 0'])
      expect(owned).toContain(`${l}\n`);
    expect(owned).toContain('__OwningControllerProcess 7');
    expect(authorityTorrc(plan, [])).not.toContain('__OwningControllerProcess');
  });

  it('counts relays carrying every needed flag in ns/all', () => {
    const ns = [
      'r a AAAA BBBB 2026-01-01 00:00:00 127.0.0.1 5000 5001',
      's Authority Fast Guard HSDir Running Stable V2Dir Valid',
      'w Bandwidth=0',
      'r b CCCC DDDD 2026-01-01 00:00:00 127.0.0.1 5003 5004',
      's Authority Fast Running Valid',
    ].join('\n');
    expect([...relaysWithFlags(ns, ['Running', 'Guard', 'HSDir'])]).toEqual(['a']);
  });
});

describe('process helpers', () => {
  it('tails a file and returns empty for a missing one', async () => {
    const d = await mkdtemp(join(tmpdir(), 'chattor-tail-'));
    try {
      await writeFile(join(d, 'log'), Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n') + '\n');
      expect(await tailFile(join(d, 'log'), 2)).toBe('line 98\nline 99');
      expect(await tailFile(join(d, 'missing'), 2)).toBe('');
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });

  it('terminates a process by PID, escalating to SIGKILL when SIGTERM is ignored', async () => {
    const child = spawn(
      process.execPath,
      ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'],
      {
        stdio: 'ignore',
      },
    );
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await terminatePid(child.pid!, 300);
    expect(isAlive(child.pid!)).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
  });
});
