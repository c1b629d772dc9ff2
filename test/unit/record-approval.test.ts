import { beforeEach, describe, expect, it } from 'vitest';
import { planRemediation } from '../../functions/core/remediation/plan';
import type { Actor, RemediationRequest } from '../../functions/core/remediation/request';
import type { RequestMessageOptions } from '../../functions/core/slack/messages';
import { executeRemediation } from '../../functions/use-cases/execute-remediation';
import {
  type InteractionHttpRequest,
  type RecordApprovalDeps,
  recordApproval,
} from '../../functions/use-cases/record-approval';
import type { RemediationEvents } from '../../functions/use-cases/remediation-ports';
import { buildRemediationRequest } from '../../functions/use-cases/remediation-request';
import { anAccessKey, aUser, daysAgo, findingFor, NOW, planContext } from './remediation/builders';
import {
  FakeExecutor,
  FakeFindings,
  FakeIam,
  FakeReader,
  InMemoryRequestStore,
  type Timeline,
} from './remediation/fakes';
import {
  APPROVER,
  blockActions,
  CHANNEL,
  formBody,
  MESSAGE_TS,
  OTHER_APPROVER,
  type PayloadInput,
  SIGNING_SECRET,
  STRANGER,
  signedHeaders,
  TEAM,
} from './slack/fixtures';

const KEY_ID = 'AKIAEXAMPLEKEY000001';
/** The click arrives an hour after the request was opened. */
const CLICK_AT = new Date(NOW.getTime() + 3_600_000);
const CLICK_SECONDS = Math.floor(CLICK_AT.getTime() / 1000);
const APPROVERS = [
  { teamId: TEAM, userId: APPROVER },
  { teamId: TEAM, userId: OTHER_APPROVER },
];

class RecordingNotifier {
  readonly updates: { state: string; options?: RequestMessageOptions }[] = [];
  readonly ephemerals: { channel: string; userId: string; text: string }[] = [];
  failUpdates = false;

  async updateRequest(request: RemediationRequest, options?: RequestMessageOptions): Promise<void> {
    if (this.failUpdates) throw new Error('chat.update failed: ratelimited');
    this.updates.push({ state: request.state, ...(options ? { options } : {}) });
  }

  async tellUser(channel: string, userId: string, text: string): Promise<void> {
    this.ephemerals.push({ channel, userId, text });
  }
}

class RecordingEvents implements RemediationEvents {
  readonly published: { detailType: string; detail: Record<string, unknown> }[] = [];
  fail = false;

  async publish(detailType: Parameters<RemediationEvents['publish']>[0], detail: Record<string, unknown>) {
    if (this.fail) throw new Error('PutEvents failed: InternalFailure');
    this.published.push({ detailType, detail });
  }
}

interface World {
  deps: RecordApprovalDeps;
  store: InMemoryRequestStore;
  events: RecordingEvents;
  notifier: RecordingNotifier;
  iam: FakeIam;
  request: RemediationRequest;
  /** Delivers the RemediationApproved events published so far to the remediation use case. */
  deliverApprovals(): Promise<void>;
  stored(): RemediationRequest | undefined;
}

/**
 * A pending request to deactivate an unused key, a fake IAM holding that key, and the real
 * remediation use case behind the event bus: whatever the interaction endpoint lets through
 * reaches IAM, so "IAM untouched" is observed, not assumed.
 */
function world(options: { requestedBy?: Actor; approvers?: typeof APPROVERS; secret?: string } = {}): World {
  const timeline: Timeline = [];
  const key = anAccessKey({ keyId: KEY_ID, lastUsedAt: daysAgo(100) });
  const user = aUser({}, [key]);
  const finding = findingFor(key, 'access-key-unused');
  const plan = planRemediation(finding, { snapshot: key, owner: user }, planContext());
  if (plan.outcome !== 'plan') throw new Error(plan.reason);
  const request: RemediationRequest = {
    ...buildRemediationRequest({
      finding,
      plan,
      requestedBy: options.requestedBy ?? { kind: 'system', id: 'iam-posture' },
      now: NOW,
    }),
    slack: { channel: CHANNEL, ts: MESSAGE_TS },
  };
  const store = new InMemoryRequestStore(timeline);
  store.items.set(request.requestId, structuredClone(request));
  const iam = new FakeIam();
  iam.keys.set(KEY_ID, 'Active');
  const events = new RecordingEvents();
  const notifier = new RecordingNotifier();
  const deps: RecordApprovalDeps = {
    signingSecret: async () => options.secret ?? SIGNING_SECRET,
    approvers: options.approvers ?? APPROVERS,
    requests: store,
    events,
    notifier,
    now: () => CLICK_AT,
  };
  const delivered = new Set<number>();
  return {
    deps,
    store,
    events,
    notifier,
    iam,
    request,
    stored: () => store.items.get(request.requestId),
    async deliverApprovals() {
      for (const [index, event] of events.published.entries()) {
        if (event.detailType !== 'RemediationApproved' || delivered.has(index)) continue;
        delivered.add(index);
        await executeRemediation(String(event.detail.requestId), {
          requests: store,
          findings: new FakeFindings(new Map([[finding.id, finding]]), timeline),
          reader: new FakeReader({ snapshot: key, owner: user }),
          executor: new FakeExecutor(iam, timeline),
          events: new RecordingEvents(),
          planning: { settings: planContext().settings, protection: planContext().protection },
          now: () => CLICK_AT,
        });
      }
    },
  };
}

