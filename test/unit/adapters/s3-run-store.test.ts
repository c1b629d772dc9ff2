import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { RunFileError, S3RunStore } from '../../../functions/adapters/s3-run-store';

const s3 = mockClient(S3Client);
const store = () => new S3RunStore(new S3Client({ region: 'eu-west-1' }), 'runs-bucket');
/** The part of a response stream the store reads. */
const body = (text: string) => ({ transformToString: async () => text });
const s3Error = (name: string) =>
  new S3ServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 404 },
    message: `${name} error`,
  });

beforeEach(() => {
  s3.reset();
});

describe('the runs bucket over S3', () => {
  it('writes JSON with its content type', async () => {
    s3.on(PutObjectCommand).resolves({});
    await store().putJson('runs/r/accounts.json', [{ id: '111111111111', name: 'prod' }]);
    const input = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(input).toEqual({
      Bucket: 'runs-bucket',
      Key: 'runs/r/accounts.json',
      Body: '[{"id":"111111111111","name":"prod"}]',
      ContentType: 'application/json',
    });
  });

  it('reads JSON back', async () => {
    s3.on(GetObjectCommand, { Key: 'runs/r/run.json' }).resolves({ Body: body('{"runId":"r"}') as never });
    expect(await store().getJson('runs/r/run.json')).toEqual({ runId: 'r' });
  });

  it('names the file that is missing, unreadable or not JSON', async () => {
    s3.on(GetObjectCommand, { Key: 'missing.json' }).rejects(s3Error('NoSuchKey'));
    s3.on(GetObjectCommand, { Key: 'denied.json' }).rejects(s3Error('AccessDenied'));
    s3.on(GetObjectCommand, { Key: 'garbled.json' }).resolves({ Body: body('{"runId":') as never });
    const problems = await Promise.all(
      ['missing.json', 'denied.json', 'garbled.json'].map((key) =>
        store()
          .getJson(key)
          .then(
            () => undefined,
            (error: RunFileError) => [error.name, error.problem, error.message],
          ),
      ),
    );
    expect(problems).toEqual([
      ['RunFileError', 'missing', 's3://runs-bucket/missing.json does not exist'],
      [
        'RunFileError',
        'unreadable',
        's3://runs-bucket/denied.json could not be read: AccessDenied: AccessDenied error',
      ],
      [
        'RunFileError',
        'malformed',
        expect.stringMatching(/^s3:\/\/runs-bucket\/garbled.json is not valid JSON: /),
      ],
    ]);
  });

  it('turns a failed write into an error naming the file, keeping the cause', async () => {
    const cause = s3Error('SlowDown');
    s3.on(PutObjectCommand).rejects(cause);
    const error = await store()
      .putJson('runs/r/outcomes/111111111111.json', {})
      .catch((e: RunFileError) => e);
    expect(error).toBeInstanceOf(RunFileError);
    expect((error as RunFileError).problem).toBe('unwritable');
    expect((error as RunFileError).message).toContain(
      'runs/r/outcomes/111111111111.json could not be written: SlowDown',
    );
    expect((error as RunFileError).cause).toBe(cause);
  });

  it('lists every page of keys under a prefix', async () => {
    s3.on(ListObjectsV2Command)
      .resolvesOnce({
        Contents: [{ Key: 'runs/r/outcomes/1.json' }, { Key: 'runs/r/outcomes/2.json' }],
        IsTruncated: true,
        NextContinuationToken: 't1',
      })
      .resolvesOnce({ Contents: [{ Key: 'runs/r/outcomes/3.json' }], IsTruncated: false });
    expect(await store().listKeys('runs/r/outcomes/')).toEqual([
      'runs/r/outcomes/1.json',
      'runs/r/outcomes/2.json',
      'runs/r/outcomes/3.json',
    ]);
    const inputs = s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input);
    expect(inputs).toEqual([
      { Bucket: 'runs-bucket', Prefix: 'runs/r/outcomes/' },
      { Bucket: 'runs-bucket', Prefix: 'runs/r/outcomes/', ContinuationToken: 't1' },
    ]);
  });

  it('fails a listing that cannot be completed instead of returning part of it', async () => {
    s3.on(ListObjectsV2Command).resolvesOnce({ Contents: [{ Key: 'a' }], IsTruncated: true });
    await expect(store().listKeys('runs/r/')).rejects.toThrow(
      'a truncated page carried no continuation token',
    );
    s3.reset();
    s3.on(ListObjectsV2Command)
      .resolvesOnce({ Contents: [{ Key: 'a' }], IsTruncated: true, NextContinuationToken: 't' })
      .rejectsOnce(s3Error('InternalError'));
    await expect(store().listKeys('runs/r/')).rejects.toThrow(
      's3://runs-bucket/runs/r/ could not be listed: InternalError',
    );
  });
});
