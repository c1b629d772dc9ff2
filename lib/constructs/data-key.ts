import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * The customer-managed KMS key that encrypts the findings table and the alarm topic.
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
}
