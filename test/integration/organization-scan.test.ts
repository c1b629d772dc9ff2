/**
 * An organization scan through the CLI, against moto over HTTP: an organization of three member
 * accounts, the member role present in two and missing in one. moto switches accounts on
 * AssumeRole; the launcher's --enforce-assume-role makes a missing role AccessDenied, as in STS.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRoleCommand, CreateUserCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { memberAccess } from '../../functions/wiring/organization';
import { runCli } from '../support/cli';
import { MOTO_ACCOUNT_ID, MOTO_REGION, type MotoServer, startMoto } from '../support/moto';

const TABLE = 'org-findings';
const ROLE = 'IamPostureScanner';
const ANYONE_IN_ORG = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MOTO_ACCOUNT_ID}:root` }, Action: 'sts:AssumeRole' },
  ],
});
const LAMBDA_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const ADMIN = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});

let moto: MotoServer;
let scratch: string;
/** moto has no service-last-accessed API: the one rule that needs it is off. */
let config: string;

beforeAll(async () => {
  moto = await startMoto({ enforceAssumeRole: true });
  scratch = await mkdtemp(join(tmpdir(), 'iam-posture-org-'));
  config = join(scratch, 'config.yaml');
  await writeFile(config, 'disabledRules: [unused-service-permissions]\n');
});

afterAll(async () => {
  await moto?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Runs the CLI with moto's fake credentials (the management account), against moto. */
const cli = (args: string[]) =>
  runCli([...args, '--endpoint-url', moto.endpoint, '--region', MOTO_REGION], {
    env: {
      AWS_ACCESS_KEY_ID: moto.clientConfig.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: moto.clientConfig.credentials.secretAccessKey,
      AWS_PROFILE: '',
    },
  });

/** Credentials of `accountId`, through the role Organizations creates in every new account. */
async function asAccount(accountId: string, roleName = 'OrganizationAccountAccessRole') {
  const sts = new STSClient({ ...moto.clientConfig });
  try {
    const { Credentials: c } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${accountId}:role/${roleName}`,
        RoleSessionName: 'seed',
      }),
    );
    return {
      ...moto.clientConfig,
      credentials: {
        accessKeyId: c!.AccessKeyId!,
        secretAccessKey: c!.SecretAccessKey!,
        sessionToken: c!.SessionToken!,
      },
    };
  } finally {
    sts.destroy();
  }
}

async function createMemberRole(accountId: string): Promise<void> {
  const iam = new IAMClient(await asAccount(accountId));
  await iam.send(new CreateRoleCommand({ RoleName: ROLE, AssumeRolePolicyDocument: ANYONE_IN_ORG }));
  iam.destroy();
}

/** A few identities per account: an administrator role (standing-admin) and a user. */
async function seedIdentities(accountId: string): Promise<void> {
  const iam = new IAMClient(await asAccount(accountId));
  await iam.send(new CreateRoleCommand({ RoleName: 'deployer', AssumeRolePolicyDocument: LAMBDA_TRUST }));
  await iam.send(
    new PutRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'all', PolicyDocument: ADMIN }),
  );
  await iam.send(new CreateUserCommand({ UserName: `ci-${accountId}` }));
  iam.destroy();
}

interface Organization {
  ids: { prodA: string; prodB: string; missingRole: string };
  ou: string;
  root: string;
}

async function createOrganization(): Promise<Organization> {
  const organizations = new OrganizationsClient({ ...moto.clientConfig });
  await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  const root = (await organizations.send(new ListRootsCommand({}))).Roots![0]!.Id!;
  const ou = (
    await organizations.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'workloads' }))
  ).OrganizationalUnit!.Id!;
  const create = async (name: string) =>
    (await organizations.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` })))
      .CreateAccountStatus!.AccountId!;
  const ids = {
    prodA: await create('prod-a'),
    prodB: await create('prod-b'),
    missingRole: await create('legacy'),
  };
  for (const id of [ids.prodA, ids.prodB]) {
    await organizations.send(
      new MoveAccountCommand({ AccountId: id, SourceParentId: root, DestinationParentId: ou }),
    );
  }
  organizations.destroy();
  for (const id of Object.values(ids)) await seedIdentities(id);
  await createMemberRole(ids.prodA);
  await createMemberRole(ids.prodB);
  return { ids, ou, root };
}

