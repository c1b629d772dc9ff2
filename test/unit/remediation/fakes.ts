import type { Finding } from '../../../functions/core/finding';
import type { FreshState, RemediationStep } from '../../../functions/core/remediation/plan';
import {
  ActiveRequestExistsError,
  type BeforeState,
  canTransition,
  holdsFindingLock,
  type RemediationRequest,
  type RequestState,
} from '../../../functions/core/remediation/request';
import type {
  ApprovalNotifier,
  FindingLookup,
  LiveStateReader,
  RemediationEvents,
  RemediationExecutor,
  RemediationRequestStore,
} from '../../../functions/use-cases/remediation-ports';

/** Everything the fakes do, in order, so tests can assert what happened before what. */
export type Timeline = string[];

/** Conditional writes as DynamoDB does them: check and set with nothing in between. */
export class InMemoryRequestStore implements RemediationRequestStore {
  readonly items = new Map<string, RemediationRequest>();
  /** Finding id -> the request holding its lock, as the DynamoDB store's lock items. */
  readonly locks = new Map<string, string>();

  constructor(private readonly timeline: Timeline) {}

  async create(request: RemediationRequest): Promise<void> {
    await tick();
    if (this.items.has(request.requestId)) throw new Error(`request ${request.requestId} exists`);
    const holder = this.locks.get(request.findingId);
    const active = holder === undefined ? undefined : this.items.get(holder);
    if (holder !== undefined && active && holdsFindingLock(active.state)) {
      throw new ActiveRequestExistsError(request.findingId, holder, active.state);
    }
    this.items.set(request.requestId, structuredClone(request));
    this.locks.set(request.findingId, request.requestId);
    this.timeline.push(`store:create:${request.state}`);
  }

  async get(requestId: string): Promise<RemediationRequest | undefined> {
    await tick();
    const item = this.items.get(requestId);
    return item ? structuredClone(item) : undefined;
  }

  async transition(
    requestId: string,
    from: RequestState,
    to: RequestState,
    changes: Partial<RemediationRequest>,
  ): Promise<RemediationRequest | undefined> {
    if (!canTransition(from, to)) throw new Error(`${from} -> ${to} is not a transition`);
    await tick();
    const item = this.items.get(requestId);
    if (!item || item.state !== from) return undefined;
    const next = { ...item, ...structuredClone(changes), state: to, version: item.version + 1 };
    this.items.set(requestId, next);
    if (!holdsFindingLock(to) && this.locks.get(item.findingId) === requestId)
      this.locks.delete(item.findingId);
    this.timeline.push(`store:${from}->${to}`);
    return structuredClone(next);
  }

  async setSlackMessage(requestId: string, slack: { channel: string; ts: string }): Promise<void> {
    await tick();
    const item = this.items.get(requestId);
    if (!item) throw new Error(`request ${requestId} does not exist`);
    this.items.set(requestId, { ...item, slack: { ...slack }, version: item.version + 1 });
  }

  async adoptSlackMessage(
    requestId: string,
    slack: { channel: string; ts: string },
  ): Promise<{ channel: string; ts: string } | undefined> {
    await tick();
    const item = this.items.get(requestId);
    if (!item) return undefined;
    if (item.slack) return { ...item.slack };
    this.items.set(requestId, { ...item, slack: { ...slack }, version: item.version + 1 });
    this.timeline.push('store:adopt-slack-message');
    return { ...slack };
  }

  async saveSteps(requestId: string, steps: RemediationRequest['steps']): Promise<void> {
    await tick();
    const item = this.items.get(requestId);
    if (item?.state !== 'executing') throw new Error(`request ${requestId} is not executing`);
    this.items.set(requestId, { ...item, steps: structuredClone(steps), version: item.version + 1 });
    this.timeline.push(`store:save-steps:${(steps ?? []).map((s) => s.status).join(',')}`);
  }

  async listByState(state: RequestState): Promise<RemediationRequest[]> {
    return [...this.items.values()].filter((r) => r.state === state).map((r) => structuredClone(r));
  }
}

