import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../functions/core/finding';
import type { StoredFinding } from '../../../functions/core/lifecycle';
import type { ProtectionConfig } from '../../../functions/core/remediation/protection';
import type { RemediationRequest } from '../../../functions/core/remediation/request';
import {
  approvalRequestId,
  type RequestApprovalDeps,
  requestApproval,
  requestApprovalsForScan,
  SCAN_REQUESTER,
} from '../../../functions/use-cases/request-approval';
import { ACCOUNT, anAccessKey, aRole, aSecret, daysAgo, findingFor, NOW } from '../remediation/builders';
import { InMemoryRequestStore } from '../remediation/fakes';

const NO_PROTECTION: ProtectionConfig = { protectedArns: [], breakGlassArns: [], ownArns: [] };
const SCAN_ID = '20240601T000000Z-abcd';

class FakeSlack {
  readonly posted: RemediationRequest[] = [];
  readonly refusals: { findingId: string; reason: string; accountName?: string }[] = [];
  failPosts = 0;

  async postRequest(request: RemediationRequest): Promise<{ channel: string; ts: string }> {
    if (this.failPosts > 0) {
      this.failPosts--;
      throw new Error('Slack chat.postMessage failed: service_unavailable');
    }
    this.posted.push(structuredClone(request));
    return { channel: 'C0CHANNEL1', ts: `1717200000.00010${this.posted.length}` };
  }

  async postRefusal(
    finding: Finding,
    reason: string,
    accountName?: string,
  ): Promise<{ channel: string; ts: string }> {
    this.refusals.push({ findingId: finding.id, reason, ...(accountName ? { accountName } : {}) });
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

const unusedKey = () => ({ key: anAccessKey({ keyId: 'AKIAEXAMPLEKEY000001', lastUsedAt: daysAgo(100) }) });

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
      lastUsedAt: '2026-02-21T12:00:00.000Z',
      lastUsedService: 's3',
      lastUsedRegion: 'eu-west-1',
      createdAt: '2025-08-05T12:00:00.000Z',
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

  it('opens no second request for a reopened finding while one is pending, approved or executing', async () => {
    const { deps: d, store, slack } = deps();
    const finding = stored(keyFinding());
    await requestApproval({ finding, scanId: SCAN_ID }, d);
    const first = approvalRequestId(finding.id, SCAN_ID);
    const stages: [string, () => Promise<unknown>][] = [
      ['pending', async () => undefined],
      ['approved', () => store.transition(first, 'pending', 'approved', {})],
      ['executing', () => store.transition(first, 'approved', 'executing', {})],
    ];
    for (const [index, [state, move]] of stages.entries()) {
      await move();
      const reopened = await requestApproval({ finding, scanId: `20240602T00000${index}Z-beef` }, d);
      expect(reopened).toEqual({
        outcome: 'active-request',
        findingId: finding.id,
        activeRequestId: first,
        reason: `finding ${finding.id} already has remediation request ${first} (${state}); a second one is opened only once it ends`,
      });
    }
    expect(slack.posted).toHaveLength(1);
    expect([...store.items.keys()]).toEqual([first]);
    expect(store.locks.get(finding.id)).toBe(first);
  });

  it('opens one request when two scans reopen the finding at once', async () => {
    const { deps: d, store, slack } = deps();
    const finding = stored(keyFinding());
    const outcomes = await Promise.all([
      requestApproval({ finding, scanId: '20240602T000000Z-aaaa' }, d),
      requestApproval({ finding, scanId: '20240602T000000Z-bbbb' }, d),
    ]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['active-request', 'posted']);
    expect(slack.posted).toHaveLength(1);
    expect(store.items.size).toBe(1);
    expect(store.locks.get(finding.id)).toBe(slack.posted[0]?.requestId);
  });

  it.each([
    ['rejected', [['pending', 'rejected']]],
    ['expired', [['pending', 'expired']]],
    [
      'executed',
      [
        ['pending', 'approved'],
        ['approved', 'executing'],
        ['executing', 'executed'],
      ],
    ],
    [
      'failed',
      [
        ['pending', 'approved'],
        ['approved', 'executing'],
        ['executing', 'failed'],
      ],
    ],
    [
      'refused',
      [
        ['pending', 'approved'],
        ['approved', 'executing'],
        ['executing', 'refused'],
      ],
    ],
  ] as const)('opens a new request once the previous one is %s', async (_end, moves) => {
    const { deps: d, store, slack } = deps();
    const finding = stored(keyFinding());
    await requestApproval({ finding, scanId: SCAN_ID }, d);
    const first = approvalRequestId(finding.id, SCAN_ID);
    for (const [from, to] of moves) expect(await store.transition(first, from, to, {})).toBeDefined();
    expect(store.locks.has(finding.id)).toBe(false);

    const reopened = await requestApproval({ finding, scanId: '20240602T000000Z-beef' }, d);
    const second = approvalRequestId(finding.id, '20240602T000000Z-beef');
    expect(reopened).toMatchObject({ outcome: 'posted', request: { requestId: second, state: 'pending' } });
    expect(slack.posted.map((r) => r.requestId)).toEqual([first, second]);
    expect(store.locks.get(finding.id)).toBe(second);
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

  it('opens a new request when a later scan opens the finding again after the first one ended', async () => {
    const { deps: d, store, slack } = deps();
    const finding = stored(keyFinding());
    await requestApproval({ finding, scanId: SCAN_ID }, d);
    await store.transition(approvalRequestId(finding.id, SCAN_ID), 'pending', 'expired', {});
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

describe('the account name in requests', () => {
  const keyFinding = () => findingFor(unusedKey().key, 'access-key-unused');

  it('records the name the latest organization run gives the account, for every later message', async () => {
    const { deps: d, store, slack } = deps();
    const asked: string[] = [];
    d.accountNames = {
      accountName: async (accountId) => {
        asked.push(accountId);
        return 'Payments';
      },
    };
    const finding = keyFinding();
    await requestApproval({ finding: stored(finding), scanId: SCAN_ID }, d);
    expect(asked).toEqual([finding.accountId]);
    expect(store.items.get(approvalRequestId(finding.id, SCAN_ID))?.accountName).toBe('Payments');
    expect(slack.posted[0]?.accountName).toBe('Payments');
  });

  it('names the account by id alone when the name is unknown or cannot be read', async () => {
    for (const accountName of [async () => undefined, async () => Promise.reject(new Error('throttled'))]) {
      const { deps: d, store, slack } = deps();
      d.accountNames = { accountName };
      const finding = keyFinding();
      const outcome = await requestApproval({ finding: stored(finding), scanId: SCAN_ID }, d);
      expect(outcome.outcome).toBe('posted');
      expect(store.items.get(approvalRequestId(finding.id, SCAN_ID))).not.toHaveProperty('accountName');
      expect(slack.posted[0]).not.toHaveProperty('accountName');
    }
  });

  it('names the account in a refusal', async () => {
    const { deps: d, slack } = deps({
      ...NO_PROTECTION,
      breakGlassArns: [`arn:aws:iam::${ACCOUNT}:user/deploy-bot`],
    });
    d.accountNames = { accountName: async () => 'Payments' };
    const outcome = await requestApproval({ finding: stored(keyFinding()), scanId: SCAN_ID }, d);
    expect(outcome.outcome).toBe('refused');
    expect(slack.refusals[0]?.accountName).toBe('Payments');
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
