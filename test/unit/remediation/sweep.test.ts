import { describe, expect, it } from 'vitest';
import { planRemediation } from '../../../functions/core/remediation/plan';
import { isStuckExecuting, type RemediationRequest } from '../../../functions/core/remediation/request';
import { requestMessage } from '../../../functions/core/slack/messages';
import { buildRemediationRequest } from '../../../functions/use-cases/remediation-request';
import { sweepRequests } from '../../../functions/use-cases/sweep-requests';
import { anAccessKey, aUser, findingFor, NOW, planContext } from './builders';
import { FakeNotifier, InMemoryRequestStore } from './fakes';

const HOUR = 3_600_000;
const TIMEOUT_MS = 300_000;

function aRequest(keyId: string, createdAt: Date): RemediationRequest {
  const key = anAccessKey({ keyId });
  const finding = findingFor(key, 'access-key-unused');
  const plan = planRemediation(finding, { snapshot: key, owner: aUser({}, [key]) }, planContext());
  if (plan.outcome !== 'plan') throw new Error(plan.reason);
  const request = buildRemediationRequest({
    finding,
    plan,
    requestedBy: { kind: 'system', id: 'iam-posture' },
    now: createdAt,
    requestId: `r-${keyId.slice(-2)}`,
  });
  request.slack = { channel: 'C0123ABCD', ts: `1717200000.0001${keyId.slice(-2)}` };
  return request;
}

async function world() {
  const store = new InMemoryRequestStore([]);
  const notifier = new FakeNotifier();
  // Created 25 h ago: expired at NOW - 1 h. Created 1 h ago: expires in 23 h.
  const stalePending = aRequest('AKIAEXAMPLEKEY000011', new Date(NOW.getTime() - 25 * HOUR));
  const freshPending = aRequest('AKIAEXAMPLEKEY000012', new Date(NOW.getTime() - HOUR));
  const staleApproved = aRequest('AKIAEXAMPLEKEY000013', new Date(NOW.getTime() - 25 * HOUR));
  const stuck = aRequest('AKIAEXAMPLEKEY000014', new Date(NOW.getTime() - 2 * HOUR));
  const running = aRequest('AKIAEXAMPLEKEY000015', new Date(NOW.getTime() - 2 * HOUR));
  for (const request of [stalePending, freshPending, staleApproved, stuck, running])
    await store.create(request);
  await store.transition(staleApproved.requestId, 'pending', 'approved', {});
  for (const [request, startedMsAgo] of [
    [stuck, TIMEOUT_MS + 61_000],
    [running, TIMEOUT_MS],
  ] as const) {
    await store.transition(request.requestId, 'pending', 'approved', {});
    await store.transition(request.requestId, 'approved', 'executing', {
      executionStartedAt: new Date(NOW.getTime() - startedMsAgo).toISOString(),
    });
    await store.saveSteps(request.requestId, [{ step: request.plan.steps[0]!, status: 'applying' }]);
  }
  const sweep = () =>
    sweepRequests({ requests: store, notifier, executionTimeoutMs: TIMEOUT_MS, now: () => NOW });
  return { store, notifier, stalePending, freshPending, staleApproved, stuck, running, sweep };
}

