// Version 4: file transfers (docs/protocol.md §6). `files` keeps each file we offer as a Blob under its
// file id, so a transfer resumes after a reload (Chromium keeps IndexedDB blobs on disk, not in memory).
// `fileChunks` holds received bytes where the Origin Private File System is missing (Tor Browser's
// private mode): one row per written chunk, keyed by [fileId+offset] so a file's chunks read in order.
// Only new tables: earlier rows are kept as they are.
import type { Migration } from './types';

export const migration0004: Migration = {
  version: 4,
  stores: {
    files: '&fileId',
    fileChunks: '&[fileId+offset]',
  },
};
