import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { asffProblems } from '../support/asff-model';
import { DEMO_CONFIG, DEMO_EXPORT, runCli } from '../support/cli';
import { MOTO_REGION, type MotoServer, startMoto } from '../support/moto';

const DEMO = ['scan', '--export', DEMO_EXPORT, '--config', DEMO_CONFIG];
const NO_REGION = { AWS_REGION: '', AWS_DEFAULT_REGION: '' };

interface Asff {
  Id: string;
  ProductArn: string;
  CreatedAt: string;
  UpdatedAt: string;
  ProductFields: Record<string, string>;
}

describe('scan --format asff', () => {
  it('prints every finding of the report as ASFF for the region in AWS_REGION', async () => {
    const json = await runCli([...DEMO, '--format', 'json']);
    const ids = (JSON.parse(json.stdout) as { findings: { id: string }[] }).findings.map((f) => f.id);
    const result = await runCli([...DEMO, '--format', 'asff'], {
      env: { ...NO_REGION, AWS_REGION: 'eu-west-1' },
    });
    expect(result.code, result.stderr).toBe(0);
    const findings = JSON.parse(result.stdout) as Asff[];
    expect(findings.map((f) => f.ProductFields['iam-posture/FindingId'])).toEqual(ids);
    expect(findings.map((f) => f.Id)).toEqual(ids.map((id) => `iam-posture/111122223333/eu-west-1/${id}`));
    expect(new Set(findings.map((f) => f.ProductArn))).toEqual(
      new Set(['arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default']),
    );
    expect(findings.flatMap((f) => asffProblems(f as unknown as Record<string, unknown>))).toEqual([]);
  });

  it('refuses to start without the region to import into', async () => {
    const result = await runCli([...DEMO, '--format', 'asff'], { env: NO_REGION });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'iam-posture: --format asff names the Security Hub region in every finding: set AWS_REGION to the region you import into\n',
    );
  });
});

describe('scan --table --format asff (moto)', () => {
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
  });

  const cli = (args: string[]) =>
    runCli([...args, '--endpoint-url', moto.endpoint, '--region', MOTO_REGION], {
      env: {
        AWS_ACCESS_KEY_ID: moto.clientConfig.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: moto.clientConfig.credentials.secretAccessKey,
        AWS_PROFILE: '',
        AWS_REGION: MOTO_REGION,
      },
    });

  it('takes first-seen times from the findings table, so a later scan keeps them', async () => {
    expect((await cli(['table', 'create', '--table', 'findings'])).code).toBe(0);
    const first = await cli([...DEMO, '--table', 'findings', '--as-of', '2025-06-01T00:00:00Z']);
    expect(first.code, first.stderr).toBe(0);
    const later = await cli([
      ...DEMO,
      '--table',
      'findings',
      '--as-of',
      '2025-06-10T00:00:00Z',
      '--format',
      'asff',
    ]);
    expect(later.code, later.stderr).toBe(0);
    const findings = JSON.parse(later.stdout) as Asff[];
    expect(findings.length).toBeGreaterThan(10);
    for (const finding of findings) {
      expect([finding.CreatedAt, finding.UpdatedAt]).toEqual([
        '2025-06-01T00:00:00.000Z',
        '2025-06-10T00:00:00.000Z',
      ]);
    }
  });
});
