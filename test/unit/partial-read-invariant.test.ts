/**
 * The lifecycle invariant under partial reads: a rescan during which any single AWS operation the
 * collector calls fails changes no stored finding except coverage gaps, and the rescan after it
 * recovers resolves those gaps and changes nothing else. Real collector (over aws-sdk-client-mock),
 * real normalize, rules, reconcile and runScan; a store with the DynamoDB store's commit semantics.
 */

import * as ec2Sdk from '@aws-sdk/client-ec2';
import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import * as iamSdk from '@aws-sdk/client-iam';
import {
  GenerateCredentialReportCommand,
  GenerateServiceLastAccessedDetailsCommand,
  GetAccountAuthorizationDetailsCommand,
  GetCredentialReportCommand,
  GetServiceLastAccessedDetailsCommand,
  ListAccessKeysCommand,
  ListServerCertificatesCommand,
} from '@aws-sdk/client-iam';
import * as organizationsSdk from '@aws-sdk/client-organizations';
import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import * as secretsSdk from '@aws-sdk/client-secrets-manager';
import { GetResourcePolicyCommand, ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import * as stsSdk from '@aws-sdk/client-sts';
import type { SinonStub } from 'sinon';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredFinding } from '../../functions/core/lifecycle';
import type { JitStateInput } from '../../functions/core/normalize/jit';
import type { ReviewStateInput } from '../../functions/core/normalize/review';
import { COVERAGE_GAP_RULE } from '../../functions/core/reconcile';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import { type RunScanResult, runScan } from '../../functions/use-cases/run-scan';
import { MemoryStore } from '../support/memory-store';
import {
  ACCOUNT_ID,
  commandsSent,
  mocks,
  NOW,
  resetMocks,
  runCollection,
  serviceError,
  stubHealthyAccount,
} from './collector-fixtures';

/** Every stored finding except the coverage gaps, by id. */
function nonGapFindings(store: MemoryStore): Map<string, StoredFinding> {
  return new Map([...store.findings].filter(([, f]) => f.ruleId !== COVERAGE_GAP_RULE));
}

const DENIED = () => serviceError('AccessDenied', 'User is not authorized to perform this action', 403);

/** One AWS operation the collector calls, and how to make it fail for the whole account or one entity. */
interface Fault {
  name: string;
  /** Every operation the fault touches, as `commandsSent` names them. */
  operation: string;
  inject(): void;
}

const FAULTS: Fault[] = [
  {
    name: 'GetAccountAuthorizationDetails',
    operation: 'iam:GetAccountAuthorizationDetails',
    inject: () => mocks.iam.on(GetAccountAuthorizationDetailsCommand).rejects(DENIED()),
  },
  {
    name: 'GenerateCredentialReport',
    operation: 'iam:GenerateCredentialReport',
    inject: () => mocks.iam.on(GenerateCredentialReportCommand).rejects(DENIED()),
  },
  {
    name: 'GetCredentialReport',
    operation: 'iam:GetCredentialReport',
    inject: () => mocks.iam.on(GetCredentialReportCommand).rejects(DENIED()),
  },
  {
    name: 'ListAccessKeys',
    operation: 'iam:ListAccessKeys',
    inject: () => mocks.iam.on(ListAccessKeysCommand).rejects(DENIED()),
  },
  {
    name: 'ListAccessKeys for one user (two keys named by slot)',
    operation: 'iam:ListAccessKeys',
    inject: () => mocks.iam.on(ListAccessKeysCommand, { UserName: 'carol' }).rejects(DENIED()),
  },
  {
    name: 'ListServerCertificates',
    operation: 'iam:ListServerCertificates',
    inject: () => mocks.iam.on(ListServerCertificatesCommand).rejects(DENIED()),
  },
  {
    name: 'GenerateServiceLastAccessedDetails',
    operation: 'iam:GenerateServiceLastAccessedDetails',
    inject: () => mocks.iam.on(GenerateServiceLastAccessedDetailsCommand).rejects(DENIED()),
  },
  {
    name: 'GetServiceLastAccessedDetails',
    operation: 'iam:GetServiceLastAccessedDetails',
    inject: () => mocks.iam.on(GetServiceLastAccessedDetailsCommand).rejects(DENIED()),
  },
  {
    name: 'ListSecrets',
    operation: 'secretsmanager:ListSecrets',
    inject: () => mocks.secrets.on(ListSecretsCommand).rejects(DENIED()),
  },
  {
    name: 'GetResourcePolicy',
    operation: 'secretsmanager:GetResourcePolicy',
    inject: () => mocks.secrets.on(GetResourcePolicyCommand).rejects(DENIED()),
  },
  {
    name: 'DescribeOrganization',
    operation: 'organizations:DescribeOrganization',
    inject: () => mocks.organizations.on(DescribeOrganizationCommand).rejects(DENIED()),
  },
  {
    name: 'DescribeRegions',
    operation: 'ec2:DescribeRegions',
    inject: () => mocks.ec2.on(DescribeRegionsCommand).rejects(DENIED()),
  },
];

