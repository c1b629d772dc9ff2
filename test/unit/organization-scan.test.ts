import { describe, expect, it } from 'vitest';
import {
  AccountSelectionSchema,
  classifyFailure,
  type MemberAccount,
  memberRoleArn,
  memberSessionName,
  organizationRun,
  selectAccounts,
} from '../../functions/core/organization-scan';

const ROOT = 'r-ab12';
const PROD = 'ou-ab12-prod0001';
const PAYMENTS = 'ou-ab12-paym0001';
const SANDBOX = 'ou-ab12-sand0001';

const ACCOUNTS: MemberAccount[] = [
  { id: '111111111111', name: 'management', parentId: ROOT, ouPath: [ROOT] },
  { id: '222222222222', name: 'prod-api', parentId: PROD, ouPath: [ROOT, PROD] },
  { id: '333333333333', name: 'prod-payments', parentId: PAYMENTS, ouPath: [ROOT, PROD, PAYMENTS] },
  { id: '444444444444', name: 'sandbox-1', parentId: SANDBOX, ouPath: [ROOT, SANDBOX] },
];
const ids = (accounts: MemberAccount[]) => accounts.map((account) => account.id);

describe('selectAccounts', () => {
  it('keeps every account when nothing is included or excluded', () => {
    expect(ids(selectAccounts(ACCOUNTS, {}))).toEqual(ids(ACCOUNTS));
  });

  it('includes an OU with every OU below it', () => {
    expect(ids(selectAccounts(ACCOUNTS, { includeOus: [PROD] }))).toEqual(['222222222222', '333333333333']);
  });

  it('adds named accounts to included OUs', () => {
    expect(
      ids(selectAccounts(ACCOUNTS, { includeOus: [SANDBOX], includeAccounts: ['111111111111'] })),
    ).toEqual(['111111111111', '444444444444']);
  });

  it('lets an exclude win over an include, by account and by OU below an included one', () => {
    expect(ids(selectAccounts(ACCOUNTS, { includeOus: [PROD], excludeOus: [PAYMENTS] }))).toEqual([
      '222222222222',
    ]);
    expect(
      ids(selectAccounts(ACCOUNTS, { includeAccounts: ['222222222222'], excludeAccounts: ['222222222222'] })),
    ).toEqual([]);
  });

  it('rejects ids that are neither account ids nor OU ids, naming the field', () => {
    const parsed = AccountSelectionSchema.safeParse({ includeOus: ['prod'], excludeAccounts: ['12345'] });
    expect(parsed.success).toBe(false);
    const paths = parsed.error?.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(['excludeAccounts.0', 'includeOus.0']);
  });
});

describe('member role and session', () => {
  it('builds the role ARN in the partition given', () => {
    expect(memberRoleArn('222222222222', 'IamPostureScanner')).toBe(
      'arn:aws:iam::222222222222:role/IamPostureScanner',
    );
    expect(memberRoleArn('222222222222', 'Scanner', 'aws-us-gov')).toBe(
      'arn:aws-us-gov:iam::222222222222:role/Scanner',
    );
  });

  it('names the run in the session, within STS limits', () => {
    expect(memberSessionName('20261202T101500Z-ab12')).toBe('iam-posture-20261202T101500Z-ab12');
    const long = memberSessionName(`run:${'x'.repeat(80)}`);
    expect(long).toHaveLength(64);
    expect(long).toMatch(/^[\w+=,.@-]+$/);
  });
});

describe('classifyFailure', () => {
  it.each([
    [
      { name: 'AccessDenied', message: 'not authorized to perform sts:AssumeRole', stage: 'assume' },
      'assume-denied',
    ],
    [
      {
        name: 'AccessDeniedException',
        message: 'with an explicit deny in a service control policy',
        stage: 'scan',
      },
      'scp-denied',
    ],
    [{ name: 'AccessDenied', message: 'no identity-based policy allows', stage: 'scan' }, 'error'],
    [{ name: 'ThrottlingException', stage: 'scan' }, 'throttled'],
    [{ name: 'Throttling', stage: 'assume' }, 'throttled'],
    [{ name: 'States.Timeout', stage: 'scan' }, 'timed-out'],
    [{ name: 'AccountSuspendedException', stage: 'scan' }, 'suspended'],
    [{ name: 'InvalidClientTokenId', stage: 'assume' }, 'assume-denied'],
    [{ name: 'TypeError', message: 'x is undefined', stage: 'scan' }, 'error'],
  ] as const)('%o is %s', (error, reason) => {
    expect(classifyFailure(error)).toBe(reason);
  });
});

describe('organizationRun', () => {
  it('gives every selected account an outcome: a missing one is failed with the reason given', () => {
    const run = organizationRun({
      runId: 'run-1',
      startedAt: '2026-12-02T00:00:00.000Z',
      finishedAt: '2026-12-02T00:10:00.000Z',
      accounts: ACCOUNTS.slice(1, 3),
      outcomes: [
        {
          accountId: '222222222222',
          accountName: 'prod-api',
          outcome: 'complete',
          apiCalls: 12,
          findings: 3,
          opened: 3,
          resolved: 0,
          held: 0,
          startedAt: '2026-12-02T00:00:01.000Z',
          finishedAt: '2026-12-02T00:01:00.000Z',
        },
      ],
      missing: { reason: 'timed-out', detail: 'the child execution timed out' },
    });
    expect(run.counts).toEqual({ total: 2, complete: 1, partial: 0, failed: 1 });
    expect(run.outcomes[1]).toMatchObject({
      accountId: '333333333333',
      accountName: 'prod-payments',
      ouPath: [ROOT, PROD, PAYMENTS],
      outcome: 'failed',
      reason: 'timed-out',
      detail: 'the child execution timed out',
    });
  });
});