export class FakeFindings implements FindingLookup {
  readonly status = new Map<string, string>();

  constructor(
    readonly findings: Map<string, Finding>,
    private readonly timeline: Timeline,
  ) {}

  async getFinding(findingId: string): Promise<Finding | undefined> {
    return this.findings.get(findingId);
  }

  async markRemediated(findingId: string, requestId: string): Promise<void> {
    this.status.set(findingId, `remediated by ${requestId}`);
    this.timeline.push(`finding:remediated:${findingId}`);
  }

  async markReopened(findingId: string, requestId: string): Promise<void> {
    this.status.set(findingId, `reopened after ${requestId}`);
    this.timeline.push(`finding:reopened:${findingId}`);
  }
}

export class FakeReader implements LiveStateReader {
  reads = 0;
  failWith?: Error;

  /** With a `world`, reads reflect its key statuses and policy attachments, as a live re-read would. */
  constructor(
    public fresh: FreshState,
    private readonly world?: FakeIam,
  ) {}

  async read(_finding: Finding): Promise<FreshState> {
    this.reads++;
    if (this.failWith) throw this.failWith;
    return this.world ? reflect(this.fresh, this.world) : this.fresh;
  }
}

function reflect(fresh: FreshState, world: FakeIam): FreshState {
  const snapshot = fresh.snapshot;
  if (snapshot?.kind === 'access-key' && snapshot.keyId && world.keys.has(snapshot.keyId)) {
    return { ...fresh, snapshot: { ...snapshot, active: world.keys.get(snapshot.keyId) === 'Active' } };
  }
  if (snapshot?.kind === 'role' || snapshot?.kind === 'user') {
    const principal = `${snapshot.kind}/${snapshot.name}`;
    const attached = world.attached.get(principal);
    const inline = world.inline.get(principal);
    return {
      ...fresh,
      snapshot: {
        ...snapshot,
        managedPolicies: attached
          ? snapshot.managedPolicies.filter((p) => attached.has(p.arn))
          : snapshot.managedPolicies,
        inlinePolicies: inline
          ? snapshot.inlinePolicies.filter((p) => inline.has(p.name))
          : snapshot.inlinePolicies,
      },
    };
  }
  return fresh;
}

/**
 * A small IAM: access key statuses, attached managed policies and inline policies per principal.
 * `changes` counts every mutation; `snapshot()` is the whole state, to compare before and after.
 */
export class FakeIam {
  readonly keys = new Map<string, 'Active' | 'Inactive'>();
  readonly attached = new Map<string, Set<string>>();
  readonly inline = new Map<string, Map<string, string>>();
  changes = 0;

  snapshot(): unknown {
    return {
      keys: [...this.keys].sort(),
      attached: [...this.attached].map(([p, s]) => [p, [...s].sort()]).sort(),
      inline: [...this.inline].map(([p, m]) => [p, [...m].sort()]).sort(),
    };
  }

  attachedTo(principal: string): Set<string> {
    const set = this.attached.get(principal) ?? new Set<string>();
    this.attached.set(principal, set);
    return set;
  }

  inlineOf(principal: string): Map<string, string> {
    const map = this.inline.get(principal) ?? new Map<string, string>();
    this.inline.set(principal, map);
    return map;
  }
}

/** Executes steps against a `FakeIam`; `failApplyAt` / `failRestoreAt` make chosen calls fail. */
export class FakeExecutor implements RemediationExecutor {
  applied = 0;
  failApplyAt?: { index: number; error: Error };
  failCapture?: Error;
  failRestore?: Error;
  /** Applies the change but reports that verification found it missing. */
  verificationProblem?: string;

  constructor(
    private readonly world: FakeIam,
    private readonly timeline: Timeline,
  ) {}

