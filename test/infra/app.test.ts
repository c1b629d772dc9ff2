import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Runs bin/app.ts as the CDK CLI does: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR. */
function runApp(context: Record<string, unknown>) {
  const outdir = mkdtempSync(join(tmpdir(), 'iam-posture-app-'));
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
    cwd: join(import.meta.dirname, '../..'),
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stderr: result.stderr, outdir };
}

describe('bin/app.ts', () => {
  it('fails synthesis on an invalid value, naming the key, before building anything', () => {
    // As `cdk synth -c schedule='rate(5 minutes)' -c approvers='[{"teamId":"T0123ABCD","userId":"bob"}]'`.
    const run = runApp({
      schedule: 'rate(5 minutes)',
      approvers: '[{"teamId":"T0123ABCD","userId":"bob"}]',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('invalid deploy config');
    expect(run.stderr).toMatch(/schedule: scan at most once an hour/);
    expect(run.stderr).toMatch(/approvers\.0\.userId: must be a Slack user id/);
    expect(readdirSync(run.outdir)).toEqual([]);
  }, 60_000);

  it('fails synthesis on a misspelt key rather than ignoring it', () => {
    const run = runApp({ logRetention: '30' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('logRetention: unknown key (did you mean logRetentionDays?)');
  }, 60_000);

  it('fails synthesis on a misspelt rule id or region rather than deploying it', () => {
    const run = runApp({ disabledRules: 'role-unsued', secretsRegions: 'eu-wst-1' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'disabledRules.0: unknown rule id "role-unsued" (did you mean role-unused?)',
    );
    expect(run.stderr).toContain(
      'secretsRegions.0: "eu-wst-1" is not an AWS region (did you mean eu-west-1?)',
    );
    expect(readdirSync(run.outdir)).toEqual([]);
  }, 60_000);
});
