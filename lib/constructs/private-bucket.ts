import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

export interface PrivateBucketProps {
  /** The stack's data key: every object is encrypted with it (S3 Bucket Key on). */
  encryptionKey: kms.IKey;
  /** Expiry rules; incomplete multipart uploads are always aborted after a day. */
  lifecycleRules: s3.LifecycleRule[];
  /**
   * Why the bucket has no server access logs (cdk-nag AwsSolutions-S1): who writes and reads it,
   * and where an audit of its access is found instead.
   */
  noAccessLogsReason: string;
}

/**
 * A bucket of the stack's own data: encrypted with the stack's key, every public access blocked,
 * TLS only, ACLs disabled (the bucket owner owns every object), no versions (objects expire by
 * the lifecycle rules, and a version would outlive them), retained when the stack is deleted.
 */
export function privateBucket(scope: Construct, id: string, props: PrivateBucketProps): s3.Bucket {
  const bucket = new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: props.encryptionKey,
    bucketKeyEnabled: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: false,
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [
      ...props.lifecycleRules,
      { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
    ],
  });
  Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: props.noAccessLogsReason });
  return bucket;
}