describe('sweepRequests', () => {
  it('expires pending and approved requests past their expiry, updates their messages and frees their findings', async () => {
    const w = await world();
    const report = await w.sweep();
    expect(report.expired).toEqual([w.stalePending.requestId, w.staleApproved.requestId]);
    expect(w.store.items.get(w.stalePending.requestId)).toMatchObject({
      state: 'expired',
      outcomeReason: `Nobody decided before ${w.stalePending.expiresAt}.`,
    });
    expect(w.store.items.get(w.staleApproved.requestId)).toMatchObject({
      state: 'expired',
      outcomeReason: `The approval expired at ${w.staleApproved.expiresAt} before it was executed.`,
    });
    expect(w.store.locks.has(w.stalePending.findingId)).toBe(false);
    expect(w.store.locks.has(w.staleApproved.findingId)).toBe(false);
    expect(w.store.items.get(w.freshPending.requestId)?.state).toBe('pending');
    expect(w.store.locks.get(w.freshPending.findingId)).toBe(w.freshPending.requestId);
    expect(w.notifier.updates).toEqual([
      { requestId: w.stalePending.requestId, state: 'expired' },
      { requestId: w.staleApproved.requestId, state: 'expired' },
      { requestId: w.stuck.requestId, state: 'attention' },
    ]);
  });

  it('marks an execution older than the function can run for attention, keeping its steps and its lock', async () => {
    const w = await world();
    const report = await w.sweep();
    expect(report.attention).toEqual([w.stuck.requestId]);
    expect(w.store.items.get(w.stuck.requestId)).toMatchObject({
      state: 'attention',
      attentionAt: NOW.toISOString(),
      outcomeReason:
        "No outcome was recorded within the remediation function's 300 s; 1 step was left applying.",
      steps: [{ status: 'applying' }],
    });
    expect(w.store.locks.get(w.stuck.findingId)).toBe(w.stuck.requestId);
    // Exactly at the timeout plus its grace the function may still be writing its outcome.
    expect(w.store.items.get(w.running.requestId)?.state).toBe('executing');
  });

  it('does nothing on a second sweep', async () => {
    const w = await world();
    await w.sweep();
    const updates = w.notifier.updates.length;
    expect(await w.sweep()).toEqual({ expired: [], attention: [], raced: [], warnings: [] });
    expect(w.notifier.updates).toHaveLength(updates);
  });

  it('leaves a request that a click moved first, and reports it', async () => {
    const w = await world();
    const transition = w.store.transition.bind(w.store);
    w.store.transition = async (id, from, to, changes) => {
      if (id === w.stalePending.requestId && to === 'expired')
        await transition(id, 'pending', 'rejected', {});
      return transition(id, from, to, changes);
    };
    const report = await w.sweep();
    expect(report.raced).toEqual([w.stalePending.requestId]);
    expect(w.store.items.get(w.stalePending.requestId)?.state).toBe('rejected');
  });

  it('records a failed Slack update as a warning, the move stays', async () => {
    const w = await world();
    w.notifier.updateRequest = async () => {
      throw new Error('chat.update failed: ratelimited');
    };
    const report = await w.sweep();
    expect(report.expired).toHaveLength(2);
    expect(report.warnings).toEqual([
      `updating the Slack message of ${w.stalePending.requestId} failed: Error: chat.update failed: ratelimited`,
      `updating the Slack message of ${w.staleApproved.requestId} failed: Error: chat.update failed: ratelimited`,
      `updating the Slack message of ${w.stuck.requestId} failed: Error: chat.update failed: ratelimited`,
    ]);
  });
});

describe('isStuckExecuting', () => {
  const base = { state: 'executing' as const, createdAt: '2026-06-01T10:00:00.000Z' };
  it.each<[string, Record<string, string>, boolean, number]>([
    ['started within timeout + grace', { executionStartedAt: '2026-06-01T11:54:00.000Z' }, false, 0],
    ['started exactly timeout + grace ago', { executionStartedAt: '2026-06-01T11:54:00.000Z' }, true, 1],
    ['no start recorded: the approval counts', { approvedAt: '2026-06-01T11:00:00.000Z' }, true, 0],
    ['an unreadable start fails closed', { executionStartedAt: 'yesterday' }, true, 0],
  ])('%s', (_name, fields, stuck, extraMs) => {
    // NOW is 12:00; the timeout 5 min and the grace 1 min make 11:54 the edge.
    const now = new Date(NOW.getTime() + extraMs - 1);
    expect(isStuckExecuting({ ...base, ...fields }, now, TIMEOUT_MS)).toBe(stuck);
  });
  it('is false for any other state', () => {
    expect(isStuckExecuting({ ...base, state: 'approved' }, NOW, 0)).toBe(false);
  });
});

describe('the message of a request needing attention', () => {
  it('says what was left applying and how to roll it back', async () => {
    const w = await world();
    await w.sweep();
    const message = requestMessage(w.store.items.get(w.stuck.requestId)!);
    const text = JSON.stringify(message.blocks);
    expect(message.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: 'Remediation needs attention' },
    });
    expect(text).toContain('left applying (may or may not have changed AWS): 1');
    expect(text).toContain(`iam-posture rollback ${w.stuck.requestId}`);
    expect(text).not.toContain('"actions"');
  });
});
