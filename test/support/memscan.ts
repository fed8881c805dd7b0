// Canary checks (security rule: the gateway never holds plaintext or keys): search a live process's
// whole memory (/proc/PID/mem, root or same user) and a V8 heap snapshot for needles.
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const CHUNK = 8 * 1024 * 1024;

/** Byte forms a leaked secret could take in memory: raw, UTF-16LE (V8 two-byte strings), hex, base64(url). */
export function needleForms(value: Uint8Array | string): Buffer[] {
  if (typeof value === 'string') return [Buffer.from(value, 'utf8'), Buffer.from(value, 'utf16le')];
  const b = Buffer.from(value);
  return [
    b,
    Buffer.from(b.toString('hex')),
    Buffer.from(b.toString('base64').replace(/=+$/, '')),
    Buffer.from(b.toString('base64url')),
  ];
}

/** Returns the needles (by index) found anywhere in the process's readable memory. */
export function scanProcessMemory(pid: number, needles: Buffer[]): Set<number> {
  const found = new Set<number>();
  const maxLen = Math.max(...needles.map((n) => n.length));
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n');
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  try {
    for (const line of maps) {
      const m = /^([0-9a-f]+)-([0-9a-f]+) (r)/.exec(line);
      if (!m || line.includes('[vvar]') || line.includes('[vsyscall]')) continue;
      const start = Number.parseInt(m[1]!, 16);
      const end = Number.parseInt(m[2]!, 16);
      const buf = Buffer.alloc(CHUNK + maxLen);
      for (let pos = start; pos < end; pos += CHUNK) {
        const len = Math.min(CHUNK + maxLen, end - pos);
        let n = 0;
        try {
          n = readSync(fd, buf, 0, len, pos);
        } catch {
          break; // unreadable region (guard pages and the like)
        }
        const view = buf.subarray(0, n);
        needles.forEach((needle, i) => {
          if (!found.has(i) && view.indexOf(needle) >= 0) found.add(i);
        });
      }
    }
  } finally {
    closeSync(fd);
  }
  return found;
}

/**
 * Asks a Node process started with --heapsnapshot-signal=SIGUSR2 (in `cwd`) for a heap snapshot and
 * returns its path once written.
 */
export async function takeHeapSnapshot(pid: number, cwd: string, timeoutMs = 60_000): Promise<string> {
  const before = new Set(readdirSync(cwd).filter((f) => f.endsWith('.heapsnapshot')));
  process.kill(pid, 'SIGUSR2');
  const end = Date.now() + timeoutMs;
  for (;;) {
    const fresh = readdirSync(cwd).filter((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (fresh.length > 0) {
      const p = join(cwd, fresh[0]!);
      const size = statSync(p).size;
      await new Promise((r) => setTimeout(r, 500));
      if (statSync(p).size === size && size > 0) return p;
    }
    if (Date.now() > end) throw new Error('no heap snapshot written');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Which needles occur in the files (logs, database, snapshots) under `paths`. */
export function scanFiles(paths: string[], needles: Buffer[]): Map<number, string[]> {
  const hits = new Map<number, string[]>();
  const visit = (p: string) => {
    const s = statSync(p, { throwIfNoEntry: false });
    if (!s) return;
    if (s.isDirectory()) {
      for (const f of readdirSync(p)) visit(join(p, f));
      return;
    }
    if (!s.isFile()) return;
    const data = readFileSync(p);
    needles.forEach((n, i) => {
      if (data.indexOf(n) >= 0) hits.set(i, [...(hits.get(i) ?? []), p]);
    });
  };
  paths.forEach(visit);
  return hits;
}
