import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type CreatedTable, createFindingsTable } from '../adapters/findings-table-admin';
import { type AwsConfig, sdkConfig } from './aws';

/** Creates the findings table as the stack defines it, where `aws` points (`table create`). */
export async function createFindingsTableIn(aws: AwsConfig, table: string): Promise<CreatedTable> {
  const client = new DynamoDBClient(sdkConfig(aws));
  try {
    return await createFindingsTable(client, table);
  } finally {
    client.destroy();
  }
}
