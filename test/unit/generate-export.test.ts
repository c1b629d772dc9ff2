import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readExportDirectory } from '../../functions/adapters/export-reader';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import { analyzeAccount } from '../../functions/use-cases/analyze';
import { writeExport } from '../../scripts/export-builders';
import { generateExport } from '../../scripts/generate-export';

describe('generateExport', () => {
  it('is deterministic for a seed, and the seed matters', () => {
    const a = JSON.stringify(generateExport({ identities: 300, seed: 7 }));
    expect(JSON.stringify(generateExport({ identities: 300, seed: 7 }))).toBe(a);
    expect(JSON.stringify(generateExport({ identities: 300, seed: 8 }))).not.toBe(a);
  });

  it('makes the number of identities asked for, 80% roles', () => {
    const data = generateExport({ identities: 1000, seed: 1 });
    expect(data.authorizationDetails.RoleDetailList).toHaveLength(800);
    expect(data.authorizationDetails.UserDetailList).toHaveLength(200);
    expect(data.credentialReport).toHaveLength(201);
  });

  it('writes an export the scanner reads without a coverage gap, mixing healthy and risky identities', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'iam-posture-generated-'));
    try {
      await writeExport(dir, generateExport({ identities: 1000, seed: 1 }));
      const report = analyzeAccount(await readExportDirectory(dir), {
        settings: DEFAULT_SETTINGS,
        now: new Date(),
      });
      expect(report.coverage).toEqual([]);
      expect(report.summary.evaluatedAt).toBe('2025-06-02T08:00:00.000Z');
      expect(report.summary.resources).toMatchObject({ role: 800, user: 201 });
      const fired = new Set(report.findings.map((f) => f.ruleId));
      expect(fired.size).toBeGreaterThanOrEqual(12);
      const flagged = new Set(
        report.findings.filter((f) => f.resourceType === 'role').map((f) => f.resourceArn),
      );
      expect(flagged.size / 800).toBeLessThan(0.5);
      const header = (await readFile(join(dir, 'credential-report.csv'), 'utf8')).split('\n')[0];
      expect(header).toMatch(/^user,arn,user_creation_time,password_enabled,password_last_used,/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('scripts/generate-export.ts on the command line', () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/generate-export.ts', ...args], {
      cwd: join(import.meta.dirname, '../..'),
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('prints its usage for --help and exits 0', () => {
    const result = run(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^usage: npx tsx scripts\/generate-export\.ts --identities N/);
    expect(result.stderr).toBe('');
  });

  it('names an unknown option and prints the usage, without a stack trace', () => {
    const result = run(['--bogus']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("generate-export: Unknown option '--bogus'");
    expect(result.stderr).toContain('usage: npx tsx scripts/generate-export.ts');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
