import { describe, expect, it } from 'vitest';
import { S3ReportArchive } from '../../functions/adapters/s3-report-archive';
import { scanAccountHandlerDeps } from '../../functions/handlers/org-scan-account';

/** In organization mode each account step archives its member account's report, when the stack says where. */

const ENV = {
  AWS_REGION: 'eu-west-1',
  FINDINGS_TABLE_NAME: 'findings',
  EVENT_BUS_NAME: 'iam-posture',
  ORG_RUNS_BUCKET: 'iam-posture-runs',
  MEMBER_ROLE_NAME: 'IamPostureScanner',
};
const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/0f6d2d4a-1b2c-4d5e-8f90-123456789abc';

describe('organization account step and the reports bucket', () => {
  it('archives through the reports bucket named in its environment', () => {
    const deps = scanAccountHandlerDeps({
      ...ENV,
      REPORTS_BUCKET: 'iam-posture-reports',
      REPORTS_KMS_KEY_ARN: KEY_ARN,
    });
    expect(deps.config.scan.reports).toEqual({
      bucket: 'iam-posture-reports',
      kmsKeyArn: KEY_ARN,
      formats: ['html'],
    });
    expect(deps.step('run-1').scan.reports).toBeInstanceOf(S3ReportArchive);
    expect(deps.step('run-1').scan.reportFormats).toEqual(['html']);
  });

  it('archives the formats named in REPORTS_FORMATS', () => {
    const deps = scanAccountHandlerDeps({
      ...ENV,
      REPORTS_BUCKET: 'iam-posture-reports',
      REPORTS_KMS_KEY_ARN: KEY_ARN,
      REPORTS_FORMATS: 'sarif,ocsf',
    });
    expect(deps.step('run-1').scan.reportFormats).toEqual(['sarif', 'ocsf']);
  });

  it('archives nothing without it', () => {
    expect(scanAccountHandlerDeps(ENV).step('run-1').scan.reports).toBeUndefined();
  });
});
