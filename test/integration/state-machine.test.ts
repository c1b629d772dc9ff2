/**
 * The organization state machine, as synthesized, executed on moto's Step Functions interpreter
 * with its function ARNs and bucket replaced by moto's. moto runs Lambda tasks without Docker by
 * answering each invocation with the next result queued through its `lambda-simple` endpoint, in
 * invocation order (and, with nothing queued, with the payload it was sent): enough to drive the
 * control flow. What moto cannot do is adjusted, and the rest is asserted statically in
 * test/infra/organization-stack.test.ts:
 * - its grammar reads ToleratedFailurePercentage only as a decimal (100.0), and then ignores it;
 * - its ResultWriter writes the Map Run manifest but no result files, so the children's outputs
 *   come from runs without the ResultWriter (the Map then outputs them inline);
 * - its Lambda never fails, so the failing task is swapped for a call that does.
 */
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { logicalId, synthesize } from '../infra/synth';
import { MOTO_ACCOUNT_ID, MOTO_REGION, type MotoServer, startMoto } from '../support/moto';

type Json = Record<string, unknown>;

let moto: MotoServer;
let sfnClient: SFNClient;
let lambda: LambdaClient;
let s3: S3Client;
let iam: IAMClient;
let definition: string;

const BUCKET = 'org-runs';

/** Resolves the template's DefinitionString (Fn::Join of literals, Refs and GetAtts) with `values`. */
function resolveDefinition(definitionString: unknown, values: Record<string, string>): string {
  const resolve = (part: unknown): string => {
    if (typeof part === 'string') return part;
    const ref = (part as { Ref?: string }).Ref;
    if (ref !== undefined) {
      if (!(ref in values)) throw new Error(`no value for Ref ${ref}`);
      return values[ref]!;
    }
    const getAtt = (part as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
    if (getAtt) {
      const key = `${getAtt[0]}.${getAtt[1]}`;
      if (!(key in values)) throw new Error(`no value for GetAtt ${key}`);
      return values[key]!;
    }
    throw new Error(`unexpected intrinsic in the definition: ${JSON.stringify(part)}`);
  };
  const join = (definitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return join[1].map(resolve).join(join[0]);
}

/**
 * moto's ASL grammar reads ToleratedFailurePercentage only as a decimal number (100.0), where
 * AWS reads any JSON number; the value is the same. moto then ignores it (see the static tests).
 */
function motoCompatible(asl: string): string {
  const adjusted = asl.replace(
    /"ToleratedFailurePercentage":100(?=[,}])/,
    '"ToleratedFailurePercentage":100.0',
  );
  if (adjusted === asl) throw new Error('the definition has no ToleratedFailurePercentage of 100');
  return adjusted;
}

async function queueLambdaResults(results: unknown[]): Promise<void> {
  const response = await fetch(`${moto.endpoint}/moto-api/static/lambda-simple/response`, {
    method: 'POST',
    body: JSON.stringify({
      account_id: MOTO_ACCOUNT_ID,
      region: MOTO_REGION,
      results: results.map((result) => JSON.stringify(result)),
    }),
  });
  expect(response.status).toBe(201);
}

beforeAll(async () => {
  moto = await startMoto();
  sfnClient = new SFNClient({ ...moto.clientConfig });
  lambda = new LambdaClient({ ...moto.clientConfig });
  s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
  iam = new IAMClient({ ...moto.clientConfig });

  const { stack, template } = synthesize(
    { organization: { enabled: true, organizationId: 'o-abc1234567', concurrency: 1 } },
    { bundle: false },
  );
  const org = stack.organizationScan!;
  const arn = (name: string) => `arn:aws:lambda:${MOTO_REGION}:${MOTO_ACCOUNT_ID}:function:${name}`;
  const resource = template.toJSON().Resources[logicalId(org.stateMachine)] as { Properties: Json };
  definition = resolveDefinition(resource.Properties.DefinitionString, {
    'AWS::Partition': 'aws',
    'AWS::Region': MOTO_REGION,
    'AWS::AccountId': MOTO_ACCOUNT_ID,
    [`${logicalId(org.discover)}.Arn`]: arn('org-discover'),
    [`${logicalId(org.scanAccount)}.Arn`]: arn('org-scan-account'),
    [`${logicalId(org.aggregate)}.Arn`]: arn('org-aggregate'),
    [logicalId(stack.runs!.bucket)]: BUCKET,
  });
  definition = motoCompatible(definition);
}, 120_000);

afterAll(async () => {
  for (const client of [sfnClient, lambda, s3, iam]) client?.destroy();
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
  const configured = await fetch(`${moto.endpoint}/moto-api/config`, {
    method: 'POST',
    body: JSON.stringify({ stepfunctions: { execute_state_machine: true }, lambda: { use_docker: false } }),
  });
  expect(configured.status).toBe(201);
});

const arnOf = (name: string) => `arn:aws:lambda:${MOTO_REGION}:${MOTO_ACCOUNT_ID}:function:${name}`;

const ACCOUNTS = [
  { id: '111111111111', name: 'large', parentId: 'r-ab12', ouPath: ['r-ab12'] },
  { id: '222222222222', name: 'small-1', parentId: 'r-ab12', ouPath: ['r-ab12'] },
  { id: '333333333333', name: 'small-2', parentId: 'r-ab12', ouPath: ['r-ab12'] },
];

/** What the discover function answers for run `runId` (the contract's output shape). */
const discovered = (runId: string, count: number) => ({
  runId,
  bucket: BUCKET,
  accountsKey: `runs/${runId}/accounts.json`,
  accounts: count,
  startedAt: '2026-12-02T06:00:00.000Z',
});

/** Creates the functions (moto's Docker-free Lambda), the bucket with the run's account list, and the machine. */
async function deploy(asl: string, runId: string, accounts: readonly unknown[]): Promise<string> {
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: 'states',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  const roleArn = role.Role!.Arn!;
  for (const name of ['org-discover', 'org-scan-account', 'org-aggregate']) {
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Role: roleArn,
        Handler: 'index.handler',
        // An empty zip archive: moto's Docker-free Lambda never runs the code.
        Code: { ZipFile: new Uint8Array([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]) },
      }),
    );
  }
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: `runs/${runId}/accounts.json`,
      Body: JSON.stringify(accounts),
    }),
  );
  const machine = await sfnClient.send(
    new CreateStateMachineCommand({ name: 'org-scan', definition: asl, roleArn }),
  );
  return machine.stateMachineArn!;
}

