import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../../functions/core/report';
import { CLI, copyOfDemo, DEMO_CONFIG, DEMO_EXPORT, runCli } from '../support/cli';

const ACCOUNT = '111122223333';
const DEMO = ['scan', '--export', DEMO_EXPORT, '--config', DEMO_CONFIG];

interface JsonFinding {
  id: string;
  ruleId: string;
  severity: string;
  resourceType: string;
  resourceArn: string;
  subResource: string | null;
  accountId: string;
  reason: string;
  evidence: Record<string, unknown>;
  compliance: { framework: string; control: string }[];
  remediation: { summary: string; action: string | null };
  suppression: unknown;
}

interface JsonReport {
  findings: JsonFinding[];
  summary: {
    accountId: string;
    evaluatedAt: string;
    total: number;
    suppressed: number;
    bySeverity: Record<string, number>;
    coverageGaps: number;
    minSeverity?: string;
  };
  coverage: { source: string; reason: string; category: string }[];
}

/** The demo's JSON report: other formats and options are checked against it. */
let demo: JsonReport;
beforeAll(async () => {
  const result = await runCli([...DEMO, '--format', 'json']);
  demo = JSON.parse(result.stdout);
});

const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low', 'informational'];
const unsuppressed = (report: JsonReport) => report.findings.filter((f) => !f.suppression);

const scratch: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of scratch.splice(0)) await cleanup();
});

async function scratchDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'iam-posture-cli-'));
  scratch.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function damagedDemo(): Promise<string> {
  const copy = await copyOfDemo();
  scratch.push(copy.cleanup);
  return copy.dir;
}

