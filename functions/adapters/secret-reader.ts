import { GetParameterError } from '@aws-lambda-powertools/parameters/errors';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SECRET_PLACEHOLDER_KEY } from '../core/slack-function-config';

/**
 * Reads the Slack signing secret and bot token from Secrets Manager: GetSecretValue on exactly the
 * ARNs it was built with, each value cached by Powertools Parameters (for `maxAgeSeconds`, so a
 * value stored with `put-secret-value` takes effect without a redeploy). An empty value, or the
 * placeholder the stack creates the secret with, is refused: a check against an empty secret
 * would prove nothing. Values are never logged or put in error messages.
 */

/** The key of the placeholder JSON the stack stores until the operator puts Slack's value. */
export const PLACEHOLDER_KEY = SECRET_PLACEHOLDER_KEY;

export interface SecretReaderOptions {
  /** How long a value is reused, in seconds; default 5 minutes. */
  maxAgeSeconds?: number;
}

/** The ARN is not one this reader may read. */
export class SecretNotAllowedError extends Error {
  override readonly name = 'SecretNotAllowedError';
  constructor(readonly secretArn: string) {
    super(`secret ${secretArn} is not one this function reads`);
  }
}

/** The secret holds no usable value: empty, whitespace, binary, or the placeholder. */
export class EmptySecretError extends Error {
  override readonly name = 'EmptySecretError';
  constructor(readonly secretArn: string) {
    super(
      `secret ${secretArn} holds no value yet; store it with aws secretsmanager put-secret-value --secret-id ${secretArn}`,
    );
  }
}

/** Secrets Manager did not answer with the value. */
export class SecretReadError extends Error {
  override readonly name = 'SecretReadError';
  constructor(
    readonly secretArn: string,
    options: { cause: unknown },
  ) {
    const cause = options.cause;
    const code = cause instanceof Error ? cause.name : 'Error';
    super(`secret ${secretArn} could not be read (${code})`, options);
  }
}

/** The value Secrets Manager holds, through Powertools Parameters' cache. */
export class SecretReader {
  private readonly allowed: ReadonlySet<string>;
  private readonly provider: SecretsProvider;
  private readonly inFlight = new Map<string, Promise<string>>();
  /** Secrets whose last read held no value: the next read asks Secrets Manager again. */
  private readonly unset = new Set<string>();
  private readonly maxAgeSeconds: number;

  constructor(
    client: SecretsManagerClient,
    secretArns: readonly string[],
    options: SecretReaderOptions = {},
  ) {
    this.allowed = new Set(secretArns);
    this.provider = new SecretsProvider({ awsSdkV3Client: client });
    this.maxAgeSeconds = options.maxAgeSeconds ?? 300;
  }

  /** The secret's string value; throws `EmptySecretError`, `SecretNotAllowedError` or `SecretReadError`. */
  async read(secretArn: string): Promise<string> {
    if (!this.allowed.has(secretArn)) throw new SecretNotAllowedError(secretArn);
    const pending = this.inFlight.get(secretArn) ?? this.fetch(secretArn);
    this.inFlight.set(secretArn, pending);
    try {
      return await pending;
    } finally {
      this.inFlight.delete(secretArn);
    }
  }

  private async fetch(secretArn: string): Promise<string> {
    let stored: unknown;
    try {
      stored = await this.provider.get(secretArn, {
        maxAge: this.maxAgeSeconds,
        forceFetch: this.unset.has(secretArn),
      });
    } catch (error) {
      // Parameters wraps the SDK's error; the reason to report is the SDK's.
      const cause = error instanceof GetParameterError && error.cause !== undefined ? error.cause : error;
      throw new SecretReadError(secretArn, { cause });
    }
    const value = typeof stored === 'string' ? stored.trim() : '';
    if (value === '' || isPlaceholder(value)) {
      this.unset.add(secretArn);
      throw new EmptySecretError(secretArn);
    }
    this.unset.delete(secretArn);
    return value;
  }
}

function isPlaceholder(value: string): boolean {
  if (!value.startsWith('{')) return false;
  try {
    const parsed = JSON.parse(value) as unknown;
    return typeof parsed === 'object' && parsed !== null && PLACEHOLDER_KEY in parsed;
  } catch {
    return false;
  }
}
