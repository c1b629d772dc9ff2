import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../functions/core/finding';
import { parsePolicyDocument } from '../../../functions/core/policy/parse';
import type { StoredFinding } from '../../../functions/core/reconcile';
import { QUARANTINE_POLICY_NAME } from '../../../functions/core/remediation/catalog';
import { type FreshState, planRemediation, sameSteps } from '../../../functions/core/remediation/plan';
import type { ProtectionConfig } from '../../../functions/core/remediation/protection';
import type { RemediationRequest } from '../../../functions/core/remediation/request';
import {
  approvalRequestId,
  planFromFinding,
  type RequestApprovalDeps,
  requestApproval,
  requestApprovalsForScan,
  SCAN_REQUESTER,
} from '../../../functions/use-cases/request-approval';
import {
  ACCOUNT,
  ADMIN_DOCUMENT,
  ADMINISTRATOR_ACCESS,
  aGroup,
  anAccessKey,
  aRole,
  aSecret,
  aUser,
  daysAgo,
  findingFor,
  NOW,
  planContext,
} from '../remediation/builders';
import { InMemoryRequestStore } from '../remediation/fakes';

const NO_PROTECTION: ProtectionConfig = { protectedArns: [], breakGlassArns: [], ownArns: [] };
const SCAN_ID = '20240601T000000Z-abcd';

class FakeSlack {
  readonly posted: RemediationRequest[] = [];
  readonly refusals: { findingId: string; reason: string }[] = [];
  failPosts = 0;

  async postRequest(request: RemediationRequest): Promise<{ channel: string; ts: string }> {
    if (this.failPosts > 0) {
      this.failPosts--;
      throw new Error('Slack chat.postMessage failed: service_unavailable');
    }
    this.posted.push(structuredClone(request));
    return { channel: 'C0CHANNEL1', ts: `1717200000.00010${this.posted.length}` };
  }

  async postRefusal(finding: Finding, reason: string): Promise<{ channel: string; ts: string }> {
    this.refusals.push({ findingId: finding.id, reason });
    return { channel: 'C0CHANNEL1', ts: '1717200000.000900' };
  }
}

function deps(protection: ProtectionConfig = NO_PROTECTION) {
  const store = new InMemoryRequestStore([]);
  const slack = new FakeSlack();
  const d: RequestApprovalDeps = { requests: store, notifier: slack, protection, now: () => NOW };
  return { deps: d, store, slack };
}

function stored(finding: Finding, overrides: Partial<StoredFinding> = {}): StoredFinding {
  return {
    ...finding,
    status: 'open',
    firstSeenAt: NOW.toISOString(),
    firstSeenScanId: SCAN_ID,
    lastChangedAt: NOW.toISOString(),
    lastChangedScanId: SCAN_ID,
    reopenCount: 0,
    version: 1,
    ...overrides,
  };
}

const unusedKey = () => {
  const key = anAccessKey({ keyId: 'AKIAEXAMPLEKEY000001', lastUsedAt: daysAgo(100) });
  return { key, fresh: { snapshot: key, owner: aUser({}, [key]) } satisfies FreshState };
};