/** Without an account id nothing can be stored: that failure stops the collection instead. */
const STOPS_THE_COLLECTION = ['sts:GetCallerIdentity'];

/**
 * The account's just-in-time state, read from the findings table beside the collection: an unused
 * eligibility and a break-glass elevation, so both rules on it have findings to keep.
 */
let jitReadFails = false;
const DAY = 86_400_000;
async function jitState(): Promise<JitStateInput> {
  if (jitReadFails) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
  const at = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
  return {
    read: true,
    eligibilities: [
      {
        principalArn: `arn:aws:iam::${ACCOUNT_ID}:role/deployer`,
        profile: 'prod-admin',
        accountId: ACCOUNT_ID,
        grantedBy: { kind: 'slack', id: 'U0APPROVER', teamId: 'T0TEAM' },
        createdAt: at(200),
      },
    ],
    breakGlass: [
      {
        grantId: 'g0001',
        accountId: ACCOUNT_ID,
        profile: 'prod-admin',
        principalArn: `arn:aws:iam::${ACCOUNT_ID}:role/deployer`,
        principalKind: 'role',
        requestedBy: { kind: 'slack', id: 'U0ONCALL', teamId: 'T0TEAM' },
        requestedAt: at(3),
        reason: 'the database is down and the runbook needs admin',
        startsAt: at(3),
        endsAt: at(2),
        statements: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        grantHash: 'a'.repeat(64),
        breakGlass: true,
        requiredApprovals: 1,
        approvals: [],
        state: 'revoked',
        expiresAt: at(3),
        policyName: 'iam-posture-jit-g0001',
      },
    ],
  };
}

/**
 * The account's review state: a quarterly review of the deployer role that passed its deadline
 * unanswered, so `review-overdue` has a finding to keep.
 */
let reviewReadFails = false;
async function reviewState(): Promise<ReviewStateInput> {
  if (reviewReadFails) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
  const at = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
  const campaignId = `quarterly.2026-Q3.${ACCOUNT_ID}`;
  return {
    read: true,
    campaigns: [
      {
        campaignId,
        scope: 'quarterly',
        accountIds: [ACCOUNT_ID],
        startedAt: at(30),
        startedBy: { kind: 'system', id: 'iam-posture' },
        deadline: at(16),
        remindAt: at(19),
        state: 'closed',
        owners: ['team-deploy'],
        itemCount: 1,
      },
    ],
    items: [
      {
        itemId: 'i0001',
        campaignId,
        owner: 'team-deploy',
        identityArn: `arn:aws:iam::${ACCOUNT_ID}:role/deployer`,
        identityKind: 'role',
        identityName: 'deployer',
        accountId: ACCOUNT_ID,
        adminEquivalent: true,
        canEscalate: true,
        openFindings: [],
        risk: 100,
        escalatedAt: at(16),
      },
    ],
    attestations: [],
  };
}

