import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { EventBridgeEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readExportDirectory } from '../../functions/adapters/export-reader';
import type { RawAccountData } from '../../functions/core/raw';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import * as notify from '../../functions/handlers/notify';
import { runScan, type ScanEvent } from '../../functions/use-cases/run-scan';
import { scanDeps } from '../../functions/wiring/scan';
import { lambdaContext } from '../support/lambda';
import { createMotoKmsKey } from '../support/moto-kms';
import { useMotoWithTable } from '../support/moto-table';
import { type SlackServer, startSlackServer } from '../support/slack-server';

/**
 * From a scan to its Slack summary: the scan (moto's DynamoDB, EventBridge, S3) archives its
 * report and announces ScanCompleted; the notify function, built from its environment as deployed
 * (bot token in Secrets Manager, notice budget in the findings table), posts the summary to the
 * Slack stand-in once per scan and within the channel's hourly budget.
 */

const TABLE = 'iam-posture-findings';
const BUS = 'iam-posture';
const BUCKET = 'iam-posture-reports';
const CHANNEL = 'C0CHANNEL1';

let slack: SlackServer;
let demo: RawAccountData;
let tokenArn: string;
let keyArn: string;
const saved = { ...process.env };

const env = useMotoWithTable(TABLE);

beforeAll(async () => {
  slack = await startSlackServer();
  demo = await readExportDirectory('examples/demo-account');
});

afterAll(async () => {
  await slack?.stop();
});

beforeEach(async () => {
  slack.reset();
  await new EventBridgeClient(env.moto.clientConfig).send(new CreateEventBusCommand({ Name: BUS }));
  const secret = await new SecretsManagerClient(env.moto.clientConfig).send(
    new CreateSecretCommand({ Name: 'IamPosture-SlackBotToken', SecretString: 'xoxb-integration-token' }),
  );
  tokenArn = secret.ARN!;
  keyArn = await createMotoKmsKey(env.moto);
});

afterEach(() => {
  process.env = { ...saved };
});

/** The ScanCompleted event of one scan with a reports bucket, as the bus delivers it. */
async function scanCompleted(reportsBucket?: string): Promise<EventBridgeEvent<string, unknown>> {
  if (reportsBucket) {
    await new S3Client({ ...env.moto.clientConfig, forcePathStyle: true }).send(
      new CreateBucketCommand({ Bucket: reportsBucket }),
    );
  }
  const deps = scanDeps({
    aws: { ...env.moto.clientConfig, maxAttempts: 1 },
    table: TABLE,
    eventBus: BUS,
    ...(reportsBucket ? { reports: { bucket: reportsBucket, kmsKeyArn: keyArn } } : {}),
    collect: async () => ({ raw: demo, origin: 'export' }),
  });
  const sent: ScanEvent[] = [];
  deps.events = {
    publish: async (events) => {
      sent.push(...events);
      return {
        events: events.length,
        published: events.length,
        failed: [],
        requests: 1,
        failedEntryCount: 0,
      };
    },
  };
  await runScan(deps, { settings: DEFAULT_SETTINGS });
  const event = sent.find((e) => e.detailType === 'ScanCompleted')!;
  return {
    version: '0',
    id: 'e1',
    'detail-type': 'ScanCompleted',
    source: 'iam-posture',
    account: '123456789012',
    time: new Date().toISOString(),
    region: env.moto.clientConfig.region,
    resources: [],
    detail: event.detail,
  };
}

/** A fresh notify function over moto and the Slack stand-in, configured by its variables. */
function notifyFunction(perHour = 20) {
  process.env = {
    ...saved,
    FINDINGS_TABLE_NAME: TABLE,
    SLACK_BOT_TOKEN_SECRET_ARN: tokenArn,
    SLACK_CHANNEL_ID: CHANNEL,
    SLACK_API_URL: slack.apiUrl,
    SLACK_NOTICES_PER_HOUR: String(perHour),
    AWS_REGION: env.moto.clientConfig.region,
    AWS_ACCESS_KEY_ID: env.moto.clientConfig.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: env.moto.clientConfig.credentials.secretAccessKey,
    AWS_ENDPOINT_URL: env.moto.clientConfig.endpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  const handler = notify.createHandler(() => notify.notifyHandlerDeps(process.env));
  return (event: EventBridgeEvent<string, unknown>) => handler(event, lambdaContext('iam-posture-notify'));
}

const summaries = () => slack.calls('chat.postMessage').map((call) => call.args);

describe('scan summary in Slack (moto, Slack stand-in)', () => {
  it('posts the summary of a scan with the archived report and how to fetch it, once per scan', async () => {
    const event = await scanCompleted(BUCKET);
    const detail = event.detail as { scanId: string; report: { key: string }; findings: { total: number } };
    expect(detail.report.key).toMatch(/^reports\/111122223333\/\d{4}\/\d\d\/\d\d\/.+$/);
    const invoke = notifyFunction();

    expect(await invoke(event)).toEqual({ outcome: 'posted' });
    expect(await invoke(event)).toEqual({ outcome: 'already-posted' });

    expect(summaries()).toHaveLength(1);
    const [post] = summaries();
    expect(post!.channel).toBe(CHANNEL);
    expect(post!.text).toContain(`Scan of account 111122223333 completed: ${detail.findings.total} open`);
    const blocks = JSON.stringify(post!.blocks);
    expect(blocks).toContain(
      `aws s3 cp s3://${BUCKET}/${detail.report.key} ./report.${detail.report.key.split('.').pop()} --region us-east-1`,
    );
    expect(blocks).toContain(`https://console.aws.amazon.com/s3/object/${BUCKET}?region=us-east-1`);
    expect(blocks).not.toContain('X-Amz-Signature');
    expect(blocks).not.toContain('"actions"');
    expect(slack.calls('chat.postMessage')[0]!.token).toBe('xoxb-integration-token');
  });

  it('posts a summary without a report section when the scan archived none', async () => {
    const event = await scanCompleted();
    expect(await notifyFunction()(event)).toEqual({ outcome: 'posted' });
    const blocks = JSON.stringify(summaries()[0]!.blocks);
    expect(blocks).toContain('Scan completed');
    expect(blocks).not.toContain('s3://');
  });

  it('posts no summary beyond the hourly notice budget', async () => {
    const first = await scanCompleted();
    const second = await scanCompleted();
    const invoke = notifyFunction(1);
    expect(await invoke(first)).toEqual({ outcome: 'posted' });
    expect(await invoke(second)).toEqual({ outcome: 'over-budget' });
    expect(summaries()).toHaveLength(1);
  });

  it('refuses a ScanCompleted detail it cannot read, naming the field', async () => {
    const event = await scanCompleted();
    const broken = { ...event, detail: { ...(event.detail as object), findings: undefined } };
    await expect(notifyFunction()(broken)).rejects.toThrow(
      'the ScanCompleted detail is not one this function can summarize: findings:',
    );
    expect(summaries()).toEqual([]);
  });
});
