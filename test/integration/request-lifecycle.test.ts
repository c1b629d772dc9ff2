import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  ListAccessKeysCommand,
} from '@aws-sdk/client-iam';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsRemediationExecutor } from '../../functions/adapters/aws/remediation-executor';
import { DynamoFindingsStore } from '../../functions/adapters/dynamo-findings-store';
import { DynamoRemediationRequestStore } from '../../functions/adapters/dynamo-remediation-store';
import { remediationLockKey } from '../../functions/core/findings-table';
import {
  ActiveRequestExistsError,
  type RemediationRequest,
  type RequestState,
} from '../../functions/core/remediation/request';
import { createHandler } from '../../functions/handlers/sweeper';
import type { RemediationEvents } from '../../functions/use-cases/remediation-ports';
import { rollbackRemediation } from '../../functions/use-cases/rollback';
import { sweepRequests } from '../../functions/use-cases/sweep-requests';
import { sweeperWiring } from '../../functions/wiring/sweeper';
import { lambdaContext } from '../support/lambda';
import { MOTO_ACCOUNT_ID } from '../support/moto';
import { useMotoWithTable } from '../support/moto-table';
import { type SlackServer, startSlackServer } from '../support/slack-server';

/**
 * The request lifecycle on moto: the finding's lock is written with the request in one conditional
 * transaction and released with the move that ends the request.
 */

const TABLE = 'iam-posture-findings';
const FINDING = 'f-lifecycle-1';

let slack: SlackServer;
let documents: DynamoDBDocumentClient;
let store: DynamoRemediationRequestStore;

const env = useMotoWithTable(TABLE);

beforeAll(async () => {
  slack = await startSlackServer();
  documents = DynamoDBDocumentClient.from(env.dynamo);
});

afterAll(async () => {
  await slack?.stop();
});

beforeEach(async () => {
  store = new DynamoRemediationRequestStore(env.dynamo, TABLE);
  slack.reset();
});

function aRequest(
  requestId: string,
  findingId = FINDING,
  createdAt = '2026-06-01T12:00:00.000Z',
  accessKeyId = 'AKIAEXAMPLEKEY000001',
) {
  const step = { action: 'deactivate-access-key' as const, userName: 'deploy-bot', accessKeyId };
  const request: RemediationRequest = {
    requestId,
    findingId,
    accountId: MOTO_ACCOUNT_ID,
    ruleId: 'access-key-unused',
    resourceArn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:user/deploy-bot`,
    subResource: step.accessKeyId,
    actions: ['deactivate-access-key'],
    state: 'pending',
    version: 1,
    createdAt,
    expiresAt: new Date(new Date(createdAt).getTime() + 24 * 3_600_000).toISOString(),
    requestedBy: { kind: 'system', id: 'iam-posture' },
    plan: {
      outcome: 'plan',
      findingId,
      actions: ['deactivate-access-key'],
      steps: [step],
      summary: 'Deactivate access key AKIAEXAMPLEKEY000001 of user deploy-bot.',
    } as RemediationRequest['plan'],
    finding: {
      id: findingId,
      ruleId: 'access-key-unused',
      severity: 'medium',
      resourceArn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:user/deploy-bot`,
      subResource: step.accessKeyId,
      reason: 'Access key AKIAEXAMPLEKEY000001 of user deploy-bot has not been used for 100 days.',
      title: 'Access keys are used',
    },
  };
  return request;
}

async function lockOf(findingId: string): Promise<Record<string, unknown> | undefined> {
  const output = await documents.send(
    new GetCommand({ TableName: TABLE, Key: remediationLockKey(findingId), ConsistentRead: true }),
  );
  return output.Item;
}

async function moveThrough(requestId: string, states: readonly RequestState[]): Promise<void> {
  for (const [index, to] of states.slice(1).entries()) {
    const from = states[index]!;
    const moved = await store.transition(requestId, from, to, {});
    expect(moved?.state, `${from} -> ${to}`).toBe(to);
  }
}

