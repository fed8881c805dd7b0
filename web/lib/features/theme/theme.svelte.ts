// Light/dark theme: follows the system unless the user picked one. The choice is a UI preference kept
// in localStorage (synchronous, so the first paint already has the right colours).
export type ThemeChoice = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

const KEY = 'chattor.theme';

function readChoice(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

export class ThemeManager {
  choice = $state<ThemeChoice>('system');
  #systemDark = $state(false);
  readonly theme: Theme = $derived(
    this.choice === 'system' ? (this.#systemDark ? 'dark' : 'light') : this.choice,
  );

  /** Reads the stored choice, applies it, and follows system changes. Returns a cleanup function. */
  init(): () => void {
    this.choice = readChoice();
    const media = matchMedia('(prefers-color-scheme: dark)');
    this.#systemDark = media.matches;
    const onChange = (e: MediaQueryListEvent) => (this.#systemDark = e.matches);
    media.addEventListener('change', onChange);
    this.#apply();
    return () => media.removeEventListener('change', onChange);
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    try {
      if (choice === 'system') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, choice);
    } catch {
      // Storage may be disabled (e.g. strict private modes); the choice then lasts for this tab only.
    }
    this.#apply();
  }

  /** The quick toggle: flips the theme currently shown. */
  toggle(): void {
    this.set(this.theme === 'dark' ? 'light' : 'dark');
  }

  #apply(): void {
    const root = document.documentElement;
    if (this.choice === 'system') delete root.dataset.theme;
    else root.dataset.theme = this.choice;
  }
}

export const theme = new ThemeManager();
