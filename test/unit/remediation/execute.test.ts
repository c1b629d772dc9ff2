import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../functions/core/finding';
import type { Snapshot, UserSnapshot } from '../../../functions/core/model';
import { parsePolicyDocument } from '../../../functions/core/policy/parse';
import { planRemediation } from '../../../functions/core/remediation/plan';
import type { Actor } from '../../../functions/core/remediation/request';
import {
  createRemediationRequest,
  executeRemediation,
  type RemediationDeps,
  RemediationRequestNotFoundError,
} from '../../../functions/use-cases/execute-remediation';
import { buildRemediationRequest } from '../../../functions/use-cases/remediation-request';
import { rollbackRemediation, rollbackRequestedRemediation } from '../../../functions/use-cases/rollback';
import { aSecret } from '../../support/builders';
import {
  ADMIN_DOCUMENT,
  ADMINISTRATOR_ACCESS,
  anAccessKey,
  aRole,
  aUser,
  daysAgo,
  findingFor,
  NOW,
  planContext,
} from './builders';
import {
  FakeEvents,
  FakeExecutor,
  FakeFindings,
  FakeIam,
  FakeNotifier,
  FakeReader,
  InMemoryRequestStore,
  type Timeline,
} from './fakes';

const REQUESTER: Actor = { kind: 'slack', id: 'U0REQUESTER', teamId: 'T0TEAM0001' };
const APPROVER: Actor = { kind: 'slack', id: 'U0APPROVER', teamId: 'T0TEAM0001' };
const OPERATOR: Actor = { kind: 'cli', id: 'alice' };

interface Harness {
  deps: RemediationDeps;
  store: InMemoryRequestStore;
  findings: FakeFindings;
  reader: FakeReader;
  executor: FakeExecutor;
  events: FakeEvents;
  notifier: FakeNotifier;
  iam: FakeIam;
  timeline: Timeline;
  finding: Finding;
}

/** An unused access key of deploy-bot, its finding, and the IAM it lives in. */
function keyHarness(): Harness {
  const key = anAccessKey();
  const owner = aUser({}, [key]);
  const iam = new FakeIam();
  iam.keys.set(key.keyId!, 'Active');
  return harness(findingFor(key, 'access-key-unused'), { snapshot: key, owner }, iam);
}

/** An unused role holding AdministratorAccess and an inline admin policy: a two-step plan. */
function adminRoleHarness(): Harness {
  const role = aRole({
    managedPolicies: [ADMINISTRATOR_ACCESS],
    inlinePolicies: [{ name: 'everything', document: parsePolicyDocument(ADMIN_DOCUMENT) }],
  });
  const iam = new FakeIam();
  iam.attachedTo('role/ci-deployer').add(ADMINISTRATOR_ACCESS.arn);
  iam.inlineOf('role/ci-deployer').set('everything', JSON.stringify(ADMIN_DOCUMENT));
  return harness(findingFor(role, 'standing-admin'), { snapshot: role }, iam);
}

/** A secret with rotation configured, last rotated 200 days ago. */
function secretHarness(): Harness {
  const secret = aSecret({
    lastRotatedAt: daysAgo(200),
    nextRotationAt: daysAgo(170),
    createdAt: daysAgo(400),
  });
  return harness(findingFor(secret, 'secret-not-rotated'), { snapshot: secret }, new FakeIam());
}

function harness(
  finding: Finding,
  fresh: { snapshot?: Snapshot; owner?: UserSnapshot },
  iam: FakeIam,
): Harness {
  const timeline: Timeline = [];
  const store = new InMemoryRequestStore(timeline);
  const findings = new FakeFindings(new Map([[finding.id, finding]]), timeline);
  const reader = new FakeReader(fresh, iam);
  const executor = new FakeExecutor(iam, timeline);
  const events = new FakeEvents();
  const notifier = new FakeNotifier();
  const { now: _now, ...planning } = planContext();
  const deps: RemediationDeps = {
    requests: store,
    findings,
    reader,
    executor,
    events,
    notifier,
    planning,
    now: () => NOW,
  };
  return { deps, store, findings, reader, executor, events, notifier, iam, timeline, finding };
}