describe('the finding lock (DynamoDB)', () => {
  it('is written with the request and names it', async () => {
    await store.create(aRequest('r-1'));
    expect(await lockOf(FINDING)).toEqual({
      PK: `REQUESTLOCK#${FINDING}`,
      SK: 'LOCK',
      itemType: 'remediation-lock',
      findingId: FINDING,
      requestId: 'r-1',
      lockedAt: '2026-06-01T12:00:00.000Z',
    });
  });

  it.each([
    ['pending', ['pending']],
    ['approved', ['pending', 'approved']],
    ['executing', ['pending', 'approved', 'executing']],
  ] as const)(
    'refuses a second request while the first is %s, and writes nothing of it',
    async (state, path) => {
      await store.create(aRequest('r-1'));
      await moveThrough('r-1', path);
      const error = await store.create(aRequest('r-2')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ActiveRequestExistsError);
      expect(error).toMatchObject({ findingId: FINDING, activeRequestId: 'r-1', activeState: state });
      expect(await store.get('r-2')).toBeUndefined();
      expect((await lockOf(FINDING))?.requestId).toBe('r-1');
    },
  );

  it.each([
    ['rejected', ['pending', 'rejected']],
    ['expired', ['pending', 'expired']],
    ['expired after approval', ['pending', 'approved', 'expired']],
    ['executed', ['pending', 'approved', 'executing', 'executed']],
    ['failed', ['pending', 'approved', 'executing', 'failed']],
    ['refused', ['pending', 'approved', 'executing', 'refused']],
  ] as const)('is released when the request is %s, so the next request opens', async (_end, path) => {
    await store.create(aRequest('r-1'));
    await moveThrough('r-1', path);
    expect(await lockOf(FINDING)).toBeUndefined();
    await store.create(aRequest('r-2'));
    expect((await lockOf(FINDING))?.requestId).toBe('r-2');
    expect((await store.get('r-2'))?.state).toBe('pending');
  });

  it('keeps the lock when a move from a lock-holding state fails its condition', async () => {
    await store.create(aRequest('r-1'));
    expect(await store.transition('r-1', 'approved', 'expired', {})).toBeUndefined();
    expect((await store.get('r-1'))?.state).toBe('pending');
    expect((await lockOf(FINDING))?.requestId).toBe('r-1');
  });

  it('takes over a lock left by a request that has ended, and never a live one', async () => {
    // A lock naming a rejected request (a release lost before locks were released with the move).
    await store.create(aRequest('r-old'));
    await moveThrough('r-old', ['pending', 'rejected']);
    await documents.send(
      new PutCommand({
        TableName: TABLE,
        Item: { ...remediationLockKey(FINDING), itemType: 'remediation-lock', requestId: 'r-old' },
      }),
    );
    await store.create(aRequest('r-new'));
    expect((await lockOf(FINDING))?.requestId).toBe('r-new');
    await expect(store.create(aRequest('r-third'))).rejects.toBeInstanceOf(ActiveRequestExistsError);
  });

  it('does not release a lock that names another request', async () => {
    // A request written before locks existed ends while a newer request holds the lock.
    await store.create(aRequest('r-new'));
    await documents.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          ...aRequest('r-legacy'),
          PK: 'REQUEST#r-legacy',
          SK: 'REQUEST',
          GSI1PK: 'REQUEST#pending',
          GSI1SK: '2026-06-01T12:00:00.000Z#r-legacy',
          itemType: 'remediation-request',
        },
      }),
    );
    const rejected = await store.transition('r-legacy', 'pending', 'rejected', {});
    expect(rejected).toMatchObject({ requestId: 'r-legacy', state: 'rejected', version: 2 });
    expect((await lockOf(FINDING))?.requestId).toBe('r-new');
  });

  it('keeps requests of different findings apart', async () => {
    await store.create(aRequest('r-1', 'f-one'));
    await store.create(aRequest('r-2', 'f-two'));
    expect((await lockOf('f-one'))?.requestId).toBe('r-1');
    expect((await lockOf('f-two'))?.requestId).toBe('r-2');
  });
});

describe('adopting a Slack message (DynamoDB)', () => {
  it('records the message only when none is recorded, and returns the one that is', async () => {
    await store.create(aRequest('r-1'));
    const first = { channel: 'C0CHANNEL1', ts: '1717200000.000100' };
    expect(await store.adoptSlackMessage('r-1', first)).toEqual(first);
    expect(await store.adoptSlackMessage('r-1', { channel: 'C0CHANNEL1', ts: '1717200000.000999' })).toEqual(
      first,
    );
    expect(await store.get('r-1')).toMatchObject({ slack: first, version: 2 });
    expect(await store.adoptSlackMessage('r-unknown', first)).toBeUndefined();
  });
});

