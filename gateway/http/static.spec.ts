// The zk artifacts at their fixed paths (docs/protocol.md §8): served from outside the build directory,
// nothing else reachable through the alias.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createStaticSite, zkArtifactFiles } from './static.js';

describe('static site: zk artifacts', () => {
  it('serves the wasm and zkey at /zk/ from the package, and nothing else from there', () => {
    const root = mkdtempSync(join(tmpdir(), 'chattor-static-'));
    const pkg = mkdtempSync(join(tmpdir(), 'chattor-pkg-'));
    onTestFinished(() => {
      rmSync(root, { recursive: true, force: true });
      rmSync(pkg, { recursive: true, force: true });
    });
    const files = zkArtifactFiles(pkg);
    writeFileSync(join(root, 'index.html'), '<html></html>');
    const wasm = files['zk/membership.wasm']!;
    const site = createStaticSite(root, { 'zk/membership.wasm': join(pkg, 'm.wasm') });
    writeFileSync(join(pkg, 'm.wasm'), 'wasm');
    expect(site.get('/zk/membership.wasm')?.type).toBe('application/wasm');
    expect(site.get('/zk/membership.zkey')).toBeNull();
    expect(site.get('/zk/../index.html')).toBeNull();
    expect(wasm).toMatch(/circuits\/build\/membership_js\/membership\.wasm$/);
    expect(files['zk/membership.zkey']).toMatch(/circuits\/keys\/membership\.zkey$/);
  });
});
