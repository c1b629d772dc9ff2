import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SECRET_PLACEHOLDER_KEY } from '../core/slack-function-config';

/**
 * Reads the Slack signing secret and bot token from Secrets Manager: GetSecretValue on exactly the
 * ARNs it was built with, each value cached for the life of the container (for `ttlMs`, so a
 * value stored with `put-secret-value` takes effect without a redeploy). An empty value, or the
 * placeholder the stack creates the secret with, is refused: a check against an empty secret
 * would prove nothing. Values are never logged or put in error messages.
 */

/** The key of the placeholder JSON the stack stores until the operator puts Slack's value. */
export const PLACEHOLDER_KEY = SECRET_PLACEHOLDER_KEY;

export interface SecretReaderOptions {
  /** How long a value is reused; default 5 minutes. */
  ttlMs?: number;
  now?: () => number;
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

interface Cached {
  value: string;
  readAt: number;
}

export class SecretReader {
  private readonly allowed: ReadonlySet<string>;
  private readonly cache = new Map<string, Cached>();
  private readonly inFlight = new Map<string, Promise<string>>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: SecretsManagerClient,
    secretArns: readonly string[],
    options: SecretReaderOptions = {},
  ) {
    this.allowed = new Set(secretArns);
    this.ttlMs = options.ttlMs ?? 300_000;
    this.now = options.now ?? Date.now;
  }

  /** The secret's string value; throws `EmptySecretError`, `SecretNotAllowedError` or `SecretReadError`. */
  async read(secretArn: string): Promise<string> {
    if (!this.allowed.has(secretArn)) throw new SecretNotAllowedError(secretArn);
    const cached = this.cache.get(secretArn);
    if (cached && this.now() - cached.readAt < this.ttlMs) return cached.value;
    const pending = this.inFlight.get(secretArn) ?? this.fetch(secretArn);
    this.inFlight.set(secretArn, pending);
    try {
      return await pending;
    } finally {
      this.inFlight.delete(secretArn);
    }
  }

  private async fetch(secretArn: string): Promise<string> {
    let text: string | undefined;
    try {
      const output = await this.client.send(new GetSecretValueCommand({ SecretId: secretArn }));
      text = output.SecretString;
    } catch (error) {
      throw new SecretReadError(secretArn, { cause: error });
    }
    const value = text?.trim() ?? '';
    if (value === '' || isPlaceholder(value)) {
      this.cache.delete(secretArn);
      throw new EmptySecretError(secretArn);
    }
    this.cache.set(secretArn, { value, readAt: this.now() });
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
