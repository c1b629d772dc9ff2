import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { EventBridgeEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createHandler,
  InvalidRemediationEventError,
  remediationHandlerDeps,
} from '../../../functions/handlers/remediate';
import {
  createHandler as createRollbackHandler,
  rollbackHandlerDeps,
} from '../../../functions/handlers/rollback';
import { lambdaContext } from '../../support/lambda';

const ENV = {
  FINDINGS_TABLE_NAME: 'findings',
  EVENT_BUS_NAME: 'iam-posture',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIAUNITTEST00000000',
  AWS_SECRET_ACCESS_KEY: 'unit-test-secret',
  // Nothing listens there: a client that escaped the mocks fails instead of reaching AWS.
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
};

function approvedEvent(
  detail: unknown,
  detailType = 'RemediationApproved',
): EventBridgeEvent<string, unknown> {
  return {
    version: '0',
    id: 'e1',
    'detail-type': detailType,
    source: 'iam-posture',
    account: '123456789012',
    time: '2024-06-01T00:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail,
  };
}

const storedRequest = {
  PK: 'REQUEST#r-1',
  SK: 'REQUEST',
  itemType: 'remediation-request',
  requestId: 'r-1',
  findingId: 'f-1',
  accountId: '123456789012',
  ruleId: 'role-unused',
  resourceArn: 'arn:aws:iam::123456789012:role/ci',
  actions: ['quarantine-role'],
  state: 'executed',
  version: 4,
  createdAt: '2024-06-01T00:00:00Z',
  expiresAt: '2024-06-02T00:00:00Z',
  requestedBy: { kind: 'slack', id: 'U1' },
  plan: { outcome: 'plan', findingId: 'f-1', actions: ['quarantine-role'], steps: [], summary: 's' },
  finding: { id: 'f-1' },
};

/** A fresh handler (its configuration is parsed on its first invocation), with the SDK clients mocked. */
async function loadHandler() {
  const dynamo = mockClient(DynamoDBDocumentClient);
  const iam = mockClient(IAMClient);
  const sts = mockClient(STSClient);
  sts.on(GetCallerIdentityCommand).resolves({
    Account: '123456789012',
    Arn: 'arn:aws:sts::123456789012:assumed-role/remediate/fn',
  });
  const invoke = createHandler(() => remediationHandlerDeps(process.env));
  const handler = (event: EventBridgeEvent<string, unknown>) => invoke(event, lambdaContext('remediate'));
  return {
    handler,
    InvalidRemediationEventError,
    dynamo,
    iam,
    sts,
    GetCommand,
    UpdateCommand,
    TransactWriteCommand,
  };
}

/** The rollback function's handler, with the SDK clients mocked. */
async function loadRollbackHandler() {
  const loaded = await loadHandler();
  const invoke = createRollbackHandler(() => rollbackHandlerDeps(process.env));
  return {
    ...loaded,
    handler: (event: EventBridgeEvent<string, unknown>) => invoke(event, lambdaContext('rollback')),
  };
}

