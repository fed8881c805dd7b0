// Problems reported through handleError: a short, redacted, in-memory list (never persisted, never
// sent anywhere). Toasts show the ones a user should see; quiet ones only appear under Node › Problems.
export interface Problem {
  id: number;
  at: number;
  code: string;
  /** Text for the user, chosen from the code. */
  text: string;
  /** The redacted technical message, for the diagnostics list. */
  detail: string;
  quiet: boolean;
  count: number;
  dismissed: boolean;
}

const MAX_PROBLEMS = 50;

export class ProblemLog {
  items = $state<Problem[]>([]);
  readonly toasts = $derived(this.items.filter((p) => !p.quiet && !p.dismissed).slice(-3));
  #nextId = 1;

  add(p: Omit<Problem, 'id' | 'count' | 'dismissed' | 'at'>, now = Date.now()): void {
    const last = this.items.at(-1);
    if (last && last.code === p.code && last.detail === p.detail && last.quiet === p.quiet) {
      last.count += 1;
      last.at = now;
      last.dismissed = false;
      return;
    }
    this.items.push({ ...p, id: this.#nextId++, at: now, count: 1, dismissed: false });
    if (this.items.length > MAX_PROBLEMS) this.items.splice(0, this.items.length - MAX_PROBLEMS);
  }

  dismiss(id: number): void {
    const p = this.items.find((x) => x.id === id);
    if (p) p.dismissed = true;
  }

  clear(): void {
    this.items = [];
  }
}

export const problems = new ProblemLog();
