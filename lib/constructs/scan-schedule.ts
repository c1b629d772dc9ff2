import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue';

export interface ScanScheduleProps {
  /** A validated EventBridge Scheduler expression (rate or cron), evaluated in UTC. */
  expression: string;
  /** The scan function (one account), or the organization state machine (organization mode). */
  target: lambda.IFunction | sfn.IStateMachine;
}

function isStateMachine(target: lambda.IFunction | sfn.IStateMachine): target is sfn.IStateMachine {
  return 'stateMachineArn' in target;
}

/** How long Scheduler keeps trying to hand an invocation to Lambda, and how many times. */
export const SCHEDULE_RETRY_POLICY = { maximumEventAgeInSeconds: 3600, maximumRetryAttempts: 3 } as const;

/**
 * Invokes the scan on the configured schedule through EventBridge Scheduler, with a role that may
 * invoke that one function (no versions, no aliases) and send to this schedule's dead-letter
 * queue, assumable by Scheduler for this account only. Invocations Scheduler cannot deliver after
 * its retries go to the dead-letter queue; failures inside the scan go to the function's own.
 */
export class ScanSchedule extends Construct {
  readonly schedule: scheduler.CfnSchedule;
  readonly role: iam.Role;
  readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: ScanScheduleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters', {
      purpose: 'scheduled scans Scheduler could not deliver to the function',
    });
    Validations.of(this.deadLetterQueue.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue: the DeadLetterConfig of the Scheduler target, which the rule does not recognise. A dead-letter queue for it would add nothing; its depth is alarmed.',
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'iam-posture: lets EventBridge Scheduler start the scan',
    });
    const target = props.target;
    const targetArn = isStateMachine(target) ? target.stateMachineArn : target.functionArn;
    const policy = new iam.Policy(this, 'Policy', {
      statements: [
        new iam.PolicyStatement({
          actions: [isStateMachine(target) ? 'states:StartExecution' : 'lambda:InvokeFunction'],
          resources: [targetArn],
        }),
        new iam.PolicyStatement({
          actions: ['sqs:SendMessage'],
          resources: [this.deadLetterQueue.queue.queueArn],
        }),
      ],
    });
    policy.attachToRole(this.role);

    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      description: isStateMachine(target)
        ? 'iam-posture: scheduled scan of the organization'
        : 'iam-posture: scheduled scan of this account',
      scheduleExpression: props.expression,
      scheduleExpressionTimezone: 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: targetArn,
        roleArn: this.role.roleArn,
        // An organization run without an account list scans the whole organization.
        input: isStateMachine(target)
          ? JSON.stringify({})
          : JSON.stringify({
              source: 'iam-posture.schedule',
              scheduledTime: '<aws.scheduler.scheduled-time>',
              executionId: '<aws.scheduler.execution-id>',
            }),
        retryPolicy: SCHEDULE_RETRY_POLICY,
        deadLetterConfig: { arn: this.deadLetterQueue.queue.queueArn },
      },
    });
    // The role's policy must exist before Scheduler validates the target.
    this.schedule.node.addDependency(policy);
  }
}
