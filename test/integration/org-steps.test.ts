/**
 * The organization run's Lambda steps on moto (S3, DynamoDB, IAM, STS, Secrets Manager over
 * HTTP): an account scanned one phase per invocation ends exactly where one uninterrupted scan
 * of the same account ends; a failure caught by the state machine is recorded with its reason;
 * the aggregate gives every account an outcome.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GenerateCredentialReportCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ScanRecord } from '../../functions/core/findings-table';
import { type GovernanceMetric, governanceMetrics } from '../../functions/core/governance';
import { parseOrgFunctionConfig } from '../../functions/core/org-function-config';
import type { AccountOutcome, MemberAccount, OrganizationRun } from '../../functions/core/organization-scan';
import { createHandler as createAggregateHandler } from '../../functions/handlers/org-aggregate';
import {
  createHandler as createScanAccountHandler,
  type ScanAccountHandlerDeps,
} from '../../functions/handlers/org-scan-account';
import type { CommitInput, OrganizationRunStore } from '../../functions/use-cases/findings-ports';
import { runScan } from '../../functions/use-cases/run-scan';
import { accountOutcome } from '../../functions/use-cases/scan-organization';
import type { AwsConfig } from '../../functions/wiring/aws';
import { collectedInput, liveCollector } from '../../functions/wiring/collect';
import { memberAccess } from '../../functions/wiring/org-steps';
import { createObservability } from '../../functions/wiring/powertools';
import { runFiles } from '../../functions/wiring/run-files';
import { findingsStore } from '../../functions/wiring/stores';
import { createFindingsTableIn } from '../../functions/wiring/table-admin';
import { lambdaContext } from '../support/lambda';
import { MOTO_ACCOUNT_ID, MOTO_REGION, type MotoServer, startMoto } from '../support/moto';

const BUCKET = 'iam-posture-runs';
const STEPPED_TABLE = 'findings-stepped';
const BASELINE_TABLE = 'findings-baseline';
const ROLE = 'IamPostureScanner';
const ACCOUNT: MemberAccount = {
  id: MOTO_ACCOUNT_ID,
  name: 'moto',
  parentId: 'ou-ab12-cd34ef56',
  ouPath: ['r-ab12', 'ou-ab12-cd34ef56'],
};
const ENV = {
  FINDINGS_TABLE_NAME: STEPPED_TABLE,
  EVENT_BUS_NAME: 'iam-posture',
  ORG_RUNS_BUCKET: BUCKET,
  MEMBER_ROLE_NAME: ROLE,
  // moto has no service-last-accessed data: that rule is left out, as in the other moto scans.
  SCAN_SETTINGS: JSON.stringify({ disabledRules: ['unused-service-permissions'] }),
  ORG_SCAN_TIME_BUDGET_MS: '0',
};
const OPEN_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }],
});
const ADMIN = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});
const quickClock = {
  now: () => Date.now(),
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, 20))),
};
const silent = () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  return createObservability();
};

let moto: MotoServer;
let aws: AwsConfig;
let s3: S3Client;

beforeAll(async () => {
  moto = await startMoto();
  aws = {
    endpoint: moto.endpoint,
    region: MOTO_REGION,
    credentials: moto.clientConfig.credentials,
    maxAttempts: 2,
  };
  s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await createFindingsTableIn(aws, STEPPED_TABLE);
  await createFindingsTableIn(aws, BASELINE_TABLE);
  const iam = new IAMClient({ ...moto.clientConfig });
  const secrets = new SecretsManagerClient({ ...moto.clientConfig });
  try {
    await iam.send(new CreateRoleCommand({ RoleName: ROLE, AssumeRolePolicyDocument: OPEN_TRUST }));
    await iam.send(new CreateRoleCommand({ RoleName: 'deployer', AssumeRolePolicyDocument: OPEN_TRUST }));
    await iam.send(
      new PutRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'admin', PolicyDocument: ADMIN }),
    );
    await iam.send(new CreateUserCommand({ UserName: 'ci' }));
    await iam.send(new CreateAccessKeyCommand({ UserName: 'ci' }));
    await secrets.send(new CreateSecretCommand({ Name: 'db-password', SecretString: 'not-a-real-secret' }));
    // The first request of a credential report starts it, later ones find it ready: generated
    // here, both scans compared below find it ready and send the same requests.
    await iam.send(new GenerateCredentialReportCommand({}));
    await iam.send(new GenerateCredentialReportCommand({}));
  } finally {
    iam.destroy();
    secrets.destroy();
  }
});

/** The scan-account handler over moto, with the commits it made recorded. */
function steppedHandler(
  commits: CommitInput[],
  env: Record<string, string | undefined> = ENV,
  published: { accountId: string; metrics: readonly GovernanceMetric[] }[] = [],
) {
  const config = parseOrgFunctionConfig(env);
  const store = findingsStore(aws, STEPPED_TABLE);
  const deps: ScanAccountHandlerDeps = {
    config,
    governanceMetrics: { publish: (accountId, metrics) => published.push({ accountId, metrics }) },
    step: (runId) => ({
      files: runFiles(aws, BUCKET),
      members: memberAccess(aws, { roleName: ROLE, runId, collector: { clock: quickClock } }),
      scan: {
        store: {
          loadAccount: (id) => store.loadAccount(id),
          commitScan: (input) => {
            commits.push(input);
            return store.commitScan(input);
          },
          recordScan: (record) => store.recordScan(record),
          stats: () => store.stats(),
        },
        now: () => new Date(),
        randomSuffix: () => randomBytes(4).toString('hex'),
      },
      now: () => new Date(),
      clock: () => performance.now(),
    }),
  };
  return createScanAccountHandler(() => deps, silent());
}