let suffix = 0;
async function scan(store: MemoryStore): Promise<RunScanResult> {
  return runScan(
    {
      collect: async () => {
        const { result } = await runCollection({ regions: 'all' });
        return { raw: result.raw, origin: 'live', apiCalls: result.apiCalls };
      },
      jitState,
      reviewState,
      store,
      now: () => NOW,
      randomSuffix: () => (++suffix).toString(16).padStart(8, '0'),
      sleep: async () => {},
    },
    { settings: DEFAULT_SETTINGS },
  );
}

beforeEach(() => {
  resetMocks();
  stubHealthyAccount();
  jitReadFails = false;
  reviewReadFails = false;
});

describe('a rescan during which one AWS operation fails', () => {
  it('covers every operation a complete collection calls', async () => {
    await runCollection({ regions: 'all' });
    const called = [...new Set(commandsSent())].sort();
    expect(called).toEqual(
      [...new Set([...FAULTS.map((fault) => fault.operation), ...STOPS_THE_COLLECTION])].sort(),
    );
  });

  it.each(FAULTS)('$name: changes only coverage gaps, and the recovery scan resolves them', async (fault) => {
    const store = new MemoryStore();
    const first = await scan(store);
    expect(first.report.coverage).toEqual([]);
    const baseline = nonGapFindings(store);
    expect(baseline.size).toBeGreaterThan(10);
    expect([...store.findings.values()].filter((f) => f.ruleId === COVERAGE_GAP_RULE)).toEqual([]);

    fault.inject();
    const failing = await scan(store);
    expect(failing.report.coverage.map((gap) => gap.source)).toContain(fault.operation);
    expect(failing.changes.map((c) => [c.kind, c.after.ruleId])).toEqual(
      failing.changes.map(() => ['opened', COVERAGE_GAP_RULE]),
    );
    expect(failing.changes.length).toBeGreaterThan(0);
    expect(nonGapFindings(store)).toEqual(baseline);

    // A second failing scan changes nothing at all.
    const again = await scan(store);
    expect(again.changes).toEqual([]);

    resetMocks();
    stubHealthyAccount();
    const recovered = await scan(store);
    expect(recovered.changes.map((c) => [c.kind, c.after.ruleId])).toEqual(
      failing.changes.map(() => ['resolved', COVERAGE_GAP_RULE]),
    );
    expect(nonGapFindings(store)).toEqual(baseline);
    expect(
      [...store.findings.values()].filter((f) => f.status === 'open' && f.ruleId === COVERAGE_GAP_RULE),
    ).toEqual([]);
    expect(recovered.record.unread).toEqual([]);
  });
});

describe('a rescan during which the just-in-time state cannot be read', () => {
  it('changes only coverage gaps, and the recovery scan resolves them', async () => {
    const store = new MemoryStore();
    await scan(store);
    const baseline = nonGapFindings(store);
    expect([...baseline.values()].filter((f) => f.ruleId.startsWith('jit-')).map((f) => f.ruleId)).toEqual(
      expect.arrayContaining(['jit-eligibility-unused', 'jit-break-glass-used']),
    );

    jitReadFails = true;
    const failing = await scan(store);
    expect(failing.changes.map((c) => [c.kind, c.after.ruleId, c.after.subResource])).toEqual([
      ['opened', COVERAGE_GAP_RULE, 'iam-posture:jit-state'],
    ]);
    expect(nonGapFindings(store)).toEqual(baseline);
    expect((await scan(store)).changes).toEqual([]);

    jitReadFails = false;
    const recovered = await scan(store);
    expect(recovered.changes.map((c) => [c.kind, c.after.ruleId])).toEqual([['resolved', COVERAGE_GAP_RULE]]);
    expect(nonGapFindings(store)).toEqual(baseline);
  });
});

describe('a rescan during which the review state cannot be read', () => {
  it('changes only coverage gaps, and the recovery scan resolves them', async () => {
    const store = new MemoryStore();
    await scan(store);
    const baseline = nonGapFindings(store);
    expect(
      [...baseline.values()].filter((f) => f.ruleId === 'review-overdue').map((f) => f.subResource),
    ).toEqual(['quarterly']);

    reviewReadFails = true;
    const failing = await scan(store);
    expect(failing.changes.map((c) => [c.kind, c.after.ruleId, c.after.subResource])).toEqual([
      ['opened', COVERAGE_GAP_RULE, 'iam-posture:review-state'],
    ]);
    expect(nonGapFindings(store)).toEqual(baseline);
    expect(failing.record.unread).toEqual([]);

    reviewReadFails = false;
    const recovered = await scan(store);
    expect(recovered.changes.map((c) => [c.kind, c.after.ruleId])).toEqual([['resolved', COVERAGE_GAP_RULE]]);
    expect(nonGapFindings(store)).toEqual(baseline);
  });
});

