/**
 * One moto server per test file with an empty findings table before every test:
 *
 *   const env = useMotoWithTable(TABLE);
 *
 *   beforeEach(async () => {
 *     // runs after the reset and the table's creation
 *   });
 *
 *   it('...', async () => {
 *     const store = new DynamoFindingsStore(env.dynamo, TABLE);
 *     const reader = jitStateReader(env.aws(), TABLE);
 *   });
 *
 * The hooks are registered where the function is called; its fields are valid from the file's
 * own beforeAll on. Vitest runs after-hooks in reverse, so the file's own afterAll still sees a
 * running server.
 */
import {
  CreateTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createTableInput, FINDINGS_TABLE } from '../../functions/core/findings-table';
import { MOTO_REGION, type MotoClientConfig, type MotoServer, startMoto } from './moto';

export interface MotoWithTableOptions {
  /**
   * Options of `dynamo`, e.g. `{ maxAttempts: 2 }` so a test that provokes a failure does not
   * wait through the SDK's default retries.
   */
  dynamo?: Pick<DynamoDBClientConfig, 'maxAttempts'>;
  /** Enables the table's time to live, as the stack does, for tests of items that expire. */
  timeToLive?: boolean;
}

export interface MotoWithTable {
  readonly moto: MotoServer;
  /** The client the table was created with; built once per file. */
  readonly dynamo: DynamoDBClient;
  /** The AWS settings the wiring takes: moto's endpoint, region and fake credentials. */
  aws(): MotoClientConfig;
}

/** Starts moto for the file, and resets it and creates `table` before each test. */
export function useMotoWithTable(table: string, options: MotoWithTableOptions = {}): MotoWithTable {
  let moto: MotoServer | undefined;
  let dynamo: DynamoDBClient | undefined;

  const server = (): MotoServer => {
    if (!moto) throw new Error('moto is not running: use it inside hooks and tests, not at module load');
    return moto;
  };
  const client = (): DynamoDBClient => {
    if (!dynamo)
      throw new Error('the DynamoDB client exists only once moto runs: use it inside hooks and tests');
    return dynamo;
  };

  beforeAll(async () => {
    moto = await startMoto();
    dynamo = new DynamoDBClient({ ...moto.clientConfig, ...options.dynamo });
  });

  afterAll(async () => {
    dynamo?.destroy();
    await moto?.stop();
  });

  beforeEach(async () => {
    await server().reset();
    await client().send(new CreateTableCommand(createTableInput(table)));
    if (options.timeToLive) {
      await client().send(
        new UpdateTimeToLiveCommand({
          TableName: table,
          TimeToLiveSpecification: { AttributeName: FINDINGS_TABLE.timeToLiveAttribute, Enabled: true },
        }),
      );
    }
  });

  return {
    get moto() {
      return server();
    },
    get dynamo() {
      return client();
    },
    aws: () => ({
      endpoint: server().endpoint,
      region: MOTO_REGION,
      credentials: server().clientConfig.credentials,
    }),
  };
}
