import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RULES } from '../../functions/core/rules';
import { writeExport } from '../../scripts/export-builders';
import { DEMO_CONFIG as DEMO_CONFIG_TEXT, makeDemoAccount } from '../../scripts/make-demo-account';
import { DEMO_CONFIG, DEMO_EXPORT, ROOT, runCli } from '../support/cli';

/** DESIGN.md's rule catalog: the demo must make each of them fire. */
const CATALOG = [
  'role-unused',
  'access-key-unused',
  'access-key-not-rotated',
  'user-multiple-active-keys',
  'password-unused',
  'user-human-and-machine',
  'root-access-key',
  'secret-rotation-disabled',
  'secret-not-rotated',
  'secret-unused',
  'secret-policy-public',
  'server-certificate-expiring',
  'standing-admin',
  'privilege-escalation',
  'unused-service-permissions',
  'trust-external-account-no-external-id',
  'trust-oidc-unscoped',
  'trust-wildcard-principal',
  'trust-cross-environment',
  'role-trust-reused',
  'identity-owner-missing',
  'policy-organization-unconfirmed',
  'scan-coverage-gap',
  'jit-grant-lingering',
  'jit-eligibility-unused',
  'jit-break-glass-used',
  'review-overdue',
];

/**
 * Rules the demo export cannot make fire: just-in-time state (eligibilities, break-glass
 * elevations) and review campaigns live in the findings table, not in an export, and the demo
 * account holds no grant policy of its own.
 */
const NOT_IN_AN_EXPORT = [
  'jit-grant-lingering',
  'jit-eligibility-unused',
  'jit-break-glass-used',
  'review-overdue',
];

const ACCOUNT = '111122223333';

/** Identities of the demo that must produce no finding at all, suppressed or not. */
const HEALTHY_ROLES = [
  'AWSReservedSSO_DeveloperReadOnly_1a2b3c4d5e6f7a8b',
  'AWSServiceRoleForAutoScaling',
  'AWSServiceRoleForECS',
  'AWSServiceRoleForElasticLoadBalancing',
  'AWSServiceRoleForSupport',
  'AWSServiceRoleForTrustedAdvisor',
  'bastion-ec2-ssm',
  'github-actions-deploy-orders-api',
  'github-actions-deploy-storefront',
  'iam-posture-scanner',
  'image-resizer-lambda',
  'new-search-indexer-lambda',
  'notifications-lambda',
  'orders-api-lambda',
  'orders-ecs-task',
  'orders-ecs-task-execution',
  'orders-state-machine',
  'org-artifacts-reader',
  'payments-webhook-lambda',
  'rds-enhanced-monitoring',
  'scheduler-nightly-export',
  'vendor-observability-integration',
  // No finding of its own, but one of its policies could not be analysed: a coverage gap names it.
  'vendor-security-scanner',
  'web-ec2-instance',
];
const HEALTHY_USERS = ['alice.nguyen', 'dan.okafor', 'svc-reporting', 'svc-sftp-uploader'];
const HEALTHY_GROUPS = ['Developers', 'ReadOnly'];

interface JsonFinding {
  ruleId: string;
  severity: string;
  resourceType: string;
  resourceArn: string;
  subResource: string | null;
  reason: string;
  suppression: unknown;
}

const ORGANIZATION_UNCONFIRMED = 'policy-organization-unconfirmed';

/** The demo scanned with its config, as JSON: run once, shared by the tests that read it. */
let demoJson: ReturnType<typeof runCli> | undefined;
function scanDemoJson(): ReturnType<typeof runCli> {
  demoJson ??= runCli(['scan', '--export', DEMO_EXPORT, '--config', DEMO_CONFIG, '--format', 'json']);
  return demoJson;
}

