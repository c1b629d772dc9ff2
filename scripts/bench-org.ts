/**
 * Organization-scan benchmark: seeds moto with an organization of 20 member accounts of a few
 * hundred identities each, then runs `iam-posture scan --org` through the built CLI at concurrency
 * 1 and 8, and a single-account scan of one member account with that account's own credentials.
 * Reports the wall time of each run and the API calls per account next to the single-account
 * scan's (the organization run must not add calls to an account's scan).
 *
 *   npx tsx scripts/bench-org.ts [--accounts 20] [--roles 200] [--users 50]
 *
 * Prints a readable table, then one JSON line (the last line of stdout).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mapWithConcurrency } from '../functions/core/limit';
import { MOTO_ACCOUNT_ID, MOTO_REGION, type MotoServer, startMoto } from '../test/support/moto';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CLI = join(ROOT, 'dist', 'iam-posture.mjs');
const ROLE = 'IamPostureScanner';
const SEED_CONCURRENCY = 12;

const TRUST_CENTRAL = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MOTO_ACCOUNT_ID}:root` }, Action: 'sts:AssumeRole' },
  ],
});
const TRUST_LAMBDA = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const policy = (action: string) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

async function assume(moto: MotoServer, accountId: string, roleName: string): Promise<Credentials> {
  const sts = new STSClient({ ...moto.clientConfig });
  try {
    const { Credentials: c } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${accountId}:role/${roleName}`,
        RoleSessionName: 'bench',
      }),
    );
    return {
      accessKeyId: c!.AccessKeyId!,
      secretAccessKey: c!.SecretAccessKey!,
      sessionToken: c!.SessionToken!,
    };
  } finally {
    sts.destroy();
  }
}

async function seedAccount(moto: MotoServer, accountId: string, roles: number, users: number): Promise<void> {
  const iam = new IAMClient({
    ...moto.clientConfig,
    credentials: await assume(moto, accountId, 'OrganizationAccountAccessRole'),
  });
  try {
    await iam.send(new CreateRoleCommand({ RoleName: ROLE, AssumeRolePolicyDocument: TRUST_CENTRAL }));
    await mapWithConcurrency(
      Array.from({ length: roles }, (_, i) => i),
      SEED_CONCURRENCY,
      async (i) => {
        const name = `workload-${i}`;
        await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST_LAMBDA }));
        await iam.send(
          new PutRolePolicyCommand({
            RoleName: name,
            PolicyName: 'app',
            PolicyDocument: policy(i % 10 === 0 ? '*' : 's3:GetObject'),
          }),
        );
      },
    );
    await mapWithConcurrency(
      Array.from({ length: users }, (_, i) => i),
      SEED_CONCURRENCY,
      async (i) => {
        const name = `ci-${i}`;
        await iam.send(new CreateUserCommand({ UserName: name }));
        if (i % 2 === 0) await iam.send(new CreateAccessKeyCommand({ UserName: name }));
      },
    );
  } finally {
    iam.destroy();
  }
}

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, AWS_PROFILE: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

interface OrgAccount {
  id: string;
  outcome: string;
  apiCalls: number;
  findings: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      accounts: { type: 'string', default: '20' },
      roles: { type: 'string', default: '200' },
      users: { type: 'string', default: '50' },
    },
  });
  const accountCount = Number(values.accounts);
  const roles = Number(values.roles);
  const users = Number(values.users);
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-cli.mjs')], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  if (build.status !== 0) throw new Error('building the CLI failed');

  const moto = await startMoto({ enforceAssumeRole: true });
  const scratch = await mkdtemp(join(tmpdir(), 'iam-posture-bench-org-'));
  try {
    const config = join(scratch, 'config.yaml');
    // moto has no service-last-accessed API: the one rule that needs it is off on both sides.
    await writeFile(config, 'disabledRules: [unused-service-permissions]\n');
    const organizations = new OrganizationsClient({ ...moto.clientConfig });
    await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const ids: string[] = [];
    for (let i = 0; i < accountCount; i++) {
      const created = await organizations.send(
        new CreateAccountCommand({ AccountName: `member-${i}`, Email: `member-${i}@example.com` }),
      );
      ids.push(created.CreateAccountStatus!.AccountId!);
    }
    organizations.destroy();
    const seedStarted = performance.now();
    for (const id of ids) await seedAccount(moto, id, roles, users);
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    const aws = ['--endpoint-url', moto.endpoint, '--region', MOTO_REGION];
    const central = {
      AWS_ACCESS_KEY_ID: moto.clientConfig.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: moto.clientConfig.credentials.secretAccessKey,
    };
    const orgRuns: { concurrency: number; seconds: number; accounts: OrgAccount[] }[] = [];
    for (const concurrency of [1, 8]) {
      const result = await run(
        [
          'scan',
          '--org',
          '--exclude-accounts',
          MOTO_ACCOUNT_ID,
          '--concurrency',
          String(concurrency),
          '--config',
          config,
          '--format',
          'json',
          '--quiet',
          ...aws,
        ],
        central,
      );
      if (result.code !== 0) throw new Error(`scan --org exited ${result.code}: ${result.stderr}`);
      const document = JSON.parse(result.stdout) as { accounts: OrgAccount[] };
      orgRuns.push({ concurrency, seconds: result.ms / 1000, accounts: document.accounts });
    }

    // The same account scanned alone, with its own credentials (the member role's session).
    const single = ids[0]!;
    const own = await assume(moto, single, ROLE);
    const alone = await run(['scan', '--config', config, '--format', 'json', '--quiet', ...aws], {
      AWS_ACCESS_KEY_ID: own.accessKeyId,
      AWS_SECRET_ACCESS_KEY: own.secretAccessKey,
      AWS_SESSION_TOKEN: own.sessionToken,
    });
    if (alone.code !== 0) throw new Error(`single-account scan exited ${alone.code}: ${alone.stderr}`);
    const aloneReport = JSON.parse(alone.stdout) as {
      summary: { accountId: string; apiCalls?: { total: number } };
      findings: unknown[];
    };
    if (aloneReport.summary.accountId !== single)
      throw new Error('the single-account scan read another account');

    const [sequential, parallel] = orgRuns as [(typeof orgRuns)[0], (typeof orgRuns)[0]];
    const inOrg = sequential.accounts.find((a) => a.id === single)!;
    const calls = sequential.accounts.map((a) => a.apiCalls);
    const identities = roles + 1 + users;
    const lines = [
      `organization of ${accountCount} member accounts, ${identities} identities each (${roles} roles + the member role, ${users} users, ${Math.ceil(users / 2)} access keys); seeding took ${seedSeconds.toFixed(0)} s`,
      '',
      '| run                                   | wall time | accounts (complete / partial / failed) | API calls per account (min–max) |',
      '| ------------------------------------- | --------: | -------------------------------------- | ------------------------------: |',
      ...orgRuns.map((r) => {
        const c = r.accounts.map((a) => a.apiCalls);
        const by = (o: string) => r.accounts.filter((a) => a.outcome === o).length;
        return `| scan --org, --concurrency ${String(r.concurrency).padEnd(11)} | ${r.seconds.toFixed(1).padStart(7)} s | ${by('complete')} / ${by('partial')} / ${by('failed')} | ${Math.min(...c)}–${Math.max(...c)} |`;
      }),
      `| single-account scan of ${single}  | ${(alone.ms / 1000).toFixed(1).padStart(7)} s | – | ${aloneReport.summary.apiCalls?.total ?? 0} |`,
      '',
      `account ${single}: ${inOrg.apiCalls} API calls in the organization run, ${aloneReport.summary.apiCalls?.total ?? 0} scanned alone; ` +
        `${inOrg.findings} findings in the organization run, ${aloneReport.findings.length} alone`,
      `speed-up at concurrency 8: ${(sequential.seconds / parallel.seconds).toFixed(1)}x`,
    ];
    console.log(lines.join('\n'));
    console.log(
      JSON.stringify({
        accounts: accountCount,
        identitiesPerAccount: identities,
        seedSeconds,
        runs: orgRuns.map((r) => ({
          concurrency: r.concurrency,
          seconds: r.seconds,
          apiCallsMin: Math.min(...r.accounts.map((a) => a.apiCalls)),
          apiCallsMax: Math.max(...r.accounts.map((a) => a.apiCalls)),
          outcomes: r.accounts.map((a) => a.outcome),
        })),
        single: {
          accountId: single,
          seconds: alone.ms / 1000,
          apiCalls: aloneReport.summary.apiCalls?.total ?? 0,
          findings: aloneReport.findings.length,
        },
        inOrganization: { apiCalls: inOrg.apiCalls, findings: inOrg.findings },
        apiCallsTotalSequential: calls.reduce((a, b) => a + b, 0),
      }),
    );
  } finally {
    await moto.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
