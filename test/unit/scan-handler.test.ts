import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  GenerateServiceLastAccessedDetailsCommand,
  GetAccountAuthorizationDetailsCommand,
} from '@aws-sdk/client-iam';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReviewsDeploySchema } from '../../functions/core/review/config';
import { reviewScanEnvironment } from '../../functions/core/review/function-config';
import { createHandler, scanHandlerDeps } from '../../functions/handlers/scan';
import { createObservability } from '../../functions/wiring/powertools';
import { lambdaContext } from '../support/lambda';
import { ACCOUNT_ID, mocks, resetMocks, stubHealthyAccount } from './collector-fixtures';

const documents = mockClient(DynamoDBDocumentClient);
const eventBridge = mockClient(EventBridgeClient);
const saved = { ...process.env };

const ENV = {
  AWS_REGION: 'eu-west-1',
  FINDINGS_TABLE_NAME: 'findings-table',
  EVENT_BUS_NAME: 'posture-bus',
  SECRETS_REGIONS: 'eu-west-1,us-east-1',
  SCAN_SETTINGS: JSON.stringify({ disabledRules: ['unused-service-permissions'] }),
  RESOLVED_TTL_DAYS: '30',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

/** A fresh handler: configuration and clients are built on its first invocation. */
function loadHandler() {
  const handler = createHandler(() => scanHandlerDeps(process.env));
  return () => handler({}, lambdaContext('iam-posture-scan'));
}

beforeEach(() => {
  resetMocks();
  documents.reset();
  eventBridge.reset();
  process.env = { ...saved, ...ENV };
});

afterEach(() => {
  process.env = { ...saved };
});

describe('scan handler', () => {
  it('reads the review state only where reviews are enabled', () => {
    expect(scanHandlerDeps(process.env).scan.reviewState).toBeUndefined();
    const reviews = reviewScanEnvironment(ReviewsDeploySchema.parse({ enabled: true }));
    expect(typeof scanHandlerDeps({ ...process.env, ...reviews }).scan.reviewState).toBe('function');
    const disabled = reviewScanEnvironment(ReviewsDeploySchema.parse({ enabled: false }));
    expect(scanHandlerDeps({ ...process.env, ...disabled }).scan.reviewState).toBeUndefined();
  });

  it('scans the account, stores the findings in the configured table and publishes to the bus', async () => {
    stubHealthyAccount();
    documents.on(GetCommand).resolves({});
    documents.on(QueryCommand).resolves({ Items: [] });
    documents.on(TransactWriteCommand).resolves({});
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map(() => ({ EventId: 'e' })),
    }));
    const handler = loadHandler();

    const outcome = await handler();

    expect(outcome).toMatchObject({ accountId: ACCOUNT_ID, outcome: 'completed', eventsFailed: 0 });
    expect(outcome.findings).toBeGreaterThan(0);
    expect(mocks.iam.commandCalls(GetAccountAuthorizationDetailsCommand).length).toBeGreaterThan(0);
    const writes = documents
      .commandCalls(TransactWriteCommand)
      .map((call) => call.args[0].input.TransactItems!);
    const puts = writes.flat().filter((item) => item.Put?.Item?.itemType === 'finding');
    expect(puts.length).toBe(outcome.opened);
    expect(puts.every((item) => item.Put!.TableName === 'findings-table')).toBe(true);
    expect(puts.every((item) => item.Put!.Item!.accountId === ACCOUNT_ID)).toBe(true);
    expect(outcome.writeRequests).toBe(writes.length);

    const entries = eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries!);
    expect(
      entries.every((entry) => entry.Source === 'iam-posture' && entry.EventBusName === 'posture-bus'),
    ).toBe(true);
    expect(entries.filter((entry) => entry.DetailType === 'FindingOpened')).toHaveLength(outcome.opened);
    expect(entries.at(-1)!.DetailType).toBe('ScanCompleted');
  });

  it('generates at most SERVICE_LAST_ACCESSED_MAX_JOBS jobs and caches the results in the table', async () => {
    stubHealthyAccount();
    process.env.SCAN_SETTINGS = JSON.stringify({ disabledRules: [] });
    process.env.SERVICE_LAST_ACCESSED_MAX_JOBS = '1';
    documents.on(GetCommand).resolves({});
    documents.on(QueryCommand).resolves({ Items: [] });
    documents.on(TransactWriteCommand).resolves({});
    documents.on(BatchWriteCommand).resolves({});
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map(() => ({ EventId: 'e' })),
    }));
    const handler = loadHandler();

    await handler();

    const ciDeploy = `arn:aws:iam::${ACCOUNT_ID}:role/ci-deploy`;
    // Two principals hold policies; the budget of one takes the first by ARN, the other waits.
    expect(
      mocks.iam.commandCalls(GenerateServiceLastAccessedDetailsCommand).map((call) => call.args[0].input.Arn),
    ).toEqual([ciDeploy]);
    const cacheQueries = documents
      .commandCalls(QueryCommand)
      .map((call) => call.args[0].input)
      .filter((input) => input.ExpressionAttributeValues?.[':pk'] === `LAST-ACCESSED#${ACCOUNT_ID}`);
    expect(cacheQueries.map((input) => input.TableName)).toEqual(['findings-table']);
    const cached = documents
      .commandCalls(BatchWriteCommand)
      .flatMap((call) => call.args[0].input.RequestItems!['findings-table']!)
      .map((request) => request.PutRequest!.Item!);
    expect(cached.map((item) => [item.PK, item.SK])).toEqual([
      [`LAST-ACCESSED#${ACCOUNT_ID}`, `PRINCIPAL#${ciDeploy}`],
    ]);
  });

  it('sends the events an earlier scan kept in the outbox before it collects, then deletes them', async () => {
    stubHealthyAccount();
    const kept = {
      PK: `OUTBOX#${ACCOUNT_ID}`,
      SK: 'EVENT#2026-12-01T00:00:00.000Z#0000#e-kept',
      accountId: ACCOUNT_ID,
      position: '2026-12-01T00:00:00.000Z#0000',
      eventId: 'e-kept',
      writtenAt: '2026-12-01T00:00:00.000Z',
      event: JSON.stringify({ detailType: 'ScanCompleted', detail: { version: 1, eventId: 'e-kept' } }),
    };
    let outboxEmptied = false;
    const calls: string[] = [];
    documents.on(GetCommand).resolves({});
    documents.on(QueryCommand).callsFake((input: { ExpressionAttributeValues?: Record<string, unknown> }) => {
      if (input.ExpressionAttributeValues?.[':pk'] !== `OUTBOX#${ACCOUNT_ID}`) return { Items: [] };
      calls.push('outbox query');
      return { Items: outboxEmptied ? [] : [kept] };
    });
    documents.on(TransactWriteCommand).resolves({});
    documents.on(BatchWriteCommand).callsFake(() => {
      calls.push('delete');
      outboxEmptied = true;
      return {};
    });
    mocks.iam.on(GetAccountAuthorizationDetailsCommand).callsFake(() => {
      calls.push('collect');
      return {
        UserDetailList: [],
        RoleDetailList: [],
        GroupDetailList: [],
        Policies: [],
        IsTruncated: false,
      };
    });
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: { Detail: string }[] }) => {
      calls.push(`put ${input.Entries.map((entry) => JSON.parse(entry.Detail).eventId).join(',')}`);
      return { FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'e' })) };
    });

    const outcome = await loadHandler()();

    expect(calls.slice(0, 4)).toEqual(['outbox query', 'put e-kept', 'delete', 'outbox query']);
    expect(calls[4]).toBe('collect');
    const deleted = documents
      .commandCalls(BatchWriteCommand)
      .flatMap((call) => call.args[0].input.RequestItems!['findings-table']!)
      .map((request) => request.DeleteRequest?.Key);
    expect(deleted).toEqual([{ PK: kept.PK, SK: kept.SK }]);
    expect(outcome).toMatchObject({ outcome: 'completed', outboxSent: 1, outboxKept: 0 });
  });

  it('parses its configuration once: later invocations keep the first values', async () => {
    stubHealthyAccount();
    documents.on(GetCommand).resolves({});
    documents.on(QueryCommand).resolves({ Items: [] });
    documents.on(TransactWriteCommand).resolves({});
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map(() => ({ EventId: 'e' })),
    }));
    const handler = loadHandler();
    await handler();
    process.env.FINDINGS_TABLE_NAME = 'another-table';
    documents.resetHistory();
    await handler();
    const tables = documents
      .commandCalls(TransactWriteCommand)
      .flatMap((call) => call.args[0].input.TransactItems!)
      .map((item) => (item.Put ?? item.Update)!.TableName);
    expect(new Set(tables)).toEqual(new Set(['findings-table']));
  });

  it('fails on a bad variable, naming it, before calling AWS', async () => {
    process.env.SCAN_SETTINGS = '{"thresholds":{"roleUnusedDays":1000}}';
    const handler = loadHandler();
    await expect(handler()).rejects.toThrow(
      'invalid scan function environment: SCAN_SETTINGS.thresholds.roleUnusedDays: Too big: expected number to be <=365',
    );
    expect(mocks.iam.commandCalls(GetAccountAuthorizationDetailsCommand)).toHaveLength(0);
  });

  it('logs with the Lambda context and the service name the stack sets, and flushes metrics itself', async () => {
    stubHealthyAccount();
    documents.on(GetCommand).resolves({});
    documents.on(QueryCommand).resolves({ Items: [] });
    documents.on(TransactWriteCommand).resolves({});
    documents.on(BatchWriteCommand).resolves({});
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    process.env.POWERTOOLS_DEV = 'true';
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    process.env.POWERTOOLS_SERVICE_NAME = 'iam-posture-scan';
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'IamPosture';
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const lines: string[] = [];
    const capture = (text: unknown) => {
      lines.push(String(text));
    };
    const info = vi.spyOn(console, 'info').mockImplementation(capture);
    const log = vi.spyOn(console, 'log').mockImplementation(capture);
    try {
      const handler = createHandler(() => scanHandlerDeps(process.env), createObservability());
      await handler({}, lambdaContext('posture-scan-fn', 'request-1'));
    } finally {
      info.mockRestore();
      log.mockRestore();
    }
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const completed = entries.find((entry) => entry.message === 'scan completed');
    expect(completed).toMatchObject({
      service: 'iam-posture-scan',
      function_name: 'posture-scan-fn',
      function_request_id: 'request-1',
    });
    type Emf = { _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] } };
    const emfs = entries.filter((entry) => entry._aws !== undefined);
    // The operational metrics, and the governance measures in a document of their own, by account.
    const emf = emfs.find((entry) => entry.account === undefined) as Emf | undefined;
    expect(emf?._aws.CloudWatchMetrics[0]?.Namespace).toBe('IamPosture');
    expect(emf?._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name)).toContain('FindingsOpened');
    const governance = emfs.find((entry) => entry.account !== undefined) as Emf | undefined;
    expect(governance?._aws.CloudWatchMetrics[0]?.Namespace).toBe('IamPosture');
    expect(governance?._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name)).toContain('Roles');
  });
});