describe('the demo account', () => {
  let findings: JsonFinding[];
  let roles: { RoleName: string; Arn: string }[];
  let users: { UserName: string; Arn: string }[];
  let groups: { GroupName: string; Arn: string }[];

  beforeAll(async () => {
    const result = await scanDemoJson();
    expect(result.code).toBe(0);
    findings = JSON.parse(result.stdout).findings;
    const details = JSON.parse(await readFile(join(DEMO_EXPORT, 'authorization-details.json'), 'utf8'));
    roles = details.RoleDetailList;
    users = details.UserDetailList;
    groups = details.GroupDetailList;
  });

  it('makes every rule of the catalog fire at least once', () => {
    const fired = new Set(findings.filter((f) => !f.suppression).map((f) => f.ruleId));
    expect([...RULES.map((r) => r.meta.id)].sort()).toEqual([...CATALOG].sort());
    // The demo config names the organization; without it, the next test sees that rule fire.
    expect(CATALOG.filter((id) => !fired.has(id))).toEqual([ORGANIZATION_UNCONFIRMED, ...NOT_IN_AN_EXPORT]);
  });

  it('reports its organization-held role as unconfirmed, not as exposure, without the config', async () => {
    const result = await runCli(['scan', '--export', DEMO_EXPORT, '--format', 'json']);
    const unconfigured: JsonFinding[] = JSON.parse(result.stdout).findings;
    const role = 'arn:aws:iam::111122223333:role/org-artifacts-reader';
    expect(
      unconfigured.filter((f) => f.ruleId === ORGANIZATION_UNCONFIRMED).map((f) => f.resourceArn),
    ).toEqual([role]);
    expect(unconfigured.filter((f) => f.resourceArn === role).map((f) => f.ruleId)).toEqual([
      ORGANIZATION_UNCONFIRMED,
    ]);
    expect(findings.filter((f) => f.resourceArn === role)).toEqual([]);
  });

  it('leaves the healthy identities without findings, and they are the majority', () => {
    const flagged = new Set(findings.map((f) => f.resourceArn));
    const clean = <T extends { Arn: string }>(list: T[], name: (item: T) => string) =>
      list
        .filter((item) => !flagged.has(item.Arn))
        .map(name)
        .sort();
    expect(clean(roles, (r) => r.RoleName)).toEqual([...HEALTHY_ROLES].sort());
    expect(clean(users, (u) => u.UserName)).toEqual([...HEALTHY_USERS].sort());
    expect(clean(groups, (g) => g.GroupName)).toEqual([...HEALTHY_GROUPS].sort());
    const identities = roles.length + users.length + groups.length;
    const healthy = HEALTHY_ROLES.length + HEALTHY_USERS.length + HEALTHY_GROUPS.length;
    expect(healthy / identities).toBeGreaterThan(0.5);
  });

  it('reports the policy it could not analyse instead of calling its role healthy', () => {
    const gaps = findings.filter((f) => f.ruleId === 'scan-coverage-gap');
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.resourceArn).toBe('arn:aws:iam::aws:policy/SecurityAudit');
    expect(gaps[0]!.reason).toContain('vendor-security-scanner');
  });

  it('raises findings on administrator-equivalent identities and exempts what the config exempts', () => {
    const staleAdmin = findings.find(
      (f) =>
        f.ruleId === 'role-unused' && f.resourceArn === `arn:aws:iam::${ACCOUNT}:role/old-admin-automation`,
    );
    expect(staleAdmin?.severity).toBe('critical');
    const suppressed = findings.filter((f) => f.suppression).map((f) => `${f.ruleId} ${f.resourceArn}`);
    expect(suppressed.sort()).toEqual([
      `password-unused arn:aws:iam::${ACCOUNT}:user/breakglass-admin`,
      `standing-admin arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_8f2c1a9b3d4e5f60`,
    ]);
  });

  it('is exactly what scripts/make-demo-account.ts generates', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'iam-posture-demo-'));
    try {
      const files = await writeExport(scratch, makeDemoAccount());
      expect((await readdir(DEMO_EXPORT)).sort()).toEqual([...files].sort());
      for (const file of files) {
        const committed = await readFile(join(DEMO_EXPORT, file), 'utf8');
        expect(committed, `${file} differs: run npx tsx scripts/make-demo-account.ts`).toBe(
          await readFile(join(scratch, file), 'utf8'),
        );
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    expect(await readFile(DEMO_CONFIG, 'utf8')).toBe(DEMO_CONFIG_TEXT);
  });
});

describe('the README JSON sample', () => {
  it('is what the demo prints: the finding shown, the summary, the coverage and the count', async () => {
    const result = await scanDemoJson();
    expect(result.code).toBe(0);
    const demo = JSON.parse(result.stdout) as {
      findings: { id: string }[];
      summary: unknown;
      coverage: unknown;
    };
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Output format'));
    const sample = JSON.parse(/```json\n([\s\S]*?)```/.exec(section)![1]!) as typeof demo;
    expect(sample.summary).toEqual(demo.summary);
    expect(sample.coverage).toEqual(demo.coverage);
    expect(sample.findings).toHaveLength(1);
    expect(sample.findings[0]).toEqual(demo.findings.find((f) => f.id === sample.findings[0]!.id));
    expect(section).toContain(`(From the demo account, with one of its ${demo.findings.length} findings.)`);
  });
});