/**
 * Sends every command through the client's real middleware stack (adaptive retries included) and
 * answers it, below the retries, from the stubbed account; the first attempt of each operation in
 * `throttledOnce` is throttled. So the retries, not the stub, decide what the collection sees.
 */
function throughRealRetries(throttledOnce: ReadonlySet<string>): { restore(): void; throttled: Set<string> } {
  const sdks: [keyof typeof mocks, string, Record<string, unknown>, { prototype: { send: unknown } }][] = [
    ['iam', 'iam', iamSdk, iamSdk.IAMClient],
    ['sts', 'sts', stsSdk, stsSdk.STSClient],
    ['secrets', 'secretsmanager', secretsSdk, secretsSdk.SecretsManagerClient],
    ['ec2', 'ec2', ec2Sdk, ec2Sdk.EC2Client],
    ['organizations', 'organizations', organizationsSdk, organizationsSdk.OrganizationsClient],
  ];
  const throttled = new Set<string>();
  const restores: (() => void)[] = [];
  for (const [mock, prefix, sdk, ClientClass] of sdks) {
    const stub = mocks[mock].send as unknown as SinonStub;
    const realSend = stub.wrappedMethod as (command: unknown) => Promise<unknown>;
    const answered = new WeakSet<object>();
    ClientClass.prototype.send = function send(
      this: { middlewareStack: { add(middleware: unknown, options: object): void } },
      command: unknown,
    ) {
      if (!answered.has(this)) {
        answered.add(this);
        this.middlewareStack.add(
          (_next: unknown, context: { commandName?: string }) => async (args: { input: object }) => {
            const name = context.commandName ?? '';
            const operation = `${prefix}:${name.replace(/Command$/, '')}`;
            if (throttledOnce.has(operation) && !throttled.has(operation)) {
              throttled.add(operation);
              throw serviceError('ThrottlingException', 'Rate exceeded', 400);
            }
            const Command = sdk[name] as new (input: object) => unknown;
            const output = (await stub.call(this, new Command(args.input))) as object;
            return { output: { ...output, $metadata: {} }, response: { statusCode: 200, headers: {} } };
          },
          { step: 'finalizeRequest', priority: 'low', name: 'answerFromStub' },
        );
      }
      return realSend.call(this, command);
    };
    restores.push(() => {
      ClientClass.prototype.send = stub;
    });
  }
  return {
    throttled,
    restore() {
      for (const restore of restores) restore();
    },
  };
}

describe('a rescan during which transient faults are absorbed by the retries', () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  it.each(FAULTS.filter((fault, i, all) => all.findIndex((f) => f.operation === fault.operation) === i))(
    '$operation throttled once: changes nothing at all',
    async (fault) => {
      const store = new MemoryStore();
      await scan(store);
      const before = structuredClone([...store.findings.values()]);
      expect(before.length).toBeGreaterThan(10);

      const throttleOnce = new Set<string>();
      const transport = throughRealRetries(throttleOnce);
      restore = transport.restore;
      const healthyCalls = (await scan(new MemoryStore())).record.apiCalls.byOperation;
      throttleOnce.add(fault.operation);
      const result = await scan(store);
      expect([...transport.throttled]).toEqual([fault.operation]);
      // Every request AWS saw, the throttled attempt included: one more than a healthy collection.
      expect(result.record.apiCalls.byOperation[fault.operation]).toBe(
        (healthyCalls[fault.operation] ?? 0) + 1,
      );
      expect(result.report.coverage).toEqual([]);
      expect(result.changes).toEqual([]);
      expect([...store.findings.values()]).toEqual(before);
    },
  );
});
