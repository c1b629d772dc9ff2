/**
 * An organization run's account step starts the member account's due review campaigns on moto (S3,
 * DynamoDB, IAM, STS, EventBridge and SQS over HTTP), through the function's own wiring from its
 * environment: the campaigns and their items are in the table and ReviewCampaignStarted is on the
 * bus; a redelivered step starts nothing more; a review store that fails is a warning naming the
 * account, and the account's outcome is what it would have been.
 */
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GenerateCredentialReportCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseDeployConfig } from '../../functions/core/deploy-config';
import type { MemberAccount } from '../../functions/core/organization-scan';
import { reviewScanEnvironment } from '../../functions/core/review/function-config';
import { rhythmCampaignId } from '../../functions/core/review/plan';
import { createHandler, scanAccountHandlerDeps } from '../../functions/handlers/org-scan-account';
import type { AwsConfig } from '../../functions/wiring/aws';
import { createObservability } from '../../functions/wiring/powertools';
import { reviewsAfterScan } from '../../functions/wiring/review';
import { findingsStore, reviewStore } from '../../functions/wiring/stores';
import { createFindingsTableIn } from '../../functions/wiring/table-admin';
import { type BusTap, tapBus } from '../support/bus-tap';
import { lambdaContext } from '../support/lambda';
import { MOTO_ACCOUNT_ID, MOTO_REGION, type MotoServer, startMoto } from '../support/moto';