function click(
  w: World,
  input: PayloadInput & { at?: number; secret?: string } = {},
): InteractionHttpRequest {
  const rawBody = formBody(blockActions({ requestId: w.request.requestId, ...input }));
  return { rawBody, headers: signedHeaders(rawBody, input.at ?? CLICK_SECONDS, input.secret) };
}

/** The same request as Slack sends it again after getting no 200 within 3 seconds. */
function retried(request: InteractionHttpRequest, retryNum = '1'): InteractionHttpRequest {
  return {
    ...request,
    headers: { ...request.headers, 'x-slack-retry-num': retryNum, 'x-slack-retry-reason': 'http_timeout' },
  };
}

describe('recordApproval', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });

  it('approves with one conditional write, hands off the request id alone, and updates the message', async () => {
    const answer = await recordApproval(click(w), w.deps);
    expect(answer).toEqual({
      statusCode: 200,
      outcome: 'approved',
      requestId: w.request.requestId,
      userId: APPROVER,
      warnings: [],
    });
    expect(w.stored()).toMatchObject({
      state: 'approved',
      version: w.request.version + 1,
      approvedBy: { kind: 'slack', id: APPROVER, teamId: TEAM },
      approvedAt: CLICK_AT.toISOString(),
      decidedAt: CLICK_AT.toISOString(),
    });
    expect(w.events.published).toEqual([
      { detailType: 'RemediationApproved', detail: { requestId: w.request.requestId } },
    ]);
    expect(w.notifier.updates).toEqual([{ state: 'approved' }]);
    expect(w.notifier.ephemerals).toEqual([]);

    await w.deliverApprovals();
    expect(w.iam.keys.get(KEY_ID)).toBe('Inactive');
    expect(w.iam.changes).toBe(1);
    expect(w.stored()?.state).toBe('executed');
  });

  it('rejects with one conditional write, publishes nothing and updates the message', async () => {
    const answer = await recordApproval(click(w, { action: 'reject' }), w.deps);
    expect(answer).toMatchObject({ statusCode: 200, outcome: 'rejected' });
    expect(w.stored()).toMatchObject({
      state: 'rejected',
      rejectedBy: { kind: 'slack', id: APPROVER, teamId: TEAM },
      decidedAt: CLICK_AT.toISOString(),
    });
    expect(w.stored()?.approvedBy).toBeUndefined();
    expect(w.events.published).toEqual([]);
    expect(w.notifier.updates).toEqual([{ state: 'rejected' }]);
  });

  describe('security: refused requests change nothing', () => {
    type Case = {
      name: string;
      setup?: () => World;
      request: (w: World) => InteractionHttpRequest;
      status: number;
      outcome: string;
      detail?: string;
      ephemeral?: RegExp;
    };
    const cases: Case[] = [
      {
        name: 'a forged signature',
        request: (w) => {
          const signed = click(w);
          return { ...signed, headers: { ...signed.headers, 'x-slack-signature': `v0=${'a'.repeat(64)}` } };
        },
        status: 401,
        outcome: 'bad-signature',
        detail: 'the signature does not match the body',
      },
      {
        name: 'a body signed with another secret',
        request: (w) => click(w, { secret: 'not-the-signing-secret' }),
        status: 401,
        outcome: 'bad-signature',
        detail: 'the signature does not match the body',
      },
      {
        name: 'a stale timestamp (validly signed 301 s ago)',
        request: (w) => click(w, { at: CLICK_SECONDS - 301 }),
        status: 401,
        outcome: 'bad-signature',
        detail: 'the timestamp is more than 5 minutes old',
      },
      {
        name: 'a future timestamp (validly signed 301 s ahead)',
        request: (w) => click(w, { at: CLICK_SECONDS + 301 }),
        status: 401,
        outcome: 'bad-signature',
        detail: 'the timestamp is more than 5 minutes ahead',
      },
      {
        name: 'a tampered body (signed for a reject, changed to an approve)',
        request: (w) => {
          const signed = click(w, { action: 'reject' });
          const approve = click(w);
          return { headers: signed.headers, rawBody: approve.rawBody };
        },
        status: 401,
        outcome: 'bad-signature',
        detail: 'the signature does not match the body',
      },
      {
        name: 'missing signature headers',
        request: (w) => ({ headers: {}, rawBody: click(w).rawBody }),
        status: 401,
        outcome: 'bad-signature',
        detail: 'the signature or timestamp header is missing',
      },
      {
        name: 'an empty signing secret (even with a body signed with the empty string)',
        setup: () => world({ secret: '' }),
        request: (w) => click(w, { secret: '' }),
        status: 401,
        outcome: 'bad-signature',
        detail: 'no signing secret is stored',
      },
      {
        name: 'a malformed payload (validly signed)',
        request: () => {
          const rawBody = Buffer.from('payload=%7B%22type%22%3A%22shortcut%22%7D');
          return { rawBody, headers: signedHeaders(rawBody, CLICK_SECONDS) };
        },
        status: 400,
        outcome: 'malformed',
        detail: 'type: must be block_actions or view_submission',
      },
      {
        name: 'an unknown approver',
        request: (w) => click(w, { userId: STRANGER }),
        status: 200,
        outcome: 'not-an-approver',
        ephemeral: /not on the list of iam-posture approvers/,
      },
      {
        name: 'an approver of another workspace',
        request: (w) => click(w, { teamId: 'T0OTHERTEAM' }),
        status: 200,
        outcome: 'not-an-approver',
        ephemeral: /not on the list of iam-posture approvers/,
      },
      {
        name: 'anyone, when the allowlist is empty',
        setup: () => world({ approvers: [] }),
        request: (w) => click(w),
        status: 200,
        outcome: 'not-an-approver',
        ephemeral: /not on the list/,
      },
      {
        name: 'the requester approving their own request',
        setup: () => world({ requestedBy: { kind: 'slack', id: APPROVER, teamId: TEAM } }),
        request: (w) => click(w),
        status: 200,
        outcome: 'requester',
        ephemeral: /someone else must decide/,
      },
      {
        name: 'an unknown request id',
        request: (w) => click(w, { requestId: 'ffffffffffffffffffffffffffffffff' }),
        status: 200,
        outcome: 'unknown-request',
        ephemeral: /unknown to iam-posture/,
      },
      {
        name: 'a button on another message',
        request: (w) => click(w, { messageTs: '1717299999.000900' }),
        status: 200,
        outcome: 'wrong-message',
        ephemeral: /not on the message of that request/,
      },
      {
        name: 'an Undo on a request that was not executed',
        request: (w) => click(w, { action: 'undo' }),
        status: 200,
        outcome: 'not-executed',
        ephemeral: /Only an executed remediation can be undone; this one is pending/,
      },
    ];

    it.each(cases)('$name -> HTTP $status', async (c) => {
      const w = c.setup?.() ?? world();
      const before = structuredClone(w.stored());
      const iamBefore = w.iam.snapshot();

      const answer = await recordApproval(c.request(w), w.deps);
      await w.deliverApprovals();

      expect(answer.statusCode).toBe(c.status);
      expect(answer.outcome).toBe(c.outcome);
      if (c.detail) expect(answer.detail).toBe(c.detail);
      expect(w.stored()).toEqual(before);
      expect(w.events.published).toEqual([]);
      expect(w.iam.snapshot()).toEqual(iamBefore);
      expect(w.iam.changes).toBe(0);
      expect(w.notifier.updates).toEqual([]);
      if (c.ephemeral) {
        expect(w.notifier.ephemerals).toHaveLength(1);
        expect(w.notifier.ephemerals[0]?.text).toMatch(c.ephemeral);
        expect(answer.text).toMatch(c.ephemeral);
      } else {
        // Nothing is sent back to a caller that did not prove it is Slack.
        expect(w.notifier.ephemerals).toEqual([]);
        expect(answer.text).toBeUndefined();
      }
    });
  });

  it('acts once on a valid request replayed within 5 minutes', async () => {
    const signed = click(w);
    const first = await recordApproval(signed, w.deps);
    await w.deliverApprovals();
    const afterFirst = structuredClone(w.stored());

    const replayDeps = { ...w.deps, now: () => new Date(CLICK_AT.getTime() + 120_000) };
    const replay = await recordApproval(signed, replayDeps);
    await w.deliverApprovals();

    expect(first.outcome).toBe('approved');
    expect(replay).toMatchObject({ statusCode: 200, outcome: 'already-decided' });
    expect(replay.text).toBe('This request is already executed; nothing more was done.');
    expect(w.stored()).toEqual(afterFirst);
    expect(w.events.published).toHaveLength(1);
    expect(w.iam.changes).toBe(1);
  });

  it('turns a double click into exactly one approval, one event and one IAM change', async () => {
    const [a, b] = await Promise.all([recordApproval(click(w), w.deps), recordApproval(click(w), w.deps)]);
    expect([a.outcome, b.outcome].sort()).toEqual(['already-decided', 'approved']);
    expect(w.events.published).toHaveLength(1);
    expect(w.stored()?.version).toBe(w.request.version + 1);
    await w.deliverApprovals();
    expect(w.iam.changes).toBe(1);
  });

  it('lets only one of two approvers decide, whatever the order', async () => {
    const [a, b] = await Promise.all([
      recordApproval(click(w), w.deps),
      recordApproval(click(w, { userId: OTHER_APPROVER, action: 'reject' }), w.deps),
    ]);
    const outcomes = [a.outcome, b.outcome];
    expect(outcomes).toContain('already-decided');
    expect(w.stored()?.state).toBe(outcomes.includes('approved') ? 'approved' : 'rejected');
    expect(w.events.published).toHaveLength(outcomes.includes('approved') ? 1 : 0);
  });

  it('expires a request clicked after its expiry, without an event', async () => {
    const late = new Date(Date.parse(w.request.expiresAt) + 1000);
    const lateDeps = { ...w.deps, now: () => late };
    const answer = await recordApproval(click(w, { at: Math.floor(late.getTime() / 1000) }), lateDeps);
    expect(answer).toMatchObject({ statusCode: 200, outcome: 'expired' });
    expect(w.stored()).toMatchObject({
      state: 'expired',
      outcomeReason: `Nobody decided before ${w.request.expiresAt}.`,
    });
    expect(w.events.published).toEqual([]);
    expect(w.notifier.updates).toEqual([{ state: 'expired' }]);
    await w.deliverApprovals();
    expect(w.iam.changes).toBe(0);
  });

  it('records an approver-checked rollback request on Undo of an executed request, then hands off', async () => {
    await recordApproval(click(w), w.deps);
    await w.deliverApprovals();
    const executed = structuredClone(w.stored());
    expect(executed?.state).toBe('executed');

    const stranger = await recordApproval(click(w, { action: 'undo', userId: STRANGER }), w.deps);
    expect(stranger.outcome).toBe('not-an-approver');

    const undo = await recordApproval(click(w, { action: 'undo', userId: OTHER_APPROVER }), w.deps);
    expect(undo).toMatchObject({ statusCode: 200, outcome: 'rollback-requested' });
    expect(w.events.published.map((e) => e.detailType)).toEqual(['RemediationApproved', 'RollbackRequested']);
    expect(w.events.published[1]?.detail).toEqual({
      requestId: w.request.requestId,
      requestedBy: { kind: 'slack', id: OTHER_APPROVER, teamId: TEAM },
    });
    expect(w.stored()).toMatchObject({
      ...executed,
      state: 'rollback-requested',
      rollbackRequestedBy: { kind: 'slack', id: OTHER_APPROVER, teamId: TEAM },
      version: (executed?.version ?? 0) + 1,
    });
    expect(w.notifier.updates.at(-1)).toEqual({ state: 'rollback-requested' });

    const again = await recordApproval(click(w, { action: 'undo', userId: OTHER_APPROVER }), w.deps);
    expect(again.outcome).not.toBe('rollback-requested');
    expect(w.events.published).toHaveLength(2);
  });

  describe('Slack retries', () => {
    type Case = {
      name: string;
      /** Brings the request to the state the first delivery left, and returns the click. */
      firstDelivery: (w: World) => Promise<InteractionHttpRequest>;
      /** Who clicked in the first delivery. */
      clicker: string;
      /** What a genuine second click of the same button is told (and its outcome, if not already-decided). */
      secondClick: string;
      secondOutcome?: string;
    };
    const cases: Case[] = [
      {
        name: 'an approval that was executed',
        firstDelivery: async (w) => {
          const approve = click(w);
          expect((await recordApproval(approve, w.deps)).outcome).toBe('approved');
          await w.deliverApprovals();
          return approve;
        },
        clicker: APPROVER,
        secondClick: 'This request is already executed; nothing more was done.',
      },
      {
        name: 'a rejection',
        firstDelivery: async (w) => {
          const reject = click(w, { action: 'reject' });
          expect((await recordApproval(reject, w.deps)).outcome).toBe('rejected');
          return reject;
        },
        clicker: APPROVER,
        secondClick: 'This request is already rejected; nothing more was done.',
      },
      {
        name: 'an Undo',
        firstDelivery: async (w) => {
          await recordApproval(click(w), w.deps);
          await w.deliverApprovals();
          const undo = click(w, { action: 'undo', userId: OTHER_APPROVER });
          expect((await recordApproval(undo, w.deps)).outcome).toBe('rollback-requested');
          return undo;
        },
        clicker: OTHER_APPROVER,
        secondOutcome: 'not-executed',
        secondClick:
          'Only an executed remediation can be undone; this one is rollback-requested. Nothing was changed.',
      },
    ];

    it.each(cases)(
      'acknowledges a retry of $name silently, changing nothing',
      async ({ firstDelivery, clicker }) => {
        const first = await firstDelivery(w);
        const stored = structuredClone(w.stored());
        const published = w.events.published.length;
        const updates = w.notifier.updates.length;
        const ephemerals = w.notifier.ephemerals.length;

        for (const retryNum of ['1', '2', '3']) {
          const answer = await recordApproval(retried(first, retryNum), w.deps);
          expect(answer).toEqual({
            statusCode: 200,
            outcome: 'retry-already-handled',
            requestId: w.request.requestId,
            userId: clicker,
            warnings: [],
          });
        }
        await w.deliverApprovals();
        expect(w.stored()).toEqual(stored);
        expect(w.events.published).toHaveLength(published);
        expect(w.notifier.updates).toHaveLength(updates);
        expect(w.notifier.ephemerals).toHaveLength(ephemerals);
      },
    );

    it.each(cases)(
      'still tells a genuine second click of $name what happened',
      async ({ firstDelivery, secondClick, secondOutcome }) => {
        const first = await firstDelivery(w);
        const stored = structuredClone(w.stored());
        const answer = await recordApproval(first, w.deps);
        expect(answer).toMatchObject({
          statusCode: 200,
          outcome: secondOutcome ?? 'already-decided',
          text: secondClick,
        });
        expect(w.notifier.ephemerals.at(-1)?.text).toBe(secondClick);
        expect(w.stored()).toEqual(stored);
      },
    );

    it('acts on a retry whose first delivery never got through', async () => {
      const answer = await recordApproval(retried(click(w)), w.deps);
      expect(answer).toMatchObject({ statusCode: 200, outcome: 'approved' });
      expect(w.stored()?.approvedBy).toEqual({ kind: 'slack', id: APPROVER, teamId: TEAM });
      expect(w.events.published).toHaveLength(1);
    });

    it('tells the retried clicker when someone else decided first', async () => {
      await recordApproval(click(w, { userId: OTHER_APPROVER, action: 'reject' }), w.deps);
      const answer = await recordApproval(retried(click(w)), w.deps);
      expect(answer).toMatchObject({
        outcome: 'already-decided',
        text: 'This request is already rejected; nothing more was done.',
      });
      // A retry of the same person's other button was not handled either.
      const retriedApproval = await recordApproval(retried(click(w, { userId: OTHER_APPROVER })), w.deps);
      expect(retriedApproval.outcome).toBe('already-decided');
      expect(w.notifier.ephemerals).toHaveLength(2);
    });

    it('treats a retry counter that is not a positive number as no retry', async () => {
      await recordApproval(click(w), w.deps);
      for (const retryNum of ['0', '', 'one']) {
        const answer = await recordApproval(retried(click(w), retryNum), w.deps);
        expect(answer.outcome).toBe('already-decided');
      }
    });
  });

  it('records the approval and tells the approver when the hand-off event cannot be published', async () => {
    w.events.fail = true;
    const answer = await recordApproval(click(w), w.deps);
    expect(answer).toMatchObject({ statusCode: 200, outcome: 'approved' });
    expect(answer.warnings).toEqual([
      'publishing RemediationApproved failed: Error: PutEvents failed: InternalFailure',
    ]);
    expect(w.stored()?.state).toBe('approved');
    expect(w.notifier.ephemerals[0]?.text).toMatch(/could not be started/);
  });

  it('restores the message and reports when a rollback cannot be handed off', async () => {
    await recordApproval(click(w), w.deps);
    await w.deliverApprovals();
    w.events.fail = true;
    const answer = await recordApproval(click(w, { action: 'undo' }), w.deps);
    expect(answer).toMatchObject({ statusCode: 200, outcome: 'rollback-not-started' });
    expect(w.stored()?.state).toBe('rollback-requested');
    expect(w.notifier.updates.at(-1)).toEqual({ state: 'rollback-requested' });
    expect(w.notifier.ephemerals.at(-1)?.text).toMatch(/iam-posture rollback/);
  });

  it('still approves when the Slack message cannot be updated, and reports it', async () => {
    w.notifier.failUpdates = true;
    const answer = await recordApproval(click(w), w.deps);
    expect(answer.outcome).toBe('approved');
    expect(answer.warnings).toEqual([
      'updating the Slack message failed: Error: chat.update failed: ratelimited',
    ]);
    expect(w.events.published).toHaveLength(1);
  });
});

