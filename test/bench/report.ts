// One benchmark report for every figure (issue: hardening §1): printed as a table, written as
// bench-results.json and bench-results.md. Figures never fail a run.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  /** value / baseline.value */
  ratio?: number;
  target?: string;
  note?: string;
}

const README_START = '<!-- bench:start -->';
const README_END = '<!-- bench:end -->';

export class Report {
  readonly figures: Figure[] = [];
  add(f: Figure): Figure {
    if (f.baseline && f.ratio === undefined && f.baseline.value !== 0) f.ratio = f.value / f.baseline.value;
    this.figures.push(f);
    process.stdout.write(
      `  ${f.name}: ${fmt(f.value)} ${f.unit}${f.ratio !== undefined ? ` (×${fmt(f.ratio)} of ${f.baseline!.name})` : ''}\n`,
    );
    return f;
  }

  machine(): string {
    const c = cpus();
    return `${c.length} × ${c[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`;
  }

  markdown(): string {
    const rows = this.figures.map(
      (f) =>
        `| ${f.name} | ${fmt(f.value)} ${f.unit} | ${f.baseline ? `${fmt(f.baseline.value)} (${f.baseline.name})` : ''} | ${
          f.ratio !== undefined ? `×${fmt(f.ratio)}` : ''
        } | ${f.target ?? ''} |`,
    );
    return [
      `Machine: ${this.machine()}; ${new Date().toISOString().slice(0, 10)}; private Tor network on 127.0.0.1.`,
      '',
      '| figure | value | baseline | ratio | target |',
      '|---|---|---|---|---|',
      ...rows,
    ].join('\n');
  }

  /**
   * Puts the Markdown table into README.md between its `bench:start` and `bench:end` markers (a full run
   * only: the README shows one run's figures, never a mix).
   */
  writeReadme(path = 'README.md'): void {
    const text = readFileSync(path, 'utf8');
    const start = text.indexOf(README_START);
    const end = text.indexOf(README_END);
    if (start < 0 || end < start) throw new Error(`${path}: no ${README_START} … ${README_END} markers`);
    writeFileSync(
      path,
      `${text.slice(0, start + README_START.length)}\n${this.markdown()}\n${text.slice(end)}`,
    );
  }

  write(): void {
    writeFileSync(
      'bench-results.json',
      JSON.stringify(
        { machine: this.machine(), date: new Date().toISOString(), figures: this.figures },
        null,
        2,
      ) + '\n',
    );
    writeFileSync('bench-results.md', this.markdown() + '\n');
    process.stdout.write('\n' + this.markdown() + '\n');
  }
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** The median of unsorted samples (percentile 50 of a sorted copy). */
export function median(xs: readonly number[]): number {
  return percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