beforeEach(() => {
  for (const [name, value] of Object.entries(ENV)) vi.stubEnv(name, value);
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('remediate handler', () => {
  it('does nothing for a redelivered event whose request was already executed', async () => {
    const { handler, dynamo, iam, GetCommand, UpdateCommand } = await loadHandler();
    dynamo.on(GetCommand).resolves({ Item: storedRequest });
    await expect(handler(approvedEvent({ requestId: 'r-1' }))).resolves.toEqual({ outcome: 'skipped' });
    expect(dynamo.commandCalls(GetCommand)[0]!.args[0].input).toEqual({
      TableName: 'findings',
      Key: { PK: 'REQUEST#r-1', SK: 'REQUEST' },
      ConsistentRead: true,
    });
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(iam.calls()).toHaveLength(0);
  });

  it('rejects an event without a request id, and an event of another type', async () => {
    const { handler, InvalidRemediationEventError, dynamo } = await loadHandler();
    await expect(handler(approvedEvent({}))).rejects.toBeInstanceOf(InvalidRemediationEventError);
    await expect(handler(approvedEvent({ requestId: 'r-1' }, 'FindingOpened'))).rejects.toBeInstanceOf(
      InvalidRemediationEventError,
    );
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('fails on a bad environment, naming the variable', async () => {
    vi.stubEnv('PROTECTED_ARNS', 'not json');
    const { handler, dynamo } = await loadHandler();
    await expect(handler(approvedEvent({ requestId: 'r-1' }))).rejects.toThrow(
      /PROTECTED_ARNS: is not valid JSON/,
    );
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('refuses RollbackRequested: re-granting is the rollback function’s', async () => {
    const { handler, dynamo, iam } = await loadHandler();
    await expect(handler(approvedEvent({ requestId: 'r-1' }, 'RollbackRequested'))).rejects.toThrow(
      'RollbackRequested is handled by the rollback function',
    );
    expect(dynamo.calls()).toHaveLength(0);
    expect(iam.calls()).toHaveLength(0);
  });
});

describe('rollback handler', () => {
  it('rejects any event but RollbackRequested', async () => {
    const { handler, dynamo } = await loadRollbackHandler();
    await expect(handler(approvedEvent({ requestId: 'r-1' }))).rejects.toThrow(
      'unexpected event type RemediationApproved: the rollback function acts on RollbackRequested only',
    );
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('rolls back on RollbackRequested, and does nothing for a request that was not executed', async () => {
    const { handler, dynamo, iam, GetCommand, UpdateCommand } = await loadRollbackHandler();
    dynamo.on(GetCommand).resolves({ Item: { ...storedRequest, state: 'refused' } });
    const requestedBy = { kind: 'slack', id: 'U0APPROVER', teamId: 'T0TEAM0001' };
    await expect(
      handler(approvedEvent({ requestId: 'r-1', requestedBy }, 'RollbackRequested')),
    ).resolves.toEqual({
      outcome: 'not-rolled-back',
    });
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(iam.calls()).toHaveLength(0);
    // An executed request whose rollback nobody recorded through an authorized Undo: a bare event
    // on the bus must not undo the remediation.
    dynamo.on(GetCommand).resolves({ Item: { ...storedRequest, state: 'executed' } });
    await expect(
      handler(approvedEvent({ requestId: 'r-1', requestedBy }, 'RollbackRequested')),
    ).resolves.toEqual({ outcome: 'not-rolled-back' });
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(iam.calls()).toHaveLength(0);
    await expect(handler(approvedEvent({ requestedBy }, 'RollbackRequested'))).rejects.toThrow(
      'the RollbackRequested detail has no request id',
    );
  });

  it('records the requester of the authorized Undo, not whoever the event names', async () => {
    const { handler, dynamo, iam, GetCommand, UpdateCommand } = await loadRollbackHandler();
    const eventBridge = mockClient(EventBridgeClient);
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-2' }] });
    const undoClicker = { kind: 'slack', id: 'U0UNDOER01', teamId: 'T0TEAM0001' };
    const claimed = { kind: 'slack', id: 'U0MALLORY1', teamId: 'T0TEAM0001' };
    const stored = {
      ...storedRequest,
      state: 'rollback-requested',
      rollbackRequestedBy: undoClicker,
      rollbackRequestedAt: '2024-06-01T01:00:00Z',
      steps: [],
    };
    dynamo.on(GetCommand, { Key: { PK: 'REQUEST#r-1', SK: 'REQUEST' } }).resolves({ Item: stored });
    // DynamoDB's answer to the conditional update: the stored item with the SET values applied.
    dynamo.on(UpdateCommand).callsFake((input) => {
      const applied = Object.fromEntries(
        Object.entries(input.ExpressionAttributeNames as Record<string, string>).map(([name, field]) => [
          field,
          input.ExpressionAttributeValues[`:${name.slice(1)}`],
        ]),
      );
      return { Attributes: { ...stored, ...applied, state: 'rolled-back', version: stored.version + 1 } };
    });

    await expect(
      handler(approvedEvent({ requestId: 'r-1', requestedBy: claimed }, 'RollbackRequested')),
    ).resolves.toEqual({ outcome: 'rolled-back' });

    const update = dynamo.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(update.ConditionExpression).toBe('attribute_exists(PK) AND #state = :from');
    expect(update.ExpressionAttributeValues).toMatchObject({
      ':from': 'rollback-requested',
      ':to': 'rolled-back',
    });
    const recordedBy = Object.entries(update.ExpressionAttributeNames!).find(
      ([, f]) => f === 'rolledBackBy',
    )!;
    expect(update.ExpressionAttributeValues![`:${recordedBy[0].slice(1)}`]).toEqual(undoClicker);
    const entries = eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries!);
    expect(entries.map((entry) => entry.DetailType)).toEqual(['RemediationRolledBack']);
    expect(JSON.parse(entries[0]!.Detail!)).toMatchObject({
      requestId: 'r-1',
      rollbackRequestedBy: undoClicker,
      rolledBackBy: undoClicker,
    });
    expect(JSON.stringify(update.ExpressionAttributeValues)).not.toContain(claimed.id);
    expect(entries[0]!.Detail).not.toContain(claimed.id);
    expect(iam.calls()).toHaveLength(0);
  });
});

describe('remediate handler, accounts', () => {
  it('refuses, and records why, a finding of another account when no member remediation role is set', async () => {
    const { handler, dynamo, iam, sts, GetCommand, UpdateCommand, TransactWriteCommand } =
      await loadHandler();
    const stored = {
      ...storedRequest,
      accountId: '999988887777',
      resourceArn: 'arn:aws:iam::999988887777:role/ci',
      state: 'approved',
      expiresAt: '2999-01-01T00:00:00Z',
    };
    let current: Record<string, unknown> = stored;
    dynamo.on(GetCommand, { Key: { PK: 'REQUEST#r-1', SK: 'REQUEST' } }).callsFake(() => ({ Item: current }));
    const apply = (input: { ExpressionAttributeValues?: Record<string, unknown> }) => {
      const values = input.ExpressionAttributeValues as Record<string, unknown>;
      const reason = Object.values(values).find((v) => typeof v === 'string' && v.startsWith('The '));
      current = {
        ...current,
        state: values[':to'],
        version: (current.version as number) + 1,
        ...(reason ? { outcomeReason: reason } : {}),
      };
      return current;
    };
    dynamo.on(UpdateCommand).callsFake((input) => ({ Attributes: apply(input) }));
    // A move that ends the request releases the finding's lock in the same transaction.
    dynamo.on(TransactWriteCommand).callsFake((input) => {
      apply(input.TransactItems[0].Update);
      return {};
    });

    await expect(handler(approvedEvent({ requestId: 'r-1' }))).resolves.toEqual({ outcome: 'refused' });

    const transitions = [
      ...dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input),
      ...dynamo
        .commandCalls(TransactWriteCommand)
        .map((call) => call.args[0].input.TransactItems![0]!.Update!),
    ].map(
      (input) => `${input.ExpressionAttributeValues![':from']}->${input.ExpressionAttributeValues![':to']}`,
    );
    expect(transitions).toEqual(['approved->executing', 'executing->refused']);
    const release = dynamo.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![1]!.Delete;
    expect(release).toEqual({
      TableName: 'findings',
      Key: { PK: `REQUESTLOCK#${stored.findingId}`, SK: 'LOCK' },
      ConditionExpression: 'attribute_not_exists(PK) OR requestId = :request',
      ExpressionAttributeValues: { ':request': 'r-1' },
    });
    expect(current.outcomeReason).toBe(
      'The finding is in account 999988887777, the remediation function runs in account 123456789012 ' +
        'and has no member remediation role (MEMBER_REMEDIATION_ROLE_NAME is not set); nothing was changed.',
    );
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
    expect(iam.calls()).toHaveLength(0);
  });
});

describe('rollback handler, accounts', () => {
  const memberRequest = {
    ...storedRequest,
    accountId: '999988887777',
    resourceArn: 'arn:aws:iam::999988887777:role/ci',
    state: 'rollback-requested',
    rollbackRequestedBy: { kind: 'slack', id: 'U0UNDOER01', teamId: 'T0TEAM0001' },
    steps: [],
  };

  it('reaches a member account through the member rollback role, never the acting one', async () => {
    vi.stubEnv('MEMBER_REMEDIATION_ROLE_NAME', 'IamPostureRemediation');
    vi.stubEnv('MEMBER_ROLLBACK_ROLE_NAME', 'IamPostureRollback');
    const { handler, dynamo, iam, GetCommand, UpdateCommand } = await loadRollbackHandler();
    dynamo.on(GetCommand).resolves({ Item: memberRequest });
    // Nothing answers STS here: the assume fails, and the rollback does not start.
    await expect(handler(approvedEvent({ requestId: 'r-1' }, 'RollbackRequested'))).rejects.toThrow(
      /The remediation role arn:aws:iam::999988887777:role\/IamPostureRollback could not be assumed/,
    );
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(iam.calls()).toHaveLength(0);
  });

  it('refuses a member account when only the acting function’s member role is set', async () => {
    vi.stubEnv('MEMBER_REMEDIATION_ROLE_NAME', 'IamPostureRemediation');
    const { handler, dynamo, GetCommand, UpdateCommand } = await loadRollbackHandler();
    dynamo.on(GetCommand).resolves({ Item: memberRequest });
    await expect(handler(approvedEvent({ requestId: 'r-1' }, 'RollbackRequested'))).rejects.toThrow(
      'has no member rollback role (MEMBER_ROLLBACK_ROLE_NAME is not set); nothing was changed.',
    );
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
  });
});
