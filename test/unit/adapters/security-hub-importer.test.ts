import {
  BatchImportFindingsCommand,
  InvalidAccessException,
  LimitExceededException,
  SecurityHubClient,
  SecurityHubServiceException,
  ThrottlingException,
} from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  SecurityHubFindingsImporter,
  SecurityHubImportError,
} from '../../../functions/adapters/aws/security-hub-importer';
import { toAsffFinding } from '../../../functions/core/report/asff';
import { batchItemFailures, exportToSecurityHub } from '../../../functions/use-cases/export-security-hub';
import { aStoredFinding, messagesOf, scanEventsOf } from '../../support/finding-events';
import { aFinding } from '../report/fixtures';

const securityHub = mockClient(SecurityHubClient);
const CONTEXT = { region: 'us-east-1', observedAt: '2025-06-02T08:00:00.000Z' };

function tooManyRequests(): SecurityHubServiceException {
  // Not in the SDK's model: the SDK raises it as a plain service exception named by its code.
  return new SecurityHubServiceException({
    name: 'TooManyRequestsException',
    $fault: 'client',
    $metadata: { httpStatusCode: 429 },
    message: 'Rate exceeded',
  });
}

beforeEach(() => {
  securityHub.reset();
});

describe('SecurityHubFindingsImporter', () => {
  const findings = [toAsffFinding(aFinding(), CONTEXT), toAsffFinding(aFinding({ id: 'f2' }), CONTEXT)];

  it('sends the findings in one BatchImportFindings call and names the ones that failed', async () => {
    securityHub.on(BatchImportFindingsCommand).resolves({
      FailedCount: 1,
      SuccessCount: 1,
      FailedFindings: [{ Id: findings[1]!.Id, ErrorCode: 'InvalidInput', ErrorMessage: 'bad resource' }],
    });
    const result = await new SecurityHubFindingsImporter(new SecurityHubClient({})).importBatch(findings);
    expect(result).toEqual({
      outcome: 'done',
      failed: [
        {
          id: 'iam-posture/111122223333/us-east-1/f2',
          errorCode: 'InvalidInput',
          errorMessage: 'bad resource',
        },
      ],
    });
    const calls = securityHub.commandCalls(BatchImportFindingsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input.Findings?.map((f) => f.Id)).toEqual(findings.map((f) => f.Id));
  });

  it.each([
    ['TooManyRequestsException (HTTP 429)', tooManyRequests],
    [
      'ThrottlingException',
      () => new ThrottlingException({ $metadata: { httpStatusCode: 429 }, message: 'slow down' }),
    ],
    [
      'LimitExceededException',
      () => new LimitExceededException({ $metadata: { httpStatusCode: 429 }, message: 'throttling limits' }),
    ],
  ])('answers throttled for %s', async (_name, error) => {
    securityHub.on(BatchImportFindingsCommand).rejects(error());
    const result = await new SecurityHubFindingsImporter(new SecurityHubClient({})).importBatch(findings);
    expect(result).toEqual({ outcome: 'throttled' });
  });

  it('throws any other failure as SecurityHubImportError with the SDK error as cause', async () => {
    const denied = new InvalidAccessException({
      $metadata: { httpStatusCode: 401 },
      message: 'Account is not subscribed to AWS Security Hub',
    });
    securityHub.on(BatchImportFindingsCommand).rejects(denied);
    const error = await new SecurityHubFindingsImporter(new SecurityHubClient({}))
      .importBatch(findings)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecurityHubImportError);
    expect((error as Error).message).toBe(
      'BatchImportFindings failed: InvalidAccessException: Account is not subscribed to AWS Security Hub',
    );
    expect((error as Error).cause).toBe(denied);
  });

  it('refuses more than 100 findings without calling Security Hub', async () => {
    const many = Array.from({ length: 101 }, (_, i) => toAsffFinding(aFinding({ id: `f${i}` }), CONTEXT));
    await expect(
      new SecurityHubFindingsImporter(new SecurityHubClient({})).importBatch(many),
    ).rejects.toThrow('BatchImportFindings takes at most 100 findings per call, got 101');
    expect(securityHub.commandCalls(BatchImportFindingsCommand)).toHaveLength(0);
  });
});

describe('exporting through the SDK client', () => {
  it('backs off while Security Hub throttles, then imports every finding in calls of 100', async () => {
    securityHub
      .on(BatchImportFindingsCommand)
      .rejectsOnce(tooManyRequests())
      .rejectsOnce(new ThrottlingException({ $metadata: {}, message: 'slow down' }))
      .resolves({ FailedCount: 0, SuccessCount: 100, FailedFindings: [] });
    const sleeps: number[] = [];
    const importer = new SecurityHubFindingsImporter(new SecurityHubClient({ region: 'us-east-1' }));
    const changes = Array.from({ length: 150 }, (_, i) => ({
      kind: 'opened' as const,
      after: aStoredFinding(aFinding({ id: `f${i}` })),
    }));
    const report = await exportToSecurityHub(
      {
        region: 'us-east-1',
        importerFor: async () => importer,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      },
      messagesOf(scanEventsOf(changes, new Date('2025-06-02T08:00:00.000Z'))),
    );
    const calls = securityHub.commandCalls(BatchImportFindingsCommand);
    expect(calls.map((call) => call.args[0].input.Findings?.length)).toEqual([100, 100, 100, 50]);
    expect(sleeps).toEqual([500, 1000]);
    expect(report).toMatchObject({ imported: 150, throttled: 2, calls: 4 });
    expect(batchItemFailures(report)).toEqual([]);
  });
});
