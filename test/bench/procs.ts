// Process figures for benchmarks, from Linux's /proc: resident memory, CPU time per group of processes,
// Chromium's processes for a profile, and a sampler of peaks. No test-runner imports.
import { readFileSync, readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Resident set size of a process in bytes (0 once it has exited). */
export function rss(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0; // gone
  }
}

/** Bytes a process has read through read-like system calls so far (/proc/PID/io `rchar`; 0 once gone). */
export function bytesRead(pid: number): number {
  try {
    const m = /rchar: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // gone
  }
}

export interface Proc {
  pid: number;
  ppid: number;
  cmd: string;
  /** user + system CPU seconds so far */
  cpu: number;
}

/** Every process, from /proc (Linux clock ticks are 1/100 s). */
export function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after "(comm)": state ppid … utime (14th field) stime (15th).
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      out.push({ pid: Number(name), ppid: Number(f[1]), cmd, cpu: (Number(f[11]) + Number(f[12])) / 100 });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Chromium's processes for one profile: the browser (found by its --user-data-dir) and its descendants. */
export function chromiumPids(profile: string, procs = processes()): { all: number[]; renderers: number[] } {
  const top = procs.find((p) => p.cmd.includes(`--user-data-dir=${profile}`) && !p.cmd.includes('--type='));
  if (!top) return { all: [], renderers: [] };
  const all = new Set([top.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs)
      if (!all.has(p.pid) && all.has(p.ppid)) {
        all.add(p.pid);
        grew = true;
      }
  }
  const renderers = procs
    .filter((p) => all.has(p.pid) && p.cmd.includes('--type=renderer'))
    .map((p) => p.pid);
  return { all: [...all], renderers };
}

/** Busy and total CPU seconds of the whole machine (/proc/stat). */
function machineCpu(): { busy: number; total: number } {
  const [, ...v] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = v.map(Number);
  const total = n.slice(0, 8).reduce((x, y) => x + y, 0);
  return { busy: (total - n[3]! - n[4]!) / 100, total: total / 100 };
}

/**
 * Where the CPU went between start and the returned function's call: seconds per named group of
 * processes (chosen when it is called; a process that exited meanwhile is lost), and the machine's.
 */
export function cpuUse(groups: Record<string, (procs: Proc[]) => number[]>): () => string {
  const before = new Map(processes().map((p) => [p.pid, p.cpu]));
  const m0 = machineCpu();
  const t0 = performance.now();
  return () => {
    const procs = processes();
    const byPid = new Map(procs.map((p) => [p.pid, p.cpu]));
    const m1 = machineCpu();
    const wall = (performance.now() - t0) / 1000;
    const parts = Object.entries(groups).map(([name, pick]) => {
      const secs = pick(procs).reduce((n, pid) => n + (byPid.get(pid) ?? 0) - (before.get(pid) ?? 0), 0);
      return `${name} ${secs.toFixed(0)}`;
    });
    const cores = Math.round((m1.total - m0.total) / wall);
    return (
      `CPU s in ${wall.toFixed(0)} s × ${cores} cores: ${parts.join(', ')}; ` +
      `machine ${((100 * (m1.busy - m0.busy)) / (m1.total - m0.total)).toFixed(0)}% busy`
    );
  };
}

export interface Series {
  base: number;
  peak: number;
}

/** Samples named byte counts every `everyMs` (a slow async source skips ticks instead of piling up). */
export class Sampler {
  readonly series = new Map<string, Series>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;

  constructor(private readonly sources: Record<string, () => number | Promise<number>>) {}

  async start(everyMs = 200): Promise<void> {
    await this.#tick(true);
    this.#timer = setInterval(() => void this.#tick(false), everyMs);
  }

  async stop(): Promise<Map<string, Series>> {
    clearInterval(this.#timer);
    await this.#tick(false);
    return this.series;
  }

  async #tick(first: boolean): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (const [name, source] of Object.entries(this.sources)) {
        const v = await Promise.resolve(source()).catch(() => 0);
        const s = this.series.get(name);
        if (first || !s) this.series.set(name, { base: v, peak: v });
        else s.peak = Math.max(s.peak, v);
      }
    } finally {
      this.#busy = false;
    }
  }
}
