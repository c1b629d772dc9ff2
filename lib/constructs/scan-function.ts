import { Duration, Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import {
  type DeployConfig,
  scanSettingsOf,
  secretsRegionsVariable,
} from '../../functions/core/deploy-config';
import { SCAN_FUNCTION_TABLE_ACTIONS } from '../../functions/core/findings-table';
import { SCAN_FUNCTION_ENV } from '../../functions/core/scan-function-config';
import { DeadLetterQueue } from './dead-letter-queue';
import type { FindingsTable } from './findings-table';
import { PostureFunction } from './posture-function';

export interface ScanFunctionProps {
  role: iam.Role;
  table: FindingsTable;
  bus: events.IEventBus;
  config: DeployConfig;
}

/**
 * The scheduled scan: collect -> evaluate -> reconcile -> persist -> publish, for the account it
 * runs in. Invoked asynchronously by the schedule; an invocation that fails twice goes to its
 * dead-letter queue. Reserved concurrency 1 (by default) keeps two scans of one account from
 * running at once; the store's conditional writes keep them correct if they ever do.
 */
export class ScanFunction extends Construct {
  readonly function: NodejsFunction;
  readonly deadLetterQueue: DeadLetterQueue;
  readonly logGroupName: string;

  constructor(scope: Construct, id: string, props: ScanFunctionProps) {
    super(scope, id);
    const { config } = props;
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters', {
      purpose: 'scan invocations that failed every retry',
    });

    const fn = new PostureFunction(this, 'Scan', {
      handlerName: 'scan',
      description: 'iam-posture: scans this account and records findings',
      role: props.role,
      // Large accounts: 10,000 identities take a few minutes (credential report generation and
      // service-last-accessed jobs are polled); 15 minutes is Lambda's maximum.
      timeout: Duration.minutes(15),
      // Memory buys CPU: parsing and evaluating 10,000 identities is CPU-bound.
      memorySize: 1024,
      logRetentionDays: config.logRetentionDays,
      tracing: config.tracing,
      ...(config.reservedConcurrency === 'none'
        ? {}
        : { reservedConcurrentExecutions: config.reservedConcurrency }),
      deadLetterQueue: this.deadLetterQueue.queue,
      retryAttempts: 1,
      maxEventAge: Duration.hours(2),
      // The variables the handler parses with ScanFunctionEnvSchema, by the names it declares.
      environment: {
        [SCAN_FUNCTION_ENV.findingsTableName]: props.table.table.tableName,
        [SCAN_FUNCTION_ENV.eventBusName]: props.bus.eventBusName,
        [SCAN_FUNCTION_ENV.secretsRegions]: secretsRegionsVariable(config, Stack.of(this).region),
        [SCAN_FUNCTION_ENV.scanSettings]: JSON.stringify(scanSettingsOf(config)),
        [SCAN_FUNCTION_ENV.resolvedTtlDays]: String(config.resolvedTtlDays),
        // The per-scan budget of service-last-accessed jobs (the org functions get the same one).
        SERVICE_LAST_ACCESSED_MAX_JOBS: String(config.serviceLastAccessedMaxJobs),
      },
    });
    this.function = fn.function;
    this.logGroupName = fn.logGroup.logGroupName;

    // A scan reads the account state (GetItem) and the account's findings (Query on the table, never
    // an index), then writes changes and the scan record: no delete, no scan, no batch.
    props.table.grantItemAccess(props.role, SCAN_FUNCTION_TABLE_ACTIONS, { indexes: false });
    props.bus.grantPutEventsTo(props.role);
  }
}