/** One uninterrupted scan of the same account, as the CLI and the scan function run it. */
async function baselineScan() {
  const collector = liveCollector(aws);
  try {
    const settings = parseOrgFunctionConfig(ENV).scan.settings;
    const store = findingsStore(aws, BASELINE_TABLE);
    const result = await runScan(
      {
        collect: async () => collectedInput(await collector.collect({ settings })),
        store,
        now: () => new Date(),
        randomSuffix: () => randomBytes(4).toString('hex'),
      },
      { settings },
    );
    return { result, findings: await store.listFindings({ accountId: MOTO_ACCOUNT_ID }) };
  } finally {
    collector.destroy();
  }
}

async function readJson(key: string): Promise<unknown> {
  const output = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return JSON.parse(await output.Body!.transformToString());
}

const comparable = (
  findings: { id: string; ruleId: string; status: string; severity: string; resourceArn: string }[],
) =>
  findings
    .map(({ id, ruleId, status, severity, resourceArn }) => ({ id, ruleId, status, severity, resourceArn }))
    .sort((a, b) => a.id.localeCompare(b.id));

describe('the scan-account step on moto', () => {
  it('with no time budget, advances one phase per invocation and ends where one uninterrupted scan ends', async () => {
    const commits: CommitInput[] = [];
    const handler = steppedHandler(commits);
    const context = lambdaContext('iam-posture-org-scan-account');
    const runId = 'run-stepped';
    let event: Record<string, unknown> = { runId, account: ACCOUNT };
    const phasesDone: string[][] = [];
    let invocations = 0;
    let result = await handler(event, context);
    invocations++;
    while (!result.done) {
      expect(result.continuation).toBe(`runs/${runId}/checkpoints/${MOTO_ACCOUNT_ID}.json`);
      const checkpoint = (await readJson(result.continuation!)) as { done: string[]; accountId: string };
      expect(checkpoint.accountId).toBe(MOTO_ACCOUNT_ID);
      phasesDone.push(checkpoint.done);
      expect(commits).toHaveLength(0);
      event = { runId, account: ACCOUNT, continuation: result.continuation };
      result = await handler(event, context);
      invocations++;
      expect(invocations).toBeLessThan(30);
    }
    // One phase per invocation (service-last-accessed is disabled: it finishes without a read),
    // then one invocation that only analyzes and stores.
    expect(phasesDone.map((done) => done.length)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(invocations).toBe(11);
    expect(commits).toHaveLength(1);

    const baseline = await baselineScan();
    const stepped = commits[0]!.scanRecord as ScanRecord;
    expect(stepped.apiCalls.byOperation).toEqual(baseline.result.record.apiCalls.byOperation);
    expect(stepped.apiCalls.total).toBeGreaterThan(5);
    expect(stepped.coverageGapCount).toBe(baseline.result.record.coverageGapCount);
    expect(stepped.unread).toEqual(baseline.result.record.unread);
    expect(stepped.findings).toEqual(baseline.result.record.findings);

    const storedStepped = await findingsStore(aws, STEPPED_TABLE).listFindings({
      accountId: MOTO_ACCOUNT_ID,
    });
    expect(storedStepped.findings.length).toBeGreaterThan(2);
    expect(comparable(storedStepped.findings)).toEqual(comparable(baseline.findings.findings));
    expect(storedStepped.findings.map((finding) => finding.ruleId)).toEqual(
      expect.arrayContaining(['standing-admin', 'secret-rotation-disabled']),
    );

    const expected = accountOutcome(ACCOUNT, baseline.result);
    const outcome = result.outcome!;
    expect(outcome).toMatchObject({
      accountId: MOTO_ACCOUNT_ID,
      accountName: 'moto',
      ouPath: ACCOUNT.ouPath,
      outcome: expected.outcome,
      apiCalls: expected.apiCalls,
      findings: expected.findings,
      opened: expected.opened,
      scanId: stepped.scanId,
    });
    expect(outcome.unreadSources).toEqual(expected.unreadSources);
    expect(await readJson(`runs/${runId}/outcomes/${MOTO_ACCOUNT_ID}.json`)).toEqual(outcome);
  }, 120_000);

  it('with the default budget (the remaining time less a minute), scans a small account in one invocation', async () => {
    const commits: CommitInput[] = [];
    const published: { accountId: string; metrics: readonly GovernanceMetric[] }[] = [];
    const { ORG_SCAN_TIME_BUDGET_MS: _, ...env } = ENV;
    const handler = steppedHandler(commits, env, published);
    const context = {
      ...lambdaContext('iam-posture-org-scan-account'),
      getRemainingTimeInMillis: () => 900_000,
    };
    const result = await handler({ runId: 'run-whole', account: ACCOUNT }, context);
    expect(result.done).toBe(true);
    expect(commits).toHaveLength(1);
    const record = commits[0]!.scanRecord;
    expect(result.outcome).toMatchObject({
      accountId: MOTO_ACCOUNT_ID,
      scanId: record.scanId,
      apiCalls: record.apiCalls.total,
      findings: record.findings.total,
    });
    expect(result.outcome!.outcome).not.toBe('failed');
    // The member account's governance measures, as metrics dimensioned by that account.
    expect(published.map((p) => p.accountId)).toEqual([MOTO_ACCOUNT_ID]);
    expect(published[0]!.metrics).toEqual(governanceMetrics(record.governance!));
    const names = published[0]!.metrics.map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['StandingAdminIdentities', 'GovernancePartialMeasures']));
  });

  it('records a failure caught by the state machine, classified, as the account outcome', async () => {
    const handler = steppedHandler([]);
    const context = lambdaContext('iam-posture-org-scan-account');
    const timedOut = await handler(
      {
        runId: 'run-failed',
        account: ACCOUNT,
        error: { Error: 'States.Timeout', Cause: 'The task timed out.' },
      },
      context,
    );
    expect(timedOut.done).toBe(true);
    expect(timedOut.outcome).toMatchObject({
      accountId: MOTO_ACCOUNT_ID,
      outcome: 'failed',
      reason: 'timed-out',
    });
    expect(await readJson(`runs/run-failed/outcomes/${MOTO_ACCOUNT_ID}.json`)).toEqual(timedOut.outcome);

    const throttled = await handler(
      {
        runId: 'run-failed',
        account: ACCOUNT,
        error: {
          Error: 'ThrottlingException',
          Cause: JSON.stringify({
            errorType: 'ThrottlingException',
            errorMessage: 'Rate exceeded',
            trace: [],
          }),
        },
      },
      context,
    );
    expect(throttled.outcome).toMatchObject({
      outcome: 'failed',
      reason: 'throttled',
      detail: 'ThrottlingException: Rate exceeded',
    });
  });

  it('fails the account, naming the checkpoint, when the checkpoint is malformed', async () => {
    const handler = steppedHandler([]);
    const key = `runs/run-bad/checkpoints/${MOTO_ACCOUNT_ID}.json`;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: '{"version":1,"done":' }));
    const result = await handler(
      { runId: 'run-bad', account: ACCOUNT, continuation: key },
      lambdaContext('iam-posture-org-scan-account'),
    );
    expect(result.done).toBe(true);
    expect(result.outcome).toMatchObject({ outcome: 'failed', reason: 'error' });
    expect(result.outcome!.detail).toContain(key);
    expect(result.outcome!.detail).toContain('is not valid JSON');
  });
});

