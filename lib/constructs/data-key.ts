import { Aspects, type IAspect, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';

/**
 * The customer-managed KMS key that encrypts the findings table, the alarm topic, the Slack
 * secrets and every log group (function logs carry request ids, finding ids and refusal reasons).
 *
 * Findings are a map of the account's weakest identities (stale keys, standing admins, escalation
 * paths), so reading them takes two permissions: DynamoDB on the table and `kms:Decrypt` on this
 * key. A broad `dynamodb:*` grant elsewhere in the account does not expose them, every decrypt is
 * recorded in CloudTrail, and disabling the key cuts off all access at once. Cost: $1 a month
 * plus requests (DynamoDB caches the table key, so requests stay in the free tier).
 *
 * The key is retained with the table: deleting it would make the retained table unreadable.
 * Rotation is yearly and automatic.
 */
export class DataKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: `iam-posture findings and alarm notifications (${Stack.of(this).stackName})`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      alias: `alias/${Stack.of(this).stackName}/data`,
    });
  }

  /**
   * Lets CloudWatch alarms publish to a topic encrypted with this key (CloudWatch cannot use the
   * AWS-managed aws/sns key). The statement is the one CloudWatch documents: CloudWatch does not
   * send the caller-account context a narrower condition would need. Which alarms may publish is
   * restricted by the topic's own policy.
   */
  allowCloudWatchAlarms(): void {
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
  }

  /**
   * Encrypts every CloudWatch Logs log group under `scope` with this key, and lets CloudWatch Logs
   * of this region use it, only for log groups of this account (the encryption context CloudWatch
   * Logs sends names the log group).
   */
  encryptLogGroups(scope: Construct): void {
    const stack = Stack.of(this);
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogs',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
          },
        },
      }),
    );
    Aspects.of(scope).add(new EncryptLogGroups(this.key));
  }
}

/** Sets the key on every log group that has none. */
class EncryptLogGroups implements IAspect {
  constructor(private readonly key: kms.IKey) {}

  visit(node: IConstruct): void {
    if (node instanceof logs.CfnLogGroup && node.kmsKeyId === undefined) node.kmsKeyId = this.key.keyArn;
  }
}