  async captureBefore(step: RemediationStep): Promise<BeforeState> {
    await tick();
    if (this.failCapture) throw this.failCapture;
    this.timeline.push(`iam:capture:${step.action}`);
    switch (step.action) {
      case 'deactivate-access-key':
        return { ...step, status: this.world.keys.get(step.accessKeyId) ?? 'Inactive' };
      case 'detach-managed-policy':
        return {
          ...step,
          attached: this.world.attachedTo(`${step.principalType}/${step.principalName}`).has(step.policyArn),
        };
      case 'delete-inline-policy': {
        const document = this.world
          .inlineOf(`${step.principalType}/${step.principalName}`)
          .get(step.policyName);
        if (document === undefined) throw new Error(`no inline policy ${step.policyName}`);
        return { ...step, policyDocument: document };
      }
      case 'quarantine-role': {
        const existing = this.world.inlineOf(`role/${step.roleName}`).get(step.policyName);
        return {
          action: step.action,
          roleName: step.roleName,
          policyName: step.policyName,
          ...(existing ? { existingDocument: existing } : {}),
        };
      }
      case 'rotate-secret':
        return { ...step, currentVersionId: 'v1' };
      case 'make-eligible':
        throw new Error('an eligibility is not an IAM change');
    }
  }

  async apply(step: RemediationStep): Promise<void> {
    await tick();
    const index = this.applied++;
    if (this.failApplyAt?.index === index) throw this.failApplyAt.error;
    this.world.changes++;
    this.timeline.push(`iam:apply:${step.action}`);
    switch (step.action) {
      case 'deactivate-access-key':
        this.world.keys.set(step.accessKeyId, 'Inactive');
        return;
      case 'detach-managed-policy':
        this.world.attachedTo(`${step.principalType}/${step.principalName}`).delete(step.policyArn);
        return;
      case 'delete-inline-policy':
        this.world.inlineOf(`${step.principalType}/${step.principalName}`).delete(step.policyName);
        return;
      case 'quarantine-role':
        this.world.inlineOf(`role/${step.roleName}`).set(step.policyName, step.policyDocument ?? 'deny-all');
        return;
      case 'rotate-secret':
        return;
      case 'make-eligible':
        throw new Error('an eligibility is not an IAM change');
    }
  }

  async verify(step: RemediationStep): Promise<string | undefined> {
    await tick();
    this.timeline.push(`iam:verify:${step.action}`);
    return this.verificationProblem;
  }

  async restore(before: BeforeState): Promise<void> {
    await tick();
    if (this.failRestore) throw this.failRestore;
    this.world.changes++;
    this.timeline.push(`iam:restore:${before.action}`);
    switch (before.action) {
      case 'deactivate-access-key':
        this.world.keys.set(before.accessKeyId, before.status);
        return;
      case 'detach-managed-policy':
        if (before.attached)
          this.world.attachedTo(`${before.principalType}/${before.principalName}`).add(before.policyArn);
        return;
      case 'delete-inline-policy':
        this.world
          .inlineOf(`${before.principalType}/${before.principalName}`)
          .set(before.policyName, before.policyDocument);
        return;
      case 'quarantine-role':
        if (before.existingDocument)
          this.world.inlineOf(`role/${before.roleName}`).set(before.policyName, before.existingDocument);
        else this.world.inlineOf(`role/${before.roleName}`).delete(before.policyName);
        return;
      case 'rotate-secret':
        return;
    }
  }

  async verifyRestored(before: BeforeState): Promise<string | undefined> {
    await tick();
    this.timeline.push(`iam:verify-restored:${before.action}`);
    return undefined;
  }
}

export class FakeEvents implements RemediationEvents {
  readonly published: { detailType: string; detail: Record<string, unknown> }[] = [];

  async publish(
    detailType: Parameters<RemediationEvents['publish']>[0],
    detail: Record<string, unknown>,
  ): Promise<void> {
    this.published.push({ detailType, detail });
  }
}

export class FakeNotifier implements ApprovalNotifier {
  readonly updates: { requestId: string; state: RequestState }[] = [];

  async postRequest(): Promise<{ channel: string; ts: string }> {
    return { channel: 'C0123ABCD', ts: '1.0' };
  }

  async updateRequest(request: RemediationRequest): Promise<void> {
    this.updates.push({ requestId: request.requestId, state: request.state });
  }

  async tellUser(): Promise<void> {}
}

/** Yields to other pending work, as a network call would. */
function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
