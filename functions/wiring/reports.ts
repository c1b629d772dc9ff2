import { S3Client } from '@aws-sdk/client-s3';
import { S3ReportArchive, type S3ReportArchiveOptions } from '../adapters/s3-report-archive';
import type { ArchivableReportFormat } from '../core/report-archive';
import type { RunScanDeps } from '../use-cases/run-scan';
import { type AwsConfig, sdkConfig } from './aws';

/**
 * The reports bucket. With an endpoint (a local emulator), buckets are addressed by path:
 * `bucket.127.0.0.1` does not resolve.
 */
export function reportArchive(aws: AwsConfig, options: S3ReportArchiveOptions): S3ReportArchive {
  return new S3ReportArchive(
    new S3Client({ ...sdkConfig(aws), ...(aws.endpoint ? { forcePathStyle: true } : {}) }),
    options,
  );
}

/** The archive and the formats written to it, as `RunScanDeps` takes them. */
export function archiveDeps(
  aws: AwsConfig,
  reports: { bucket: string; kmsKeyArn: string; formats?: readonly ArchivableReportFormat[] },
): Pick<RunScanDeps, 'reports' | 'reportFormats'> {
  return {
    reports: reportArchive(aws, { bucket: reports.bucket, kmsKeyArn: reports.kmsKeyArn }),
    ...(reports.formats ? { reportFormats: reports.formats } : {}),
  };
}
