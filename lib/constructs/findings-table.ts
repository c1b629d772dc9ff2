import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { KeyAttribute, TableDefinition } from '../../functions/core/findings-table';

export interface FindingsTableProps {
  /** The store's table definition (FINDINGS_TABLE of functions/core/findings-table.ts). */
  definition: TableDefinition;
  encryptionKey: kms.IKey;
}

/**
 * The findings table: on-demand capacity (a scan writes in bursts, then nothing for a day),
 * point-in-time recovery, TTL on resolved findings, encryption with the stack's customer-managed
 * key, deletion protection, and retained when the stack is deleted: findings and remediation
 * records are the audit trail.
 */
export class FindingsTable extends Construct {
  readonly table: dynamodb.Table;
  private readonly encryptionKey: kms.IKey;
  private readonly hasIndexes: boolean;

  constructor(scope: Construct, id: string, props: FindingsTableProps) {
    super(scope, id);
    const { definition } = props;
    this.encryptionKey = props.encryptionKey;
    this.hasIndexes = definition.globalSecondaryIndexes.length > 0;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: attribute(definition.partitionKey),
      sortKey: attribute(definition.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: definition.timeToLiveAttribute,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of definition.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        ...(index.sortKey ? { sortKey: attribute(index.sortKey) } : {}),
        projectionType: dynamodb.ProjectionType[index.projection],
      });
    }
  }

  /**
   * Grants exactly `actions` on the table (and on its indexes when `indexes` is set), and the use
   * of the table's key through DynamoDB only (`kms:ViaService`): the grantee cannot use the key
   * directly.
   */
  grantItemAccess(grantee: iam.IGrantable, actions: readonly string[], options: { indexes: boolean }): void {
    const principal = grantee.grantPrincipal;
    const indexes = options.indexes && this.hasIndexes;
    const resources = [this.table.tableArn, ...(indexes ? [`${this.table.tableArn}/index/*`] : [])];
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources }));
    if (indexes && Construct.isConstruct(principal)) {
      const tableLogicalId = Stack.of(this).getLogicalId(this.table.node.defaultChild as dynamodb.CfnTable);
      Validations.of(principal).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${tableLogicalId}.Arn>/index/*]`,
        reason:
          'Queries use the indexes of this one table (by status, by rule, by id); the wildcard spans only the indexes under this table ARN.',
      });
    }
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...TABLE_KEY_ACTIONS],
        resources: [this.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }
}

/** What a principal needs on the table key to read and write items through DynamoDB. */
export const TABLE_KEY_ACTIONS = [
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey',
] as const;

function attribute(key: KeyAttribute): dynamodb.Attribute {
  return {
    name: key.name,
    type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
  };
}