interface Execution {
  status: string;
  output: unknown;
  events: HistoryEvent[];
}

async function execute(stateMachineArn: string, name: string, input: unknown): Promise<Execution> {
  const started = await sfnClient.send(
    new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    const described = await sfnClient.send(
      new DescribeExecutionCommand({ executionArn: started.executionArn! }),
    );
    if (described.status !== 'RUNNING') {
      const history = await sfnClient.send(
        new GetExecutionHistoryCommand({ executionArn: started.executionArn! }),
      );
      return {
        status: described.status!,
        output: described.output !== undefined ? JSON.parse(described.output) : undefined,
        events: history.events ?? [],
      };
    }
    if (Date.now() > deadline) throw new Error(`execution ${name} still running after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The states the execution entered, in order (the Map's children run in their own histories). */
const entered = (execution: Execution) =>
  execution.events.flatMap((event) =>
    event.stateEnteredEventDetails ? [event.stateEnteredEventDetails.name] : [],
  );

/** The payload each Lambda task was invoked with, by state, in the parent execution. */
function payloadsOf(execution: Execution): { state: string; functionName: string; payload: unknown }[] {
  const result: { state: string; functionName: string; payload: unknown }[] = [];
  let state = '';
  for (const event of execution.events) {
    if (event.stateEnteredEventDetails) state = event.stateEnteredEventDetails.name!;
    const parameters = event.taskScheduledEventDetails?.parameters;
    if (parameters) {
      const parsed = JSON.parse(parameters) as { FunctionName: string; Payload: unknown };
      result.push({ state, functionName: parsed.FunctionName, payload: parsed.Payload });
    }
  }
  return result;
}

/**
 * moto's ResultWriter writes the Map Run's manifest but no result files, so the children's outputs
 * are read from a run of the definition without its ResultWriter: the Map then outputs them
 * inline, in item order. Everything else in that definition is the synthesized one.
 */
function withoutResultWriter(asl: string): string {
  const parsed = JSON.parse(asl) as { States: { ScanAccounts: Json } };
  expect(parsed.States.ScanAccounts.ResultWriter).toBeDefined();
  delete parsed.States.ScanAccounts.ResultWriter;
  return motoCompatible(JSON.stringify(parsed));
}

/** The Map state's output (`$.mapRun`). */
function mapOutput(execution: Execution): unknown {
  const exited = execution.events.find((event) => event.stateExitedEventDetails?.name === 'ScanAccounts');
  if (!exited) throw new Error(`the Map state never finished: ${entered(execution).join(' -> ')}`);
  return (JSON.parse(exited.stateExitedEventDetails!.output!) as { mapRun: unknown }).mapRun;
}

describe('the organization state machine on moto', () => {
  it('runs the synthesized definition as is: the Map reads the list from S3 and writes its Map Run manifest there', async () => {
    const machine = await deploy(definition, 'run-0', ACCOUNTS.slice(1));
    await queueLambdaResults([
      discovered('run-0', 2),
      { runId: 'run-0', account: ACCOUNTS[1], done: true },
      { runId: 'run-0', account: ACCOUNTS[2], done: true },
      { runId: 'run-0', counts: { total: 2, complete: 2, partial: 0, failed: 0 } },
    ]);

    const run = await execute(machine, 'run-0', {});

    expect(run.status).toBe('SUCCEEDED');
    expect(entered(run)).toEqual(['ReadInput', 'WholeOrganization', 'Discover', 'ScanAccounts', 'Aggregate']);
    const mapRun = mapOutput(run) as {
      MapRunArn: string;
      ResultWriterDetails: { Bucket: string; Key: string };
    };
    expect(mapRun.MapRunArn).toMatch(/:mapRun:org-scan\/ScanAccounts:/);
    expect(mapRun.ResultWriterDetails.Bucket).toBe(BUCKET);
    expect(mapRun.ResultWriterDetails.Key).toMatch(/^map-results\/[\w-]+\/manifest\.json$/);
    const manifest = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: mapRun.ResultWriterDetails.Key }),
    );
    expect(Object.keys(JSON.parse(await manifest.Body!.transformToString()).ResultFiles).sort()).toEqual([
      'FAILED',
      'PENDING',
      'SUCCEEDED',
    ]);
    // Both accounts were scanned (two scan-account answers consumed) before aggregate answered.
    expect(run.output).toEqual({ runId: 'run-0', counts: { total: 2, complete: 2, partial: 0, failed: 0 } });
  }, 60_000);

  it('scans every listed account, loops a checkpointed account until done, then aggregates the run', async () => {
    const machine = await deploy(withoutResultWriter(definition), 'run-1', ACCOUNTS);
    const [large, small1, small2] = ACCOUNTS;
    const outcome = (account: (typeof ACCOUNTS)[number]) => ({
      accountId: account.id,
      accountName: account.name,
      outcome: 'complete',
    });
    // One result per invocation, in invocation order (concurrency 1 runs the children in item
    // order). The large account returns a continuation twice: three scan-account calls.
    await queueLambdaResults([
      discovered('run-1', 3),
      { runId: 'run-1', account: large, done: false, continuation: 'checkpoint-1' },
      { runId: 'run-1', account: large, done: false, continuation: 'checkpoint-2' },
      { runId: 'run-1', account: large, done: true, outcome: outcome(large!) },
      { runId: 'run-1', account: small1, done: true, outcome: outcome(small1!) },
      { runId: 'run-1', account: small2, done: true, outcome: outcome(small2!) },
      // Nothing queued for aggregate: moto's Lambda then answers with the payload it was sent.
    ]);

    const run = await execute(machine, 'run-1', {});

    expect(run.status).toBe('SUCCEEDED');
    expect(entered(run)).toEqual(['ReadInput', 'WholeOrganization', 'Discover', 'ScanAccounts', 'Aggregate']);
    // Each child ends with its account's last scan-account answer: the large account's is the
    // third one queued, so its child called scan-account three times, looping on done=false.
    expect(mapOutput(run)).toEqual([
      { runId: 'run-1', account: large, done: true, outcome: outcome(large!) },
      { runId: 'run-1', account: small1, done: true, outcome: outcome(small1!) },
      { runId: 'run-1', account: small2, done: true, outcome: outcome(small2!) },
    ]);
    expect(payloadsOf(run)).toEqual([
      { state: 'Discover', functionName: arnOf('org-discover'), payload: { runId: 'run-1' } },
      {
        state: 'Aggregate',
        functionName: arnOf('org-aggregate'),
        payload: {
          runId: 'run-1',
          bucket: BUCKET,
          accountsKey: 'runs/run-1/accounts.json',
          startedAt: '2026-12-02T06:00:00.000Z',
        },
      },
    ]);
    // The aggregate answer is the execution's output: every queued answer was consumed before it.
    expect(run.output).toEqual({
      runId: 'run-1',
      bucket: BUCKET,
      accountsKey: 'runs/run-1/accounts.json',
      startedAt: '2026-12-02T06:00:00.000Z',
    });
  }, 60_000);

  it('passes a rescan list to discover, and scans only what discover listed', async () => {
    const machine = await deploy(withoutResultWriter(definition), 'rescan-1', [ACCOUNTS[1]]);
    await queueLambdaResults([
      discovered('rescan-1', 1),
      { runId: 'rescan-1', account: ACCOUNTS[1], done: true },
      { runId: 'rescan-1', counts: { total: 1, complete: 1, partial: 0, failed: 0 } },
    ]);

    const run = await execute(machine, 'rescan-1', { accounts: ['222222222222'] });

    expect(run.status).toBe('SUCCEEDED');
    expect(entered(run)).toEqual(['ReadInput', 'RescanAccounts', 'Discover', 'ScanAccounts', 'Aggregate']);
    expect(payloadsOf(run)[0]).toEqual({
      state: 'Discover',
      functionName: arnOf('org-discover'),
      payload: { runId: 'rescan-1', accounts: ['222222222222'] },
    });
    expect(mapOutput(run)).toEqual([{ runId: 'rescan-1', account: ACCOUNTS[1], done: true }]);
    expect(run.output).toEqual({
      runId: 'rescan-1',
      counts: { total: 1, complete: 1, partial: 0, failed: 0 },
    });
  }, 60_000);

  it('routes a failed scan to RecordFailure with the account and the error, and still aggregates', async () => {
    // moto's Docker-free Lambda answers every invocation, even of a function that does not exist,
    // so the failing task is swapped in: ScanAccount becomes a Lambda GetFunction call on a
    // missing function (Lambda.ResourceNotFoundException); its Catch, Retry and everything after
    // it are the synthesized ones.
    type TaskState = { Resource: string; Parameters: Json };
    const asl = JSON.parse(definition) as {
      States: Record<string, { ItemProcessor?: { States: Record<string, TaskState> } }>;
    };
    const scanAccount = asl.States.ScanAccounts!.ItemProcessor!.States.ScanAccount!;
    scanAccount.Resource = 'arn:aws:states:::aws-sdk:lambda:getFunction';
    scanAccount.Parameters = { FunctionName: 'org-missing' };
    const machine = await deploy(withoutResultWriter(JSON.stringify(asl)), 'run-2', ACCOUNTS.slice(0, 2));
    await queueLambdaResults([discovered('run-2', 2)]);

    const run = await execute(machine, 'run-2', {});

    expect(run.status).toBe('SUCCEEDED');
    expect(entered(run)).toEqual(['ReadInput', 'WholeOrganization', 'Discover', 'ScanAccounts', 'Aggregate']);
    // Nothing queued after discover: RecordFailure answers with the payload it was sent.
    // Each child ends in FailureRecorded: the failure is the account's outcome, not the run's.
    const results = mapOutput(run) as {
      runId: string;
      account: unknown;
      error: { Error: string; Cause: string };
    }[];
    expect(results.map(({ runId, account }) => ({ runId, account }))).toEqual([
      { runId: 'run-2', account: ACCOUNTS[0] },
      { runId: 'run-2', account: ACCOUNTS[1] },
    ]);
    for (const result of results) {
      // The catch's ResultPath: the task's own error, as { Error, Cause }, and nothing else added.
      expect(Object.keys(result).sort()).toEqual(['account', 'error', 'runId']);
      expect(Object.keys(result.error).sort()).toEqual(['Cause', 'Error']);
      expect(result.error.Error).toMatch(/^lambda\.ResourceNotFoundException$/i);
      expect(result.error.Cause).toContain('org-missing');
    }
    expect(payloadsOf(run).map((p) => p.state)).toEqual(['Discover', 'Aggregate']);
  }, 60_000);
});