describe('planFromFinding (the dry plan shown for approval)', () => {
  const cases: [string, () => { finding: Finding; fresh: FreshState }][] = [
    [
      'an unused access key',
      () => {
        const { key, fresh } = unusedKey();
        return { finding: findingFor(key, 'access-key-unused'), fresh };
      },
    ],
    [
      'an unused role',
      () => {
        const role = aRole({ path: '/service/', lastUsedAt: daysAgo(200) });
        return { finding: findingFor(role, 'role-unused'), fresh: { snapshot: role } };
      },
    ],
    [
      'a standing admin role with a managed and an inline policy',
      () => {
        const role = aRole({
          managedPolicies: [ADMINISTRATOR_ACCESS],
          inlinePolicies: [{ name: 'everything', document: parsePolicyDocument(ADMIN_DOCUMENT) }],
        });
        return { finding: findingFor(role, 'standing-admin'), fresh: { snapshot: role } };
      },
    ],
    [
      'a standing admin user with an inline policy',
      () => {
        const user = aUser({
          inlinePolicies: [{ name: 'everything', document: parsePolicyDocument(ADMIN_DOCUMENT) }],
        });
        return { finding: findingFor(user, 'standing-admin'), fresh: { snapshot: user } };
      },
    ],
    [
      'an overdue secret with rotation configured',
      () => {
        const secret = aSecret();
        return { finding: findingFor(secret, 'secret-not-rotated'), fresh: { snapshot: secret } };
      },
    ],
  ];

  it.each(cases)(
    'plans for %s exactly the steps execution plans from the unchanged live state',
    (_, make) => {
      const { finding, fresh } = make();
      const dry = planFromFinding(finding, NO_PROTECTION);
      const live = planRemediation(finding, fresh, planContext());
      expect(live.outcome).toBe('plan');
      expect(dry.outcome).toBe('plan');
      if (dry.outcome !== 'plan' || live.outcome !== 'plan') return;
      expect(dry.steps).toEqual(live.steps);
      expect(sameSteps(dry.steps, live.steps)).toBe(true);
      expect(dry.actions).toEqual(live.actions);
      expect(dry.summary).toBe(live.summary);
      expect(dry.findingId).toBe(finding.id);
    },
  );

  it('names the role, not its path, in a quarantine step', () => {
    const role = aRole({ name: 'legacy-etl', path: '/jobs/nightly/' });
    const plan = planFromFinding(findingFor(role, 'role-unused'), NO_PROTECTION);
    expect(plan).toMatchObject({
      outcome: 'plan',
      steps: [{ action: 'quarantine-role', roleName: 'legacy-etl', policyName: QUARANTINE_POLICY_NAME }],
    });
  });

  it.each<[string, () => Finding, ProtectionConfig, string, string]>([
    [
      'a configured protected ARN (glob)',
      () => findingFor(aRole({ name: 'keep-me' }), 'role-unused'),
      { ...NO_PROTECTION, protectedArns: [`arn:aws:iam::${ACCOUNT}:role/keep-*`] },
      'protected',
      'keep-me is in the configured protected ARNs.',
    ],
    [
      'a break-glass user’s key',
      () => findingFor(unusedKey().key, 'access-key-unused'),
      { ...NO_PROTECTION, breakGlassArns: [`arn:aws:iam::${ACCOUNT}:user/deploy-bot`] },
      'protected',
      'deploy-bot is a configured break-glass identity.',
    ],
    [
      'an SSO role',
      () => findingFor(aRole({ name: 'AWSReservedSSO_Admin_0123456789abcdef' }), 'role-unused'),
      NO_PROTECTION,
      'protected',
      'AWSReservedSSO_Admin_0123456789abcdef is an IAM Identity Center (SSO) role.',
    ],
    [
      'iam-posture’s own role',
      () => findingFor(aRole({ name: 'IamPosture-ScanRole-1A2B3C' }), 'role-unused'),
      { ...NO_PROTECTION, ownArns: [`arn:aws:iam::${ACCOUNT}:role/IamPosture-*`] },
      'protected',
      'IamPosture-ScanRole-1A2B3C belongs to iam-posture itself.',
    ],
    [
      'a key known only by its credential-report slot',
      () => findingFor(anAccessKey({ keyId: undefined, lastUsedAt: daysAgo(100) }), 'access-key-unused'),
      NO_PROTECTION,
      'changed',
      'The access key id of deploy-bot is unknown; re-collect live.',
    ],
    [
      'a group holding admin policies',
      () => findingFor(aGroup({ managedPolicies: [ADMINISTRATOR_ACCESS] }), 'standing-admin'),
      NO_PROTECTION,
      'in-use',
      "Group admins grants its members' permissions, and whether they use them is not known; narrow its policies instead of detaching them.",
    ],
    [
      'a secret without rotation',
      () => {
        const secret = aSecret({ rotationEnabled: false, lastRotatedAt: undefined });
        delete secret.rotationLambdaArn;
        return findingFor(secret, 'secret-not-rotated');
      },
      NO_PROTECTION,
      'not-rotatable',
      'Secret prod/db has no rotation configured; rotate it by hand.',
    ],
    [
      'a rule without automatic remediation',
      () =>
        findingFor(
          anAccessKey({ createdAt: daysAgo(400), lastUsedAt: daysAgo(1) }),
          'access-key-not-rotated',
        ),
      NO_PROTECTION,
      'no-action',
      'Rule access-key-not-rotated has no automatic remediation.',
    ],
  ])('refuses %s', (_, make, protection, gate, reason) => {
    expect(planFromFinding(make(), protection)).toMatchObject({ outcome: 'refused', gate, reason });
  });

  it('refuses a standing-admin finding whose evidence names nothing removable', () => {
    const role = aRole({ managedPolicies: [ADMINISTRATOR_ACCESS] });
    const finding = findingFor(role, 'standing-admin');
    const tampered = {
      ...finding,
      evidence: { ...finding.evidence, removablePolicies: [{ type: 'managed' }] },
    };
    expect(planFromFinding(tampered as Finding, NO_PROTECTION)).toMatchObject({
      outcome: 'refused',
      gate: 'nothing-to-remove',
    });
  });
});