/** Records a request for the harness's finding as the Slack path does, and approves it. */
async function approvedRequest(h: Harness): Promise<string> {
  const plan = planRemediation(h.finding, await h.reader.read(h.finding), planContext());
  if (plan.outcome !== 'plan') throw new Error(plan.reason);
  const request = buildRemediationRequest({
    finding: h.finding,
    plan,
    requestedBy: REQUESTER,
    now: daysAgo(0.01),
  });
  request.slack = { channel: 'C0123ABCD', ts: '1717200000.000100' };
  await h.store.create(request);
  await h.store.transition(request.requestId, 'pending', 'approved', {
    approvedBy: APPROVER,
    approvedAt: NOW.toISOString(),
  });
  h.timeline.length = 0;
  h.reader.reads = 0;
  return request.requestId;
}

describe('executeRemediation', () => {
  it('executes an approved request: before-state stored first, then the change, verified and recorded', async () => {
    const h = keyHarness();
    const id = await approvedRequest(h);
    const outcome = await executeRemediation(id, h.deps);

    expect(outcome.outcome).toBe('executed');
    expect(h.iam.keys.get('AKIAEXAMPLEKEY000001')).toBe('Inactive');
    expect(h.timeline).toEqual([
      'store:approved->executing',
      'iam:capture:deactivate-access-key',
      'store:save-steps:pending',
      'store:save-steps:applying',
      'iam:apply:deactivate-access-key',
      'iam:verify:deactivate-access-key',
      'store:save-steps:done',
      'store:executing->executed',
      `finding:remediated:${h.finding.id}`,
    ]);
    const stored = h.store.items.get(id)!;
    expect(stored.state).toBe('executed');
    expect(stored.executedAt).toBe(NOW.toISOString());
    expect(stored.steps).toEqual([
      {
        step: {
          action: 'deactivate-access-key',
          userName: 'deploy-bot',
          accessKeyId: 'AKIAEXAMPLEKEY000001',
        },
        before: {
          action: 'deactivate-access-key',
          userName: 'deploy-bot',
          accessKeyId: 'AKIAEXAMPLEKEY000001',
          status: 'Active',
        },
        status: 'done',
      },
    ]);
    expect(h.findings.status.get(h.finding.id)).toBe(`remediated by ${id}`);
    expect(h.events.published).toEqual([
      {
        detailType: 'RemediationExecuted',
        detail: expect.objectContaining({
          requestId: id,
          findingId: h.finding.id,
          state: 'executed',
          approvedBy: APPROVER,
        }),
      },
    ]);
    expect(h.notifier.updates).toEqual([{ requestId: id, state: 'executed' }]);
  });

  it('acts once when the approval event is delivered several times at once', async () => {
    const h = keyHarness();
    const id = await approvedRequest(h);
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => executeRemediation(id, h.deps)));

    expect(outcomes.map((o) => o.outcome).sort()).toEqual([
      'executed',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
    ]);
    expect(h.iam.changes).toBe(1);
    expect(h.executor.applied).toBe(1);
    // One read to plan, one to confirm the rule passes after the change.
    expect(h.reader.reads).toBe(2);
    expect(h.events.published).toHaveLength(1);
  });

  it('does nothing on a redelivery after the request was executed', async () => {
    const h = keyHarness();
    const id = await approvedRequest(h);
    await executeRemediation(id, h.deps);
    const again = await executeRemediation(id, h.deps);

    expect(again).toEqual({
      outcome: 'skipped',
      requestId: id,
      state: 'executed',
      reason: 'The request is executed, not approved.',
    });
    expect(h.iam.changes).toBe(1);
    expect(h.reader.reads).toBe(2);
  });

  it('keeps the finding open when the rule still fails on the live state after the change', async () => {
    const h = keyHarness();
    const id = await approvedRequest(h);
    // The call succeeds and verifies, yet the key is still active when read back.
    h.executor.apply = async () => {};
    const outcome = await executeRemediation(id, h.deps);
    expect(outcome.outcome).toBe('executed');
    if (outcome.outcome !== 'executed') return;
    expect(outcome.warnings.join(' ')).toMatch(/^the finding stays open: rule access-key-unused still fails/);
    expect(h.timeline.some((t) => t.startsWith('finding:remediated'))).toBe(false);
    expect(h.store.items.get(id)!.state).toBe('executed');
  });

  it('never executes a request that was not approved', async () => {
    const h = keyHarness();
    const plan = planRemediation(h.finding, h.reader.fresh, planContext());
    if (plan.outcome !== 'plan') throw new Error(plan.reason);
    const request = buildRemediationRequest({ finding: h.finding, plan, requestedBy: REQUESTER, now: NOW });
    await h.store.create(request);

    const outcome = await executeRemediation(request.requestId, h.deps);
    expect(outcome).toMatchObject({ outcome: 'skipped', state: 'pending' });
    expect(h.iam.changes).toBe(0);
    expect(h.store.items.get(request.requestId)!.state).toBe('pending');
  });

  it('refuses, and changes nothing, when the identity was used after the approval', async () => {
    const h = keyHarness();
    const id = await approvedRequest(h);
    const used = anAccessKey({ lastUsedAt: daysAgo(0.5) });
    h.reader.fresh = { snapshot: used, owner: aUser({}, [used]) };

    const outcome = await executeRemediation(id, h.deps);
    expect(outcome).toMatchObject({
      outcome: 'refused',
      reason: `Rule access-key-unused now passes for ${h.finding.resourceArn}; nothing to remediate.`,
    });
    expect(h.iam.changes).toBe(0);
    expect(h.timeline.filter((t) => t.startsWith('iam:'))).toEqual([]);
    expect(h.store.items.get(id)).toMatchObject({
      state: 'refused',
      outcomeReason: `Rule access-key-unused now passes for ${h.finding.resourceArn}; nothing to remediate.`,
    });
    expect(h.notifier.updates).toEqual([{ requestId: id, state: 'refused' }]);
    expect(h.findings.status.size).toBe(0);
  });

  it('refuses when the plan is no longer the one approved', async () => {
    const h = adminRoleHarness();
    const id = await approvedRequest(h);
    // The inline policy was deleted by hand since: only the managed policy would be removed now.
    h.reader.fresh = { snapshot: aRole({ managedPolicies: [ADMINISTRATOR_ACCESS] }) };

    const outcome = await executeRemediation(id, h.deps);
    expect(outcome.outcome).toBe('refused');
    if (outcome.outcome !== 'refused') return;
    expect(outcome.reason).toMatch(/^The plan changed since it was approved/);
    expect(h.iam.changes).toBe(0);
  });

  it('refuses when the finding is suppressed since the approval', async () => {
    const h = keyHarness();
    const id = await approvedRequest(h);
    h.findings.findings.set(h.finding.id, {
      ...h.finding,
      suppression: { reason: 'vendor integration', owner: 'sec', expires: '2030-01-01' },
    });
    const outcome = await executeRemediation(id, h.deps);
    expect(outcome).toMatchObject({
      outcome: 'refused',
      reason: `Finding ${h.finding.id} is suppressed (vendor integration).`,
    });
    expect(h.iam.changes).toBe(0);
  });

  it('records an expired approval as expired without acting', async () => {
    const h = keyHarness();
    const id = await approvedRequest(h);
    h.deps.now = () => new Date(NOW.getTime() + 2 * 86_400_000);
    const outcome = await executeRemediation(id, h.deps);
    expect(outcome.outcome).toBe('expired');
    expect(h.store.items.get(id)!.state).toBe('expired');
    expect(h.iam.changes).toBe(0);
  });

  it('throws for a request id nobody recorded', async () => {
    const h = keyHarness();
    await expect(executeRemediation('no-such-request', h.deps)).rejects.toBeInstanceOf(
      RemediationRequestNotFoundError,
    );
  });

  it('rolls back the steps already done when a later step fails, and records it', async () => {
    const h = adminRoleHarness();
    const id = await approvedRequest(h);
    const before = h.iam.snapshot();
    h.executor.failApplyAt = {
      index: 1,
      error: new Error('AccessDenied: not authorized to perform iam:DeleteRolePolicy'),
    };

    const outcome = await executeRemediation(id, h.deps);
    expect(outcome.outcome).toBe('failed');
    if (outcome.outcome !== 'failed') return;
    expect(outcome.unchanged).toBe(true);
    expect(outcome.reason).toMatch(
      /^Step 2 of 2 \(.+\) failed: AccessDenied: not authorized to perform iam:DeleteRolePolicy\. Rolled back 2 steps\.$/,
    );
    expect(h.iam.snapshot()).toEqual(before);
    const stored = h.store.items.get(id)!;
    expect(stored.state).toBe('failed');
    expect(stored.outcomeReason).toBe(outcome.reason);
    expect(stored.steps!.map((s) => s.status)).toEqual(['rolled-back', 'rolled-back']);
    expect(stored.steps![1]!.error).toBe('AccessDenied: not authorized to perform iam:DeleteRolePolicy');
    // Restored newest first: the failed step (possibly half-applied), then the first one.
    expect(h.timeline.filter((t) => t.startsWith('iam:restore'))).toHaveLength(2);
    expect(h.findings.status.size).toBe(0);
    expect(h.events.published).toEqual([]);
    expect(h.notifier.updates).toEqual([{ requestId: id, state: 'failed' }]);
  });

  it('treats a change that does not verify as a failure and undoes it', async () => {
    const h = keyHarness();
    const id = await approvedRequest(h);
    h.executor.verificationProblem = 'Access key AKIAEXAMPLEKEY000001 is Active, not Inactive.';
    const outcome = await executeRemediation(id, h.deps);
    expect(outcome).toMatchObject({ outcome: 'failed', unchanged: true });
    expect(h.iam.keys.get('AKIAEXAMPLEKEY000001')).toBe('Active');
    expect(h.store.items.get(id)!.outcomeReason).toContain('is Active, not Inactive');
  });

  it('says so when the rollback itself fails', async () => {
    const h = adminRoleHarness();
    const id = await approvedRequest(h);
    h.executor.failApplyAt = { index: 1, error: new Error('Throttling') };
    h.executor.failRestore = new Error('AccessDenied');
    const outcome = await executeRemediation(id, h.deps);
    expect(outcome).toMatchObject({ outcome: 'failed', unchanged: false });
    if (outcome.outcome !== 'failed') return;
    expect(outcome.reason).toContain('Rollback incomplete');
    expect(h.store.items.get(id)!.state).toBe('failed');
  });

  it('can roll back later, from the CLI, a failure whose in-line rollback was incomplete', async () => {
    const h = adminRoleHarness();
    const before = h.iam.snapshot();
    const id = await approvedRequest(h);
    h.executor.failApplyAt = { index: 1, error: new Error('Throttling') };
    h.executor.failRestore = new Error('AccessDenied');
    expect(await executeRemediation(id, h.deps)).toMatchObject({ outcome: 'failed', unchanged: false });
    expect(h.iam.snapshot()).not.toEqual(before);

    h.executor.failRestore = undefined;
    const rollback = await rollbackRemediation(id, OPERATOR, h.deps);
    expect(rollback.outcome).toBe('rolled-back');
    expect(h.iam.snapshot()).toEqual(before);
    expect(h.store.items.get(id)!.state).toBe('rolled-back');
    // The remediation function only acts on an authorized Undo, never on a failed request.
    const h2 = adminRoleHarness();
    const id2 = await approvedRequest(h2);
    h2.executor.failApplyAt = { index: 1, error: new Error('Throttling') };
    h2.executor.failRestore = new Error('AccessDenied');
    await executeRemediation(id2, h2.deps);
    h2.executor.failRestore = undefined;
    const refused = await rollbackRequestedRemediation(id2, h2.deps);
    expect(refused.outcome).toBe('not-rolled-back');
  });

  it('leaves a rotation that did not verify in time alone, and does not claim nothing changed', async () => {
    const h = secretHarness();
    const id = await approvedRequest(h);
    h.executor.verificationProblem = 'the new version did not become AWSCURRENT within 60 s';
    const outcome = await executeRemediation(id, h.deps);
    expect(outcome).toMatchObject({ outcome: 'failed', unchanged: false });
    if (outcome.outcome !== 'failed') return;
    expect(outcome.reason).toContain('may still be in progress');
    expect(h.timeline.filter((t) => t.startsWith('iam:restore'))).toEqual([]);
    expect(h.store.items.get(id)!.steps!.map((s) => s.status)).toEqual(['failed']);
  });

  it('records a failure and changes nothing when the live state cannot be read', async () => {
    const h = keyHarness();
    const id = await approvedRequest(h);
    h.reader.failWith = new Error('AccessDenied: iam:GetUser');
    const outcome = await executeRemediation(id, h.deps);
    expect(outcome).toMatchObject({
      outcome: 'failed',
      unchanged: true,
      reason: 'The live state could not be read: AccessDenied: iam:GetUser. Nothing was changed.',
    });
    expect(h.iam.changes).toBe(0);
    expect(h.store.items.get(id)!.state).toBe('failed');
  });

  it('changes nothing when a before-state cannot be recorded', async () => {
    const h = keyHarness();
    const id = await approvedRequest(h);
    h.executor.failCapture = new Error('Throttling');
    const outcome = await executeRemediation(id, h.deps);
    expect(outcome).toMatchObject({ outcome: 'failed', unchanged: true });
    expect(h.executor.applied).toBe(0);
  });
});

