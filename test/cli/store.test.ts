import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FINDINGS_TABLE } from '../../functions/core/findings-table';
import { DEMO_CONFIG, DEMO_EXPORT, runCli } from '../support/cli';
import { MOTO_ACCOUNT_ID, MOTO_REGION, type MotoServer, startMoto } from '../support/moto';

/** The CLI against moto: the findings table, and the store commands as a user meets them. */

const TABLE = 'posture-findings';
const DEMO_ACCOUNT = '111122223333';

let moto: MotoServer;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  moto = await startMoto();
  dynamo = new DynamoDBClient({ ...moto.clientConfig });
});

afterAll(async () => {
  dynamo?.destroy();
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
});

/** Runs the CLI with moto's fake credentials, against moto, in its region. */
const cli = (args: string[]) =>
  runCli([...args, '--endpoint-url', moto.endpoint, '--region', MOTO_REGION], {
    env: {
      AWS_ACCESS_KEY_ID: moto.clientConfig.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: moto.clientConfig.credentials.secretAccessKey,
      AWS_PROFILE: '',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined,
    },
  });

const storeDemo = () => cli(['scan', '--export', DEMO_EXPORT, '--config', DEMO_CONFIG, '--table', TABLE]);

/** An expected input or usage error: exit 2 and one line on stderr. */
function inputError(result: { code: number | null; stderr: string }): string {
  expect(result.code, result.stderr).toBe(2);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('iam-posture table create', () => {
  it('creates the findings table of the stack: keys, indexes, on-demand billing and TTL', async () => {
    const result = await cli(['table', 'create', '--table', TABLE]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Created findings table ${TABLE} in region ${MOTO_REGION}`);
    expect(result.stderr).toBe('');

    const { Table: table } = await dynamo.send(new DescribeTableCommand({ TableName: TABLE }));
    expect(table?.TableStatus).toBe('ACTIVE');
    expect(table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table?.KeySchema).toEqual([
      { AttributeName: FINDINGS_TABLE.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: FINDINGS_TABLE.sortKey.name, KeyType: 'RANGE' },
    ]);
    expect(
      (table?.GlobalSecondaryIndexes ?? []).map((index) => ({
        name: index.IndexName,
        keys: index.KeySchema?.map((key) => key.AttributeName),
        projection: index.Projection?.ProjectionType,
      })),
    ).toEqual(
      FINDINGS_TABLE.globalSecondaryIndexes.map((index) => ({
        name: index.indexName,
        keys: [index.partitionKey.name, ...(index.sortKey ? [index.sortKey.name] : [])],
        projection: index.projection,
      })),
    );
    const ttl = await dynamo.send(new DescribeTimeToLiveCommand({ TableName: TABLE }));
    expect(ttl.TimeToLiveDescription).toMatchObject({
      AttributeName: FINDINGS_TABLE.timeToLiveAttribute,
      TimeToLiveStatus: 'ENABLED',
    });

    expect(inputError(await cli(['table', 'create', '--table', TABLE]))).toBe(
      `iam-posture: table ${TABLE} already exists in region ${MOTO_REGION}`,
    );
  });

  it('makes a store that a scan writes to and findings lists', async () => {
    expect((await cli(['table', 'create', '--table', TABLE])).code).toBe(0);
    const scan = await storeDemo();
    expect(scan.code, scan.stderr).toBe(0);
    expect(scan.stderr).toContain(`stored scan`);
    const listed = await cli(['findings', '--table', TABLE, '--format', 'json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).findings.length).toBeGreaterThan(0);
  });
});

describe('a findings table that does not exist', () => {
  it('is an input error naming the table, its region and how to create it', async () => {
    const line = inputError(await storeDemo());
    expect(line).toBe(
      `iam-posture: the findings table ${TABLE} does not exist in region ${MOTO_REGION}: create it with ` +
        `"iam-posture table create --table ${TABLE} --region ${MOTO_REGION}" (or deploy the stack)`,
    );
  });
});

describe('remediate and rollback as a user meets them', () => {
  beforeEach(async () => {
    expect((await cli(['table', 'create', '--table', TABLE])).code).toBe(0);
  });

  it('refuse a finding of another account than the credentials first, naming both', async () => {
    expect((await storeDemo()).code).toBe(0);
    const listed = JSON.parse((await cli(['findings', '--table', TABLE, '--format', 'json'])).stdout);
    const finding = listed.findings.find((f: { ruleId: string }) => f.ruleId === 'role-unused');
    expect(finding.accountId).toBe(DEMO_ACCOUNT);

    const result = await cli(['remediate', finding.id, '--table', TABLE, '--dry-run']);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toBe(
      `Refused (other-account): finding ${finding.id} is in account ${DEMO_ACCOUNT}, but the credentials ` +
        `in use are of account ${MOTO_ACCOUNT_ID}; run remediate with credentials of account ${DEMO_ACCOUNT}.\n`,
    );
  });

  it('agree on the exit code for an unknown id: 2, naming it', async () => {
    expect(inputError(await cli(['remediate', 'f0f0', '--table', TABLE, '--dry-run']))).toBe(
      `iam-posture: no finding f0f0 in table ${TABLE}`,
    );
    expect(inputError(await cli(['rollback', 'r0r0', '--table', TABLE]))).toBe(
      `iam-posture: no remediation request r0r0 in table ${TABLE}`,
    );
  });

  it('treat --yes with --dry-run as a usage error', async () => {
    expect(inputError(await cli(['remediate', 'f0f0', '--table', TABLE, '--yes', '--dry-run']))).toBe(
      'iam-posture: --dry-run prints the plan and changes nothing; --yes executes it: give one of them',
    );
  });

  it('findings --rule with a misspelt rule id is a usage error with a suggestion', async () => {
    expect(inputError(await cli(['findings', '--table', TABLE, '--rule', 'role-unsued']))).toBe(
      'iam-posture: --rule: unknown rule id "role-unsued" (did you mean role-unused?)',
    );
  });
});

describe('live commands on Node.js 20', () => {
  it('do not print the AWS SDK Node.js version warning', async () => {
    const result = await cli(['table', 'create', '--table', TABLE]);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('NodeVersionSupportWarning');
    expect(result.stderr).toBe('');
  });
});
