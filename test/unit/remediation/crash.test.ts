import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../functions/core/finding';
import type { Snapshot, UserSnapshot } from '../../../functions/core/model';
import { parsePolicyDocument } from '../../../functions/core/policy/parse';
import { planRemediation } from '../../../functions/core/remediation/plan';
import type { RemediationRequest } from '../../../functions/core/remediation/request';
import { executeRemediation, type RemediationDeps } from '../../../functions/use-cases/execute-remediation';
import { buildRemediationRequest } from '../../../functions/use-cases/remediation-request';
import { rollbackRemediation } from '../../../functions/use-cases/rollback';
import { sweepRequests } from '../../../functions/use-cases/sweep-requests';
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
} from './fakes';

/**
 * The remediation function killed at every point of an execution in turn (a Lambda timeout or an
 * out-of-memory kill runs no catch block and records no outcome): the sweeper then finds the
 * request stuck in `executing`, marks it for attention, and the operator's rollback brings IAM
 * back to exactly the state before the request, whichever step the kill interrupted.
 */

const TIMEOUT_MS = 300_000;
const OPERATOR = { kind: 'cli' as const, id: 'alice' };

interface Scenario {
  name: string;
  finding: Finding;
  fresh: { snapshot?: Snapshot; owner?: UserSnapshot };
  iam: () => FakeIam;
}

function keyScenario(): Scenario {
  const key = anAccessKey();
  return {
    name: 'deactivate an unused access key (one step)',
    finding: findingFor(key, 'access-key-unused'),
    fresh: { snapshot: key, owner: aUser({}, [key]) },
    iam: () => {
      const iam = new FakeIam();
      iam.keys.set(key.keyId!, 'Active');
      return iam;
    },
  };
}

function adminRoleScenario(): Scenario {
  const role = aRole({
    managedPolicies: [ADMINISTRATOR_ACCESS],
    inlinePolicies: [{ name: 'everything', document: parsePolicyDocument(ADMIN_DOCUMENT) }],
  });
  return {
    name: 'detach a managed policy and delete an inline one (two steps)',
    finding: findingFor(role, 'standing-admin'),
    fresh: { snapshot: role },
    iam: () => {
      const iam = new FakeIam();
      iam.attachedTo('role/ci-deployer').add(ADMINISTRATOR_ACCESS.arn);
      iam.inlineOf('role/ci-deployer').set('everything', JSON.stringify(ADMIN_DOCUMENT));
      return iam;
    },
  };
}

/**
 * Stops the execution for good at the `at`-th kill point: after each write of the step records and
 * after each change to IAM. `reached` settles when it has.
 */
class Killer {
  private count = 0;
  readonly points: string[] = [];
  killedAt: string | undefined;
  private signal!: () => void;
  readonly reached = new Promise<void>((resolve) => {
    this.signal = resolve;
  });

  constructor(private readonly at: number) {}

  point(label: string): Promise<void> {
    this.points.push(label);
    if (this.count++ !== this.at) return Promise.resolve();
    this.killedAt = label;
    this.signal();
    // The process is gone: nothing after this point ever runs.
    return new Promise<void>(() => {});
  }
}

interface Run {
  killer: Killer;
  iam: FakeIam;
  before: unknown;
  store: InMemoryRequestStore;
  deps: RemediationDeps;
  notifier: FakeNotifier;
  requestId: string;
  /** Settles when the execution ended on its own (no kill point was left). */
  finished: Promise<unknown>;
}