interface JsonAccount {
  id: string;
  name: string;
  ouPath?: string[];
  outcome: string;
  reason: string | null;
  detail: string | null;
  unreadSources: string[];
  apiCalls: number;
  findings: number;
  scanId?: string | null;
  opened?: number;
  resolved?: number;
  held?: number;
}

interface JsonRun {
  runId: string;
  counts: { total: number; complete: number; partial: number; failed: number };
  accounts: JsonAccount[];
  reports: {
    accountId: string;
    findings: { id: string; ruleId: string; accountId: string; resourceArn: string }[];
  }[];
}

interface ViewRow {
  accountId: string;
  accountName?: string;
  openFindings: { total: number };
  latestScan?: { outcome: string; reason?: string; source: string; runId?: string };
}

/** `findings --org` of the table, as JSON. */
async function organizationView(): Promise<ViewRow[]> {
  const result = await cli(['findings', '--org', '--table', TABLE, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { accounts: ViewRow[] }).accounts;
}

async function storedOpenFindings(accountId: string) {
  const listed = await cli(['findings', '--table', TABLE, '--account', accountId, '--format', 'json']);
  expect(listed.code, listed.stderr).toBe(0);
  return (
    JSON.parse(listed.stdout) as {
      findings: { id: string; ruleId: string; accountId: string; status: string }[];
    }
  ).findings;
}

const byId = (run: JsonRun, id: string) => run.accounts.find((a) => a.id === id)!;

/**
 * moto's credential report has no `<root_account>` row, so every account moto serves is scanned
 * `partial` with that one source unread: reported, never taken as a complete read.
 */
const MOTO_UNREAD = ['credential-report.csv'];

describe('the launcher with --enforce-assume-role', () => {
  beforeEach(() => moto.reset());

  it('denies AssumeRole of a missing role with STS AccessDenied (403) and still switches accounts for an existing one', async () => {
    const organizations = new OrganizationsClient({ ...moto.clientConfig });
    await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const member = (
      await organizations.send(new CreateAccountCommand({ AccountName: 'm', Email: 'm@example.com' }))
    ).CreateAccountStatus!.AccountId!;
    organizations.destroy();

    const sts = new STSClient({ ...moto.clientConfig });
    const error = await sts
      .send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${member}:role/${ROLE}`, RoleSessionName: 's' }))
      .catch((e) => e);
    sts.destroy();
    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata.httpStatusCode).toBe(403);
    expect(error.message).toBe(
      `User: arn:aws:sts::${MOTO_ACCOUNT_ID}:user/moto is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${member}:role/${ROLE}`,
    );

    const assumed = new STSClient(await asAccount(member));
    const identity = await assumed.send(new GetCallerIdentityCommand({}));
    assumed.destroy();
    expect(identity.Account).toBe(member);
  });
});

describe('iam-posture scan --org', () => {
  let org: Organization;

  beforeEach(async () => {
    await moto.reset();
    org = await createOrganization();
    const created = await cli(['table', 'create', '--table', TABLE]);
    expect(created.code, created.stderr).toBe(0);
  });

  it('scans the accounts it can reach into one table, holds the findings of the one it cannot, and completes it once the role exists', async () => {
    const { prodA, prodB, missingRole } = org.ids;
    // An earlier scan of the account whose member role is missing, through another role.
    const earlier = await cli([
      'scan',
      '--org',
      '--accounts',
      missingRole,
      '--role-name',
      'OrganizationAccountAccessRole',
      '--config',
      config,
      '--table',
      TABLE,
      '--format',
      'json',
      '--quiet',
    ]);
    expect(earlier.code, earlier.stderr).toBe(0);
    const before = await storedOpenFindings(missingRole);
    expect(before.map((f) => f.ruleId)).toContain('standing-admin');

    const result = await cli([
      'scan',
      '--org',
      '--exclude-accounts',
      MOTO_ACCOUNT_ID,
      '--config',
      config,
      '--table',
      TABLE,
      '--format',
      'json',
    ]);
    // Some accounts failed: 4, whatever the findings.
    expect(result.code, result.stderr).toBe(4);
    const run = JSON.parse(result.stdout) as JsonRun;
    expect(run.counts).toEqual({ total: 3, complete: 0, partial: 2, failed: 1 });
    expect(run.accounts.map((a) => a.id)).toEqual([prodA, prodB, missingRole].sort());

    for (const id of [prodA, prodB]) {
      const account = byId(run, id);
      expect(account).toMatchObject({ outcome: 'partial', reason: null, unreadSources: MOTO_UNREAD });
      expect(account.ouPath).toEqual([org.root, org.ou]);
      expect(account.apiCalls).toBeGreaterThan(3);
      expect(account.findings).toBeGreaterThan(0);
      const report = run.reports.find((r) => r.accountId === id)!;
      expect(report.findings.length).toBe(account.findings);
      expect(report.findings.every((f) => f.accountId === id)).toBe(true);
      expect(
        report.findings.some(
          (f) => f.ruleId === 'standing-admin' && f.resourceArn.endsWith(':role/deployer'),
        ),
      ).toBe(true);
      const stored = await storedOpenFindings(id);
      expect(stored.map((f) => f.id).sort()).toEqual(report.findings.map((f) => f.id).sort());
      expect(stored.every((f) => f.accountId === id)).toBe(true);
    }

    const failed = byId(run, missingRole);
    expect(failed).toMatchObject({
      name: 'legacy',
      outcome: 'failed',
      reason: 'assume-denied',
      apiCalls: 0,
      findings: 0,
    });
    expect(failed.detail).toBe(
      `AccessDenied: cannot assume arn:aws:iam::${missingRole}:role/${ROLE}: User: arn:aws:sts::${MOTO_ACCOUNT_ID}:user/moto ` +
        `is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${missingRole}:role/${ROLE}`,
    );
    expect(run.reports.some((r) => r.accountId === missingRole)).toBe(false);
    // Held as they were: nothing of the account that was not read is resolved.
    const held = await storedOpenFindings(missingRole);
    expect(held.map((f) => [f.id, f.status])).toEqual(before.map((f) => [f.id, f.status]));

    // Progress on stderr, one line when each account starts and one when it ends, then the table.
    expect(result.stderr).toContain(`failed (assume-denied)`);
    expect(result.stderr.match(/\] scanning /g)).toHaveLength(3);
    expect(result.stderr).toMatch(
      new RegExp(`${missingRole} +legacy +failed +0 +- +assume-denied: AccessDenied`),
    );

    // The run is recorded in the table: the organization view shows each account's outcome.
    const view = await organizationView();
    const outcomes = new Map(view.map((row) => [row.accountId, row.latestScan]));
    expect(outcomes.get(prodA)).toMatchObject({ outcome: 'partial', runId: run.runId });
    expect(outcomes.get(prodB)).toMatchObject({ outcome: 'partial', runId: run.runId });
    expect(outcomes.get(missingRole)).toMatchObject({ outcome: 'failed', reason: 'assume-denied' });
    expect(view.find((row) => row.accountId === missingRole)).toMatchObject({
      accountName: 'legacy',
      latestScan: { source: 'organization-run', runId: run.runId },
      openFindings: { total: before.length },
    });

    await createMemberRole(missingRole);
    const rescan = await cli([
      'scan',
      '--org',
      '--accounts',
      missingRole,
      '--config',
      config,
      '--table',
      TABLE,
      '--format',
      'json',
      '--quiet',
    ]);
    expect(rescan.code, rescan.stderr).toBe(0);
    const again = JSON.parse(rescan.stdout) as JsonRun;
    expect(again.accounts).toHaveLength(1);
    expect(byId(again, missingRole)).toMatchObject({
      outcome: 'partial',
      unreadSources: MOTO_UNREAD,
      reason: null,
    });
    expect(byId(again, missingRole).findings).toBeGreaterThan(0);
    const after = (await organizationView()).find((row) => row.accountId === missingRole);
    expect(after?.latestScan).toMatchObject({ outcome: 'partial', runId: again.runId });
  }, 120_000);

  it('exits 5 when every selected account fails, and selects by OU', async () => {
    const denied = await cli([
      'scan',
      '--org',
      '--accounts',
      org.ids.missingRole,
      '--config',
      config,
      '--quiet',
    ]);
    expect(denied.code, denied.stderr).toBe(5);
    expect(denied.stdout).toMatch(/ACCOUNTS \(1 account: 0 complete, 0 partial, 1 failed\)/);

    const inOu = await cli([
      'scan',
      '--org',
      '--ous',
      org.ou,
      '--config',
      config,
      '--format',
      'json',
      '--quiet',
    ]);
    expect(inOu.code, inOu.stderr).toBe(0);
    expect((JSON.parse(inOu.stdout) as JsonRun).accounts.map((a) => a.id)).toEqual(
      [org.ids.prodA, org.ids.prodB].sort(),
    );
  }, 60_000);

  it('assumes the member role with a session name that carries the run id', async () => {
    const access = memberAccess(
      { endpoint: moto.endpoint, region: MOTO_REGION, credentials: moto.clientConfig.credentials },
      { roleName: ROLE, runId: '20250601T120000Z-3fa9c2d1' },
    );
    const config = await access.memberConfig({ id: org.ids.prodA, name: 'prod-a' });
    access.destroy();
    const sts = new STSClient({ ...config, region: MOTO_REGION });
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    expect(identity.Account).toBe(org.ids.prodA);
    expect(identity.Arn).toBe(
      `arn:aws:sts::${org.ids.prodA}:assumed-role/${ROLE}/iam-posture-20250601T120000Z-3fa9c2d1`,
    );
  });
});

describe('iam-posture collect --org, then scan --export of the organization export', () => {
  it('writes one export per account and the outcomes; the scan reports every account, an unreadable one failed', async () => {
    await moto.reset();
    const org = await createOrganization();
    const { prodA, prodB, missingRole } = org.ids;
    const out = join(scratch, 'org-export');
    const collected = await cli([
      'collect',
      '--org',
      '--out',
      out,
      '--exclude-accounts',
      MOTO_ACCOUNT_ID,
      '--config',
      config,
      '--quiet',
    ]);
    expect(collected.code, collected.stderr).toBe(4);
    expect((await readdir(out)).sort()).toEqual(['accounts.json', 'outcomes.json', prodA, prodB].sort());
    const outcomes = JSON.parse(await readFile(join(out, 'outcomes.json'), 'utf8')) as JsonAccount[] &
      { accountId: string; outcome: string; reason?: string }[];
    expect(
      (outcomes as unknown as { accountId: string; outcome: string; reason?: string }[])
        .map((o) => [o.accountId, o.outcome, o.reason ?? null])
        .sort(),
    ).toEqual(
      [
        [prodA, 'partial', null],
        [prodB, 'partial', null],
        [missingRole, 'failed', 'assume-denied'],
      ].sort(),
    );
    const account = JSON.parse(await readFile(join(out, prodA, 'account.json'), 'utf8'));
    expect(account.AccountId).toBe(prodA);

    // One account's export damaged: that account fails, the other is still scanned.
    await writeFile(join(out, prodB, 'authorization-details.json'), '{ not json');
    const scanned = await runCli([
      'scan',
      '--export',
      out,
      '--config',
      config,
      '--format',
      'json',
      '--quiet',
    ]);
    expect(scanned.code, scanned.stderr).toBe(4);
    const run = JSON.parse(scanned.stdout) as JsonRun;
    expect(run.accounts.map((a) => [a.id, a.name, a.outcome, a.reason])).toEqual(
      [
        [prodA, 'prod-a', 'partial', null],
        [prodB, 'prod-b', 'failed', 'error'],
        [missingRole, 'legacy', 'failed', 'assume-denied'],
      ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
    expect(byId(run, prodB).detail).toContain(join(out, prodB, 'authorization-details.json'));
    expect(byId(run, missingRole).detail).toContain('the account was not collected: assume-denied');
    expect(run.reports.map((r) => r.accountId)).toEqual([prodA]);
    expect(run.reports[0]!.findings.some((f) => f.ruleId === 'standing-admin')).toBe(true);
  }, 60_000);
});
