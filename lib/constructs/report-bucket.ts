import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  type ArchivableReportFormat,
  DEFAULT_ARCHIVED_REPORT_FORMATS,
  REPORTS_PREFIX,
} from '../../functions/core/report-archive';
import { SCAN_FUNCTION_ENV } from '../../functions/core/scan-function-config';
import { privateBucket } from './private-bucket';

export interface ReportBucketProps {
  /** The stack's data key: a report is a map of the account's weakest identities. */
  encryptionKey: kms.IKey;
  /** A report is deleted this many days after it was written. */
  retentionDays: number;
  /** The formats each report is written in; default HTML only. */
  formats?: readonly ArchivableReportFormat[];
}

/**
 * The bucket of archived scan reports, one object per scan and format under `reports/<account>/...`. Private,
 * TLS only, encrypted with the stack's key: reading a report takes s3:GetObject on the bucket and
 * kms:Decrypt on the key, and no one gets a public or presigned link from the stack.
 */
export class ReportBucket extends Construct {
  readonly bucket: s3.Bucket;
  private readonly encryptionKey: kms.IKey;
  private readonly formats: readonly ArchivableReportFormat[];
  private policy?: iam.Policy;
  private readonly roles = new Set<iam.IRole>();

  constructor(scope: Construct, id: string, props: ReportBucketProps) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    this.formats = props.formats ?? DEFAULT_ARCHIVED_REPORT_FORMATS;
    this.bucket = privateBucket(this, 'Bucket', {
      encryptionKey: props.encryptionKey,
      lifecycleRules: [
        { id: 'ExpireReports', prefix: REPORTS_PREFIX, expiration: Duration.days(props.retentionDays) },
      ],
      noAccessLogsReason:
        'Only the scan function writes here (s3:PutObject under reports/, by its role); people read reports with their own IAM permissions, which also need kms:Decrypt on the stack key. Reads are recorded, with the caller’s identity, by CloudTrail S3 data events where an audit needs them; an access-log bucket would be one more bucket of the stack to secure and expire for what CloudTrail records better.',
    });
  }

  /**
   * Lets `fn` write reports, and tells it where and in which formats: s3:PutObject under `reports/` only (no read, no
   * list, no delete), and the data key through S3 only, for the SSE-KMS data key of each object.
   * Functions sharing a role share the one policy.
   */
  grantArchive(fn: lambda.Function): void {
    if (!fn.role) throw new Error('a function without a role cannot be granted the report archive');
    if (!this.roles.has(fn.role)) {
      this.archivePolicy().attachToRole(fn.role);
      this.roles.add(fn.role);
    }
    fn.addEnvironment(SCAN_FUNCTION_ENV.reportsBucket, this.bucket.bucketName);
    fn.addEnvironment(SCAN_FUNCTION_ENV.reportsKmsKeyArn, this.encryptionKey.keyArn);
    fn.addEnvironment(SCAN_FUNCTION_ENV.reportsFormats, this.formats.join(','));
  }

  private archivePolicy(): iam.Policy {
    if (this.policy) return this.policy;
    const stack = Stack.of(this);
    const policy = new iam.Policy(this, 'ArchivePolicy', {
      statements: [
        new iam.PolicyStatement({
          sid: 'WriteReports',
          actions: ['s3:PutObject'],
          resources: [this.bucket.arnForObjects(`${REPORTS_PREFIX}*`)],
        }),
        new iam.PolicyStatement({
          sid: 'EncryptReports',
          actions: ['kms:GenerateDataKey'],
          resources: [this.encryptionKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
        }),
      ],
    });
    const bucketId = stack.getLogicalId(this.bucket.node.defaultChild as CfnElement);
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${REPORTS_PREFIX}*]`,
      reason:
        'Each scan writes one new object under reports/<account>/<date>/<scan id>; the scan id is made at run time. PutObject only: the role cannot read, list or delete reports.',
    });
    this.policy = policy;
    return policy;
  }
}