describe('the aggregate step on moto', () => {
  it('gives every account an outcome: recorded, missing, or failed naming a malformed file', async () => {
    const runId = 'run-aggregate';
    const accounts: MemberAccount[] = [
      ACCOUNT,
      { id: '222222222222', name: 'silent' },
      { id: '333333333333', name: 'garbled', parentId: 'r-ab12', ouPath: ['r-ab12'] },
    ];
    const recorded: AccountOutcome = {
      accountId: MOTO_ACCOUNT_ID,
      accountName: 'moto',
      outcome: 'complete',
      scanId: 'scan-1',
      apiCalls: 12,
      findings: 3,
      opened: 3,
      resolved: 0,
      held: 0,
      startedAt: '2026-12-02T10:00:00.000Z',
      finishedAt: '2026-12-02T10:01:00.000Z',
    };
    const put = (key: string, body: string) =>
      s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    await put(`runs/${runId}/accounts.json`, JSON.stringify(accounts));
    await put(`runs/${runId}/outcomes/${MOTO_ACCOUNT_ID}.json`, JSON.stringify(recorded));
    await put(
      `runs/${runId}/outcomes/333333333333.json`,
      JSON.stringify({ accountId: '333333333333', outcome: 'fine' }),
    );
    const runs: OrganizationRun[] = [];
    const store: OrganizationRunStore = {
      recordOrganizationRun: async (run) => {
        runs.push(run);
      },
      latestOrganizationRun: async () => runs.at(-1),
    };
    const handler = createAggregateHandler(
      () => ({
        config: parseOrgFunctionConfig(ENV),
        aggregate: { files: runFiles(aws, BUCKET), store, now: () => new Date('2026-12-02T11:00:00.000Z') },
      }),
      silent(),
    );

    const output = await handler(
      {
        runId,
        bucket: BUCKET,
        accountsKey: `runs/${runId}/accounts.json`,
        startedAt: '2026-12-02T10:00:00.000Z',
      },
      lambdaContext('iam-posture-org-aggregate'),
    );

    expect(output).toEqual({ runId, counts: { total: 3, complete: 1, partial: 0, failed: 2 } });
    const run = runs[0]!;
    expect(runs).toHaveLength(1);
    expect(run.outcomes[0]).toEqual(recorded);
    expect(run.outcomes[1]).toMatchObject({
      accountId: '222222222222',
      outcome: 'failed',
      reason: 'error',
      detail: 'no outcome was recorded',
    });
    expect(run.outcomes[2]).toMatchObject({
      accountId: '333333333333',
      outcome: 'failed',
      reason: 'error',
      ouPath: ['r-ab12'],
    });
    expect(run.outcomes[2]!.detail).toContain(`runs/${runId}/outcomes/333333333333.json is malformed`);
    expect(run.finishedAt).toBe('2026-12-02T11:00:00.000Z');
    expect(await readJson(`runs/${runId}/run.json`)).toEqual(run);
  });
});
