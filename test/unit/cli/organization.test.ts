import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { collectCommand } from '../../../bin/commands/collect';
import { EXIT, type Io, UsageError } from '../../../bin/commands/io';
import {
  accountSelection,
  newRunId,
  organizationJson,
  outcomeTable,
  parseConcurrency,
  selectOrFail,
} from '../../../bin/commands/organization';
import { scanCommand } from '../../../bin/commands/scan';
import { exitCodeFor, ORGANIZATION_EXIT, organizationExitCode } from '../../../bin/exit-codes';
import { OrganizationDiscoveryError } from '../../../functions/adapters/organization-error';
import {
  type AccountOutcome,
  countOutcomes,
  memberSessionName,
} from '../../../functions/core/organization-scan';

const outcome = (over: Partial<AccountOutcome>): AccountOutcome => ({
  accountId: '111111111111',
  accountName: 'prod-a',
  outcome: 'complete',
  apiCalls: 9,
  findings: 3,
  opened: 3,
  resolved: 0,
  held: 0,
  startedAt: '2025-06-01T12:00:00.000Z',
  finishedAt: '2025-06-01T12:00:05.000Z',
  ...over,
});

const OUTCOMES: AccountOutcome[] = [
  outcome({}),
  outcome({
    accountId: '222222222222',
    accountName: 'prod-b',
    outcome: 'partial',
    unreadSources: ['credential-report.csv'],
    detail: 'not fully read: credential-report.csv',
    apiCalls: 12,
    findings: 1,
  }),
  outcome({
    accountId: '333333333333',
    accountName: '',
    outcome: 'failed',
    reason: 'assume-denied',
    detail: 'AccessDenied: cannot assume arn:aws:iam::333333333333:role/IamPostureScanner',
    apiCalls: 0,
    findings: 0,
  }),
];

function silentIo(): Io {
  const sink = { write: () => true } as unknown as NodeJS.WriteStream;
  return { stdout: sink, stderr: sink, env: {} };
}

describe('account selection flags', () => {
  it('takes comma lists and repeats', () => {
    expect(
      accountSelection({
        accounts: ['111111111111, 222222222222', '333333333333'],
        excludeOus: ['ou-ab12-sandbox01'],
      }),
    ).toEqual({
      includeAccounts: ['111111111111', '222222222222', '333333333333'],
      excludeOus: ['ou-ab12-sandbox01'],
    });
  });

  it('names the flag and the value of a bad id', () => {
    expect(() => accountSelection({ excludeAccounts: ['111111111111,12345'] })).toThrow(
      new UsageError('--exclude-accounts: "12345" is not valid: an account id is 12 digits'),
    );
    expect(() => accountSelection({ ous: ['workloads'] })).toThrow(
      '--ous: "workloads" is not valid: an OU id looks like ou-ab12-cd34ef56 (or a root r-ab12)',
    );
  });

  it('makes a selection that keeps nothing a usage error, not an empty success', () => {
    expect(() =>
      selectOrFail([{ id: '111111111111', name: 'a' }], { includeAccounts: ['222222222222'] }),
    ).toThrow(/^no account matches the selection \(1 account found\)/);
  });

  it('bounds --concurrency to 1..64 whole numbers', () => {
    expect(parseConcurrency('8')).toBe(8);
    for (const bad of ['0', '65', '2.5', 'four', '-1']) {
      expect(() => parseConcurrency(bad)).toThrow(InvalidArgumentError);
    }
  });
});

describe('organization flags without an organization run', () => {
  it('are a usage error for scan and collect, naming the flags', async () => {
    await expect(
      scanCommand({ format: 'table', accounts: ['111111111111'], roleName: 'X' }, silentIo()),
    ).rejects.toThrow(
      new UsageError(
        '--accounts, --role-name apply to an organization scan: add --org, or --export an organization export',
      ),
    );
    await expect(collectCommand({ out: '/nonexistent/out', concurrency: 2 }, silentIo())).rejects.toThrow(
      new UsageError('--concurrency applies to an organization collection: add --org'),
    );
    await expect(scanCommand({ format: 'table', org: true, export: 'dir' }, silentIo())).rejects.toThrow(
      '--org scans the live organization; scan an organization export with --export DIR alone',
    );
  });
});

