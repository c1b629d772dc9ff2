import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  JitElevationConfigError,
  jitElevationEnvironment,
  parseJitElevationConfig,
} from '../../functions/core/jit-elevation-function-config';
import {
  createHandler,
  ElevationGrantFailedError,
  ElevationRevokeFailedError,
  InvalidJitEventError,
  parseJitEvent,
  ReconcileFailedError,
  SCHEDULER_ACTOR,
} from '../../functions/handlers/jit';
import type { JitOperations } from '../../functions/wiring/jit';
import { lambdaContext } from '../support/lambda';

const GRANT = '0f8e2c1a-5b7d-4c3e-9a21-6d4b8e7f1a20';
const SLACK_USER = { kind: 'slack' as const, id: 'U0123ABCD', teamId: 'T0123ABCD' };

const busEvent = (detailType: string, detail: Record<string, unknown>) => ({
  version: '0',
  id: 'evt-1',
  source: 'iam-posture',
  account: '111122223333',
  time: '2026-12-03T10:00:00Z',
  region: 'eu-west-1',
  resources: [],
  'detail-type': detailType,
  detail,
});

type Call = [string, ...unknown[]];

/** Operations that record each call and answer what the test says. */
function fakeOperations(
  answers: Partial<{
    grant: { outcome: string; reason?: string };
    revoke: { outcome: string; reason?: string };
    reconcile: Awaited<ReturnType<JitOperations['reconcile']>>;
    announce: 'ok' | 'throws' | 'absent';
  }> = {},
): { operations: JitOperations; calls: Call[] } {
  const calls: Call[] = [];
  const operations: JitOperations = {
    grant: async (grantId) => {
      calls.push(['grant', grantId]);
      return answers.grant ?? { outcome: 'granted' };
    },
    revoke: async (input) => {
      calls.push(['revoke', input]);
      return answers.revoke ?? { outcome: 'revoked' };
    },
    reconcile: async () => {
      calls.push(['reconcile']);
      return (
        answers.reconcile ?? { lapsed: [], removed: [], expired: [], failed: [], unread: [], warnings: [] }
      );
    },
  };
  if (answers.announce !== 'absent') {
    operations.announce = async (grantId) => {
      calls.push(['announce', grantId]);
      if (answers.announce === 'throws') throw new Error('Slack said ratelimited');
    };
  }
  return { operations, calls };
}

function handlerOver(operations: JitOperations) {
  const contexts: Context[] = [];
  const handler = createHandler((context) => {
    contexts.push(context);
    return operations;
  });
  const invoke = (event: unknown) => handler(event, lambdaContext('iam-posture-jit'));
  return { invoke, contexts };
}

