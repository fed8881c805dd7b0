// The PWA's version name names the service worker's cache: the same sources must give the same name
// (a reproducible build keeps its cache) and any change a new one (a new cache, offered to the user).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildVersion } from './build-version.mjs';

describe('build version', () => {
  const root = mkdtempSync(join(tmpdir(), 'chattor-version-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'web/lib'), { recursive: true });
  mkdirSync(join(root, 'static'), { recursive: true });
  writeFileSync(join(root, 'package.json'), '{"version":"1.2.3"}');
  writeFileSync(join(root, 'web/app.html'), '<html></html>');
  writeFileSync(join(root, 'web/lib/a.ts'), 'export const a = 1;');
  writeFileSync(join(root, 'static/manifest.webmanifest'), '{}');
  const env = {};

  it('is the package version plus a hash of the sources, the same every time', () => {
    const v = buildVersion(root, env);
    expect(v).toMatch(/^1\.2\.3\+[0-9a-f]{12}$/);
    expect(buildVersion(root, env)).toBe(v);
  });

  it('changes with any source or static file, not with a spec', () => {
    const v = buildVersion(root, env);
    writeFileSync(join(root, 'web/lib/a.spec.ts'), 'test');
    expect(buildVersion(root, env)).toBe(v);
    writeFileSync(join(root, 'static/manifest.webmanifest'), '{"name":"x"}');
    const v2 = buildVersion(root, env);
    expect(v2).not.toBe(v);
    // A moved file is a change too, even with the same bytes.
    rmSync(join(root, 'web/lib/a.ts'));
    writeFileSync(join(root, 'web/lib/b.ts'), 'export const a = 1;');
    expect(buildVersion(root, env)).not.toBe(v2);
  });

  it('takes CHATTOR_BUILD_VERSION when set', () => {
    expect(buildVersion(root, { CHATTOR_BUILD_VERSION: '2.0.0' })).toBe('2.0.0');
  });
});
