import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoJitStore, JitStoreError } from '../../../functions/adapters/dynamo-jit-store';
import { type EventBridgePublisher, jitEvents } from '../../../functions/adapters/event-publisher';
import type { ElevationRequest } from '../../../functions/core/jit/types';

const documents = mockClient(DynamoDBDocumentClient);
const client = new DynamoDBClient({ region: 'us-east-1', maxAttempts: 1 });
const store = new DynamoJitStore(client, 'findings');

beforeEach(() => documents.reset());
afterAll(() => client.destroy());

const REQUEST: ElevationRequest = {
  grantId: 'abc123',
  accountId: '123456789012',
  profile: 'bucket-read',
  principalArn: 'arn:aws:iam::123456789012:role/app-billing',
  principalKind: 'role',
  requestedBy: { kind: 'slack', id: 'U0DEVELOP1', teamId: 'T0TEAM0001' },
  requestedAt: '2026-12-03T10:00:00.000Z',
  reason: 'incident',
  startsAt: '2026-12-03T10:00:00Z',
  endsAt: '2026-12-03T11:30:00Z',
  statements: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
  grantHash: 'a'.repeat(64),
  breakGlass: false,
  requiredApprovals: 2,
  approvals: [],
  state: 'requested',
  expiresAt: '2026-12-03T11:00:00.000Z',
  policyName: 'iam-posture-jit-abc123',
};

describe('DynamoJitStore', () => {
  it('writes a new request with its keys, state index and a retention after the window', async () => {
    documents.on(PutCommand).resolves({});
    await store.create(REQUEST);
    const input = documents.commandCalls(PutCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toBe('attribute_not_exists(PK)');
    expect(input.Item).toMatchObject({
      PK: 'JIT#abc123',
      SK: 'GRANT',
      GSI1PK: 'JIT#requested',
      GSI1SK: '2026-12-03T10:00:00.000Z#abc123',
      itemType: 'elevation-request',
      ttl: Date.parse('2026-12-03T11:30:00Z') / 1000 + 400 * 86_400,
    });
  });

  it('names a grant id that exists already', async () => {
    documents
      .on(PutCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );
    await expect(store.create(REQUEST)).rejects.toThrow(
      new JitStoreError('elevation request abc123 already exists'),
    );
  });

  it('refuses a move the lifecycle forbids and a change to what was approved, before writing', async () => {
    await expect(store.transition('abc123', 'revoked', 'granted', {})).rejects.toThrow(
      'an elevation cannot go from revoked to granted',
    );
    documents.on(GetCommand).resolves({ Item: { ...REQUEST, state: 'approved' } });
    await expect(
      store.transition('abc123', 'approved', 'granted', { endsAt: '2026-12-04T00:00:00Z' }),
    ).rejects.toThrow('a transition cannot change endsAt');
    expect(documents.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('moves a granted one into the by-status partition sorted by its end', async () => {
    documents.on(GetCommand).resolves({ Item: { ...REQUEST, state: 'approved' } });
    documents.on(UpdateCommand).resolves({ Attributes: { ...REQUEST, state: 'granted' } });
    expect((await store.transition('abc123', 'approved', 'granted', { grantedAt: 'x' }))?.state).toBe(
      'granted',
    );
    const input = documents.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toBe('attribute_exists(PK) AND #state = :from');
    expect(input.ExpressionAttributeValues).toMatchObject({
      ':from': 'approved',
      ':partition': 'JIT#granted',
      ':sort': '2026-12-03T11:30:00Z#abc123',
    });
  });

  it('answers undefined when an approval lost its condition, and lets throttling through', async () => {
    documents
      .on(UpdateCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }))
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const approval = { by: { kind: 'slack' as const, id: 'U1' }, at: 'now', grantHash: 'a'.repeat(64) };
    expect(await store.addApproval('abc123', approval, 0)).toBeUndefined();
    await expect(store.addApproval('abc123', approval, 0)).rejects.toThrow('Rate exceeded');
  });

  it('names the key and fields of a malformed stored request', async () => {
    documents.on(GetCommand).resolves({ Item: { PK: 'JIT#abc123', SK: 'GRANT', state: 'granted' } });
    await expect(store.get('abc123')).rejects.toThrow(/JIT#abc123 \/ GRANT: grantId/);
  });
});

describe('jitEvents', () => {
  it('publishes a versioned event about the principal, and throws one the bus refused', async () => {
    const sent: unknown[] = [];
    let fail = false;
    const publisher = {
      publish: async (events: Parameters<EventBridgePublisher['publish']>[0]) => {
        sent.push(...events);
        return {
          events: events.length,
          published: fail ? 0 : events.length,
          failed: fail ? [{ index: 0, detailType: events[0]!.detailType, errorCode: 'InternalFailure' }] : [],
          requests: 1,
          failedEntryCount: fail ? 1 : 0,
        };
      },
    };
    const events = jitEvents(publisher);
    await events.publish('ElevationGranted', { grantId: 'abc123', principalArn: REQUEST.principalArn });
    expect(sent).toEqual([
      {
        detailType: 'ElevationGranted',
        detail: { version: 1, grantId: 'abc123', principalArn: REQUEST.principalArn },
        resources: [REQUEST.principalArn],
      },
    ]);
    fail = true;
    await expect(events.publish('ElevationRevoked', { grantId: 'abc123' })).rejects.toThrow(
      'ElevationRevoked was not published: InternalFailure',
    );
  });
});
