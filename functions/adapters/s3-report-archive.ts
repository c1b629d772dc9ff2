import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ReportLocation } from '../core/report-archive';
import type { ArchivedObject, ReportArchive } from '../use-cases/report-archive-ports';

/**
 * The reports bucket. Every object is written with SSE-KMS under the stack's data key, named in
 * the request: a PutObject that says `aws:kms` without a key id would fall back to the account's
 * AWS-managed `aws/s3` key, which anyone with S3 read in the account can use. The S3 Bucket Key
 * keeps the KMS requests to about one per scan function instance.
 */

/** The report could not be written; the message names the bucket and key. */
export class ReportArchiveError extends Error {
  override readonly name = 'ReportArchiveError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`s3://${bucket}/${key} could not be written: ${detail}`, options);
  }
}

export interface S3ReportArchiveOptions {
  bucket: string;
  /** The KMS key (ARN) the objects are encrypted with. */
  kmsKeyArn: string;
}

export class S3ReportArchive implements ReportArchive {
  constructor(
    private readonly client: S3Client,
    private readonly options: S3ReportArchiveOptions,
  ) {}

  async put(object: ArchivedObject): Promise<ReportLocation> {
    const { bucket, kmsKeyArn } = this.options;
    const body = Buffer.from(object.body, 'utf8');
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: object.key,
          Body: body,
          ContentLength: body.byteLength,
          ContentType: object.contentType,
          ContentDisposition: `attachment; filename="${object.fileName.replace(/["\\]/g, '_')}"`,
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: kmsKeyArn,
          BucketKeyEnabled: true,
        }),
      );
    } catch (error) {
      throw new ReportArchiveError(bucket, object.key, describe(error), { cause: error });
    }
    return {
      bucket,
      key: object.key,
      region: await this.client.config.region(),
      contentType: object.contentType,
      bytes: body.byteLength,
    };
  }
}

function describe(error: unknown): string {
  if (error instanceof Error)
    return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}
