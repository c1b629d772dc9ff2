import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { AsffFinding } from '../../functions/core/report/asff';
import {
  parseSecurityHubExporterConfig,
  SecurityHubExporterConfigError,
  securityHubExporterEnvironment,
} from '../../functions/core/report/asff-exporter-config';
import { createHandler } from '../../functions/handlers/security-hub-export';
import { aStoredFinding, messagesOf, scanEventsOf } from '../support/finding-events';
import { lambdaContext } from '../support/lambda';
import { aFinding } from './report/fixtures';

function sqsEvent(messages: { messageId: string; body: string }[]): SQSEvent {
  return {
    Records: messages.map(
      (message) =>
        ({
          ...message,
          receiptHandle: `handle-${message.messageId}`,
          attributes: {},
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:eu-west-1:111122223333:exporter',
          awsRegion: 'eu-west-1',
        }) as unknown as SQSRecord,
    ),
  };
}

describe('security-hub-export handler', () => {
  it('imports the queue batch and returns only the messages that failed as batch item failures', async () => {
    const sent: AsffFinding[][] = [];
    const handler = createHandler(() => ({
      region: 'eu-west-1',
      sleep: async () => {},
      importerFor: async () => ({
        importBatch: async (findings) => {
          sent.push([...findings]);
          return { outcome: 'done', failed: [] };
        },
      }),
    }));
    const [good] = messagesOf(
      scanEventsOf([{ kind: 'opened', after: aStoredFinding(aFinding()) }], new Date('2025-06-02T08:00:00Z')),
    );
    const response = await handler(
      sqsEvent([good!, { messageId: 'broken', body: 'not json' }]),
      lambdaContext('iam-posture-security-hub-export'),
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'broken' }] });
    expect(sent.flat().map((f) => f.GeneratorId)).toEqual(['access-key-not-rotated']);
  });
});

describe('the exporter environment', () => {
  it('reads what the construct writes, with the region Lambda sets', () => {
    const env = securityHubExporterEnvironment({
      homeAccountId: '111122223333',
      memberImportRoleName: 'IamPostureFindingsImport',
    });
    expect(parseSecurityHubExporterConfig({ ...env, AWS_REGION: 'eu-west-1' })).toEqual({
      region: 'eu-west-1',
      homeAccountId: '111122223333',
      memberImportRoleName: 'IamPostureFindingsImport',
    });
  });

  it('names each bad variable', () => {
    expect(() => parseSecurityHubExporterConfig({ AWS_REGION: 'moon-1', HOME_ACCOUNT_ID: '12' })).toThrow(
      new SecurityHubExporterConfigError([
        'AWS_REGION: must be an AWS region',
        'HOME_ACCOUNT_ID: must be a 12-digit account id',
      ]),
    );
  });
});
