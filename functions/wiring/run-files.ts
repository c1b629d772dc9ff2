import { S3Client } from '@aws-sdk/client-s3';
import { S3RunStore } from '../adapters/s3-run-store';
import { type AwsConfig, sdkConfig } from './aws';

/**
 * The runs bucket of organization runs. With an endpoint (a local emulator), buckets are
 * addressed by path: `bucket.127.0.0.1` does not resolve.
 */
export function runFiles(aws: AwsConfig, bucket: string): S3RunStore {
  return new S3RunStore(
    new S3Client({ ...sdkConfig(aws), ...(aws.endpoint ? { forcePathStyle: true } : {}) }),
    bucket,
  );
}