describe('the run id', () => {
  it('is the start time and a random suffix, and fits the STS session name whole', () => {
    const runId = newRunId(new Date('2025-06-01T12:00:00.123Z'));
    expect(runId).toMatch(/^20250601T120000Z-[0-9a-f]{8}$/);
    expect(memberSessionName(runId)).toBe(`iam-posture-${runId}`);
  });
});

describe('the outcome table', () => {
  it('lists every account: id, name, outcome, API calls, findings, and the reason or detail', () => {
    expect(outcomeTable(OUTCOMES, countOutcomes(OUTCOMES)).split('\n')).toEqual([
      'ACCOUNTS (3 accounts: 1 complete, 1 partial, 1 failed)',
      '  ACCOUNT       NAME    OUTCOME   API CALLS  FINDINGS  REASON / DETAIL',
      '  111111111111  prod-a  complete          9         3',
      '  222222222222  prod-b  partial          12         1  not fully read: credential-report.csv',
      '  333333333333  -       failed            0         -  assume-denied: AccessDenied: cannot assume arn:aws:iam::333333333333:role/IamPostureScanner',
      '',
    ]);
  });
});

describe('the JSON document of an organization run', () => {
  it('has the accounts list and the per-account reports', () => {
    const run = { runId: 'r1', startedAt: 's', finishedAt: 'f', counts: countOutcomes(OUTCOMES) };
    const report = {
      findings: [],
      summary: { accountId: '111111111111' } as never,
      coverage: [],
    };
    const document = JSON.parse(organizationJson(run, OUTCOMES, new Map([['111111111111', report]]), false));
    expect(document.accounts[2]).toEqual({
      id: '333333333333',
      name: '',
      outcome: 'failed',
      reason: 'assume-denied',
      detail: 'AccessDenied: cannot assume arn:aws:iam::333333333333:role/IamPostureScanner',
      unreadSources: [],
      apiCalls: 0,
      findings: 0,
    });
    expect(document.accounts[0].reason).toBeNull();
    expect(document.counts).toEqual({ total: 3, complete: 1, partial: 1, failed: 1 });
    expect(document.reports).toEqual([
      { accountId: '111111111111', findings: [], summary: { accountId: '111111111111' }, coverage: [] },
    ]);
    const stored = JSON.parse(organizationJson(run, OUTCOMES, new Map(), true));
    expect(stored.accounts[0]).toMatchObject({ scanId: null, opened: 3, resolved: 0, held: 0 });
  });
});

describe('exit codes of an organization run', () => {
  const counts = (complete: number, partial: number, failed: number) =>
    countOutcomes([
      ...Array.from({ length: complete }, () => outcome({})),
      ...Array.from({ length: partial }, () => outcome({ outcome: 'partial' })),
      ...Array.from({ length: failed }, () => outcome({ outcome: 'failed', reason: 'error' })),
    ]);

  it('is what the findings decide when no account failed, partial ones included', () => {
    expect(organizationExitCode(counts(2, 1, 0), EXIT.ok)).toBe(0);
    expect(organizationExitCode(counts(2, 1, 0), EXIT.findings)).toBe(1);
  });

  it('is 4 when some accounts failed, over findings, and 5 when all did', () => {
    expect(ORGANIZATION_EXIT).toEqual({ someAccountsFailed: 4, allAccountsFailed: 5 });
    expect(organizationExitCode(counts(1, 0, 1), EXIT.ok)).toBe(4);
    expect(organizationExitCode(counts(1, 0, 1), EXIT.findings)).toBe(4);
    expect(organizationExitCode(counts(0, 0, 2), EXIT.ok)).toBe(5);
  });

  it('maps an organization that cannot be listed to exit 2 with its message', () => {
    let text = '';
    const stderr = { write: (chunk: string) => (text += chunk) } as unknown as NodeJS.WriteStream;
    const error = new OrganizationDiscoveryError(
      "could not list the organization's accounts (AccessDeniedException: denied)",
      'organizations:ListAccounts',
    );
    expect(exitCodeFor(error, { stderr, env: {} })).toBe(EXIT.input);
    expect(text).toBe(`iam-posture: ${error.message}\n`);
  });
});