async function runKilledAt(scenario: Scenario, at: number): Promise<Run> {
  const timeline: string[] = [];
  const iam = scenario.iam();
  const before = iam.snapshot();
  const store = new InMemoryRequestStore(timeline);
  const executor = new FakeExecutor(iam, timeline);
  const notifier = new FakeNotifier();
  const killer = new Killer(at);

  const save = store.saveSteps.bind(store);
  store.saveSteps = async (id, steps) => {
    await save(id, steps);
    await killer.point(`saved ${(steps ?? []).map((s) => s.status).join(',')}`);
  };
  const apply = executor.apply.bind(executor);
  executor.apply = async (step) => {
    await apply(step);
    await killer.point(`applied ${step.action}`);
  };

  const { now: _now, ...planning } = planContext();
  const deps: RemediationDeps = {
    requests: store,
    findings: new FakeFindings(new Map([[scenario.finding.id, scenario.finding]]), timeline),
    reader: new FakeReader(scenario.fresh, iam),
    executor,
    events: new FakeEvents(),
    notifier,
    planning,
    now: () => NOW,
  };
  const plan = planRemediation(scenario.finding, await deps.reader.read(scenario.finding), planContext());
  if (plan.outcome !== 'plan') throw new Error(plan.reason);
  const request: RemediationRequest = buildRemediationRequest({
    finding: scenario.finding,
    plan,
    requestedBy: { kind: 'system', id: 'iam-posture' },
    now: daysAgo(0.01),
  });
  request.slack = { channel: 'C0123ABCD', ts: '1717200000.000100' };
  await store.create(request);
  await store.transition(request.requestId, 'pending', 'approved', {
    approvedBy: { kind: 'slack', id: 'U0APPROVER', teamId: 'T0TEAM0001' },
    approvedAt: NOW.toISOString(),
  });
  const finished = executeRemediation(request.requestId, deps);
  await Promise.race([killer.reached, finished]);
  return { killer, iam, before, store, deps, notifier, requestId: request.requestId, finished };
}

describe.each([keyScenario(), adminRoleScenario()])('a remediation killed mid-way: $name', (scenario) => {
  it('is marked for attention by the sweeper and rolled back to the before-state, at every kill point', async () => {
    const killedAt: string[] = [];
    for (let at = 0; ; at++) {
      const run = await runKilledAt(scenario, at);
      if (run.killer.killedAt === undefined) {
        // Past the last kill point the execution completes: every point has been tried.
        await expect(run.finished).resolves.toMatchObject({ outcome: 'executed' });
        break;
      }
      killedAt.push(run.killer.killedAt);
      const stuck = run.store.items.get(run.requestId)!;
      expect(stuck.state, run.killer.killedAt).toBe('executing');

      // Within the function's timeout the sweeper leaves it alone: the function may still be running.
      const early = await sweepRequests({
        requests: run.store,
        notifier: run.notifier,
        executionTimeoutMs: TIMEOUT_MS,
        now: () => new Date(NOW.getTime() + TIMEOUT_MS),
      });
      expect(early.attention).toEqual([]);

      const sweep = await sweepRequests({
        requests: run.store,
        notifier: run.notifier,
        executionTimeoutMs: TIMEOUT_MS,
        now: () => new Date(NOW.getTime() + TIMEOUT_MS + 61_000),
      });
      expect(sweep.attention, run.killer.killedAt).toEqual([run.requestId]);
      const flagged = run.store.items.get(run.requestId)!;
      expect(flagged.state).toBe('attention');
      // The step records are kept as the execution left them.
      expect(flagged.steps).toEqual(stuck.steps);
      expect(run.notifier.updates.at(-1)).toEqual({ requestId: run.requestId, state: 'attention' });
      // The finding stays locked while its request waits for a person.
      expect(run.store.locks.get(scenario.finding.id)).toBe(run.requestId);

      const rolledBack = await rollbackRemediation(run.requestId, OPERATOR, run.deps);
      expect(rolledBack.outcome, run.killer.killedAt).toBe('rolled-back');
      expect(run.iam.snapshot(), run.killer.killedAt).toEqual(run.before);
      expect(run.store.items.get(run.requestId)).toMatchObject({
        state: 'rolled-back',
        rolledBackBy: OPERATOR,
      });
      expect(run.store.locks.has(scenario.finding.id)).toBe(false);

      // Rolling back again changes nothing and says why.
      const again = await rollbackRemediation(run.requestId, OPERATOR, run.deps);
      expect(again.outcome).toBe('not-rolled-back');
      expect(run.iam.snapshot()).toEqual(run.before);
    }
    const steps = scenario.finding.ruleId === 'standing-admin' ? 2 : 1;
    // Before-states saved; then per step: applying saved, applied, done saved.
    expect(killedAt).toHaveLength(1 + 3 * steps);
    expect(killedAt[0]).toBe(`saved ${Array(steps).fill('pending').join(',')}`);
  });
});
