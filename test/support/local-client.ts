// A Node client of the local link (docs/protocol.md §2.2) for tests and benchmarks: what the PWA does,
// without a browser.
import WebSocket from 'ws';
import { LocalOp, decodeLocalBinary, encodeLocalBinary } from '../../shared/wire/local-binary.js';

export type Msg = Record<string, unknown> & { t: string };

export class LocalClient {
  readonly events: Msg[] = [];
  readonly frames: { link: number; frame: Uint8Array }[] = [];
  private readonly pending = new Map<string, { resolve: (m: Msg) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private frameListeners = new Set<(link: number, frame: Uint8Array) => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        const m = decodeLocalBinary(new Uint8Array(data));
        const frame = m.frame.slice();
        this.frames.push({ link: m.link, frame });
        for (const l of this.frameListeners) l(m.link, frame);
        return;
      }
      const msg = JSON.parse(data.toString('utf8')) as Msg;
      if ((msg.t === 'CommandDone' || msg.t === 'CommandFailed') && typeof msg.id === 'string') {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.t === 'CommandDone') p?.resolve(msg);
        else p?.reject(new Error(`${String(msg.code)}: ${String(msg.message)}`));
        return;
      }
      this.events.push(msg);
    });
  }

  static async connect(uiUrl: string, token: string, opts: { origin?: string } = {}): Promise<LocalClient> {
    const url = new URL(uiUrl);
    const ws = new WebSocket(`ws://${url.host}/local`, ['chattor.local.v1', `chattor.token.${token}`], {
      origin: opts.origin ?? url.origin,
      maxPayload: 4 * 1024 * 1024,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    return new LocalClient(ws);
  }

  command(t: string, fields: Record<string, unknown> = {}, timeoutMs = 120_000): Promise<Msg> {
    const id = String(this.nextId++);
    return new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${t} timed out`)), timeoutMs);
      this.pending.set(id, {
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.ws.send(JSON.stringify({ t, id, ...fields }));
    });
  }

  sendFrame(link: number, frame: Uint8Array): void {
    this.ws.send(encodeLocalBinary(LocalOp.SendFrame, link, frame));
  }

  onFrame(listener: (link: number, frame: Uint8Array) => void): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  async waitForEvent(pred: (m: Msg) => boolean, timeoutMs = 120_000, from = 0): Promise<Msg> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.slice(from).find(pred);
      if (hit) return hit;
      if (Date.now() > end)
        throw new Error(`event not seen in ${timeoutMs} ms; saw ${this.events.map((e) => e.t).join(',')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): void {
    this.ws.terminate();
  }
}
