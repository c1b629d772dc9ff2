/**
 * The account's own organization, read live from moto (organizations:DescribeOrganization), decides
 * whether a trust policy held to an organization is internal.
 */
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../functions/adapters/aws/clients';
import { AwsCollector } from '../../functions/adapters/aws/collector';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import { analyzeAccount } from '../../functions/use-cases/analyze';
import { collectAccount } from '../../functions/use-cases/collect';
import { MOTO_REGION, type MotoServer, startMoto } from '../support/moto';

const OTHER_ORG = 'o-otherorg123';
let moto: MotoServer;
let iam: IAMClient;
let organizations: OrganizationsClient;

beforeAll(async () => {
  moto = await startMoto();
  iam = new IAMClient({ ...moto.clientConfig });
  organizations = new OrganizationsClient({ ...moto.clientConfig });
}, 60_000);

afterAll(async () => {
  iam?.destroy();
  organizations?.destroy();
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
});

const heldTo = (org: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:PrincipalOrgID': org } },
      },
    ],
  });

async function scanLive() {
  const clients = createAwsClients({
    endpoint: moto.endpoint,
    region: MOTO_REGION,
    credentials: moto.clientConfig.credentials,
    maxAttempts: 2,
  });
  try {
    const collected = await collectAccount(
      { source: new AwsCollector(clients), now: () => new Date() },
      { settings: { disabledRules: ['unused-service-permissions'] } },
    );
    const report = analyzeAccount(collected.raw, { settings: DEFAULT_SETTINGS, now: new Date() });
    const onRole = (name: string) =>
      report.findings.filter((f) => f.resourceArn.endsWith(`:role/${name}`)).map((f) => f.ruleId);
    return { collected, report, onRole };
  } finally {
    clients.destroy();
  }
}

/** Owned through a tag read live, so the only findings are the trust ones these tests are about. */
const OWNED = [{ Key: 'Owner', Value: 'platform' }];

describe("the account's organization, live", () => {
  it('makes a trust policy held to it internal, and one held to another organization external', async () => {
    const created = await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const ownId = created.Organization!.Id!;
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'org-readers',
        AssumeRolePolicyDocument: heldTo(ownId),
        Tags: OWNED,
      }),
    );
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'other-org-readers',
        AssumeRolePolicyDocument: heldTo(OTHER_ORG),
        Tags: OWNED,
      }),
    );

    const { collected, report, onRole } = await scanLive();
    expect((collected.raw.organization as { Organization: { Id: string } }).Organization.Id).toBe(ownId);
    expect(report.coverage.filter((gap) => gap.source.startsWith('organizations:'))).toEqual([]);
    expect(onRole('org-readers')).toEqual([]);
    expect(onRole('other-org-readers')).toEqual(['trust-external-account-no-external-id']);
  });

  it('knows an account in no organization, without a gap', async () => {
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'other-org-readers',
        AssumeRolePolicyDocument: heldTo(OTHER_ORG),
        Tags: OWNED,
      }),
    );
    const { collected, report, onRole } = await scanLive();
    expect(collected.raw.organization).toEqual({ Organization: null });
    expect(report.coverage.filter((gap) => gap.source.startsWith('organizations:'))).toEqual([]);
    expect(onRole('other-org-readers')).toEqual(['trust-external-account-no-external-id']);
  });
});