describe('rollbackRemediation', () => {
  it('restores every before-state exactly, newest first, and reopens the finding', async () => {
    const h = adminRoleHarness();
    const before = h.iam.snapshot();
    const id = await approvedRequest(h);
    await executeRemediation(id, h.deps);
    expect(h.iam.snapshot()).not.toEqual(before);
    h.timeline.length = 0;

    const outcome = await rollbackRemediation(id, OPERATOR, h.deps);
    expect(outcome.outcome).toBe('rolled-back');
    expect(h.iam.snapshot()).toEqual(before);
    const executed = h.store.items.get(id)!.steps!.map((s) => s.step.action);
    expect(
      h.timeline.filter((t) => t.startsWith('iam:restore')).map((t) => t.slice('iam:restore:'.length)),
    ).toEqual([...executed].reverse());
    expect(h.store.items.get(id)).toMatchObject({
      state: 'rolled-back',
      rolledBackBy: OPERATOR,
      rolledBackAt: NOW.toISOString(),
    });
    expect(h.store.items.get(id)!.steps!.map((s) => s.status)).toEqual(['rolled-back', 'rolled-back']);
    expect(h.findings.status.get(h.finding.id)).toBe(`reopened after ${id}`);
    expect(h.events.published.map((e) => e.detailType)).toEqual([
      'RemediationExecuted',
      'RemediationRolledBack',
    ]);
    expect(h.notifier.updates.at(-1)).toEqual({ requestId: id, state: 'rolled-back' });
  });

  it('rolls back once: a second rollback finds nothing to do', async () => {
    const h = keyHarness();
    const id = await approvedRequest(h);
    await executeRemediation(id, h.deps);
    await rollbackRemediation(id, OPERATOR, h.deps);
    const changes = h.iam.changes;
    const again = await rollbackRemediation(id, OPERATOR, h.deps);
    expect(again).toEqual({
      outcome: 'not-rolled-back',
      requestId: id,
      reason: `Request ${id} is rolled-back; only a request that is executed, rollback-requested, failed or attention can be rolled back.`,
    });
    expect(h.iam.changes).toBe(changes);
  });

  it('refuses to roll back a request that was not executed', async () => {
    const h = keyHarness();
    const id = await approvedRequest(h);
    expect(await rollbackRemediation(id, OPERATOR, h.deps)).toMatchObject({ outcome: 'not-rolled-back' });
    expect(await rollbackRemediation('unknown', OPERATOR, h.deps)).toMatchObject({
      outcome: 'not-rolled-back',
    });
    expect(h.iam.changes).toBe(0);
  });

  it('leaves the request executed when a before-state cannot be restored, so it can be retried', async () => {
    const h = keyHarness();
    const id = await approvedRequest(h);
    await executeRemediation(id, h.deps);
    h.executor.failRestore = new Error('Throttling');
    const outcome = await rollbackRemediation(id, OPERATOR, h.deps);
    expect(outcome).toMatchObject({ outcome: 'failed' });
    if (outcome.outcome !== 'failed') return;
    expect(outcome.problems).toEqual([
      'deactivate access key AKIAEXAMPLEKEY000001 of user deploy-bot: Throttling',
    ]);
    expect(h.store.items.get(id)!.state).toBe('executed');

    h.executor.failRestore = undefined;
    expect((await rollbackRemediation(id, OPERATOR, h.deps)).outcome).toBe('rolled-back');
    expect(h.iam.keys.get('AKIAEXAMPLEKEY000001')).toBe('Active');
  });
});