describe('the JIT handler', () => {
  it('grants on ElevationApproved, building its operations once from the Lambda context', async () => {
    const { operations, calls } = fakeOperations();
    const { invoke, contexts } = handlerOver(operations);
    await expect(invoke(busEvent('ElevationApproved', { grantId: GRANT }))).resolves.toEqual({
      kind: 'grant',
      grantId: GRANT,
      outcome: 'granted',
    });
    await invoke(busEvent('ElevationApproved', { grantId: GRANT }));
    expect(calls).toEqual([
      ['grant', GRANT],
      ['grant', GRANT],
    ]);
    expect(contexts.map((c) => c.invokedFunctionArn)).toEqual([
      'arn:aws:lambda:eu-west-1:111122223333:function:iam-posture-jit',
    ]);
  });

  it('passes on a grant that was already handled (a second delivery), without an error', async () => {
    const { operations } = fakeOperations({ grant: { outcome: 'skipped' } });
    await expect(
      handlerOver(operations).invoke(busEvent('ElevationApproved', { grantId: GRANT })),
    ).resolves.toEqual({
      kind: 'grant',
      grantId: GRANT,
      outcome: 'skipped',
    });
  });

  it('throws a grant recorded failed, with its reason, so the failure is alarmed', async () => {
    const { operations } = fakeOperations({
      grant: { outcome: 'failed', reason: 'the principal no longer exists' },
    });
    const result = handlerOver(operations).invoke(busEvent('ElevationApproved', { grantId: GRANT }));
    await expect(result).rejects.toThrow(ElevationGrantFailedError);
    await expect(result).rejects.toThrow(`elevation grant ${GRANT} failed: the principal no longer exists`);
  });

  it('revokes as expired on the schedule’s input, as the scheduler', async () => {
    const { operations, calls } = fakeOperations();
    await expect(handlerOver(operations).invoke({ action: 'revoke', grantId: GRANT })).resolves.toEqual({
      kind: 'revoke',
      grantId: GRANT,
      outcome: 'revoked',
    });
    expect(calls).toEqual([['revoke', { grantId: GRANT, by: SCHEDULER_ACTOR, reason: 'expired' }]]);
  });

  it('revokes as done, by the person who asked, on ElevationRevokeRequested', async () => {
    const { operations, calls } = fakeOperations();
    await handlerOver(operations).invoke(
      busEvent('ElevationRevokeRequested', { grantId: GRANT, by: SLACK_USER }),
    );
    expect(calls).toEqual([['revoke', { grantId: GRANT, by: SLACK_USER, reason: 'done' }]]);
  });

  it('throws a revoke that failed, so Lambda retries it and then dead-letters it', async () => {
    const { operations } = fakeOperations({
      revoke: { outcome: 'failed', reason: 'the policy is still there' },
    });
    await expect(handlerOver(operations).invoke({ action: 'revoke', grantId: GRANT })).rejects.toThrow(
      ElevationRevokeFailedError,
    );
  });

  it('lets an error of the work itself through, for the retry', async () => {
    const { operations } = fakeOperations();
    operations.revoke = async () => {
      throw new Error('Rate exceeded');
    };
    await expect(handlerOver(operations).invoke({ action: 'revoke', grantId: GRANT })).rejects.toThrow(
      'Rate exceeded',
    );
  });

  it.each([
    'ElevationRequested',
    'ElevationGranted',
    'ElevationRevoked',
    'ElevationRejected',
    'ElevationLapsed',
    'ElevationFailed',
    'BreakGlassUsed',
  ])('hands %s to the announcer', async (detailType) => {
    const { operations, calls } = fakeOperations();
    await expect(handlerOver(operations).invoke(busEvent(detailType, { grantId: GRANT }))).resolves.toEqual({
      kind: 'announce',
      grantId: GRANT,
      outcome: 'announced',
    });
    expect(calls).toEqual([['announce', GRANT]]);
  });

  it('does nothing with an announced step when no announcer is wired, and says so', async () => {
    const { operations, calls } = fakeOperations({ announce: 'absent' });
    await expect(
      handlerOver(operations).invoke(busEvent('ElevationGranted', { grantId: GRANT })),
    ).resolves.toEqual({
      kind: 'announce',
      grantId: GRANT,
      outcome: 'no-announcer',
    });
    expect(calls).toEqual([]);
  });

  it('throws when the announcer fails, so the message is retried', async () => {
    const { operations } = fakeOperations({ announce: 'throws' });
    await expect(
      handlerOver(operations).invoke(busEvent('ElevationGranted', { grantId: GRANT })),
    ).rejects.toThrow('Slack said ratelimited');
  });

  it('reconciles on the hourly input and counts what it did', async () => {
    const { operations, calls } = fakeOperations({
      reconcile: {
        lapsed: ['a1', 'a2'],
        removed: [{ principalArn: 'arn:aws:iam::111122223333:role/ops/x', policyName: 'iam-posture-jit-a3' }],
        expired: ['a3'],
        failed: [],
        unread: [],
        warnings: [],
      },
    });
    await expect(handlerOver(operations).invoke({ action: 'reconcile' })).resolves.toEqual({
      kind: 'reconcile',
      lapsed: 2,
      removed: 1,
      expired: 1,
    });
    expect(calls).toEqual([['reconcile']]);
  });

  it('throws after a reconcile that could not remove a grant policy or list a principal, naming them', async () => {
    const failed = [
      {
        principalArn: 'arn:aws:iam::111122223333:role/ops/x',
        policyName: 'iam-posture-jit-a3',
        error: 'AccessDenied',
      },
    ];
    const unread = [{ principalArn: 'arn:aws:iam::111122223333:user/alice', error: 'Throttling' }];
    const { operations } = fakeOperations({
      reconcile: { lapsed: [], removed: [], expired: [], failed, unread, warnings: [] },
    });
    const result = handlerOver(operations).invoke({ action: 'reconcile' });
    await expect(result).rejects.toThrow(ReconcileFailedError);
    await expect(result).rejects.toThrow(
      'the reconcile did not finish cleanly: could not remove iam-posture-jit-a3 from arn:aws:iam::111122223333:role/ops/x (AccessDenied); could not list the inline policies of arn:aws:iam::111122223333:user/alice (Throttling)',
    );
  });

  it('throws after a reconcile that could only not list a principal: unread is not clean', async () => {
    const unread = [{ principalArn: 'arn:aws:iam::111122223333:user/alice', error: 'Throttling' }];
    const { operations } = fakeOperations({
      reconcile: { lapsed: ['a1'], removed: [], expired: [], failed: [], unread, warnings: [] },
    });
    await expect(handlerOver(operations).invoke({ action: 'reconcile' })).rejects.toThrow(
      ReconcileFailedError,
    );
  });

  it.each([
    ['a string', 'revoke', 'the JIT function takes an object event'],
    [
      'an unknown action',
      { action: 'grant', grantId: GRANT },
      'invalid JIT action: action must be "revoke" or "reconcile"',
    ],
    ['a revoke without a grant id', { action: 'revoke' }, 'invalid JIT action: grantId must be a string'],
    [
      'a revoke with extra fields',
      { action: 'revoke', grantId: GRANT, principalArn: 'x' },
      'invalid JIT action',
    ],
    ['a grant id that is not one', { action: 'revoke', grantId: '../etc' }, 'grantId must be a grant id'],
    [
      'another source',
      { ...busEvent('ElevationApproved', { grantId: GRANT }), source: 'aws.iam' },
      'source must be iam-posture',
    ],
    ['a detail without a grant id', busEvent('ElevationApproved', {}), 'detail.grantId must be a string'],
    [
      'an unknown detail type',
      busEvent('RemediationApproved', { grantId: GRANT }),
      'unexpected event type RemediationApproved',
    ],
    [
      'a revoke request without who asked',
      busEvent('ElevationRevokeRequested', { grantId: GRANT }),
      'detail.by is required',
    ],
    [
      'a revoke request by an unknown kind of actor',
      busEvent('ElevationRevokeRequested', { grantId: GRANT, by: { kind: 'robot', id: 'x' } }),
      'detail.by.kind',
    ],
  ])('refuses %s with a clear error and does nothing', async (_what, event, message) => {
    const { operations, calls } = fakeOperations();
    const { invoke, contexts } = handlerOver(operations);
    const result = invoke(event);
    await expect(result).rejects.toThrow(InvalidJitEventError);
    await expect(result).rejects.toThrow(message);
    expect(calls).toEqual([]);
    expect(contexts).toEqual([]);
  });

  it('parses each event shape to what it asks for', () => {
    expect(parseJitEvent({ action: 'reconcile' })).toEqual({ kind: 'reconcile' });
    expect(parseJitEvent(busEvent('BreakGlassUsed', { grantId: GRANT, account: '111122223333' }))).toEqual({
      kind: 'announce',
      grantId: GRANT,
      detailType: 'BreakGlassUsed',
    });
  });
});

