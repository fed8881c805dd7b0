// The dependency audit must fail on a high advisory and must never pass when it could not ask
// (SECURITY.md §Dependency audit). The vectors are what npm 11.19.1 printed for `npm audit --omit=dev
// --audit-level=high --json` in this repository: 405 from registry.npmjs.org (the build machine),
// ECONNREFUSED from a closed port, and a clean and a high report from a local stub endpoint, the high
// one answering SYNTHETIC advisories (GHSA-0000-0000-000x, not real) against socks and dijkstrajs.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT, decideAudit } from './audit.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const vector = (name: string) => readFileSync(`${root}test/vectors/npm-audit-${name}.json`, 'utf8');

describe('audit decision', () => {
  it('passes a clean report and says how many production dependencies it covered', () => {
    const d = decideAudit({ status: 0, stdout: vector('clean') });
    expect(d.exitCode).toBe(EXIT.pass);
    expect(d.lines).toEqual([expect.stringContaining('no high or critical advisories in 134 production')]);
  });

  it('fails on high advisories, naming each package, advisory, range and fix; moderate ones do not count', () => {
    const d = decideAudit({ status: 1, stdout: vector('high') });
    expect(d.outcome).toBe('advisories');
    expect(d.exitCode).toBe(EXIT.advisories);
    const text = d.lines.join('\n');
    expect(d.lines[0]).toContain('2 package(s) with high or critical advisories');
    expect(text).toContain('socks [high]');
    expect(text).toContain('GHSA-0000-0000-0001 (high, affects socks <=2.8.11)');
    expect(text).toContain(
      'socks-proxy-agent [high, direct dependency] fix: socks-proxy-agent@0.1.2 (semver major',
    );
    expect(text).toContain('via socks');
    expect(text).not.toContain('dijkstrajs');
  });

  it('fails when the counts report a critical advisory the list lacks (the worse of the two wins)', () => {
    const report = JSON.parse(vector('clean'));
    report.metadata.vulnerabilities.critical = 1;
    const d = decideAudit({ status: 1, stdout: JSON.stringify(report) });
    expect(d.exitCode).toBe(EXIT.advisories);
  });

  it('says in one line that the audit could not run when the registry refuses (405), never passing', () => {
    const d = decideAudit({ status: 1, stdout: vector('405') });
    expect(d.outcome).toBe('unavailable');
    expect(d.exitCode).toBe(EXIT.unavailable);
    expect(d.lines).toHaveLength(1);
    expect(d.lines[0]).toMatch(/^audit: could not run: the registry refused the advisory request \(HTTP 405/);
    expect(d.lines[0]).toContain('This is not a pass');
  });

  it('reports an unreachable endpoint the same way', () => {
    const d = decideAudit({ status: 1, stdout: vector('unreachable') });
    expect(d.exitCode).toBe(EXIT.unavailable);
    expect(d.lines[0]).toContain('the advisory endpoint is unreachable: request to http://127.0.0.1:9/');
    expect(d.lines[0]).toContain('ECONNREFUSED');
  });

  it('treats anything that is not a well-formed report as "could not run"', () => {
    const noJson = { status: 1, stdout: '', stderr: '\nnpm error code ENOLOCK\n' };
    const cases = [
      noJson,
      { status: null, stdout: '{"auditReportVersion":2' },
      { status: 0, stdout: '[]' },
      {
        status: 0,
        stdout: '{"auditReportVersion":3,"vulnerabilities":{},"metadata":{"vulnerabilities":{}}}',
      },
      { status: 0, stdout: JSON.stringify({ ...JSON.parse(vector('clean')), metadata: {} }) },
      // A clean-looking report from an npm that failed is not trusted either.
      { status: 1, stdout: vector('clean') },
      { status: null, stdout: '', error: new Error('spawn npm ENOENT') },
    ];
    for (const run of cases) {
      const d = decideAudit(run);
      expect(d.exitCode, JSON.stringify(run).slice(0, 80)).toBe(EXIT.unavailable);
      expect(d.lines).toEqual([expect.stringMatching(/^audit: could not run: .*This is not a pass/)]);
    }
    expect(decideAudit(noJson).lines[0]).toContain('npm error code ENOLOCK');
  });

  it('never prints registry credentials from an error', () => {
    const stdout = JSON.stringify({
      message: 'request to https://ci:s3cret-token@registry.example/-/npm/v1/security/advisories/bulk failed',
    });
    const line = decideAudit({ status: 1, stdout }).lines[0];
    expect(line).not.toContain('s3cret');
    expect(line).toContain('https://***@registry.example/');
  });
});

describe('npm run audit against a local advisory endpoint', () => {
  // The real npm and the real script; the only network is a stub on 127.0.0.1 that answers the bulk
  // advisory request (an empty answer needs no packuments, so nothing else is fetched).
  async function runAudit(answer: 'none' | 405, env: Record<string, string> = {}) {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (answer === 405) res.writeHead(405, { allow: 'GET,HEAD' }).end();
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      return await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['scripts/audit.mjs'], {
          cwd: root,
          env: {
            ...process.env,
            npm_config_registry: `http://127.0.0.1:${port}/`,
            npm_config_fetch_retries: '0',
            ...env,
          },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    } finally {
      server.close();
    }
  }

  it('exits 0 when the endpoint answers with no advisories', async () => {
    const run = await runAudit('none');
    expect(run.stdout).toContain('audit: no high or critical advisories');
    expect(run.code).toBe(EXIT.pass);
  });

  it('exits 3 with one line when the endpoint refuses, even if npm is configured offline', async () => {
    // Offline npm would skip the request and print an empty (clean-looking) report.
    const run = await runAudit(405, { npm_config_offline: 'true' });
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining('audit: could not run: ')]);
    expect(run.stderr).toContain('HTTP 405');
    expect(run.code).toBe(EXIT.unavailable);
  });
});
