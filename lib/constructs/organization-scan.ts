import { type CfnElement, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct, type IConstruct } from 'constructs';
import {
  accountSelectionOf,
  type DeployConfig,
  scanSettingsOf,
  secretsRegionsVariable,
} from '../../functions/core/deploy-config';
import { SCAN_FUNCTION_TABLE_ACTIONS } from '../../functions/core/findings-table';
import { ORG_FUNCTION_ENV } from '../../functions/core/org-function-config';
import { SCAN_FUNCTION_ENV } from '../../functions/core/scan-function-config';
import type { FindingsTable } from './findings-table';
import { MAP_RESULTS_PREFIX, RUNS_PREFIX } from './org-runs-bucket';
import { PostureFunction } from './posture-function';

/** What discovering the organization's accounts takes; nothing else of Organizations is used. */
export const ORGANIZATIONS_DISCOVERY_ACTIONS = [
  'organizations:DescribeOrganization',
  'organizations:ListAccounts',
  'organizations:ListParents',
] as const;

/** Lambda errors worth another attempt: the service's own failures and throttling, never the function's. */
const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** The states of the organization run, by the names they have in the definition and the console. */
export const ORG_STATES = {
  start: 'ReadInput',
  rescan: 'RescanAccounts',
  wholeOrganization: 'WholeOrganization',
  discover: 'Discover',
  map: 'ScanAccounts',
  scanAccount: 'ScanAccount',
  more: 'MoreToScan',
  continue: 'Continue',
  accountDone: 'AccountDone',
  recordFailure: 'RecordFailure',
  failureRecorded: 'FailureRecorded',
  aggregate: 'Aggregate',
} as const;

export interface OrganizationScanProps {
  /** The central scanner role: the org functions run with it, and member accounts trust it by ARN. */
  role: iam.Role;
  table: FindingsTable;
  bus: events.IEventBus;
  bucket: s3.IBucket;
  /** The bucket's key. */
  dataKey: kms.IKey;
  config: DeployConfig;
}

/**
 * Organization mode: a Standard state machine that discovers the member accounts into S3, scans
 * them one per child of a Distributed Map (bounded by `organization.concurrency`, failures
 * tolerated and recorded as outcomes), and aggregates the run. A large account's scan returns
 * `done: false` with a continuation and the child loops until it is done, so no account is cut
 * short by Lambda's 15 minutes. The functions are invoked synchronously by Step Functions, which
 * retries transient Lambda errors and catches the rest: no dead-letter queues, failed executions
 * are alarmed instead.
 */
export class OrganizationScan extends Construct {
  readonly discover: NodejsFunction;
  readonly scanAccount: NodejsFunction;
  readonly aggregate: NodejsFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: OrganizationScanProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { config, role, bucket } = props;
    const organization = config.organization;
    const organizationId = organization.organizationId;
    if (organizationId === undefined) throw new Error('organization mode needs organization.organizationId');

    const environment: Record<string, string> = {
      [SCAN_FUNCTION_ENV.findingsTableName]: props.table.table.tableName,
      [SCAN_FUNCTION_ENV.eventBusName]: props.bus.eventBusName,
      [SCAN_FUNCTION_ENV.secretsRegions]: secretsRegionsVariable(config, stack.region),
      [SCAN_FUNCTION_ENV.scanSettings]: JSON.stringify(scanSettingsOf(config)),
      [SCAN_FUNCTION_ENV.resolvedTtlDays]: String(config.resolvedTtlDays),
      [ORG_FUNCTION_ENV.runsBucket]: bucket.bucketName,
      [ORG_FUNCTION_ENV.memberRoleName]: organization.memberRoleName,
      ...(organization.externalId !== undefined
        ? { [ORG_FUNCTION_ENV.memberExternalId]: organization.externalId }
        : {}),
      [ORG_FUNCTION_ENV.accountSelection]: JSON.stringify(accountSelectionOf(config)),
      [SCAN_FUNCTION_ENV.serviceLastAccessedMaxJobs]: String(config.serviceLastAccessedMaxJobs),
    };
    const orgFunction = (
      name: string,
      handlerName: string,
      description: string,
      timeout: Duration,
      memorySize: number,
    ) =>
      new PostureFunction(this, name, {
        handlerName,
        description,
        role,
        environment,
        timeout,
        memorySize,
        logRetentionDays: config.logRetentionDays,
        tracing: config.tracing,
      }).function;
    this.discover = orgFunction(
      'Discover',
      'org-discover',
      'iam-posture: lists the organization’s active member accounts into S3 for a run',
      Duration.minutes(5),
      512,
    );
    // One account per invocation; a scan that needs longer checkpoints and is called again.
    this.scanAccount = orgFunction(
      'ScanAccount',
      'org-scan-account',
      'iam-posture: scans one member account through its member role and records its outcome',
      Duration.minutes(15),
      1024,
    );
    this.aggregate = orgFunction(
      'Aggregate',
      'org-aggregate',
      'iam-posture: records an organization run and publishes OrganizationScanCompleted',
      Duration.minutes(5),
      1024,
    );