describe('the JIT function environment', () => {
  const input = {
    findingsTableName: 'findings',
    eventBusName: 'iam-posture',
    scheduleGroup: 'iam-posture-jit',
    schedulerRoleArn: 'arn:aws:iam::111122223333:role/jit-scheduler',
    deadLetterArn: 'arn:aws:sqs:eu-west-1:111122223333:jit-dlq',
  };

  it('reads what the construct writes', () => {
    expect(parseJitElevationConfig(jitElevationEnvironment(input))).toEqual(input);
    const withSlack = {
      ...input,
      botTokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:bot-AbCdEf',
    };
    expect(parseJitElevationConfig(jitElevationEnvironment(withSlack))).toEqual(withSlack);
  });

  it('names each bad variable', () => {
    const env = {
      ...jitElevationEnvironment(input),
      JIT_SCHEDULER_ROLE_ARN: 'scheduler',
      EVENT_BUS_NAME: ' ',
    };
    expect(() => parseJitElevationConfig(env)).toThrow(JitElevationConfigError);
    expect(() => parseJitElevationConfig(env)).toThrow(/JIT_SCHEDULER_ROLE_ARN.*must be an iam ARN/);
    expect(() => parseJitElevationConfig(env)).toThrow(/EVENT_BUS_NAME.*is required/);
  });
});
