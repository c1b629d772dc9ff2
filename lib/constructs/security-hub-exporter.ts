import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DeployConfig } from '../../functions/core/deploy-config';
import { securityHubExporterEnvironment } from '../../functions/core/report/asff-exporter-config';
import { DeadLetterQueue } from './dead-letter-queue';
import { PostureFunction } from './posture-function';

/** The one Security Hub action the exporter and the member import roles hold. */
export const SECURITY_HUB_IMPORT_ACTIONS = ['securityhub:BatchImportFindings'] as const;

/** Deliveries of a message before it moves to the dead-letter queue. */
export const EXPORT_MAX_RECEIVE_COUNT = 5;

/**
 * The exporter's role name in organization mode: member import roles trust it by exact ARN, so
 * both stacks derive it from the central stack's name (under the own-roles pattern `role/<stack>-*`).
 */
export function securityHubExporterRoleName(centralStackName: string): string {
  return `${centralStackName}-findings-export`;
}

/** The account's default product: the only resource BatchImportFindings is allowed on. */
export function defaultProductArn(stack: Stack, account: string = stack.account): string {
  return `arn:${stack.partition}:securityhub:${stack.region}:${account}:product/${account}/default`;
}

export interface SecurityHubExporterProps {
  bus: events.IEventBus;
  /** The stack's data key: the queue is encrypted with it (finding events carry the evidence). */
  dataKey: kms.IKey;
  config: DeployConfig;
  /** Organization mode: import member accounts' findings through their import roles. */
  organization?: {
    roleName: string;
    memberImportRoleName: string;
    organizationId: string;
    externalId?: string;
  };
}

/**
 * The opt-in Security Hub export: `FindingOpened` and `FindingResolved` on the findings bus go to
 * an SQS queue (encrypted with the data key, TLS only, a dead-letter queue after five deliveries),
 * and a function imports them with `BatchImportFindings`, up to 100 messages at a time. It reports
 * the messages it could not import as batch item failures, so only those are delivered again.
 *
 * The function can do one thing in Security Hub: import into the account's default product. In
 * organization mode it may also assume the member accounts' import roles, which hold only that
 * same action on their own account's default product.
 */
export class SecurityHubExporter extends Construct {
  readonly role: iam.Role;
  readonly function: NodejsFunction;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: DeadLetterQueue;
  readonly rule: events.Rule;
  readonly logGroupName: string;

  constructor(scope: Construct, id: string, props: SecurityHubExporterProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { config, organization } = props;

    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters', {
      purpose: 'finding events Security Hub did not take after every delivery',
    });
    const timeout = Duration.minutes(2);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.dataKey,
      dataKeyReuse: Duration.hours(1),
      enforceSSL: true,
      // Lambda's guidance: at least six times the function's timeout, so a batch in flight is not redelivered.
      visibilityTimeout: Duration.minutes(12),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue.queue, maxReceiveCount: EXPORT_MAX_RECEIVE_COUNT },
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'iam-posture Security Hub exporter: imports findings into Security Hub; no IAM access',
      ...(organization ? { roleName: organization.roleName } : {}),
    });
    const exporter = new PostureFunction(this, 'Exporter', {
      handlerName: 'security-hub-export',
      description: 'iam-posture: imports opened and resolved findings into AWS Security Hub',
      role: this.role,
      timeout,
      memorySize: 256,
      logRetentionDays: config.logRetentionDays,
      tracing: config.tracing,
      environment: securityHubExporterEnvironment({
        homeAccountId: stack.account,
        ...(organization
          ? {
              memberImportRoleName: organization.memberImportRoleName,
              ...(organization.externalId !== undefined ? { memberExternalId: organization.externalId } : {}),
            }
          : {}),
      }),
    });
    this.function = exporter.function;
    this.logGroupName = exporter.logGroup.logGroupName;

    const statements = [
      new iam.PolicyStatement({
        sid: 'ImportFindings',
        actions: [...SECURITY_HUB_IMPORT_ACTIONS],
        resources: [defaultProductArn(stack)],
      }),
    ];
    if (organization) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'AssumeMemberImportRole',
          actions: ['sts:AssumeRole'],
          resources: [`arn:${stack.partition}:iam::*:role/${organization.memberImportRoleName}`],
          conditions: { StringEquals: { 'aws:ResourceOrgID': organization.organizationId } },
        }),
      );
    }
    const policy = new iam.Policy(this, 'ImportPolicy', { statements });
    policy.attachToRole(this.role);
    if (organization) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${organization.memberImportRoleName}]`,
        reason: `Findings of a member account are imported in that account through its import role ${organization.memberImportRoleName}; the accounts are known only from the findings. aws:ResourceOrgID holds the assume to this organization, and each import role trusts only this exact role and may only call securityhub:BatchImportFindings on its own account's default product.`,
      });
    }

    this.function.addEventSource(
      new lambdaEventSources.SqsEventSource(this.queue, {
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(30),
        reportBatchItemFailures: true,
      }),
    );

    this.rule = new events.Rule(this, 'FindingEvents', {
      eventBus: props.bus,
      description: 'Opened and resolved findings, to the Security Hub exporter queue',
      eventPattern: { source: ['iam-posture'], detailType: ['FindingOpened', 'FindingResolved'] },
      targets: [
        new targets.SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue.queue, retryAttempts: 8 }),
      ],
    });
  }
}
