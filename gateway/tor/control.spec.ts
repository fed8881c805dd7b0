// Unit spec for TorControl against a scripted fake control port (no tor needed).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type Server, type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isChattorError } from '../../shared/util/errors.js';
import { memoryLogger } from '../log.js';
import { TorControl, type TorEvent } from './control.js';

const COOKIE = new Uint8Array(32).fill(0xab);
type Handler = (line: string, sock: Socket) => string | undefined;

interface Fake {
  port: number;
  cookieFile: string;
  received: string[];
  sockets: Socket[];
  server: Server;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function fakeTor(handler: Handler): Promise<Fake> {
  const dir = await mkdtemp(join(tmpdir(), 'chattor-ctl-'));
  const cookieFile = join(dir, 'control_auth_cookie');
  await writeFile(cookieFile, COOKIE);
  const received: string[] = [];
  const sockets: Socket[] = [];
  const server = createServer((sock) => {
    sockets.push(sock);
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        received.push(line);
        let out: string | undefined;
        if (line === 'PROTOCOLINFO 1')
          out = `250-PROTOCOLINFO 1\r\n250-AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE="${cookieFile}"\r\n250-VERSION Tor="0.4.9.11"\r\n250 OK\r\n`;
        else if (line.startsWith('AUTHENTICATE '))
          out = line === `AUTHENTICATE ${'ab'.repeat(32)}` ? '250 OK\r\n' : '515 Authentication failed\r\n';
        else out = handler(line, sock);
        if (out !== undefined) sock.write(out);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });
  return { port, cookieFile, received, sockets, server };
}

async function connected(handler: Handler, timeoutMs?: number) {
  const fake = await fakeTor(handler);
  const log = memoryLogger();
  const control = await TorControl.connect({ port: fake.port, log, ...(timeoutMs ? { timeoutMs } : {}) });
  cleanups.unshift(() => control.close());
  return { fake, control, log };
}

describe('TorControl', () => {
  it('authenticates with the cookie from PROTOCOLINFO and never logs it', async () => {
    const { fake, log } = await connected(() => '250 OK\r\n');
    expect(fake.received).toEqual(['PROTOCOLINFO 1', `AUTHENTICATE ${'ab'.repeat(32)}`]);
    expect(log.lines.join('\n')).not.toContain('abab');
  });

  it('fails authentication with E_TOR_CONTROL and a message free of the cookie', async () => {
    const fake = await fakeTor(() => '250 OK\r\n');
    const other = join(fake.cookieFile + '.other');
    await writeFile(other, new Uint8Array(32).fill(1));
    const err = await TorControl.connect({ port: fake.port, cookieFile: other, log: memoryLogger() }).catch(
      (e: unknown) => e,
    );
    expect(isChattorError(err, 'E_TOR_CONTROL')).toBe(true);
    expect((err as Error).message).toBe('control authentication failed');
  });

  it('runs commands serially and parses GETINFO (with data blocks)', async () => {
    const { fake, control } = await connected((line) => {
      if (line === 'GETINFO version config-text')
        return '250-version=0.4.9.11\r\n250+config-text=\r\nSocksPort auto\r\n..x\r\n.\r\n250 OK\r\n';
      return '250 OK\r\n';
    });
    const [info] = await Promise.all([control.getInfo(['version', 'config-text']), control.signal('NEWNYM')]);
    expect(info).toEqual(
      Object.assign(Object.create(null), { version: '0.4.9.11', 'config-text': 'SocksPort auto\n.x' }),
    );
    expect(fake.received.slice(2)).toEqual(['GETINFO version config-text', 'SIGNAL NEWNYM']);
  });

  it('turns a 5xx reply into E_TOR_CONTROL and keeps the connection usable', async () => {
    const { control } = await connected((line) =>
      line.startsWith('GETINFO bad') ? '552 Unrecognized key "bad"\r\n' : '250-version=1\r\n250 OK\r\n',
    );
    await expect(control.getInfo(['bad'])).rejects.toThrow(/GETINFO failed: 552/);
    expect(await control.getInfo(['version'])).toMatchObject({ version: '1' });
  });

  it('builds ADD_ONION and parses ServiceID and PrivateKey', async () => {
    const id = 'a'.repeat(56);
    const key = new Uint8Array(64).fill(7);
    const b64 = btoa(String.fromCharCode(...key));
    const { fake, control } = await connected(
      () => `250-ServiceID=${id}\r\n250-PrivateKey=ED25519-V3:${b64}\r\n250 OK\r\n`,
    );
    const flags: ('Detach' | 'DiscardPK')[] = ['Detach'];
    const r = await control.addOnion({
      key: { ed25519ExpandedSecret: key },
      ports: [{ virtPort: 80, target: '127.0.0.1:8080' }],
      flags,
      clientAuthV3: ['b'.repeat(52)],
    });
    expect(r.serviceId).toBe(id);
    expect(r.privateKey).toEqual(key);
    expect(flags).toEqual(['Detach']);
    expect(fake.received[2]).toBe(
      `ADD_ONION ED25519-V3:${b64} Flags=Detach,V3Auth Port=80,127.0.0.1:8080 ClientAuthV3=${'b'.repeat(52)}`,
    );
  });

  it('validates arguments before sending (no command injection)', async () => {
    const { fake, control } = await connected(() => '250 OK\r\n');
    await expect(control.command('GETINFO x\r\nSIGNAL HALT')).rejects.toThrow(/one line/);
    await expect(control.signal('HALT\r\nX')).rejects.toThrow(/invalid/);
    await expect(control.setConf({ SocksPort: '1\nSIGNAL HALT' })).rejects.toThrow(/CR, LF/);
    await expect(control.delOnion('nope')).rejects.toThrow(/v3 onion/);
    await expect(
      control.addOnion({ key: 'NEW:ED25519-V3', ports: [{ virtPort: 80, target: '0.0.0.0:1' }] }),
    ).rejects.toThrow(/127\.0\.0\.1/);
    expect(fake.received).toHaveLength(2);
  });

  it('quotes SETCONF values and merges events with addEvents', async () => {
    const { fake, control } = await connected(() => '250 OK\r\n');
    await control.setConf({ ORPort: '127.0.0.1:9001', ContactInfo: 'a "b"', ExitRelay: 0, HSDir: null });
    await control.addEvents(['STATUS_CLIENT']);
    await control.addEvents(['HS_DESC', 'STATUS_CLIENT']);
    expect(fake.received.slice(2)).toEqual([
      'SETCONF ORPort="127.0.0.1:9001" ContactInfo="a \\"b\\"" ExitRelay="0" HSDir',
      'SETEVENTS STATUS_CLIENT',
      'SETEVENTS STATUS_CLIENT HS_DESC',
    ]);
  });

  it('delivers async events, also between a command and its reply', async () => {
    const { control } = await connected((line) =>
      line === 'SIGNAL NEWNYM'
        ? '650 HS_DESC UPLOADED abc UNKNOWN $X\r\n650-NS\r\n650 OK\r\n250 OK\r\n'
        : '250 OK\r\n',
    );
    const events: TorEvent[] = [];
    control.onEvent((e) => events.push(e));
    await control.signal('NEWNYM');
    expect(events.map((e) => [e.name, e.text])).toEqual([
      ['HS_DESC', 'UPLOADED abc UNKNOWN $X'],
      ['NS', ''],
    ]);
  });

  it('fails pending and queued commands when the socket closes, then refuses new ones', async () => {
    const { fake, control } = await connected(() => undefined);
    const closed = new Promise<Error | undefined>((r) => control.onClose(r));
    const a = control.signal('NEWNYM');
    const b = control.signal('RELOAD');
    await new Promise((r) => setTimeout(r, 20));
    for (const s of fake.sockets) s.destroy();
    await expect(a).rejects.toSatisfy((e) => isChattorError(e, 'E_TOR_CONTROL'));
    await expect(b).rejects.toThrow(/closed/);
    expect(await closed).toBeInstanceOf(Error);
    expect(control.closed).toBe(true);
    await expect(control.signal('NEWNYM')).rejects.toThrow(/closed/);
  });

  it('times out a command and closes the connection (replies are positional)', async () => {
    const { control } = await connected(() => undefined, 200);
    await expect(control.signal('NEWNYM')).rejects.toThrow(/SIGNAL timed out after 200 ms/);
    expect(control.closed).toBe(true);
  });

  it('closes on a malformed reply or a reply nobody asked for', async () => {
    const { control } = await connected(() => 'garbage\r\n');
    await expect(control.signal('NEWNYM')).rejects.toThrow(/malformed/);
    const second = await connected((_l, sock) => {
      sock.write('250 OK\r\n250 OK\r\n');
      return undefined;
    });
    await second.control.signal('NEWNYM');
    await new Promise((r) => setTimeout(r, 20));
    expect(second.control.closed).toBe(true);
  });
});
