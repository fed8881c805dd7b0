// Version 5: posts and the own log (docs/protocol.md §7). `posts` holds every post this browser shows —
// ours and friends' — with its comments, reactions and pictures, ordered for the feed by [at+key] and for
// a profile page by [authorId+at+key]. `socialLog` holds our own log entries by `seq` (stubs included).
// Only new tables: earlier rows are kept as they are.
import type { Migration } from './types';

export const migration0005: Migration = {
  version: 5,
  stores: {
    posts: '&key, [at+key], [authorId+at+key]',
    socialLog: '&seq',
  },
};
