import {
  AccessDeniedException,
  AWSOrganizationsNotInUseException,
  DescribeOrganizationCommand,
} from '@aws-sdk/client-organizations';
import { beforeEach, describe, expect, it } from 'vitest';
import { analyzeAccount } from '../../functions/use-cases/analyze';
import { someSettings } from '../support/builders';
import {
  ACCOUNT_ID,
  awsError,
  mocks,
  NOW,
  rawFixture,
  resetMocks,
  runCollection,
  stubHealthyAccount,
} from './collector-fixtures';

const NO_SLA = { settings: { disabledRules: ['unused-service-permissions'] } };

beforeEach(() => {
  resetMocks();
  stubHealthyAccount();
});

describe("collecting the account's organization", () => {
  it('reads it once, as describe-organization prints it', async () => {
    const { result } = await runCollection(NO_SLA);
    const { $metadata: _metadata, ...printed } = rawFixture('describe-organization.json');
    expect(result.raw.organization).toEqual(printed);
    expect(mocks.organizations.commandCalls(DescribeOrganizationCommand)).toHaveLength(1);
    expect(result.raw.coverageGaps.filter((gap) => gap.source.startsWith('organizations:'))).toEqual([]);
  });

  it('records an account in no organization as a fact, not a gap', async () => {
    mocks.organizations
      .on(DescribeOrganizationCommand)
      .rejects(
        awsError(AWSOrganizationsNotInUseException, 'Your account is not a member of an organization.'),
      );
    const { result } = await runCollection(NO_SLA);
    expect(result.raw.organization).toEqual({ Organization: null });
    expect(result.raw.coverageGaps.filter((gap) => gap.source.startsWith('organizations:'))).toEqual([]);
  });

  it('turns access denied into a gap naming the operation, and still collects the rest', async () => {
    mocks.organizations
      .on(DescribeOrganizationCommand)
      .rejects(
        awsError(AccessDeniedException, 'not authorized to perform organizations:DescribeOrganization'),
      );
    const { result } = await runCollection(NO_SLA);
    expect(result.raw.organization).toBeUndefined();
    expect(result.raw.coverageGaps).toEqual([
      {
        kind: 'coverage-gap',
        arn: '',
        accountId: ACCOUNT_ID,
        source: 'organizations:DescribeOrganization',
        category: 'AccessDenied',
        reason:
          "Access was denied (AccessDeniedException: not authorized to perform organizations:DescribeOrganization); the account's organization is unknown, so policies held to an organization are reported as unconfirmed.",
      },
    ]);
    expect(result.raw.authorizationDetails).toHaveLength(1);
    expect(Object.keys(result.raw.secrets ?? {})).toEqual(['eu-west-1']);
  });

  it('gives the analysis the organization read, unless the settings name one', async () => {
    const { result } = await runCollection(NO_SLA);
    const unconfigured = someSettings({ organization: { accountIds: [] } });
    const read = analyzeAccount(result.raw, { settings: unconfigured, now: NOW });
    expect(read.findings.filter((f) => f.ruleId === 'policy-organization-unconfirmed')).toEqual([]);
    mocks.organizations.on(DescribeOrganizationCommand).rejects(awsError(AccessDeniedException, 'denied'));
    const denied = (await runCollection(NO_SLA)).result.raw;
    const report = analyzeAccount(denied, { settings: unconfigured, now: NOW });
    expect(report.findings.filter((f) => f.ruleId === 'scan-coverage-gap').map((f) => f.subResource)).toEqual(
      ['organizations:DescribeOrganization'],
    );
  });
});