describe('rollbackRequestedRemediation (the Undo button)', () => {
  const UNDO_CLICKER: Actor = { kind: 'slack', id: 'U0UNDOER01', teamId: 'T0TEAM0001' };

  it('records the person whose Undo click was checked, in the request and in the event', async () => {
    const h = adminRoleHarness();
    const before = h.iam.snapshot();
    const id = await approvedRequest(h);
    await executeRemediation(id, h.deps);
    await h.store.transition(id, 'executed', 'rollback-requested', {
      rollbackRequestedBy: UNDO_CLICKER,
      rollbackRequestedAt: NOW.toISOString(),
    });

    const outcome = await rollbackRequestedRemediation(id, h.deps);
    expect(outcome.outcome).toBe('rolled-back');
    expect(h.iam.snapshot()).toEqual(before);
    expect(h.store.items.get(id)).toMatchObject({
      state: 'rolled-back',
      rollbackRequestedBy: UNDO_CLICKER,
      rolledBackBy: UNDO_CLICKER,
    });
    expect(h.events.published.at(-1)).toMatchObject({
      detailType: 'RemediationRolledBack',
      detail: { requestId: id, rollbackRequestedBy: UNDO_CLICKER, rolledBackBy: UNDO_CLICKER },
    });
  });

  it('changes nothing for a rollback-requested request that records nobody who asked for it', async () => {
    const h = keyHarness();
    const id = await approvedRequest(h);
    await executeRemediation(id, h.deps);
    await h.store.transition(id, 'executed', 'rollback-requested', {
      rollbackRequestedAt: NOW.toISOString(),
    });
    const changes = h.iam.changes;

    expect(await rollbackRequestedRemediation(id, h.deps)).toEqual({
      outcome: 'not-rolled-back',
      requestId: id,
      reason: `Request ${id} records nobody who asked for its rollback; nothing was changed.`,
    });
    expect(h.iam.changes).toBe(changes);
    expect(h.store.items.get(id)!.state).toBe('rollback-requested');
  });

  it('leaves an executed request without an authorized Undo alone', async () => {
    const h = keyHarness();
    const id = await approvedRequest(h);
    await executeRemediation(id, h.deps);
    const changes = h.iam.changes;
    expect(await rollbackRequestedRemediation(id, h.deps)).toMatchObject({ outcome: 'not-rolled-back' });
    expect(h.iam.changes).toBe(changes);
  });
});

