// The ordered list of migrations ChattorDb applies. Append new ones here.
import { migration0001 } from './0001-initial';
import { migration0002 } from './0002-engine';
import { migration0003 } from './0003-vault';
import { migration0004 } from './0004-files';
import { migration0005 } from './0005-social';
import type { Migration } from './types';

export const migrations: readonly Migration[] = [
  migration0001,
  migration0002,
  migration0003,
  migration0004,
  migration0005,
];
