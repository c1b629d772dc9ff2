import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  atExpression,
  EventBridgeRevokeScheduler,
  REVOKE_RETRY_POLICY,
  RevokeScheduleError,
  revokeScheduleName,
} from '../../../functions/adapters/aws/revoke-scheduler';

const schedulerMock = mockClient(SchedulerClient);
const client = new SchedulerClient({ region: 'us-east-1', maxAttempts: 1 });
const TARGET = 'arn:aws:lambda:us-east-1:123456789012:function:iam-posture-jit';
const scheduler = new EventBridgeRevokeScheduler({
  client,
  groupName: 'iam-posture-jit',
  targetArn: TARGET,
  roleArn: 'arn:aws:iam::123456789012:role/iam-posture-scheduler',
  deadLetterArn: 'arn:aws:sqs:us-east-1:123456789012:iam-posture-jit-dlq',
});
const GRANT = '3f1c9a0e7b2d4c6a';
const END = new Date('2026-12-03T11:30:00.000Z');

beforeEach(() => schedulerMock.reset());
afterAll(() => client.destroy());

describe('EventBridgeRevokeScheduler', () => {
  it('creates a one-time UTC schedule at the end, invoking the function with the grant, deleted after it runs', async () => {
    schedulerMock.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:schedule' });
    expect(await scheduler.scheduleRevoke(GRANT, END)).toBe(`revoke-${GRANT}`);
    expect(schedulerMock.commandCalls(CreateScheduleCommand)[0]!.args[0].input).toEqual({
      Name: `revoke-${GRANT}`,
      GroupName: 'iam-posture-jit',
      Description: `Revokes just-in-time grant ${GRANT} at the end of its window`,
      ScheduleExpression: 'at(2026-12-03T11:30:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: TARGET,
        RoleArn: 'arn:aws:iam::123456789012:role/iam-posture-scheduler',
        Input: `{"action":"revoke","grantId":"${GRANT}"}`,
        RetryPolicy: REVOKE_RETRY_POLICY,
        DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:123456789012:iam-posture-jit-dlq' },
      },
    });
  });

  it('keeps an identical schedule already there (a grant event delivered twice)', async () => {
    schedulerMock
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }));
    schedulerMock.on(GetScheduleCommand).resolves({
      ScheduleExpression: 'at(2026-12-03T11:30:00)',
      Target: { Arn: TARGET, RoleArn: 'r', Input: `{"action":"revoke","grantId":"${GRANT}"}` },
    });
    expect(await scheduler.scheduleRevoke(GRANT, END)).toBe(`revoke-${GRANT}`);
    expect(schedulerMock.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
  });

  it('updates a schedule of the same name that fires at another time', async () => {
    schedulerMock
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }));
    schedulerMock.on(GetScheduleCommand).resolves({
      ScheduleExpression: 'at(2026-12-03T12:30:00)',
      Target: { Arn: TARGET, RoleArn: 'r', Input: `{"action":"revoke","grantId":"${GRANT}"}` },
    });
    schedulerMock.on(UpdateScheduleCommand).resolves({});
    await scheduler.scheduleRevoke(GRANT, END);
    expect(schedulerMock.commandCalls(UpdateScheduleCommand)[0]!.args[0].input.ScheduleExpression).toBe(
      'at(2026-12-03T11:30:00)',
    );
  });

  it('names the grant when the schedule cannot be created (throttled past the retries)', async () => {
    const cause = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} });
    schedulerMock.on(CreateScheduleCommand).rejects(cause);
    const error = await scheduler.scheduleRevoke(GRANT, END).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RevokeScheduleError);
    expect((error as Error).message).toBe(
      `could not schedule the revoke of grant ${GRANT}: ThrottlingException: Rate exceeded`,
    );
    expect((error as Error).cause).toBe(cause);
  });

  it('cancels a schedule, and takes one already gone as cancelled', async () => {
    schedulerMock
      .on(DeleteScheduleCommand)
      .resolvesOnce({})
      .rejectsOnce(new ResourceNotFoundException({ message: 'gone', Message: 'gone', $metadata: {} }))
      .rejectsOnce(Object.assign(new Error('no'), { name: 'AccessDeniedException', $metadata: {} }));
    await scheduler.cancel(`revoke-${GRANT}`);
    await scheduler.cancel(`revoke-${GRANT}`);
    await expect(scheduler.cancel(`revoke-${GRANT}`)).rejects.toThrow(
      `could not delete schedule revoke-${GRANT}: AccessDeniedException: no`,
    );
    expect(schedulerMock.commandCalls(DeleteScheduleCommand)[0]!.args[0].input).toEqual({
      Name: `revoke-${GRANT}`,
      GroupName: 'iam-posture-jit',
    });
  });
});

describe('revokeScheduleName', () => {
  it('is revoke-<id> up to 64 characters, and a stable digest beyond', () => {
    const fits = 'a'.repeat(57);
    expect(revokeScheduleName(fits)).toBe(`revoke-${fits}`);
    const long = 'a'.repeat(58);
    expect(revokeScheduleName(long)).toHaveLength(64);
    expect(revokeScheduleName(long)).toMatch(/^revoke-[0-9a-f]{57}$/);
    expect(revokeScheduleName(long)).toBe(revokeScheduleName(long));
    expect(revokeScheduleName(long)).not.toBe(revokeScheduleName(`${long}b`));
  });
});

describe('atExpression', () => {
  it('is UTC to the second, rounding a fraction up so the schedule never fires inside the window', () => {
    expect(atExpression(new Date('2026-12-03T11:30:00.000Z'))).toBe('at(2026-12-03T11:30:00)');
    expect(atExpression(new Date('2026-12-03T11:30:00.001Z'))).toBe('at(2026-12-03T11:30:01)');
  });
});