describe('createRemediationRequest (command line)', () => {
  it('prints the plan on a dry run and records nothing', async () => {
    const h = keyHarness();
    const outcome = await createRemediationRequest(h.finding, h.deps, { dryRun: true, actor: OPERATOR });
    expect(outcome).toMatchObject({
      outcome: 'dry-run',
      plan: { outcome: 'plan', summary: 'Deactivate access key AKIAEXAMPLEKEY000001 of user deploy-bot.' },
    });
    expect(h.store.items.size).toBe(0);
    expect(h.iam.changes).toBe(0);
  });

  it('records a request requested and approved by the operator, and executes it', async () => {
    const h = keyHarness();
    const outcome = await createRemediationRequest(h.finding, h.deps, { dryRun: false, actor: OPERATOR });
    expect(outcome.outcome).toBe('executed');
    const [request] = [...h.store.items.values()];
    expect(request).toMatchObject({
      state: 'executed',
      findingId: h.finding.id,
      requestedBy: OPERATOR,
      approvedBy: OPERATOR,
      actions: ['deactivate-access-key'],
    });
    expect(h.timeline.slice(0, 3)).toEqual([
      'store:create:pending',
      'store:pending->approved',
      'store:approved->executing',
    ]);
    expect(h.iam.keys.get('AKIAEXAMPLEKEY000001')).toBe('Inactive');
  });

  it('records nothing when the plan is refused', async () => {
    const h = keyHarness();
    const used = anAccessKey({ lastUsedAt: daysAgo(1) });
    h.reader.fresh = { snapshot: used, owner: aUser({}, [used]) };
    const outcome = await createRemediationRequest(h.finding, h.deps, { dryRun: false, actor: OPERATOR });
    expect(outcome).toMatchObject({ outcome: 'refused', plan: { gate: 'rule-passes' } });
    expect(h.store.items.size).toBe(0);
  });
});
