import { describe, expect, it } from 'vitest';
import { AWS_REGIONS } from '../../functions/core/regions';
import {
  parseScanFunctionConfig,
  SCAN_FUNCTION_ENV,
  ScanConfigError,
} from '../../functions/core/scan-function-config';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';

const REQUIRED = { FINDINGS_TABLE_NAME: 'findings', EVENT_BUS_NAME: 'posture' };

function problems(env: Record<string, string>): string[] {
  try {
    parseScanFunctionConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ScanConfigError);
    return (error as ScanConfigError).issues;
  }
  throw new Error('expected the environment to be rejected');
}

describe('parseScanFunctionConfig', () => {
  it('exports the variable names the stack sets', () => {
    expect(SCAN_FUNCTION_ENV).toEqual({
      findingsTableName: 'FINDINGS_TABLE_NAME',
      eventBusName: 'EVENT_BUS_NAME',
      secretsRegions: 'SECRETS_REGIONS',
      scanSettings: 'SCAN_SETTINGS',
      resolvedTtlDays: 'RESOLVED_TTL_DAYS',
      serviceLastAccessedMaxJobs: 'SERVICE_LAST_ACCESSED_MAX_JOBS',
      reportsBucket: 'REPORTS_BUCKET',
      reportsKmsKeyArn: 'REPORTS_KMS_KEY_ARN',
      reportsFormats: 'REPORTS_FORMATS',
      readJitState: 'READ_JIT_STATE',
    });
  });

  it('reads the just-in-time state only when READ_JIT_STATE is true, and names a bad value', () => {
    expect(parseScanFunctionConfig({ ...REQUIRED, READ_JIT_STATE: 'true' }).readJitState).toBe(true);
    expect(parseScanFunctionConfig({ ...REQUIRED, READ_JIT_STATE: 'false' }).readJitState).toBe(false);
    expect(() => parseScanFunctionConfig({ ...REQUIRED, READ_JIT_STATE: 'yes' })).toThrow(
      /READ_JIT_STATE: must be true or false/,
    );
  });

  it('reads the reports bucket and its key, both or neither', () => {
    const keyArn = 'arn:aws:kms:eu-west-1:111122223333:key/0f6d2d4a-1b2c-4d5e-8f90-123456789abc';
    expect(
      parseScanFunctionConfig({
        ...REQUIRED,
        REPORTS_BUCKET: 'posture-reports-1',
        REPORTS_KMS_KEY_ARN: keyArn,
      }).reports,
    ).toEqual({ bucket: 'posture-reports-1', kmsKeyArn: keyArn, formats: ['html'] });
    expect(parseScanFunctionConfig(REQUIRED).reports).toBeUndefined();
    expect(problems({ ...REQUIRED, REPORTS_BUCKET: 'posture-reports-1' })).toEqual([
      'REPORTS_KMS_KEY_ARN: is required when REPORTS_BUCKET is set',
    ]);
    expect(problems({ ...REQUIRED, REPORTS_BUCKET: 'Posture_Reports', REPORTS_KMS_KEY_ARN: keyArn })).toEqual(
      ['REPORTS_BUCKET: must be an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)'],
    );
    expect(
      problems({ ...REQUIRED, REPORTS_BUCKET: 'posture-reports-1', REPORTS_KMS_KEY_ARN: 'alias/aws/s3' }),
    ).toEqual(['REPORTS_KMS_KEY_ARN: must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)']);
  });

  it('reads the archived report formats, in order, html when unset', () => {
    const keyArn = 'arn:aws:kms:eu-west-1:111122223333:key/0f6d2d4a-1b2c-4d5e-8f90-123456789abc';
    const reports = { ...REQUIRED, REPORTS_BUCKET: 'posture-reports-1', REPORTS_KMS_KEY_ARN: keyArn };
    expect(
      parseScanFunctionConfig({ ...reports, REPORTS_FORMATS: 'sarif, html,ocsf' }).reports?.formats,
    ).toEqual(['sarif', 'html', 'ocsf']);
    expect(
      parseScanFunctionConfig({ ...reports, REPORTS_FORMATS: 'html,json,csv,sarif,ocsf' }).reports?.formats,
    ).toEqual(['html', 'json', 'csv', 'sarif', 'ocsf']);
    expect(problems({ ...reports, REPORTS_FORMATS: 'html,asff' })).toEqual([
      'REPORTS_FORMATS: "asff" is not an archivable report format (html, json, csv, sarif, ocsf)',
    ]);
    expect(problems({ ...reports, REPORTS_FORMATS: 'html,sarif,html' })).toEqual([
      'REPORTS_FORMATS: lists "html" twice',
    ]);
    expect(problems({ ...reports, REPORTS_FORMATS: 'html,' })).toEqual([
      'REPORTS_FORMATS: "" is not an archivable report format (html, json, csv, sarif, ocsf)',
    ]);
    expect(problems({ ...reports, REPORTS_FORMATS: ' ' })).toEqual(['REPORTS_FORMATS: must not be empty']);
  });

  it('reads the required variables and defaults the rest', () => {
    expect(parseScanFunctionConfig(REQUIRED)).toEqual({
      findingsTableName: 'findings',
      eventBusName: 'posture',
      settings: DEFAULT_SETTINGS,
      serviceLastAccessedMaxJobs: 100,
      readJitState: false,
    });
  });

  it('reads the service-last-accessed job budget, 0 to 5000', () => {
    const budget = (value: string) =>
      parseScanFunctionConfig({ ...REQUIRED, SERVICE_LAST_ACCESSED_MAX_JOBS: value })
        .serviceLastAccessedMaxJobs;
    expect(budget('0')).toBe(0);
    expect(budget(' 1000 ')).toBe(1000);
    expect(budget('5000')).toBe(5000);
  });

  it('reads regions, settings and the resolved TTL', () => {
    const config = parseScanFunctionConfig({
      ...REQUIRED,
      SECRETS_REGIONS: 'eu-west-1, us-east-1,eu-west-1',
      SCAN_SETTINGS: JSON.stringify({ thresholds: { roleUnusedDays: 30 }, disabledRules: ['secret-unused'] }),
      RESOLVED_TTL_DAYS: '14',
    });
    expect(config.secretsRegions).toEqual(['eu-west-1', 'us-east-1']);
    expect(config.settings.thresholds.roleUnusedDays).toBe(30);
    expect(config.settings.thresholds.accessKeyUnusedDays).toBe(45);
    expect(config.settings.disabledRules).toEqual(['secret-unused']);
    expect(config.resolvedTtlDays).toBe(14);
    expect(parseScanFunctionConfig({ ...REQUIRED, SECRETS_REGIONS: 'all' }).secretsRegions).toBe('all');
  });

  it.each([
    [{}, ['FINDINGS_TABLE_NAME: is required', 'EVENT_BUS_NAME: is required']],
    [{ ...REQUIRED, FINDINGS_TABLE_NAME: '  ' }, ['FINDINGS_TABLE_NAME: is required']],
    [
      { ...REQUIRED, SECRETS_REGIONS: 'eu-west-1,mars' },
      [
        `SECRETS_REGIONS: "mars" is not an AWS region; valid regions: ${AWS_REGIONS.join(', ')} (or all, for every enabled region)`,
      ],
    ],
    [{ ...REQUIRED, SCAN_SETTINGS: '{nope' }, ['SCAN_SETTINGS: is not valid JSON']],
    [
      { ...REQUIRED, SCAN_SETTINGS: '{"thresholds":{"roleUnusedDays":0}}' },
      ['SCAN_SETTINGS.thresholds.roleUnusedDays: Too small: expected number to be >=1'],
    ],
    [{ ...REQUIRED, RESOLVED_TTL_DAYS: 'soon' }, ['RESOLVED_TTL_DAYS: must be a whole number of days']],
    [{ ...REQUIRED, RESOLVED_TTL_DAYS: '0' }, ['RESOLVED_TTL_DAYS: must be at least 1 day']],
    [
      { ...REQUIRED, SERVICE_LAST_ACCESSED_MAX_JOBS: '5001' },
      ['SERVICE_LAST_ACCESSED_MAX_JOBS: must be at most 5000 jobs'],
    ],
    [
      { ...REQUIRED, SERVICE_LAST_ACCESSED_MAX_JOBS: '-1' },
      ['SERVICE_LAST_ACCESSED_MAX_JOBS: must be a whole number of jobs'],
    ],
    [
      { ...REQUIRED, SERVICE_LAST_ACCESSED_MAX_JOBS: '12.5' },
      ['SERVICE_LAST_ACCESSED_MAX_JOBS: must be a whole number of jobs'],
    ],
  ])('names the variable that is wrong: %j', (env, expected) => {
    expect(problems(env as Record<string, string>)).toEqual(expected);
  });
});
