import {
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { RunFiles } from '../use-cases/org-run-ports';

/**
 * The runs bucket: JSON files of organization runs (account lists, checkpoints, outcomes, run
 * records). A file that is missing, unreadable or not JSON is an error naming the bucket and key,
 * never an empty value: a run must not mistake a lost outcome for a clean account.
 */

export type RunFileProblem = 'missing' | 'unreadable' | 'malformed' | 'unwritable';

export class RunFileError extends Error {
  override readonly name = 'RunFileError';
  constructor(
    readonly problem: RunFileProblem,
    readonly bucket: string,
    readonly key: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`s3://${bucket}/${key} ${detail}`, options);
  }
}

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound']);

export class S3RunStore implements RunFiles {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  async putJson(key: string, value: unknown): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: JSON.stringify(value),
          ContentType: 'application/json',
        }),
      );
    } catch (error) {
      throw new RunFileError('unwritable', this.bucket, key, `could not be written: ${describe(error)}`, {
        cause: error,
      });
    }
  }

  async getJson(key: string): Promise<unknown> {
    let text: string;
    try {
      const output = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!output.Body) throw new Error('the response has no body');
      text = await output.Body.transformToString('utf-8');
    } catch (error) {
      const missing = error instanceof Error && NOT_FOUND.has(error.name);
      throw new RunFileError(
        missing ? 'missing' : 'unreadable',
        this.bucket,
        key,
        missing ? 'does not exist' : `could not be read: ${describe(error)}`,
        { cause: error },
      );
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new RunFileError('malformed', this.bucket, key, `is not valid JSON: ${describe(error)}`, {
        cause: error,
      });
    }
  }

  async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
      } catch (error) {
        throw new RunFileError('unreadable', this.bucket, prefix, `could not be listed: ${describe(error)}`, {
          cause: error,
        });
      }
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      // A truncated page without a token would loop forever or stop early: both hide files.
      if (page.IsTruncated && !page.NextContinuationToken) {
        throw new RunFileError(
          'unreadable',
          this.bucket,
          prefix,
          'could not be listed: a truncated page carried no continuation token',
        );
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error)
    return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}
