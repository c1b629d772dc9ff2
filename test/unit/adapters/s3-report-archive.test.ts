import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ReportArchiveError, S3ReportArchive } from '../../../functions/adapters/s3-report-archive';

const s3 = mockClient(S3Client);
const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/0f6d2d4a-1b2c-4d5e-8f90-123456789abc';
const archive = () =>
  new S3ReportArchive(new S3Client({ region: 'eu-west-1' }), {
    bucket: 'reports-bucket',
    kmsKeyArn: KEY_ARN,
  });
const object = {
  key: 'reports/111122223333/2025/06/03/20250603T000000.000Z-beef0001.html',
  body: '<p>café</p>',
  contentType: 'text/html; charset=utf-8',
  fileName: 'iam-posture-111122223333-20250603T000000.000Z-beef0001.html',
};

beforeEach(() => {
  s3.reset();
});

describe('the reports bucket over S3', () => {
  it('writes the report with SSE-KMS under the named key, its content type and a download name', async () => {
    s3.on(PutObjectCommand).resolves({});
    const location = await archive().put(object);

    const input = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect({ ...input, Body: Buffer.from(input.Body as Uint8Array).toString('utf8') }).toEqual({
      Bucket: 'reports-bucket',
      Key: object.key,
      Body: '<p>café</p>',
      ContentLength: 12,
      ContentType: 'text/html; charset=utf-8',
      ContentDisposition:
        'attachment; filename="iam-posture-111122223333-20250603T000000.000Z-beef0001.html"',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KEY_ARN,
      BucketKeyEnabled: true,
    });
    expect(location).toEqual({
      bucket: 'reports-bucket',
      key: object.key,
      region: 'eu-west-1',
      contentType: 'text/html; charset=utf-8',
      bytes: 12,
    });
  });

  it('keeps quotes out of the download name', async () => {
    s3.on(PutObjectCommand).resolves({});
    await archive().put({ ...object, fileName: 'a"b\\c.json' });
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.ContentDisposition).toBe(
      'attachment; filename="a_b_c.json"',
    );
  });

  it('names the bucket and key it could not write, and keeps the S3 error', async () => {
    const denied = new S3ServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
      message: 'Access Denied',
    });
    s3.on(PutObjectCommand).rejects(denied);
    const error = await archive()
      .put(object)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ReportArchiveError);
    expect((error as ReportArchiveError).name).toBe('ReportArchiveError');
    expect((error as ReportArchiveError).message).toBe(
      `s3://reports-bucket/${object.key} could not be written: AccessDenied: Access Denied`,
    );
    expect((error as ReportArchiveError).cause).toBe(denied);
  });
});
