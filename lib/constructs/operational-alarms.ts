import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { DataKey } from './data-key';
import type { DeadLetterQueue } from './dead-letter-queue';

export interface OperationalAlarmsProps {
  /** Encrypts the alarm topic. */
  dataKey: DataKey;
  /** Subscribed to the topic when set. */
  email?: string;
}

/**
 * Alarms on what must never go unnoticed in a security tool: a function that fails or is
 * throttled, and a message in a dead-letter queue. Each alarm notifies the alarm topic on ALARM
 * and on OK; the topic is encrypted with the stack's key and accepts TLS only.
 */
export class OperationalAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, props: OperationalAlarmsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    props.dataKey.allowCloudWatchAlarms();
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'iam-posture alarms',
      masterKey: props.dataKey.key,
      enforceSSL: true,
    });
    // The TLS-only topic policy replaces the default one, so CloudWatch alarms of this account
    // are allowed explicitly.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
          },
        },
      }),
    );
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    this.action = new actions.SnsAction(this.topic);
  }

  /** Alarms when the function reports an error (timeouts included) or is throttled. */
  watchFunction(fn: lambda.IFunction, label: string): void {
    this.add(`${label}Errors`, fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), {
      description: `${label}: the function failed (error or timeout). See its log group.`,
    });
    this.add(`${label}Throttles`, fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }), {
      description: `${label}: invocations were throttled (reserved concurrency or account quota).`,
    });
  }

  /**
   * Alarms when an execution fails, times out or is aborted. Failed accounts do not fail the
   * execution (they are outcomes of the run); a failed execution means the run itself broke.
   */
  watchStateMachine(stateMachine: sfn.IStateMachine, label: string): void {
    const period = { period: Duration.minutes(5), statistic: 'Sum' };
    this.add(`${label}ExecutionsFailed`, stateMachine.metricFailed(period), {
      description: `${label}: an execution failed. See the execution's event history and the state machine's log group.`,
    });
    this.add(`${label}ExecutionsTimedOut`, stateMachine.metricTimedOut(period), {
      description: `${label}: an execution ran past the state machine's timeout and was stopped.`,
    });
    this.add(`${label}ExecutionsAborted`, stateMachine.metricAborted(period), {
      description: `${label}: an execution was stopped before it finished.`,
    });
  }

  /** Alarms as soon as one message waits in the dead-letter queue. */
  watchDeadLetterQueue(dlq: DeadLetterQueue, label: string): void {
    this.add(
      `${label}DeadLetters`,
      dlq.queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      { description: `${label}: a message is waiting in the dead-letter queue (${dlq.purpose}).` },
    );
  }

  private add(id: string, metric: cloudwatch.IMetric, options: { description: string }): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
  }
}