/** An expected input or usage error: exit 2 and one line on stderr, without a stack trace. */
function expectInputError(result: { code: number | null; stdout: string; stderr: string }): string {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

describe('iam-posture scan --format json', () => {
  let report: JsonReport;
  let stdout: string;

  beforeAll(async () => {
    const result = await runCli([...DEMO, '--format', 'json']);
    expect(result.code).toBe(0);
    stdout = result.stdout;
    report = JSON.parse(stdout);
  });

  it('prints one document with findings, summary and coverage', () => {
    expect(Object.keys(report)).toEqual(['findings', 'summary', 'coverage']);
    expect(report.summary.accountId).toBe(ACCOUNT);
    expect(report.summary.total).toBe(report.findings.filter((f) => !f.suppression).length);
    expect(report.summary.suppressed).toBe(2);
    expect(report.summary.coverageGaps).toBe(report.coverage.length);
    expect(report.coverage).toEqual([
      expect.objectContaining({ source: 'authorization-details.json', category: 'Missing' }),
    ]);
  });

  it('evaluates as of the CollectedAt of account.json', () => {
    expect(report.summary.evaluatedAt).toBe('2025-06-02T08:00:00.000Z');
  });

  it('gives every finding the contract fields', () => {
    for (const f of report.findings) {
      expect(f.id).toMatch(/^[0-9a-f]{32}$/);
      expect(f.accountId).toBe(ACCOUNT);
      expect(f.reason).toMatch(/\.$/);
      expect(f.evidence).toBeTypeOf('object');
      expect(f.compliance).toBeInstanceOf(Array);
      expect(f.remediation.summary).not.toBe('');
      expect(f).toHaveProperty('subResource');
      expect(['critical', 'high', 'medium', 'low', 'informational']).toContain(f.severity);
    }
    expect(new Set(report.findings.map((f) => f.id)).size).toBe(report.findings.length);
  });

  it('names an access key by its user ARN and key id, and root by the account root ARN', () => {
    const stale = report.findings.find(
      (f) => f.ruleId === 'access-key-unused' && f.resourceArn.endsWith('/metrics-shipper'),
    );
    expect(stale).toMatchObject({
      resourceType: 'access-key',
      resourceArn: `arn:aws:iam::${ACCOUNT}:user/metrics-shipper`,
      subResource: expect.stringMatching(/^AKIA[A-Z2-7]{16}$/),
      evidence: expect.objectContaining({ ageDays: 60, thresholdDays: 45 }),
      compliance: expect.arrayContaining([{ framework: 'cis-aws-3.0', control: '1.12' }]),
    });
    const root = report.findings.find((f) => f.ruleId === 'root-access-key');
    expect(root).toMatchObject({ resourceArn: `arn:aws:iam::${ACCOUNT}:root`, severity: 'critical' });
  });

  it('orders findings by severity', () => {
    const ranks = report.findings
      .filter((f) => !f.suppression)
      .map((f) => ['critical', 'high', 'medium', 'low', 'informational'].indexOf(f.severity));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });

  it('is deterministic: the same input gives the same output, ids included', async () => {
    const again = await runCli([...DEMO, '--format', 'json']);
    expect(again.stdout).toBe(stdout);
  });

  it('warns on stderr about coverage gaps, with their count and where', async () => {
    const result = await runCli([...DEMO, '--format', 'json']);
    expect(result.stderr).toContain('warning: 1 coverage gap in authorization-details.json (1)');
    expect(result.stderr).toContain(
      'Managed policy SecurityAudit is attached to role vendor-security-scanner',
    );
  });
});

describe('iam-posture scan --format table and csv', () => {
  it('prints a table grouped by severity with a summary line, without colour when not on a terminal', async () => {
    const result = await runCli(DEMO);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('\u001b[');
    const counts = SEVERITY_ORDER.map(
      (s) => [s, unsuppressed(demo).filter((f) => f.severity === s).length] as const,
    ).filter(([, n]) => n > 0);
    expect(counts.length).toBeGreaterThanOrEqual(4);
    const headings = result.stdout.split('\n').filter((l) => /^[A-Z ]+ \(\d+\)/.test(l));
    expect(headings).toEqual([
      ...counts.map(([s, n]) => `${s.toUpperCase()} (${n})`),
      `SUPPRESSED (${demo.summary.suppressed})`,
      `COVERAGE GAPS (${demo.coverage.length}): the scan could not read everything`,
    ]);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe(
      `${demo.summary.total} findings: ${counts.map(([s, n]) => `${n} ${s}`).join(', ')} · ${demo.summary.suppressed} suppressed · 1 coverage gap`,
    );
    expect(result.stderr).toContain(
      '1 coverage gap in authorization-details.json (1); findings there may be incomplete (listed above)',
    );
  });

  it('colours the table on a terminal, unless NO_COLOR is set', async () => {
    const run = promisify(execFile);
    const command = `${process.execPath} ${CLI} ${DEMO.join(' ')}`;
    const tty = await run('script', ['-qec', command, '/dev/null'], {
      env: { ...process.env, NO_COLOR: '' },
    });
    expect(tty.stdout).toContain('\u001b[1;91mCRITICAL (4)\u001b[0m');
    const plain = await run('script', ['-qec', command, '/dev/null'], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(plain.stdout).toContain('CRITICAL (4)');
    expect(plain.stdout).not.toContain('\u001b[');
  });

  it('prints CSV with a header and one row per finding', async () => {
    const [csv, json] = await Promise.all([
      runCli([...DEMO, '--format', 'csv']),
      runCli([...DEMO, '--format', 'json']),
    ]);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.split('\r\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines.at(-1)).toBe('');
    const findings = (JSON.parse(json.stdout) as JsonReport).findings;
    expect(lines.length - 2).toBe(findings.length);
    expect(lines[1]!.startsWith(`${findings[0]!.id},${findings[0]!.severity},${findings[0]!.ruleId},`)).toBe(
      true,
    );
  });
});

describe('iam-posture scan options', () => {
  it('--output writes the report to a file atomically and prints nothing on stdout', async () => {
    const dir = await scratchDir();
    const file = join(dir, 'report.json');
    await writeFile(file, 'previous content');
    const result = await runCli([...DEMO, '--format', 'json', '--output', file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`wrote json report to ${file} (${demo.summary.total} findings)`);
    const written = JSON.parse(await readFile(file, 'utf8')) as JsonReport;
    expect(written).toEqual(demo);
    expect(await readdir(dir)).toEqual(['report.json']);
  });

  it('--output into a directory that does not exist is an input error', async () => {
    const dir = await scratchDir();
    const line = expectInputError(await runCli([...DEMO, '--output', join(dir, 'missing', 'report.txt')]));
    expect(line).toBe(
      `iam-posture: --output ${join(dir, 'missing', 'report.txt')}: directory ${join(dir, 'missing')} does not exist`,
    );
  });

  it('--output naming a directory is an input error naming it', async () => {
    const dir = await scratchDir();
    const line = expectInputError(await runCli([...DEMO, '--output', dir]));
    expect(line).toBe(`iam-posture: --output ${dir} is a directory; name a file`);
  });

  it('--output into a directory that is not writable is an input error naming it', async () => {
    const dir = await scratchDir();
    const locked = join(dir, 'locked');
    await mkdir(locked, { mode: 0o555 });
    await chmod(dir, 0o755);
    // Root may write anywhere: run as an unprivileged user then.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const line = expectInputError(await runCli([...DEMO, '--output', join(locked, 'report.txt')], asUser));
    expect(line).toBe(
      `iam-posture: --output ${join(locked, 'report.txt')}: directory ${locked} is not writable (EACCES)`,
    );
  });

  it('--output is checked before any AWS call of a live scan', async () => {
    const dir = await scratchDir();
    const requests: string[] = [];
    const server = createServer((request, response) => {
      requests.push(`${request.method} ${request.url}`);
      response.writeHead(500).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const result = await runCli(
        ['scan', '--endpoint-url', `http://127.0.0.1:${port}`, '--region', 'us-east-1', '--output', dir],
        { env: { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_PROFILE: '' } },
      );
      expect(expectInputError(result)).toBe(`iam-posture: --output ${dir} is a directory; name a file`);
      expect(requests).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('--min-severity lists only findings at or above it; the summary still counts all', async () => {
    const result = await runCli([...DEMO, '--format', 'json', '--min-severity', 'high']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(new Set(report.findings.map((f) => f.severity))).toEqual(new Set(['critical', 'high']));
    const expected = unsuppressed(demo).filter((f) => f.severity === 'critical' || f.severity === 'high');
    expect(unsuppressed(report).map((f) => f.id)).toEqual(expected.map((f) => f.id));
    expect(expected.length).toBeGreaterThan(0);
    expect(report.summary.total).toBe(demo.summary.total);
    expect(report.summary.minSeverity).toBe('high');
  });

  it('--fail-on says on stderr how many findings are at or above it', async () => {
    const critical = unsuppressed(demo).filter((f) => f.severity === 'critical').length;
    const result = await runCli([...DEMO, '--format', 'json', '--fail-on', 'critical']);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')).toContain(
      `iam-posture: ${critical} unsuppressed findings at or above critical (--fail-on critical)`,
    );
    expect((await runCli([...DEMO, '--format', 'json', '--fail-on', 'CRITICAL'])).stderr).toContain(
      `${critical} unsuppressed findings at or above critical`,
    );
  });

  it('--fail-on exits 1 when an unsuppressed finding is at or above it', async () => {
    expect((await runCli([...DEMO, '--fail-on', 'critical'])).code).toBe(1);
    expect((await runCli([...DEMO, '--fail-on', 'low'])).code).toBe(1);
    expect((await runCli([...DEMO, '--fail-on', 'low', '--min-severity', 'critical'])).code).toBe(1);
  });

  it('--fail-on does not count suppressed findings', async () => {
    const dir = await scratchDir();
    const config = join(dir, 'config.json');
    const exempt = (ruleId: string, resource: string) => ({
      ruleId,
      resource,
      reason: 'accepted risk, tracked in SEC-123',
      owner: 'security@acme.example',
      expires: '2026-01-31',
    });
    await writeFile(
      config,
      JSON.stringify({
        exemptions: [
          exempt('root-access-key', `arn:aws:iam::${ACCOUNT}:root`),
          exempt('trust-oidc-unscoped', `arn:aws:iam::${ACCOUNT}:role/github-actions-*`),
          exempt('*', `arn:aws:iam::${ACCOUNT}:role/sandbox-*`),
          exempt('role-unused', `arn:aws:iam::${ACCOUNT}:role/old-admin-automation`),
          exempt('password-unused', `arn:aws:iam::${ACCOUNT}:user/breakglass-admin`),
        ],
      }),
    );
    const result = await runCli([
      'scan',
      '--export',
      DEMO_EXPORT,
      '--config',
      config,
      '--format',
      'json',
      '--fail-on',
      'critical',
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.summary.bySeverity.critical).toBe(0);
    expect(report.findings.filter((f) => f.severity === 'critical' && f.suppression).length).toBe(5);
    expect(
      (await runCli(['scan', '--export', DEMO_EXPORT, '--config', config, '--fail-on', 'high'])).code,
    ).toBe(1);
  });

  it('--as-of sets the evaluation time: later, more is stale and exemptions expire', async () => {
    const result = await runCli([...DEMO, '--format', 'json', '--as-of', '2026-01-15']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.summary.evaluatedAt).toBe('2026-01-15T00:00:00.000Z');
    expect(report.summary.suppressed).toBe(0);
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        ruleId: 'password-unused',
        resourceArn: `arn:aws:iam::${ACCOUNT}:user/alice.nguyen`,
      }),
    );
  });

  it('--as-of that is not a date is a usage error', async () => {
    const line = expectInputError(await runCli([...DEMO, '--as-of', 'last tuesday']));
    expect(line).toContain("--as-of <iso>' argument 'last tuesday' is invalid");
  });

  it('--format is case-insensitive, like --fail-on', async () => {
    const result = await runCli([...DEMO, '--format', 'JSON']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(demo);
  });

  it('an unknown region is a usage error listing the valid ones, before any AWS call', async () => {
    const line = expectInputError(await runCli(['scan', '--region', 'eu-west-1,eu-wst-1']));
    expect(line).toMatch(
      /^iam-posture: --region: "eu-wst-1" is not an AWS region \(did you mean eu-west-1\?\); valid regions: af-south-1, .*, us-gov-west-1, cn-north-1, cn-northwest-1 \(or all\)$/,
    );
  });

  it('an unknown option or format is a usage error', async () => {
    expect(expectInputError(await runCli([...DEMO, '--format', 'xml']))).toContain(
      'Allowed choices are table, json, csv',
    );
    expect(expectInputError(await runCli([...DEMO, '--fail-on', 'severe']))).toContain(
      'expected one of critical, high',
    );
    // A name close to no option, so Commander adds no "Did you mean" line (as it would for --bogus: --ous).
    expect(expectInputError(await runCli([...DEMO, '--frobnicate']))).toContain(
      "unknown option '--frobnicate'",
    );
  });
});

describe('iam-posture scan --config errors', () => {
  it('names the file and the key of a bad value', async () => {
    const dir = await scratchDir();
    const config = join(dir, 'settings.yaml');
    await writeFile(config, 'thresholds:\n  accessKeyUnusedDays: 0\n');
    const line = expectInputError(await runCli([...DEMO.slice(0, 3), '--config', config]));
    expect(line).toBe(
      `iam-posture: config file ${config}: thresholds.accessKeyUnusedDays: Too small: expected number to be >=1`,
    );
  });

  it('names an unknown key', async () => {
    const dir = await scratchDir();
    const config = join(dir, 'settings.json');
    await writeFile(config, JSON.stringify({ thresholds: { roleUnusedDayz: 30 } }));
    const line = expectInputError(await runCli([...DEMO.slice(0, 3), '--config', config]));
    expect(line).toContain(`config file ${config}: thresholds: Unrecognized key: "roleUnusedDayz"`);
  });

  it('names a misspelt threshold, and the key it resembles', async () => {
    const dir = await scratchDir();
    const config = join(dir, 'settings.yaml');
    await writeFile(config, 'thresholds:\n  acessKeyUnusedDays: 30\n');
    const line = expectInputError(await runCli([...DEMO.slice(0, 3), '--config', config]));
    expect(line).toBe(
      `iam-posture: config file ${config}: thresholds: Unrecognized key: "acessKeyUnusedDays" (did you mean accessKeyUnusedDays?)`,
    );
  });

  it.each([
    [
      'disabledRules',
      'disabledRules:\n  - secret-unused\n  - role-unsued\n',
      'disabledRules.1',
      'role-unsued',
      'role-unused',
    ],
    [
      'an exemption',
      'exemptions:\n  - ruleId: acces-key-unused\n    resource: "arn:aws:iam::111122223333:user/*"\n    reason: accepted\n    owner: security\n    expires: 2030-01-01\n',
      'exemptions.0.ruleId',
      'acces-key-unused',
      'access-key-unused',
    ],
  ])('names a misspelt rule id in %s, and the rule it resembles', async (_, text, path, typo, rule) => {
    const dir = await scratchDir();
    const config = join(dir, 'settings.yaml');
    await writeFile(config, text);
    const line = expectInputError(await runCli([...DEMO.slice(0, 3), '--config', config]));
    expect(line).toBe(
      `iam-posture: config file ${config}: ${path}: unknown rule id "${typo}" (did you mean ${rule}?)`,
    );
  });

  it('names the line of a syntax error', async () => {
    const dir = await scratchDir();
    const config = join(dir, 'settings.json');
    await writeFile(config, '{\n  "thresholds": {\n    "roleUnusedDays": 30,\n  }\n}\n');
    const line = expectInputError(await runCli([...DEMO.slice(0, 3), '--config', config]));
    expect(line).toMatch(new RegExp(`config file ${config} line 4, column \\d+: invalid JSON`));
  });

  it('says when the file does not exist', async () => {
    const line = expectInputError(
      await runCli([...DEMO.slice(0, 3), '--config', '/nonexistent/settings.yaml']),
    );
    expect(line).toBe('iam-posture: config file /nonexistent/settings.yaml does not exist');
  });
});

describe('iam-posture scan with bad input', () => {
  it('a missing export directory is an input error naming it', async () => {
    const line = expectInputError(await runCli(['scan', '--export', '/nonexistent/export']));
    expect(line).toContain('/nonexistent/export');
  });

  it('truncated JSON is an input error naming the file and the line', async () => {
    const dir = await damagedDemo();
    const file = join(dir, 'authorization-details.json');
    const text = await readFile(file, 'utf8');
    const kept = text.slice(0, Math.floor(text.length / 2));
    await writeFile(file, kept);
    const line = expectInputError(await runCli(['scan', '--export', dir]));
    expect(line).toContain('authorization-details.json');
    expect(line).toContain(`line ${kept.split('\n').length}`);
  });

  it('a wrong credential report header is an input error naming the column', async () => {
    const dir = await damagedDemo();
    const file = join(dir, 'credential-report.csv');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('password_last_used,', 'password_used,'));
    const line = expectInputError(await runCli(['scan', '--export', dir]));
    expect(line).toContain('credential-report.csv line 1');
    expect(line).toContain('password_last_used');
  });

  it('one malformed record is reported and the rest is still analysed', async () => {
    const baseline = JSON.parse(
      (await runCli(['scan', '--export', DEMO_EXPORT, '--format', 'json'])).stdout,
    ) as JsonReport;
    const dir = await damagedDemo();
    const file = join(dir, 'authorization-details.json');
    const details = JSON.parse(await readFile(file, 'utf8'));
    const index = details.RoleDetailList.findIndex(
      (r: { RoleName: string }) => r.RoleName === 'legacy-reporting-lambda',
    );
    details.RoleDetailList[index].CreateDate = '14/03/2019';
    await writeFile(file, JSON.stringify(details, null, 4));

    const result = await runCli(['scan', '--export', dir, '--format', 'json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as JsonReport;
    const gap = report.coverage.find((g) => g.reason.includes('legacy-reporting-lambda'));
    expect(gap).toMatchObject({ source: 'authorization-details.json', category: 'Malformed' });
    expect(result.stderr).toContain(`$.RoleDetailList[${index}].CreateDate`);
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/legacy-reporting-lambda`;
    const others = (r: JsonReport) =>
      r.findings
        .filter((f) => f.resourceArn !== roleArn && f.ruleId !== 'scan-coverage-gap')
        .map((f) => f.id)
        .sort();
    expect(others(report)).toEqual(others(baseline));
    expect((await runCli(['scan', '--export', dir, '--fail-on', 'critical'])).code).toBe(1);
  });
});
