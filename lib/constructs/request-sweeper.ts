import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { DeployConfig } from '../../functions/core/deploy-config';
import { sweeperEnvironment } from '../../functions/core/sweeper-function-config';
import type { FindingsTable } from './findings-table';
import { PostureFunction } from './posture-function';

/**
 * What the sweeper does to the table: lists requests by state (Query on the by-status index, then
 * BatchGetItem and GetItem), moves them (UpdateItem), and deletes a finding's lock in the same
 * transaction when a request expires (DeleteItem).
 */
export const SWEEPER_TABLE_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
] as const;

/** How often the sweeper runs: an unanswered request outlives its expiry by at most this. */
export const SWEEP_INTERVAL = Duration.minutes(15);

export interface RequestSweeperProps {
  table: FindingsTable;
  /** The Slack bot token: the sweeper updates the messages of the requests it moves. */
  botToken: secretsmanager.ISecret;
  /** The remediation function's timeout: an execution older than this has stopped. */
  remediationTimeout: Duration;
  config: Pick<DeployConfig, 'logRetentionDays' | 'tracing'>;
}

/**
 * The scheduled sweep of remediation requests: expires unanswered requests and marks executions
 * that stopped without an outcome for attention. Its role reads and moves requests and reads the
 * bot token; it has no IAM, no event bus and no other secret.
 */
export class RequestSweeper extends Construct {
  readonly role: iam.Role;
  readonly function: NodejsFunction;
  readonly rule: events.Rule;
  readonly logGroupName: string;

  constructor(scope: Construct, id: string, props: RequestSweeperProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'iam-posture request sweeper: expires and flags remediation requests; no IAM access',
    });
    const fn = new PostureFunction(this, 'Sweeper', {
      handlerName: 'sweeper',
      description: 'iam-posture: expires unanswered remediation requests, flags stopped executions',
      role: this.role,
      timeout: Duration.minutes(2),
      memorySize: 256,
      // One sweep at a time: two would only race each other's conditional writes.
      reservedConcurrentExecutions: 1,
      logRetentionDays: props.config.logRetentionDays,
      tracing: props.config.tracing,
      environment: sweeperEnvironment({
        findingsTableName: props.table.table.tableName,
        botTokenSecretArn: props.botToken.secretArn,
        remediationTimeoutSeconds: props.remediationTimeout.toSeconds(),
      }),
    });
    this.function = fn.function;
    this.logGroupName = fn.logGroup.logGroupName;
    props.table.grantItemAccess(this.role, SWEEPER_TABLE_ACTIONS, { indexes: true });
    props.botToken.grantRead(this.role);
    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Sweeps remediation requests: expiry, executions stopped without an outcome',
      schedule: events.Schedule.rate(SWEEP_INTERVAL),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 0 })],
    });
  }
}
