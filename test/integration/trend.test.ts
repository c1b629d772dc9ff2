import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DetachRolePolicyCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountTrend } from '../../functions/core/governance-trend';
import { runCli } from '../support/cli';
import { MOTO_ACCOUNT_ID, MOTO_REGION, type MotoServer, startMoto } from '../support/moto';

/**
 * Three live scans of a moto account into a findings table, with changes between them (a key
 * deleted and a role added, then an admin policy detached), and `iam-posture trend` over them.
 */

const TABLE = 'posture-trend';
const DAY_MS = 86_400_000;
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

let moto: MotoServer;
let iam: IAMClient;
let work: string;
let config: string;
let adminPolicyArn: string;
let keyId: string;

const cli = (args: string[]) =>
  runCli([...args, '--endpoint-url', moto.endpoint, '--region', MOTO_REGION], {
    env: {
      AWS_ACCESS_KEY_ID: moto.clientConfig.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: moto.clientConfig.credentials.secretAccessKey,
      AWS_PROFILE: '',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined,
    },
  });

const scan = async (format = 'json') => {
  const result = await cli(['scan', '--table', TABLE, '--config', config, '--quiet', '--format', format]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
};

beforeAll(async () => {
  moto = await startMoto();
  iam = new IAMClient({ ...moto.clientConfig });
  const secrets = new SecretsManagerClient({ ...moto.clientConfig });
  work = await mkdtemp(join(tmpdir(), 'iam-posture-trend-'));
  config = join(work, 'settings.json');
  // moto has no service-last-accessed data: the rule that needs it is off, so no read fails.
  await writeFile(config, JSON.stringify({ disabledRules: ['unused-service-permissions'] }));

  const policy = await iam.send(
    new CreatePolicyCommand({
      PolicyName: 'AdminAll',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
      }),
    }),
  );
  adminPolicyArn = policy.Policy!.Arn!;
  await iam.send(new CreateRoleCommand({ RoleName: 'deploy', AssumeRolePolicyDocument: TRUST }));
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'deploy', PolicyArn: adminPolicyArn }));
  await iam.send(new CreateUserCommand({ UserName: 'svc-reports' }));
  const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'svc-reports' }));
  keyId = key.AccessKey!.AccessKeyId!;
  await moto.backdateAccessKey({
    accessKeyId: keyId,
    userName: 'svc-reports',
    createDate: new Date(Date.now() - 200 * DAY_MS),
    lastUsedDate: new Date(Date.now() - DAY_MS),
    lastUsedService: 's3',
    lastUsedRegion: MOTO_REGION,
  });
  await secrets.send(new CreateSecretCommand({ Name: 'db-password', SecretString: 'not-a-real-secret' }));
  secrets.destroy();

  const table = await cli(['table', 'create', '--table', TABLE]);
  expect(table.code, table.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  iam?.destroy();
  await moto?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('iam-posture trend over three scans of a moto account', () => {
  it('says no scans are recorded before the first scan', async () => {
    const result = await cli(['trend', '--table', TABLE]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('No scans recorded in this table.\n');
    const account = await cli(['trend', '--table', TABLE, '--account', MOTO_ACCOUNT_ID]);
    expect(account.stdout).toBe(`Account ${MOTO_ACCOUNT_ID}: no scans recorded.\n`);
  });

  it('prints each measure per scan, oldest first, with its change since the scan before', async () => {
    await scan();
    // The key is deleted and a role added.
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'svc-reports', AccessKeyId: keyId }));
    await iam.send(new CreateRoleCommand({ RoleName: 'reports-reader', AssumeRolePolicyDocument: TRUST }));
    await scan();
    // The administrator policy is detached.
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'deploy', PolicyArn: adminPolicyArn }));
    const html = await scan('html');
    // The HTML report of a stored scan charts the measures over the three scans.
    const admin = /<figure id="trend-standingAdmin">[\s\S]*?<\/figure>/.exec(html)?.[0] ?? '';
    expect(admin.match(/<circle /g)).toHaveLength(3);
    expect(admin).toContain('latest: 0.');
    expect(/<figure id="trend-keysPastRotation">[\s\S]*?<\/figure>/.exec(html)?.[0]).toMatch(
      /<circle class="partial"/,
    );

    const json = await cli(['trend', '--table', TABLE, '--account', MOTO_ACCOUNT_ID, '--format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    const { accounts } = JSON.parse(json.stdout) as { accounts: AccountTrend[] };
    expect(accounts.map((a) => a.accountId)).toEqual([MOTO_ACCOUNT_ID]);
    const trend = accounts[0]!;
    expect(trend.scans).toHaveLength(3);
    const series = (id: keyof AccountTrend['scans'][number]['measures']) =>
      trend.scans.map((s) => [s.measures[id]?.value, s.measures[id]?.change]);
    expect(series('roles')).toEqual([
      [1, undefined],
      [2, 1],
      [2, 0],
    ]);
    expect(series('accessKeys')).toEqual([
      [1, undefined],
      [0, -1],
      [0, 0],
    ]);
    expect(series('keysPastRotation')).toEqual([
      [1, undefined],
      [0, -1],
      [0, 0],
    ]);
    expect(series('standingAdmin')).toEqual([
      [1, undefined],
      [1, 0],
      [0, -1],
    ]);
    expect(series('users')).toEqual([
      [1, undefined],
      [1, 0],
      [1, 0],
    ]);
    expect(series('secretsWithoutRotation')).toEqual([
      [1, undefined],
      [1, 0],
      [1, 0],
    ]);
    // The deleted key's findings were resolved by the second scan, the admin finding by the third.
    expect(trend.scans[1]!.measures.resolvedInScan?.value).toBeGreaterThanOrEqual(1);
    expect(trend.scans[2]!.measures.resolvedInScan?.value).toBeGreaterThanOrEqual(1);
    expect(trend.scans.map((s) => s.measures.openHigh?.value)).toEqual([
      expect.any(Number),
      expect.any(Number),
      (trend.scans[1]!.measures.openHigh?.value ?? 0) - 1,
    ]);
    // moto's credential report has no <root_account> row: the root user's keys were not read, so
    // every measure reading the report is partial, and the others are not.
    expect(trend.scans.map((s) => s.partial)).toEqual([
      ['credential-report'],
      ['credential-report'],
      ['credential-report'],
    ]);
    expect(trend.scans[0]!.measures.accessKeys).toEqual({ value: 1, partial: ['credential-report'] });
    expect(trend.scans[0]!.measures.roles).toEqual({ value: 1 });
    expect(trend.scans[2]!.measures.standingAdmin).toEqual({ value: 0, change: -1 });
    expect(trend.scans.every((s) => s.recorded)).toBe(true);

    const table = await cli(['trend', '--table', TABLE]);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toBe(`Account ${MOTO_ACCOUNT_ID}: the last 3 scans, oldest first`);
    const row = (label: string) => lines.find((line) => line.startsWith(`${label}  `))?.split(/\s{2,}/);
    expect(row('roles')).toEqual(['roles', '1', '2 (+1)', '2 (0)']);
    expect(row('active access keys')).toEqual(['active access keys', '1*', '0* (-1)', '0* (0)']);
    expect(row('standing admin')).toEqual(['standing admin', '1', '1 (0)', '0 (-1)']);
    expect(lines.filter((line) => /^\d {2}\d{8}T/.test(line)).map((line) => line.split(/\s{2,}/)[3])).toEqual(
      ['PARTIAL: credential-report', 'PARTIAL: credential-report', 'PARTIAL: credential-report'],
    );
    expect(table.stdout).toContain('* partial: the scan did not fully read');

    const lastTwo = await cli(['trend', '--table', TABLE, '--last', '2', '--format', 'csv']);
    expect(lastTwo.code, lastTwo.stderr).toBe(0);
    const rows = lastTwo.stdout.trimEnd().split('\r\n');
    const standing = rows
      .filter((r) => r.split(',')[3] === 'standingAdmin')
      .map((r) => r.split(',').slice(4, 6));
    expect(standing).toEqual([
      ['1', ''],
      ['0', '-1'],
    ]);
  }, 120_000);

  it('refuses a bad --last, naming the option', async () => {
    const result = await cli(['trend', '--table', TABLE, '--last', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("option '--last <n>' argument '0' is invalid");
  });
});
