// Version 1: key/value settings (pairing token, later the UI preferences that must not be lost).
import type { Migration } from './types';

export const migration0001: Migration = {
  version: 1,
  stores: { settings: '&key' },
};
