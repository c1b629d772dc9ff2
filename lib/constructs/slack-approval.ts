import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { DeployConfig } from '../../functions/core/deploy-config';
import {
  SECRET_PLACEHOLDER_KEY,
  slackInteractionEnvironment,
  slackNotifyEnvironment,
} from '../../functions/core/slack-function-config';
import { DeadLetterQueue } from './dead-letter-queue';
import type { FindingsTable } from './findings-table';
import { PostureFunction } from './posture-function';

/**
 * What the interaction endpoint does to the table: reads a request, transitions it, and deletes
 * the finding's lock in the same transaction when the request ends (rejected, expired).
 */
export const INTERACTION_TABLE_ACTIONS = [
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:UpdateItem',
] as const;

/**
 * What the notifier does to the table: reads the finding (by-id index, then the item), reads and
 * creates the request with its finding's lock (one transaction of two puts), records where its
 * message is.
 */
export const NOTIFY_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
] as const;

export interface SlackApprovalProps {
  table: FindingsTable;
  bus: events.IEventBus;
  config: DeployConfig;
  channelId: string;
  /** iam-posture's own roles (ARN globs): never offered for remediation. */
  ownArns: readonly string[];
  /** The stack's customer managed key, for the two secrets. */
  encryptionKey?: kms.IKey;
}

/**
 * The Slack side of remediation: the two secrets (signing secret, bot token), the notifier that
 * turns `FindingOpened` into approval requests, and the interaction endpoint that records clicks.
 *
 * The endpoint is a Lambda Function URL with auth type NONE: Slack cannot sign its requests with
 * SigV4, so IAM auth would reject every click. Authentication is the HMAC-SHA256 signature Slack
 * puts on every request, verified by the function against the signing secret (constant-time,
 * within 5 minutes, an empty secret refused) before anything is read or changed. The endpoint's
 * role cannot touch IAM: it reads and transitions requests and publishes the hand-off event.
 *
 * The secrets are created holding a placeholder that the functions treat as "not set", so the
 * endpoint refuses every request until the operator stores Slack's values with
 * `aws secretsmanager put-secret-value`. Slack issues both values: they are not rotatable here.
 */
export class SlackApproval extends Construct {
  readonly signingSecret: secretsmanager.Secret;
  readonly botToken: secretsmanager.Secret;
  readonly interactionRole: iam.Role;
  readonly interaction: NodejsFunction;
  readonly interactionUrl: lambda.FunctionUrl;
  readonly notifyRole: iam.Role;
  readonly notify: NodejsFunction;
  readonly notifyDeadLetterQueue: DeadLetterQueue;
  readonly notifyRule: events.Rule;
  readonly logGroupNames: { interaction: string; notify: string };

  private readonly encryptionKey: kms.IKey | undefined;

  constructor(scope: Construct, id: string, props: SlackApprovalProps) {
    super(scope, id);
    const { config } = props;
    this.encryptionKey = props.encryptionKey;

    this.signingSecret = this.slackSecret(
      'SigningSecret',
      'Slack app signing secret (Basic Information > App Credentials)',
    );
    this.botToken = this.slackSecret('BotToken', 'Slack bot token, xoxb-... (OAuth & Permissions)');

    // --- the interaction endpoint
    this.interactionRole = new iam.Role(this, 'InteractionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description:
        'iam-posture Slack interactions: records decisions and requests, publishes hand-off events; no IAM writes',
    });
    const interaction = new PostureFunction(this, 'Interaction', {
      handlerName: 'slack-interaction',
      description: 'iam-posture: Slack button clicks (verified by signature) on remediation requests',
      role: this.interactionRole,
      // Slack waits 3 seconds; a cold start plus a few calls fit well within 10.
      timeout: Duration.seconds(10),
      memorySize: 512,
      // The URL is public: a flood of requests is throttled at this many, instead of taking the
      // account's concurrency from the scan and remediation functions.
      reservedConcurrentExecutions: config.slackInteractionConcurrency,
      logRetentionDays: config.logRetentionDays,
      tracing: config.tracing,
      environment: slackInteractionEnvironment({
        findingsTableName: props.table.table.tableName,
        eventBusName: props.bus.eventBusName,
        signingSecretArn: this.signingSecret.secretArn,
        botTokenSecretArn: this.botToken.secretArn,
        approvers: config.approvers,
      }),
    });
    this.interaction = interaction.function;
    this.interactionUrl = this.interaction.addFunctionUrl({
      // Slack cannot sign with SigV4; the function verifies Slack's HMAC signature instead.
      authType: lambda.FunctionUrlAuthType.NONE,
      invokeMode: lambda.InvokeMode.BUFFERED,
    });
    props.table.grantItemAccess(this.interactionRole, INTERACTION_TABLE_ACTIONS, { indexes: false });
    props.bus.grantPutEventsTo(this.interactionRole);
    this.signingSecret.grantRead(this.interactionRole);
    this.botToken.grantRead(this.interactionRole);

    // --- the notifier
    this.notifyRole = new iam.Role(this, 'NotifyRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'iam-posture notifier: opens remediation requests and posts them to Slack; no IAM access',
    });
    this.notifyDeadLetterQueue = new DeadLetterQueue(this, 'NotifyDeadLetters', {
      purpose: 'FindingOpened events that could not be turned into a Slack request',
    });
    const notify = new PostureFunction(this, 'Notify', {
      handlerName: 'notify',
      description: 'iam-posture: posts remediation requests for newly opened findings to Slack',
      role: this.notifyRole,
      timeout: Duration.seconds(60),
      memorySize: 256,
      logRetentionDays: config.logRetentionDays,
      tracing: config.tracing,
      deadLetterQueue: this.notifyDeadLetterQueue.queue,
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      environment: slackNotifyEnvironment({
        findingsTableName: props.table.table.tableName,
        botTokenSecretArn: this.botToken.secretArn,
        channelId: props.channelId,
        protection: {
          protectedArns: config.protectedArns,
          breakGlassArns: config.breakGlassArns,
          ownArns: props.ownArns,
        },
        ownerSlack: config.ownership.slack,
      }),
    });
    this.notify = notify.function;
    props.table.grantItemAccess(this.notifyRole, NOTIFY_TABLE_ACTIONS, { indexes: true });
    this.botToken.grantRead(this.notifyRole);
    this.notifyRule = new events.Rule(this, 'FindingOpened', {
      eventBus: props.bus,
      description: 'Newly opened findings, to the Slack notifier',
      eventPattern: { source: ['iam-posture'], detailType: ['FindingOpened'] },
      targets: [
        new targets.LambdaFunction(this.notify, {
          deadLetterQueue: this.notifyDeadLetterQueue.queue,
          retryAttempts: 4,
          maxEventAge: Duration.hours(6),
        }),
      ],
    });

    this.logGroupNames = {
      interaction: interaction.logGroup.logGroupName,
      notify: notify.logGroup.logGroupName,
    };
  }

  /** A secret Slack issues, created with a placeholder until the operator stores the real value. */
  private slackSecret(id: string, description: string): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, id, {
      description: `iam-posture: ${description}. Store it with aws secretsmanager put-secret-value.`,
      // The stack's key: reading the value takes kms:Decrypt on it as well, granted with the read.
      ...(this.encryptionKey ? { encryptionKey: this.encryptionKey } : {}),
      generateSecretString: {
        secretStringTemplate: JSON.stringify({}),
        generateStringKey: SECRET_PLACEHOLDER_KEY,
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Slack issues this value (the app signing secret or the bot token); it is rotated in the Slack app settings and stored again with put-secret-value, so there is no rotation function to schedule.',
    });
    return secret;
  }
}
