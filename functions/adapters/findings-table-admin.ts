import {
  CreateTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { describeError } from '../core/describe-error';
import { createTableInput, FINDINGS_TABLE } from '../core/findings-table';
import { FindingsTableAdminError } from './store-errors';

export { FindingsTableAdminError };

export interface CreatedTable {
  tableName: string;
  region: string;
  tableArn?: string;
  timeToLiveAttribute: string;
}

/**
 * Creates the findings table as the stack defines it (`core/findings-table`: keys, indexes,
 * on-demand billing), waits until it is active and turns on its TTL attribute, so a scan can
 * store findings without deploying the stack.
 */
export async function createFindingsTable(
  client: DynamoDBClient,
  tableName: string,
  options: { maxWaitSeconds?: number } = {},
): Promise<CreatedTable> {
  const region = await client.config.region();
  let tableArn: string | undefined;
  try {
    const created = await client.send(new CreateTableCommand(createTableInput(tableName)));
    tableArn = created.TableDescription?.TableArn;
  } catch (error) {
    if ((error as { name?: unknown }).name === 'ResourceInUseException') {
      throw new FindingsTableAdminError(`table ${tableName} already exists in region ${region}`, {
        cause: error,
      });
    }
    throw new FindingsTableAdminError(
      `could not create table ${tableName} in region ${region}: ${describeError(error)}`,
      { cause: error },
    );
  }
  try {
    await waitUntilTableExists(
      { client, maxWaitTime: options.maxWaitSeconds ?? 300, minDelay: 2, maxDelay: 10 },
      { TableName: tableName },
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: FINDINGS_TABLE.timeToLiveAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    throw new FindingsTableAdminError(
      `table ${tableName} in region ${region} was created, but turning on its TTL attribute ` +
        `${FINDINGS_TABLE.timeToLiveAttribute} failed: ${describeError(error)}`,
      { cause: error },
    );
  }
  return {
    tableName,
    region,
    ...(tableArn ? { tableArn } : {}),
    timeToLiveAttribute: FINDINGS_TABLE.timeToLiveAttribute,
  };
}
