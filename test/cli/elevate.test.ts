import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  CreateRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoJitStore } from '../../functions/adapters/dynamo-jit-store';
import { timeBoundedDocument } from '../../functions/core/jit/grant';
import { type BusTap, tapBus } from '../support/bus-tap';
import { runCli } from '../support/cli';
import { MOTO_ACCOUNT_ID, MOTO_REGION } from '../support/moto';
import { useMotoWithTable } from '../support/moto-table';

/** `iam-posture elevate` against moto: requests stored and published, listed, and revoked. */

const TABLE = 'posture-findings';
const BUS = 'posture-events';
const ROLE_ARN = `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/ops/deployer`;
const TEAM = 'T0TEAM0001';

const DEPLOY_CONFIG = {
  context: {
    slackChannelId: 'C0JITCHAN1',
    jit: {
      profiles: [
        {
          name: 'reader',
          description: 'Read the audit bucket',
          statements: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::audit/*' }],
          eligible: [`arn:aws:iam::${MOTO_ACCOUNT_ID}:role/ops/*`],
          maxDuration: '2h',
          approvers: [{ teamId: TEAM, userId: 'U0ALICE001' }],
        },
      ],
      requestTtl: '30m',
    },
  },
};

let dir: string;
let config: string;
let tap: BusTap;
let store: DynamoJitStore;

/** Every iam-posture event that reached the bus since the last call, in order of arrival. */
const busEvents = () => tap.events();

/** Runs the CLI with moto's fake credentials, against moto, in its region. */
const cli = (args: string[]) =>
  runCli([...args, '--endpoint-url', env.moto.endpoint, '--region', MOTO_REGION], {
    env: {
      AWS_ACCESS_KEY_ID: env.moto.clientConfig.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: env.moto.clientConfig.credentials.secretAccessKey,
      AWS_PROFILE: '',
    },
  });

/** The request flags of `elevate`; `null` leaves a flag out. */
interface RequestFlags {
  principal?: string;
  duration?: string;
  reason?: string;
  eventBus?: string | null;
  config?: string | null;
}

const request = (flags: RequestFlags = {}) =>
  cli([
    'elevate',
    '--profile',
    'reader',
    '--principal',
    flags.principal ?? ROLE_ARN,
    '--duration',
    flags.duration ?? '1h30m',
    '--reason',
    flags.reason ?? 'Read the audit logs for INC-42',
    '--table',
    TABLE,
    ...(flags.eventBus === null ? [] : ['--event-bus', flags.eventBus ?? BUS]),
    ...(flags.config === null ? [] : ['--config', flags.config ?? config]),
  ]);

/** `elevate revoke ID --now`: the CLI removes the grant itself. */
const revokeNow = (grantId: string) =>
  cli(['elevate', 'revoke', grantId, '--now', '--table', TABLE, '--event-bus', BUS, '--config', config]);

/** An expected input or usage error: exit 2 and one line on stderr. */
function inputError(result: { code: number | null; stderr: string }): string {
  expect(result.code, result.stderr).toBe(2);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

const env = useMotoWithTable(TABLE);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iam-posture-elevate-'));
  config = join(dir, 'cdk.json');
  await writeFile(config, JSON.stringify(DEPLOY_CONFIG));
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  store = new DynamoJitStore(env.dynamo, TABLE);
  await new IAMClient({ ...env.moto.clientConfig }).send(
    new CreateRoleCommand({
      RoleName: 'deployer',
      Path: '/ops/',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  const eventBridge = new EventBridgeClient({ ...env.moto.clientConfig });
  await eventBridge.send(new CreateEventBusCommand({ Name: BUS }));
  tap = await tapBus(env.moto, { busName: BUS, queueName: 'elevate-tap' });
});

describe('iam-posture elevate', () => {
  it('stores the request as the caller, publishes it, and prints the grant id, hash and window', async () => {
    const result = await request();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const [stored] = await store.listByState('requested');
    expect(stored).toMatchObject({
      profile: 'reader',
      principalArn: ROLE_ARN,
      reason: 'Read the audit logs for INC-42',
      requiredApprovals: 1,
      requestedBy: { kind: 'cli', id: expect.stringMatching(/^arn:aws:(sts|iam)::123456789012:/) },
    });
    expect(Date.parse(stored!.endsAt) - Date.parse(stored!.startsAt)).toBe(90 * 60_000);
    expect(Date.parse(stored!.expiresAt) - Date.parse(stored!.requestedAt)).toBe(30 * 60_000);
    expect(result.stdout).toBe(
      [
        `Elevation requested: reader on ${ROLE_ARN}`,
        `  grant      ${stored!.grantId}`,
        `  hash       ${stored!.grantHash}`,
        `  window     ${stored!.startsAt} to ${stored!.endsAt} (1h30m)`,
        `  approvals  0 of 1, in Slack, before ${stored!.expiresAt}`,
        '',
      ].join('\n'),
    );
    const events = await busEvents();
    expect(events.map((e) => e['detail-type'])).toEqual(['ElevationRequested']);
    expect(events[0]?.detail).toMatchObject({ grantId: stored!.grantId, principalArn: ROLE_ARN });
  });

  it('prints the refusal and stores nothing when the duration exceeds the profile', async () => {
    const result = await request({ duration: '2h1m', reason: 'too long' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('Refused: reader lasts at most 120 minutes (asked 121)\n');
    expect(await store.listByState('requested')).toEqual([]);
  });

  it('refuses a principal the profile does not cover', async () => {
    const result = await request({
      principal: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/app/web`,
      duration: '1h',
      reason: 'r',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      `Refused: arn:aws:iam::${MOTO_ACCOUNT_ID}:role/app/web is not eligible for the profile reader\n`,
    );
  });

  it('names a --duration that does not parse', async () => {
    const result = await request({ duration: 'soon', reason: 'r' });
    expect(inputError(result)).toBe(
      'iam-posture: --duration: "soon" is not a duration: write hours and minutes like 90m, 1h, 1h30m or 2h',
    );
  });

  it('needs the bus and names the missing flags', async () => {
    const noBus = await request({ duration: '1h', reason: 'r', eventBus: null, config: null });
    expect(inputError(noBus)).toMatch(/^iam-posture: --event-bus is required/);
    const missing = await cli(['elevate', '--profile', 'reader', '--table', TABLE]);
    expect(inputError(missing)).toBe(
      'iam-posture: elevate needs --principal, --duration, --reason (or "elevate list", "elevate revoke ID")',
    );
  });

  it('names the path of a bad profile in the deploy config', async () => {
    const bad = join(dir, 'bad.json');
    const profile = { ...DEPLOY_CONFIG.context.jit.profiles[0], name: 'Not A Name' };
    await writeFile(bad, JSON.stringify({ jit: { profiles: [profile] } }));
    const result = await request({ duration: '1h', reason: 'r', config: bad });
    expect(inputError(result)).toMatch(
      new RegExp(`^iam-posture: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: jit\\.profiles\\.0\\.name: `),
    );
  });
});

describe('iam-posture elevate list', () => {
  it('lists open requests and filters by state', async () => {
    expect((await request()).code).toBe(0);
    const [stored] = await store.listByState('requested');
    const listed = await cli(['elevate', 'list', '--table', TABLE]);
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^GRANT\s+STATE\s+PROFILE\s+PRINCIPAL\s+STARTS\s+ENDS\s+APPROVALS\s+REQUESTED BY$/,
    );
    expect(lines[1]?.split(/\s{2,}/)).toEqual([
      stored!.grantId,
      'requested',
      'reader',
      ROLE_ARN,
      stored!.startsAt,
      stored!.endsAt,
      '0/1',
      stored!.requestedBy.id,
    ]);
    const granted = await cli(['elevate', 'list', '--state', 'granted', '--table', TABLE]);
    expect(granted.stdout).toBe(`No granted elevations in table ${TABLE}.\n`);
  });
});

describe('iam-posture elevate revoke', () => {
  it('asks the JIT function to revoke through the bus', async () => {
    expect((await request()).code).toBe(0);
    const [stored] = await store.listByState('requested');
    await busEvents();
    const result = await cli(['elevate', 'revoke', stored!.grantId, '--table', TABLE, '--event-bus', BUS]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      `Asked the JIT function to revoke elevation ${stored!.grantId} (reader on ${ROLE_ARN}).\n`,
    );
    const events = await busEvents();
    expect(events.map((e) => e['detail-type'])).toEqual(['ElevationRevokeRequested']);
    expect(events[0]?.detail).toMatchObject({ grantId: stored!.grantId, by: { kind: 'cli' } });
    expect((await store.get(stored!.grantId))?.state).toBe('requested');
  });

  it('with --now removes the grant policy itself and records the revoke', async () => {
    expect((await request()).code).toBe(0);
    const [stored] = await store.listByState('requested');
    // As the JIT function leaves it: approved, the time-bounded policy on the role, granted.
    await store.transition(stored!.grantId, 'requested', 'approved', {});
    const iam = new IAMClient({ ...env.moto.clientConfig });
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'deployer',
        PolicyName: stored!.policyName,
        PolicyDocument: JSON.stringify(
          timeBoundedDocument(stored!.statements, stored!.startsAt, stored!.endsAt),
        ),
      }),
    );
    await store.transition(stored!.grantId, 'approved', 'granted', { grantedAt: new Date().toISOString() });
    await busEvents();

    const result = await revokeNow(stored!.grantId);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      `Revoked elevation ${stored!.grantId}: ${stored!.policyName} removed from ${ROLE_ARN}.\n`,
    );
    const error = await iam
      .send(new GetRolePolicyCommand({ RoleName: 'deployer', PolicyName: stored!.policyName }))
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('NoSuchEntityException');
    expect(await store.get(stored!.grantId)).toMatchObject({
      state: 'revoked',
      revokeReason: 'cli',
      revokedBy: { kind: 'cli' },
    });
    expect((await busEvents()).map((e) => e['detail-type'])).toEqual(['ElevationRevoked']);

    const again = await revokeNow(stored!.grantId);
    expect(again.stdout).toBe(`Elevation ${stored!.grantId} was revoked already; nothing was done.\n`);
  });

  it('names an unknown grant as an input error', async () => {
    const result = await cli(['elevate', 'revoke', 'no-such-grant', '--table', TABLE, '--event-bus', BUS]);
    expect(inputError(result)).toBe(`iam-posture: no elevation no-such-grant in table ${TABLE}`);
  });
});
