import { createHash } from 'node:crypto';
import {
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  GetScheduleCommand,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { describeError } from '../../core/describe-error';
import type { RevokeScheduler } from '../../use-cases/jit-ports';

/** A revoke schedule could not be created, read or deleted. */
export class RevokeScheduleError extends Error {
  override readonly name = 'RevokeScheduleError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface EventBridgeRevokeSchedulerOptions {
  client: SchedulerClient;
  /** The schedule group holding every revoke schedule (the function's role is scoped to it). */
  groupName: string;
  /** The just-in-time function, which revokes the grant named in the schedule's input. */
  targetArn: string;
  /** The role EventBridge Scheduler assumes to invoke the target. */
  roleArn: string;
  /** The queue that keeps an invocation every retry failed. */
  deadLetterArn: string;
}

/** Schedule names: 1 to 64 of `[0-9a-zA-Z-_.]`. */
const MAX_SCHEDULE_NAME = 64;
const NAME_PREFIX = 'revoke-';

/**
 * A revoke that fails is retried for as long as Scheduler allows: the grant's own time conditions
 * already stop IAM honouring it, but the policy should not stay on the principal, and the
 * reconciler is an hour away.
 */
export const REVOKE_RETRY_POLICY = { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 } as const;

/**
 * One-time EventBridge Scheduler schedules that revoke grants at the end of their window. Each
 * fires once (`at(...)`, UTC), invokes the just-in-time function with `{"action":"revoke","grantId"}`
 * and deletes itself after completion; failures are retried and then kept in the dead-letter queue.
 */
export class EventBridgeRevokeScheduler implements RevokeScheduler {
  constructor(private readonly options: EventBridgeRevokeSchedulerOptions) {}

  /**
   * Creates the grant's schedule. Scheduling a grant again (an event delivered twice) finds the
   * schedule there and keeps it when it already fires at `at` with the same input, else updates it.
   */
  async scheduleRevoke(grantId: string, at: Date): Promise<string> {
    const input = this.scheduleInput(grantId, at);
    const name = input.Name!;
    try {
      await this.options.client.send(new CreateScheduleCommand(input));
      return name;
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ConflictException')) {
        throw new RevokeScheduleError(
          `could not schedule the revoke of grant ${grantId}: ${describeError(error)}`,
          { cause: error },
        );
      }
    }
    try {
      const existing = await this.options.client.send(
        new GetScheduleCommand({ Name: name, GroupName: this.options.groupName }),
      );
      if (
        existing.ScheduleExpression === input.ScheduleExpression &&
        existing.Target?.Arn === input.Target?.Arn &&
        existing.Target?.Input === input.Target?.Input
      ) {
        return name;
      }
      await this.options.client.send(new UpdateScheduleCommand(input));
      return name;
    } catch (error) {
      throw new RevokeScheduleError(
        `could not schedule the revoke of grant ${grantId} over an existing schedule ${name}: ${describeError(error)}`,
        { cause: error },
      );
    }
  }

  async cancel(scheduleName: string): Promise<void> {
    try {
      await this.options.client.send(
        new DeleteScheduleCommand({ Name: scheduleName, GroupName: this.options.groupName }),
      );
    } catch (error) {
      // A schedule that fired deleted itself; one never created has nothing to cancel.
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return;
      throw new RevokeScheduleError(`could not delete schedule ${scheduleName}: ${describeError(error)}`, {
        cause: error,
      });
    }
  }

  private scheduleInput(grantId: string, at: Date): CreateScheduleCommandInput {
    if (Number.isNaN(at.getTime())) throw new RevokeScheduleError(`grant ${grantId} has no valid end time`);
    return {
      Name: revokeScheduleName(grantId),
      GroupName: this.options.groupName,
      Description: `Revokes just-in-time grant ${grantId} at the end of its window`,
      ScheduleExpression: atExpression(at),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: this.options.targetArn,
        RoleArn: this.options.roleArn,
        Input: JSON.stringify({ action: 'revoke', grantId }),
        RetryPolicy: { ...REVOKE_RETRY_POLICY },
        DeadLetterConfig: { Arn: this.options.deadLetterArn },
      },
    };
  }
}

/**
 * The grant's schedule name: `revoke-<grantId>`, or, for an id too long or with characters a
 * schedule name cannot hold, `revoke-` and a digest of the id (one grant, one name, always).
 */
export function revokeScheduleName(grantId: string): string {
  const plain = `${NAME_PREFIX}${grantId}`;
  if (plain.length <= MAX_SCHEDULE_NAME && /^[0-9a-zA-Z_.-]+$/.test(grantId)) return plain;
  const digest = createHash('sha256').update(grantId).digest('hex');
  return `${NAME_PREFIX}${digest.slice(0, MAX_SCHEDULE_NAME - NAME_PREFIX.length)}`;
}

/**
 * `at(yyyy-mm-ddThh:mm:ss)` in UTC. A fractional second is rounded up: the schedule must not fire
 * before the window ends, or the revoke would find the grant still inside it.
 */
export function atExpression(at: Date): string {
  const seconds = Math.ceil(at.getTime() / 1000) * 1000;
  return `at(${new Date(seconds).toISOString().slice(0, 19)})`;
}