describe('recordApproval on a request whose message was never recorded', () => {
  /** The notifier posted the message and stopped before recording where it is. */
  function unrecorded(): World {
    const w = world();
    const { slack: _slack, ...withoutMessage } = w.request;
    w.store.items.set(w.request.requestId, structuredClone(withoutMessage));
    return w;
  }

  it('finds the message from the click, records it, and updates it with the approval', async () => {
    const w = unrecorded();
    const answer = await recordApproval(click(w), w.deps);
    expect(answer).toMatchObject({ statusCode: 200, outcome: 'approved', warnings: [] });
    expect(w.stored()).toMatchObject({ state: 'approved', slack: { channel: CHANNEL, ts: MESSAGE_TS } });
    expect(w.notifier.updates).toEqual([{ state: 'approved' }]);

    // The remediation's own update finds the message too.
    await w.deliverApprovals();
    expect(w.stored()).toMatchObject({ state: 'executed', slack: { channel: CHANNEL, ts: MESSAGE_TS } });
  });

  it('records it on a rejection as well, and removes the buttons', async () => {
    const w = unrecorded();
    expect(await recordApproval(click(w, { action: 'reject' }), w.deps)).toMatchObject({
      outcome: 'rejected',
    });
    expect(w.stored()?.slack).toEqual({ channel: CHANNEL, ts: MESSAGE_TS });
    expect(w.notifier.updates).toEqual([{ state: 'rejected' }]);
  });

  it('records nothing for a click that is refused before the request is read', async () => {
    const w = unrecorded();
    expect(await recordApproval(click(w, { userId: STRANGER }), w.deps)).toMatchObject({
      outcome: 'not-an-approver',
    });
    expect(w.stored()?.slack).toBeUndefined();
    expect(w.stored()?.state).toBe('pending');
  });

  it('answers a click on another message once one is recorded', async () => {
    const w = unrecorded();
    await recordApproval(click(w, { action: 'reject' }), w.deps);
    const other = await recordApproval(click(w, { messageTs: '1717299999.000900' }), w.deps);
    expect(other).toMatchObject({ outcome: 'wrong-message' });
    expect(w.stored()).toMatchObject({ state: 'rejected', slack: { channel: CHANNEL, ts: MESSAGE_TS } });
  });

  it('keeps the message the notifier recorded meanwhile, and refuses a click from another one', async () => {
    const w = unrecorded();
    // The notifier records its message between this click's read and its write.
    const read = w.store.get.bind(w.store);
    w.store.get = async (id) => {
      const request = await read(id);
      const item = w.store.items.get(id);
      if (item) item.slack = { channel: CHANNEL, ts: '1717200000.000777' };
      return request;
    };
    const answer = await recordApproval(click(w), w.deps);
    expect(answer).toMatchObject({ outcome: 'wrong-message' });
    expect(w.store.items.get(w.request.requestId)).toMatchObject({
      state: 'pending',
      slack: { channel: CHANNEL, ts: '1717200000.000777' },
    });
    expect(w.events.published).toEqual([]);
  });
});
