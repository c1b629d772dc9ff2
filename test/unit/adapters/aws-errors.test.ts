import { describe, expect, it } from 'vitest';
import { classifyAwsError, gapFromError } from '../../../functions/adapters/aws/errors';

/** An error as the SDK surfaces it: a name, a status and (for some services) a retry trait. */
function sdkError(name: string, status: number, extra: Record<string, unknown> = {}): Error {
  const error = new Error(`${name} error`);
  error.name = name;
  return Object.assign(error, { $metadata: { httpStatusCode: status }, ...extra });
}

describe('classifyAwsError', () => {
  it.each([
    // Codes the hand-kept list had, still throttling through the SDK's classification.
    ['Throttling', 400],
    ['ThrottlingException', 400],
    ['TooManyRequestsException', 400],
    ['RequestLimitExceeded', 503],
    ['SlowDown', 503],
    ['EC2ThrottledException', 400],
    // Codes only the SDK's list knows.
    ['ProvisionedThroughputExceededException', 400],
    ['TransactionInProgressException', 400],
    // Any code with HTTP 429.
    ['SomeNewRateLimit', 429],
  ])('classifies %s (HTTP %i) as Throttling, as the SDK retry strategy does', (name, status) => {
    expect(classifyAwsError(sdkError(name, status))).toBe('Throttling');
  });

  it('classifies an error carrying the throttling retry trait as Throttling', () => {
    expect(classifyAwsError(sdkError('CustomRateError', 400, { $retryable: { throttling: true } }))).toBe(
      'Throttling',
    );
  });

  it.each([
    ['ServiceFailure', 500, 'ServiceError'],
    ['InternalServiceError', 500, 'ServiceError'],
    ['AccessDenied', 403, 'AccessDenied'],
    ['NoSuchEntity', 404, 'NotFound'],
  ])('classifies %s (HTTP %i) as %s, not Throttling', (name, status, category) => {
    expect(classifyAwsError(sdkError(name, status))).toBe(category);
  });

  it('classifies values that are not errors as ServiceError', () => {
    expect(classifyAwsError('boom')).toBe('ServiceError');
    expect(classifyAwsError(undefined)).toBe('ServiceError');
  });
});

describe('gapFromError', () => {
  it('says a throttled read was throttled after every retry and names what was not read', () => {
    const gap = gapFromError(sdkError('ThrottlingException', 400), {
      accountId: '111122223333',
      source: 'secretsmanager:ListSecrets',
      notRead: 'no secret in eu-west-1 was read',
    });
    expect(gap).toEqual({
      kind: 'coverage-gap',
      arn: '',
      accountId: '111122223333',
      source: 'secretsmanager:ListSecrets',
      category: 'Throttling',
      reason:
        'Requests were still throttled after every retry (ThrottlingException: ThrottlingException error); no secret in eu-west-1 was read.',
    });
  });
});