const BUCKET = 'iam-posture-runs';
const TABLE = 'iam-posture-findings';
const BUS = 'iam-posture-events';
const ROLE = 'IamPostureScanner';
const ACCOUNT: MemberAccount = {
  id: MOTO_ACCOUNT_ID,
  name: 'moto',
  parentId: 'ou-ab12-cd34ef56',
  ouPath: ['r-ab12', 'ou-ab12-cd34ef56'],
};
/** The deploy config's `reviews` as the stack hands it to the step: the default rhythms. */
const REVIEWS = parseDeployConfig({ reviews: { enabled: true } }).reviews;
const SETTINGS = {
  // moto has no service-last-accessed data: that rule is left out, as in the other moto scans.
  disabledRules: ['unused-service-permissions'],
  ownership: {
    tagKeys: ['owner'],
    patterns: [{ arn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:user/*`, owner: 'team-payments' }],
  },
};
const ENV = {
  FINDINGS_TABLE_NAME: TABLE,
  EVENT_BUS_NAME: BUS,
  ORG_RUNS_BUCKET: BUCKET,
  MEMBER_ROLE_NAME: ROLE,
  SCAN_SETTINGS: JSON.stringify(SETTINGS),
  ...reviewScanEnvironment(REVIEWS),
};
const OPEN_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }],
});
const ADMIN = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});
// moto's credential report has no root row: every scan on it is partial, naming that file.
const MOTO_OUTCOME = { outcome: 'partial', unreadSources: ['credential-report.csv'] };
const arn = (kind: 'role' | 'user', name: string) => `arn:aws:iam::${MOTO_ACCOUNT_ID}:${kind}/${name}`;

let moto: MotoServer;
let aws: AwsConfig;
let s3: S3Client;
let tap: BusTap;
const savedEnv = { ...process.env };

/** The review events that reached the bus since the last call. */
const reviewEvents = () => tap.events();

async function readJson(key: string): Promise<unknown> {
  const output = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return JSON.parse(await output.Body!.transformToString());
}

beforeAll(async () => {
  moto = await startMoto();
  aws = {
    endpoint: moto.endpoint,
    region: MOTO_REGION,
    credentials: moto.clientConfig.credentials,
    maxAttempts: 2,
  };
  s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
  // The function's clients are built from its environment, as in Lambda.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: MOTO_REGION,
    AWS_ACCESS_KEY_ID: moto.clientConfig.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: moto.clientConfig.credentials.secretAccessKey,
    AWS_S3_FORCE_PATH_STYLE: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
}, 60_000);

afterAll(async () => {
  process.env = { ...savedEnv };
  s3?.destroy();
  await moto?.stop();
});

afterEach(() => {
  vi.restoreAllMocks();
});

beforeEach(async () => {
  await moto.reset();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await createFindingsTableIn(aws, TABLE);
  const eventBridge = new EventBridgeClient({ ...moto.clientConfig });
  const iam = new IAMClient({ ...moto.clientConfig });
  try {
    await eventBridge.send(new CreateEventBusCommand({ Name: BUS }));
    tap = await tapBus(moto, {
      busName: BUS,
      queueName: 'review-tap',
      pattern: { source: ['iam-posture'], 'detail-type': [{ prefix: 'Review' }] },
    });
    await iam.send(
      new CreateRoleCommand({
        RoleName: ROLE,
        AssumeRolePolicyDocument: OPEN_TRUST,
        Tags: [{ Key: 'owner', Value: 'team-security' }],
      }),
    );
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'deployer',
        AssumeRolePolicyDocument: OPEN_TRUST,
        Tags: [{ Key: 'owner', Value: 'team-platform' }],
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'admin', PolicyDocument: ADMIN }),
    );
    await iam.send(new CreateUserCommand({ UserName: 'ci' }));
    await iam.send(new CreateAccessKeyCommand({ UserName: 'ci' }));
    // Generated here, the scans below find the credential report ready.
    await iam.send(new GenerateCredentialReportCommand({}));
    await iam.send(new GenerateCredentialReportCommand({}));
  } finally {
    eventBridge.destroy();
    iam.destroy();
  }
});

/** The account step as deployed, its dependencies built from its environment; its log watched. */
function accountStep(override: { failingReviewStore?: boolean } = {}) {
  const observability = createObservability();
  const info = vi.spyOn(observability.logger, 'info');
  const warn = vi.spyOn(observability.logger, 'warn');
  const handler = createHandler(() => {
    const deps = scanAccountHandlerDeps({ ...process.env, ...ENV }, observability.logger);
    if (!override.failingReviewStore) return deps;
    // Campaigns written to a table that does not exist: the review store's writes fail.
    const config = deps.config.scan;
    const failing = reviewsAfterScan(aws, {
      findingsTableName: 'no-such-table',
      eventBusName: config.eventBusName,
      settings: config.settings,
      reviews: REVIEWS,
    });
    return { ...deps, startDueReviews: failing };
  }, observability);
  const context = {
    ...lambdaContext('iam-posture-org-scan-account'),
    getRemainingTimeInMillis: () => 900_000,
  };
  const invoke = (runId: string) => handler({ runId, account: ACCOUNT }, context);
  const logged = (spy: typeof info, message: string) =>
    spy.mock.calls
      .filter(([text]) => text === message)
      .map(([, fields]) => fields as Record<string, unknown>);
  return { invoke, logged, info, warn };
}

describe('review campaigns of an organization run on moto', () => {
  it('starts the member account’s due campaigns once, from what its step read', async () => {
    const now = new Date();
    const expected = REVIEWS.rhythms.map((rhythm) => rhythmCampaignId(rhythm, MOTO_ACCOUNT_ID, now)).sort();
    const [quarterly, monthly] = REVIEWS.rhythms.map((r) => rhythmCampaignId(r, MOTO_ACCOUNT_ID, now));
    expect(REVIEWS.rhythms.map((r) => r.scope)).toEqual(['all', 'admin-equivalent']);

    const step = accountStep();
    const result = await step.invoke('run-reviews-1');
    expect(result.done).toBe(true);
    expect(result.outcome).toMatchObject({ accountId: MOTO_ACCOUNT_ID, ...MOTO_OUTCOME });
    expect(step.logged(step.warn, 'review campaigns not started')).toEqual([]);
    expect(
      step
        .logged(step.info, 'review campaign started')
        .map((fields) => [fields.accountId, fields.campaignId])
        .sort(),
    ).toEqual(expected.map((id) => [MOTO_ACCOUNT_ID, id]));

    // The campaigns and their items, in the findings table.
    const store = reviewStore(aws, TABLE);
    const campaigns = await store.listCampaigns();
    expect(campaigns.map((c) => c.campaignId).sort()).toEqual(expected);
    for (const campaign of campaigns) {
      expect(campaign.accountIds).toEqual([MOTO_ACCOUNT_ID]);
      expect(campaign.startedBy).toEqual({ kind: 'system', id: 'iam-posture' });
      expect(campaign.state).toBe('open');
    }
    const all = await store.listItems(quarterly!);
    expect(all.map((item) => [item.identityArn, item.owner]).sort()).toEqual(
      [
        [arn('role', 'deployer'), 'team-platform'],
        [arn('role', ROLE), 'team-security'],
        [arn('user', 'ci'), 'team-payments'],
      ].sort(),
    );
    // The scan's open findings of the identity come with it, by the ids the findings have.
    const deployer = all.find((item) => item.identityArn === arn('role', 'deployer'))!;
    expect(deployer.adminEquivalent).toBe(true);
    const stored = await findingsStore(aws, TABLE).listFindings({ accountId: MOTO_ACCOUNT_ID });
    const standingAdmin = stored.findings.find(
      (f) => f.ruleId === 'standing-admin' && f.resourceArn === arn('role', 'deployer'),
    );
    expect(standingAdmin).toBeDefined();
    expect(deployer.openFindings).toContainEqual({
      ruleId: 'standing-admin',
      severity: standingAdmin!.severity,
      findingId: standingAdmin!.id,
    });
    const admins = await store.listItems(monthly!);
    expect(admins.map((item) => item.identityArn)).toEqual([arn('role', 'deployer')]);

    // One ReviewCampaignStarted per campaign.
    const started = (await reviewEvents()).filter((e) => e['detail-type'] === 'ReviewCampaignStarted');
    expect(started.map((e) => e.detail.campaignId).sort()).toEqual(expected);
    expect(started.find((e) => e.detail.campaignId === quarterly)!.detail).toMatchObject({
      accountIds: [MOTO_ACCOUNT_ID],
      itemCount: 3,
    });

    // The step delivered again (a retried Map item, a rerun of the account): the account is scanned
    // again, and nothing more is started.
    const again = accountStep();
    const redelivered = await again.invoke('run-reviews-1');
    expect(redelivered.outcome).toMatchObject({ accountId: MOTO_ACCOUNT_ID, ...MOTO_OUTCOME });
    expect(redelivered.outcome!.scanId).not.toBe(result.outcome!.scanId);
    expect(again.logged(again.info, 'review campaign started')).toEqual([]);
    expect(again.logged(again.warn, 'review campaigns not started')).toEqual([]);
    expect((await store.listCampaigns()).map((c) => c.campaignId).sort()).toEqual(expected);
    expect(await store.listItems(quarterly!)).toHaveLength(3);
    expect(await reviewEvents()).toEqual([]);
  }, 120_000);

  it('logs a failing review store as a warning naming the account, and records the account’s outcome', async () => {
    const step = accountStep({ failingReviewStore: true });
    const result = await step.invoke('run-reviews-2');

    expect(result.done).toBe(true);
    expect(result.outcome).toMatchObject({ accountId: MOTO_ACCOUNT_ID, ...MOTO_OUTCOME });
    expect(result.outcome!.findings).toBeGreaterThan(1);
    expect(await readJson(`runs/run-reviews-2/outcomes/${MOTO_ACCOUNT_ID}.json`)).toEqual(result.outcome);
    const stored = await findingsStore(aws, TABLE).listFindings({ accountId: MOTO_ACCOUNT_ID });
    expect(stored.findings).toHaveLength(result.outcome!.findings);

    const warnings = step.logged(step.warn, 'review campaigns not started');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.accountId).toBe(MOTO_ACCOUNT_ID);
    expect(String((warnings[0]!.error as Error).message)).toMatch(
      /no-such-table|non-existent table|not found/i,
    );
    expect(step.logged(step.info, 'review campaign started')).toEqual([]);
    expect(await reviewStore(aws, TABLE).listCampaigns()).toEqual([]);
    expect(await reviewEvents()).toEqual([]);
  }, 120_000);
});