    // The per-account scan is the single-account scan against assumed credentials: the same table
    // access, the same bus.
    props.table.grantItemAccess(role, SCAN_FUNCTION_TABLE_ACTIONS, { indexes: false });
    props.bus.grantPutEventsTo(role);
    const access = new iam.Policy(this, 'OrganizationAccess', {
      statements: [
        new iam.PolicyStatement({
          sid: 'AssumeMemberRole',
          actions: ['sts:AssumeRole'],
          resources: [`arn:${stack.partition}:iam::*:role/${organization.memberRoleName}`],
          conditions: { StringEquals: { 'aws:ResourceOrgID': organizationId } },
        }),
        new iam.PolicyStatement({
          sid: 'DiscoverAccounts',
          actions: [...ORGANIZATIONS_DISCOVERY_ACTIONS],
          resources: ['*'],
        }),
        // Account lists, checkpoints, outcomes and run records, under runs/ only. ListBucket makes
        // a missing checkpoint a NoSuchKey rather than an AccessDenied.
        new iam.PolicyStatement({
          sid: 'RunObjects',
          actions: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
          resources: [bucket.arnForObjects(`${RUNS_PREFIX}*`)],
        }),
        new iam.PolicyStatement({
          sid: 'ListRuns',
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${RUNS_PREFIX}*`] } },
        }),
        new iam.PolicyStatement({
          sid: 'RunObjectsKey',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [props.dataKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
        }),
      ],
    });
    access.attachToRole(role);
    acknowledgeOrganizationAccess(
      access,
      organization.memberRoleName,
      stack.getLogicalId(bucket.node.defaultChild as CfnElement),
    );

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: 'iam-posture: scans every selected member account of the organization',
      definitionBody: sfn.DefinitionBody.fromChainable(
        this.definition(bucket, config.organization.concurrency),
      ),
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: config.tracing,
      // A run that has not finished in a day overlaps the next daily run: stop it (and alarm).
      timeout: Duration.hours(23),
    });
    // ItemReader and ResultWriter read and write the bucket through S3, which uses the bucket's key.
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [props.dataKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
      }),
    );
    this.acknowledgeStateMachineFindings(bucket, config.tracing);
  }

  /** The written reason for each finding on the state machine and its role. */
  private acknowledgeStateMachineFindings(bucket: s3.IBucket, tracing: boolean): void {
    const stack = Stack.of(this);
    const id = (construct: Construct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
    const role = this.stateMachine.role.node.tryFindChild('DefaultPolicy');
    const acknowledge = (scope: IConstruct | undefined, ruleId: string, reason: string) => {
      if (scope) Validations.of(scope).acknowledge({ id: ruleId, reason });
    };
    for (const fn of [this.discover, this.scanAccount, this.aggregate]) {
      acknowledge(
        role,
        `AwsSolutions-IAM5[Resource::<${id(fn)}.Arn>:*]`,
        'lambda:InvokeFunction on this one function and its versions (ARN:*), as the Step Functions Lambda integration grants it; no other function.',
      );
    }
    acknowledge(
      role,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::<${id(bucket)}>/*]`,
      'The Distributed Map reads the run’s account list (ItemReader) and writes the Map Run results (ResultWriter) in this one bucket; the keys carry the run id, known only at run time.',
    );
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'CloudWatch Logs log delivery (logs:CreateLogDelivery, PutResourcePolicy, DescribeLogGroups, ...) and X-Ray trace writes have no resource type, so IAM accepts only "*"; Step Functions needs them to deliver execution logs and traces.',
    );
    const mapPolicy = this.stateMachine.node.tryFindChild('DistributedMapPolicy');
    // cdk-nag names pseudo parameters <AWS::...>, and a region or account the stack knows by value.
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    const executions = `arn:<AWS::Partition>:states:${region}:${account}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${id(this.stateMachine)}"}]}]}`;
    acknowledge(
      mapPolicy,
      `AwsSolutions-IAM5[Resource::${executions}:*]`,
      'A Distributed Map starts, describes and stops child executions of this state machine only; their names are generated at run time.',
    );
    acknowledge(
      mapPolicy,
      `AwsSolutions-IAM5[Resource::${executions}/ScanAccounts:*]`,
      'Map Runs of the ScanAccounts Distributed Map of this state machine only (redrive and describe); their ids are generated at run time.',
    );
    if (!tracing) {
      acknowledge(
        this.stateMachine,
        'AwsSolutions-SF2',
        'X-Ray tracing follows the deploy config key tracing (off by default, as for the functions): every execution is already in the execution history and logged at level ALL to its log group.',
      );
    }
  }

  private definition(bucket: s3.IBucket, concurrency: number): sfn.IChainable {
    // The states get their own scope: their names (Discover, ScanAccount, Aggregate) are the
    // functions' names too.
    const states = new Construct(this, 'States');
    // ResultWriterV2 renders only under its feature flag; without it the Map would keep every
    // account's result in the state, which is what the Distributed Map is here to avoid.
    states.node.setContext('@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2', true);
    const at = sfn.JsonPath.stringAt;
    const invoke = (id: string, fn: NodejsFunction, payload: sfn.TaskInput) =>
      new tasks.LambdaInvoke(states, id, {
        stateName: id,
        lambdaFunction: fn,
        payload,
        outputPath: '$.Payload',
        retryOnServiceExceptions: false,
      }).addRetry({
        errors: LAMBDA_TRANSIENT_ERRORS,
        interval: Duration.seconds(2),
        maxAttempts: 6,
        backoffRate: 2,
        jitterStrategy: sfn.JitterType.FULL,
      });

    // Input { accounts?: string[] }: a list rescans those accounts only. The run id is the
    // execution's name, so a run and its objects in S3 are found from the console.
    const rescan = new sfn.Pass(states, ORG_STATES.rescan, {
      parameters: { runId: at('$$.Execution.Name'), accounts: sfn.JsonPath.listAt('$.accounts') },
    });
    const wholeOrganization = new sfn.Pass(states, ORG_STATES.wholeOrganization, {
      parameters: { runId: at('$$.Execution.Name') },
    });
    const discover = invoke(ORG_STATES.discover, this.discover, sfn.TaskInput.fromJsonPathAt('$'));

    const scanAccount = invoke(ORG_STATES.scanAccount, this.scanAccount, sfn.TaskInput.fromJsonPathAt('$'));
    const recordFailure = invoke(
      ORG_STATES.recordFailure,
      this.scanAccount,
      sfn.TaskInput.fromObject({
        runId: at('$.runId'),
        account: sfn.JsonPath.objectAt('$.account'),
        error: sfn.JsonPath.objectAt('$.error'),
      }),
    );
    scanAccount.addCatch(recordFailure.next(new sfn.Succeed(states, ORG_STATES.failureRecorded)), {
      errors: [sfn.Errors.ALL],
      resultPath: '$.error',
    });
    const continueScan = new sfn.Pass(states, ORG_STATES.continue, {
      parameters: {
        runId: at('$.runId'),
        account: sfn.JsonPath.objectAt('$.account'),
        continuation: at('$.continuation'),
      },
    });
    const perAccount = scanAccount.next(
      new sfn.Choice(states, ORG_STATES.more)
        .when(sfn.Condition.booleanEquals('$.done', false), continueScan.next(scanAccount))
        .otherwise(new sfn.Succeed(states, ORG_STATES.accountDone)),
    );

    const map = new sfn.DistributedMap(states, ORG_STATES.map, {
      itemReader: new sfn.S3JsonItemReader({ bucket, key: at('$.accountsKey') }),
      itemSelector: { runId: at('$.runId'), account: sfn.JsonPath.objectAt('$$.Map.Item.Value') },
      maxConcurrency: concurrency,
      toleratedFailurePercentage: 100,
      resultWriterV2: new sfn.ResultWriterV2({ bucket, prefix: MAP_RESULTS_PREFIX }),
      mapExecutionType: sfn.StateMachineType.STANDARD,
      // The Map's own output (the Map Run and its result files) goes beside the discover output.
      resultPath: '$.mapRun',
      label: 'ScanAccounts',
    }).itemProcessor(perAccount);

    const aggregate = invoke(
      ORG_STATES.aggregate,
      this.aggregate,
      sfn.TaskInput.fromObject({
        runId: at('$.runId'),
        bucket: at('$.bucket'),
        accountsKey: at('$.accountsKey'),
        startedAt: at('$.startedAt'),
      }),
    );
    discover.next(map).next(aggregate);
    return new sfn.Choice(states, ORG_STATES.start)
      .when(sfn.Condition.isPresent('$.accounts'), rescan.next(discover))
      .otherwise(wholeOrganization.next(discover));
  }
}

/** The written reason for each wildcard resource of the organization access policy. */
function acknowledgeOrganizationAccess(
  policy: iam.Policy,
  memberRoleName: string,
  bucketLogicalId: string,
): void {
  const acknowledge = (resource: string, reason: string) =>
    Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
  acknowledge(
    `arn:<AWS::Partition>:iam::*:role/${memberRoleName}`,
    `The run assumes the member role ${memberRoleName} in every member account, whose ids are discovered at run time; aws:ResourceOrgID holds it to roles of this organization, and each member role trusts only this exact role.`,
  );
  acknowledge(
    '*',
    'organizations:ListAccounts and organizations:DescribeOrganization have no resource type, and ListParents is called for every discovered account; all are read-only calls on this organization.',
  );
  acknowledge(
    `<${bucketLogicalId}.Arn>/${RUNS_PREFIX}*`,
    'A run writes and reads its own objects (account list, checkpoints, outcomes, run record) under runs/<run id>/ of this one bucket; run ids are execution names, known only at run time.',
  );
}
