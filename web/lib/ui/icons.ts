// Names of the icons Icon.svelte draws (kept in a .ts file so plain TypeScript tools can read them).
export type IconName =
  | 'chat'
  | 'users'
  | 'feed'
  | 'settings'
  | 'node'
  | 'sun'
  | 'moon'
  | 'copy'
  | 'check'
  | 'alert'
  | 'refresh'
  | 'key'
  | 'close'
  | 'home';