describe('the sweeper and rollback on moto, after the remediation function was killed', () => {
  const BOT_TOKEN = 'xoxb-sweeper-test-token';

  it('expires the unanswered request, flags the stopped execution, and rollback restores the key', async () => {
    const iam = new IAMClient({ ...env.moto.clientConfig });
    const secrets = new SecretsManagerClient({ ...env.moto.clientConfig });
    const token = await secrets.send(
      new CreateSecretCommand({ Name: 'iam-posture/slack-bot-token', SecretString: BOT_TOKEN }),
    );
    await iam.send(new CreateUserCommand({ UserName: 'deploy-bot' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'deploy-bot' }))).AccessKey!;
    const keyStatus = async () =>
      (await iam.send(new ListAccessKeysCommand({ UserName: 'deploy-bot' }))).AccessKeyMetadata?.find(
        (k) => k.AccessKeyId === key.AccessKeyId,
      )?.Status;

    const now = Date.now();
    // Nobody answered this one: it expired an hour ago.
    const stale = aRequest('r-stale', 'f-stale', new Date(now - 25 * 3_600_000).toISOString());
    stale.slack = { channel: 'C0CHANNEL1', ts: '1717200000.000100' };
    await store.create(stale);
    // This one was approved and executing when the function was killed right after its step.
    const stuck = aRequest('r-stuck', 'f-stuck', new Date(now - 3_600_000).toISOString(), key.AccessKeyId);
    stuck.slack = { channel: 'C0CHANNEL1', ts: '1717200000.000200' };
    await store.create(stuck);
    await store.transition('r-stuck', 'pending', 'approved', {});
    await store.transition('r-stuck', 'approved', 'executing', {
      executionStartedAt: new Date(now - 10 * 60_000).toISOString(),
    });
    const executor = new AwsRemediationExecutor(iam, () => secrets);
    const step = stuck.plan.steps[0]!;
    const before = await executor.captureBefore(step);
    await store.saveSteps('r-stuck', [{ step, before, status: 'applying' }]);
    await executor.apply(step);
    expect(await keyStatus()).toBe('Inactive');

    const sweep = createHandler(() =>
      sweeperWiring(env.aws(), {
        findingsTableName: TABLE,
        botTokenSecretArn: token.ARN!,
        remediationTimeoutSeconds: 300,
        slackApiUrl: slack.apiUrl,
      }),
    );
    const report = await sweep(
      { 'detail-type': 'Scheduled Event' } as Parameters<typeof sweep>[0],
      lambdaContext('sweeper'),
    );
    expect(report).toEqual({ expired: ['r-stale'], attention: ['r-stuck'], raced: [] });
    expect(await store.get('r-stale')).toMatchObject({ state: 'expired' });
    expect(await lockOf('f-stale')).toBeUndefined();
    expect(await store.get('r-stuck')).toMatchObject({
      state: 'attention',
      steps: [{ status: 'applying', before: { status: 'Active' } }],
    });
    expect((await lockOf('f-stuck'))?.requestId).toBe('r-stuck');

    const updates = slack.calls('chat.update');
    expect(updates.map((call) => [call.token, call.args.channel, call.args.ts])).toEqual([
      [BOT_TOKEN, 'C0CHANNEL1', '1717200000.000100'],
      [BOT_TOKEN, 'C0CHANNEL1', '1717200000.000200'],
    ]);
    expect(JSON.stringify(updates[0]!.args.blocks)).toContain('Remediation request expired');
    expect(JSON.stringify(updates[1]!.args.blocks)).toContain('iam-posture rollback r-stuck');
    expect(JSON.stringify(updates.map((call) => call.args.blocks))).not.toContain('"actions"');

    const published: string[] = [];
    const events: RemediationEvents = { publish: async (type) => void published.push(type) };
    const rolledBack = await rollbackRemediation(
      'r-stuck',
      { kind: 'cli', id: 'alice' },
      {
        requests: store,
        // A client of its own: a document client keeps its translation options on the client it wraps.
        findings: new DynamoFindingsStore(new DynamoDBClient({ ...env.moto.clientConfig }), TABLE),
        executor,
        events,
        now: () => new Date(),
      },
    );
    expect(rolledBack.outcome).toBe('rolled-back');
    expect(await keyStatus()).toBe('Active');
    expect(await store.get('r-stuck')).toMatchObject({
      state: 'rolled-back',
      steps: [{ status: 'rolled-back' }],
    });
    expect(await lockOf('f-stuck')).toBeUndefined();
    expect(published).toEqual(['RemediationRolledBack']);
  }, 60_000);

  it('rolls back a step left applying that never changed IAM as a verified no-op', async () => {
    const iam = new IAMClient({ ...env.moto.clientConfig });
    const secrets = new SecretsManagerClient({ ...env.moto.clientConfig });
    await iam.send(new CreateUserCommand({ UserName: 'deploy-bot' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'deploy-bot' }))).AccessKey!;
    const request = aRequest(
      'r-killed',
      'f-killed',
      new Date(Date.now() - 3_600_000).toISOString(),
      key.AccessKeyId,
    );
    await store.create(request);
    await store.transition('r-killed', 'pending', 'approved', {});
    await store.transition('r-killed', 'approved', 'executing', {
      executionStartedAt: new Date(Date.now() - 10 * 60_000).toISOString(),
    });
    const executor = new AwsRemediationExecutor(iam, () => secrets);
    const step = request.plan.steps[0]!;
    // Killed after recording `applying`, before the call that would have deactivated the key.
    await store.saveSteps('r-killed', [
      { step, before: await executor.captureBefore(step), status: 'applying' },
    ]);

    const report = await sweepRequests({
      requests: store,
      executionTimeoutMs: 300_000,
      now: () => new Date(),
    });
    expect(report.attention).toEqual(['r-killed']);
    const rolledBack = await rollbackRemediation(
      'r-killed',
      { kind: 'cli', id: 'alice' },
      {
        requests: store,
        findings: new DynamoFindingsStore(new DynamoDBClient({ ...env.moto.clientConfig }), TABLE),
        executor,
        events: { publish: async () => undefined },
        now: () => new Date(),
      },
    );
    expect(rolledBack.outcome).toBe('rolled-back');
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: 'deploy-bot' }));
    expect(keys.AccessKeyMetadata?.map((k) => [k.AccessKeyId, k.Status])).toEqual([
      [key.AccessKeyId, 'Active'],
    ]);
    expect(await lockOf('f-killed')).toBeUndefined();
  }, 60_000);
});
