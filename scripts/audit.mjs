#!/usr/bin/env node
// The dependency audit (SECURITY.md §Dependency audit, docs/dependencies.md): `npm audit` of the
// production tree that fails on any high or critical advisory and never passes when it could not ask.
// Exit codes: 0 no high or critical advisory, 1 at least one, 3 the audit could not run (advisory
// endpoint unreachable or refusing, output not a report). A release step must treat 3 as "not done".
import { spawnSync } from 'node:child_process';

export const EXIT = Object.freeze({ pass: 0, advisories: 1, unavailable: 3 });

// --offline=false: an offline npm (a user's .npmrc, npm_config_offline) skips the request and prints an
// empty report, byte for byte the same as a clean one; forcing it on makes that case fail as unreachable.
export const NPM_AUDIT_ARGS = Object.freeze([
  'audit',
  '--omit=dev',
  '--audit-level=high',
  '--json',
  '--offline=false',
]);

const SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'];
const FAILING = new Set(['high', 'critical']);
const NOT_A_PASS = 'This is not a pass; docs/dependencies.md holds the last manual review.';

/** Registry URLs may carry credentials (`https://user:token@host/`); never print them. */
export function redact(text) {
  return String(text).replace(/(\/\/)[^/\s@]+@/g, '$1***@');
}

const isObject = (x) => typeof x === 'object' && x !== null && !Array.isArray(x);

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function unavailable(reason) {
  return {
    outcome: 'unavailable',
    exitCode: EXIT.unavailable,
    lines: [`audit: could not run: ${redact(reason)}. ${NOT_A_PASS}`],
  };
}

/** npm's own error object (lib/utils/audit-error.js): the request failed or was refused. */
function endpointError(err) {
  const message = typeof err.message === 'string' && err.message !== '' ? err.message : 'no message';
  if (err.statusCode === 405)
    return `the registry refused the advisory request (HTTP 405: it does not serve npm audit): ${message}`;
  if (typeof err.statusCode === 'number')
    return `the advisory endpoint answered HTTP ${err.statusCode}: ${message}`;
  return `the advisory endpoint is unreachable: ${message}`;
}

function isReport(x) {
  return (
    isObject(x) &&
    x.auditReportVersion === 2 &&
    isObject(x.vulnerabilities) &&
    isObject(x.metadata) &&
    isObject(x.metadata.vulnerabilities) &&
    SEVERITIES.every((s) => Number.isInteger(x.metadata.vulnerabilities[s]))
  );
}

function advisoryId(via) {
  const ghsa = typeof via.url === 'string' ? /\/(GHSA(?:-[0-9a-z]{4}){3})\b/i.exec(via.url) : null;
  return ghsa ? ghsa[1] : `npm advisory ${String(via.source)}`;
}

function fixText(fix) {
  if (fix === true) return 'fix: npm audit fix';
  if (isObject(fix))
    return `fix: ${fix.name}@${fix.version}${fix.isSemVerMajor ? ' (semver major: review before taking)' : ''}`;
  return 'no fix available';
}

function describe(vuln) {
  const lines = [
    `  ${vuln.name} [${vuln.severity}${vuln.isDirect ? ', direct dependency' : ''}] ${fixText(vuln.fixAvailable)}`,
  ];
  for (const via of Array.isArray(vuln.via) ? vuln.via : []) {
    if (typeof via === 'string') lines.push(`    via ${via}`);
    else if (isObject(via))
      lines.push(
        `    ${advisoryId(via)} (${via.severity}, affects ${via.name} ${via.range}): ${via.title} ${via.url}`,
      );
  }
  return lines;
}

/**
 * The decision, apart from the process that produced its input: `status` is npm's exit code (null if
 * it did not exit), `stdout` what `npm audit --json` printed, `error` a spawn failure.
 * Anything that is not a well-formed report is "could not run", never a pass.
 */
export function decideAudit({ status, stdout, stderr = '', error }) {
  if (error) return unavailable(`npm did not start (${error.message})`);
  const out = parseJson(stdout);
  if (out === undefined) {
    const said = stderr.split('\n').find((l) => l.trim() !== '');
    return unavailable(`npm audit printed no JSON (exit ${status}${said ? `: ${said.trim()}` : ''})`);
  }
  if (!isReport(out)) {
    if (isObject(out) && typeof out.message === 'string') return unavailable(endpointError(out));
    return unavailable(`npm audit printed JSON that is not an audit report (exit ${status})`);
  }

  const counts = out.metadata.vulnerabilities;
  const failing = Object.values(out.vulnerabilities).filter((v) => isObject(v) && FAILING.has(v.severity));
  // The counts and the list come from the same report; if they disagree, trust the worse one.
  const failingCount = Math.max(failing.length, counts.high + counts.critical);
  if (failingCount > 0) {
    const lines = [
      `audit: ${failingCount} package(s) with high or critical advisories in the production dependencies:`,
    ];
    for (const v of failing.sort((a, b) => String(a.name).localeCompare(String(b.name))))
      lines.push(...describe(v));
    return { outcome: 'advisories', exitCode: EXIT.advisories, lines };
  }
  if (status !== 0)
    return unavailable(`npm audit exited ${status} although its report lists no high or critical advisory`);

  const prod = out.metadata.dependencies?.prod;
  const below = ['moderate', 'low', 'info'].map((s) => `${counts[s]} ${s}`).join(', ');
  return {
    outcome: 'pass',
    exitCode: EXIT.pass,
    lines: [
      `audit: no high or critical advisories in ${Number.isInteger(prod) ? prod : 'the'} production dependencies (below the threshold: ${below})`,
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const run = spawnSync('npm', NPM_AUDIT_ARGS, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const result = decideAudit({
    status: run.status,
    stdout: run.stdout ?? '',
    stderr: run.stderr ?? '',
    error: run.error,
  });
  for (const line of result.lines) (result.exitCode === EXIT.pass ? console.log : console.error)(line);
  process.exit(result.exitCode);
}