describe('requestApproval', () => {
  const keyFinding = () => findingFor(unusedKey().key, 'access-key-unused');

  it('records a pending request, posts it, and records where the message is', async () => {
    const { deps: d, store, slack } = deps();
    const finding = keyFinding();
    const outcome = await requestApproval({ finding: stored(finding), scanId: SCAN_ID }, d);

    const requestId = approvalRequestId(finding.id, SCAN_ID);
    expect(requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(outcome).toMatchObject({ outcome: 'posted', findingId: finding.id, request: { requestId } });
    const saved = store.items.get(requestId);
    expect(saved).toMatchObject({
      requestId,
      findingId: finding.id,
      state: 'pending',
      requestedBy: SCAN_REQUESTER,
      createdAt: NOW.toISOString(),
      expiresAt: new Date(NOW.getTime() + 24 * 3_600_000).toISOString(),
      actions: ['deactivate-access-key'],
      slack: { channel: 'C0CHANNEL1', ts: '1717200000.000101' },
      plan: {
        steps: [
          { action: 'deactivate-access-key', userName: 'deploy-bot', accessKeyId: 'AKIAEXAMPLEKEY000001' },
        ],
      },
    });
    expect(saved?.highlights).toEqual({
      idleDays: '100',
      thresholdDays: '45',
      lastUsedAt: '2024-02-22T00:00:00.000Z',
      lastUsedService: 's3',
      lastUsedRegion: 'eu-west-1',
      createdAt: '2023-08-06T00:00:00.000Z',
    });
    expect(slack.posted).toHaveLength(1);
    expect(slack.posted[0]?.state).toBe('pending');
  });

  it('uses the configured approval window', async () => {
    const { deps: d, store } = deps();
    const finding = keyFinding();
    await requestApproval({ finding: stored(finding), scanId: SCAN_ID }, { ...d, ttlHours: 4 });
    expect(store.items.get(approvalRequestId(finding.id, SCAN_ID))?.expiresAt).toBe(
      new Date(NOW.getTime() + 4 * 3_600_000).toISOString(),
    );
  });

  it('posts nothing twice when the same opening is delivered again', async () => {
    const { deps: d, store, slack } = deps();
    const finding = stored(keyFinding());
    await requestApproval({ finding, scanId: SCAN_ID }, d);
    const again = await requestApproval({ finding, scanId: SCAN_ID }, d);
    expect(again.outcome).toBe('already-requested');
    expect(slack.posted).toHaveLength(1);
    expect(store.items.size).toBe(1);
  });

  it('posts nothing twice when two deliveries race', async () => {
    const { deps: d, store, slack } = deps();
    const finding = stored(keyFinding());
    const outcomes = await Promise.all([
      requestApproval({ finding, scanId: SCAN_ID }, d),
      requestApproval({ finding, scanId: SCAN_ID }, d),
    ]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['already-requested', 'posted']);
    expect(slack.posted).toHaveLength(1);
    expect(store.items.size).toBe(1);
  });

  it('posts a request that was stored by a delivery that failed to post it', async () => {
    const { deps: d, store, slack } = deps();
    const finding = stored(keyFinding());
    slack.failPosts = 1;
    await expect(requestApproval({ finding, scanId: SCAN_ID }, d)).rejects.toThrow(/service_unavailable/);
    const requestId = approvalRequestId(finding.id, SCAN_ID);
    expect(store.items.get(requestId)?.slack).toBeUndefined();

    const retried = await requestApproval({ finding, scanId: SCAN_ID }, d);
    expect(retried.outcome).toBe('posted');
    expect(slack.posted).toHaveLength(1);
    expect(store.items.get(requestId)?.slack).toEqual({ channel: 'C0CHANNEL1', ts: '1717200000.000101' });
  });

  it('opens a new request when a later scan opens the finding again', async () => {
    const { deps: d, store, slack } = deps();
    const finding = stored(keyFinding());
    await requestApproval({ finding, scanId: SCAN_ID }, d);
    await requestApproval({ finding, scanId: '20240701T000000Z-beef' }, d);
    expect(store.items.size).toBe(2);
    expect(slack.posted).toHaveLength(2);
  });

  it('shows a refusal without opening a request', async () => {
    const {
      deps: d,
      store,
      slack,
    } = deps({
      ...NO_PROTECTION,
      breakGlassArns: [`arn:aws:iam::${ACCOUNT}:user/deploy-bot`],
    });
    const finding = keyFinding();
    const outcome = await requestApproval({ finding: stored(finding), scanId: SCAN_ID }, d);
    expect(outcome).toEqual({
      outcome: 'refused',
      findingId: finding.id,
      gate: 'protected',
      reason: 'deploy-bot is a configured break-glass identity.',
      slack: { channel: 'C0CHANNEL1', ts: '1717200000.000900' },
    });
    expect(slack.refusals).toEqual([
      { findingId: finding.id, reason: 'deploy-bot is a configured break-glass identity.' },
    ]);
    expect(slack.posted).toEqual([]);
    expect(store.items.size).toBe(0);
  });

  it.each<[string, (f: Finding) => StoredFinding, string]>([
    ['resolved since', (f) => stored(f, { status: 'resolved' }), 'The finding is resolved, not open.'],
    [
      'suppressed',
      (f) => stored(f, { suppression: { reason: 'migration', owner: 'ops', expires: '2099-01-01' } }),
      'The finding is suppressed.',
    ],
    [
      'an error, not a failure',
      (f) => stored(f, { result: 'error' }),
      'The rule could not evaluate the resource; there is nothing to plan.',
    ],
  ])('skips a finding that is %s', async (_, make, reason) => {
    const { deps: d, store, slack } = deps();
    const outcome = await requestApproval({ finding: make(keyFinding()), scanId: SCAN_ID }, d);
    expect(outcome).toMatchObject({ outcome: 'skipped', reason });
    expect(store.items.size).toBe(0);
    expect(slack.posted).toEqual([]);
    expect(slack.refusals).toEqual([]);
  });

  it('skips, without a message, findings of rules that have no automatic remediation', async () => {
    const { deps: d, slack } = deps();
    const finding = findingFor(
      anAccessKey({ createdAt: daysAgo(400), lastUsedAt: daysAgo(1) }),
      'access-key-not-rotated',
    );
    expect(await requestApproval({ finding: stored(finding), scanId: SCAN_ID }, d)).toMatchObject({
      outcome: 'skipped',
      reason: 'Rule access-key-not-rotated has no automatic remediation.',
    });
    expect(slack.refusals).toEqual([]);
  });
});

describe('requestApprovalsForScan', () => {
  it('asks about findings the scan opened, reopened or unsuppressed, and reports each failure', async () => {
    const { deps: d, slack } = deps();
    const key = stored(findingFor(unusedKey().key, 'access-key-unused'));
    const role = stored(findingFor(aRole({ name: 'old', lastUsedAt: daysAgo(200) }), 'role-unused'));
    const secret = stored(findingFor(aSecret(), 'secret-not-rotated'));
    const resolved = stored(findingFor(aRole({ name: 'gone', lastUsedAt: daysAgo(200) }), 'role-unused'));
    slack.failPosts = 0;
    const outcomes = await requestApprovalsForScan(
      {
        scanId: SCAN_ID,
        changes: [
          { kind: 'opened', after: key },
          { kind: 'resolved', after: { ...resolved, status: 'resolved' } },
          { kind: 'reopened', after: role },
          { kind: 'unsuppressed', after: secret },
        ],
      },
      {
        ...d,
        notifier: {
          postRefusal: d.notifier.postRefusal.bind(d.notifier),
          postRequest: async (request) => {
            if (request.ruleId === 'role-unused') throw new Error('channel_not_found');
            return d.notifier.postRequest(request);
          },
        },
      },
    );
    expect(outcomes.map((o) => [o.outcome, o.findingId])).toEqual([
      ['posted', key.id],
      ['failed', role.id],
      ['posted', secret.id],
    ]);
    expect(outcomes[1]).toMatchObject({ error: 'Error: channel_not_found' });
    expect(slack.posted.map((r) => r.ruleId)).toEqual(['access-key-unused', 'secret-not-rotated']);
  });
});
