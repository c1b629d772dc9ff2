import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ElevationEvent, ElevationRequest } from '../../../functions/core/jit/types';
import type { Actor } from '../../../functions/core/remediation/request';
import type { SlackEnvelope } from '../../../functions/core/slack/envelope';
import {
  elevationMessage,
  JIT_MODAL_FIELDS,
  jitButtonValue,
} from '../../../functions/core/slack/jit-messages';
import { elevationRoute, type JitInteractionDeps } from '../../../functions/use-cases/jit-interaction';
import type { GrantPolicies } from '../../../functions/use-cases/jit-ports';
import {
  APPROVER_A,
  APPROVER_B,
  anElevation,
  aProfile,
  GRANT_HASH,
  GRANT_ID,
  JIT_CHANNEL,
  JIT_TEAM,
  MemoryJitStore,
  OUTSIDER,
  REQUESTER,
  RecordingMessenger,
  ROLE_ARN,
} from './jit-fixtures';

const NOW = new Date('2026-12-03T10:00:00.000Z');
const ACCOUNT = '123456789012';
const COMMAND_CHANNEL = 'C0GENERAL1';
const VIEW_ID = 'V0MODAL0001';
const READ_ONLY = aProfile({
  name: 'read-only',
  description: 'Read S3',
  statements: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
  approvals: 1,
  breakGlass: undefined,
  eligible: ['arn:aws:iam::123456789012:role/ops/*', 'arn:aws:iam::123456789012:user/*'],
});

class FakePolicies implements GrantPolicies {
  inline = new Map<string, { name: string; document: object }[]>();
  missing = new Set<string>();
  async put() {}
  async get() {
    return undefined;
  }
  async delete() {
    return 'absent' as const;
  }
  async listInline(arn: string) {
    return this.inline.get(arn) ?? [];
  }
  async managedPolicyDocument(): Promise<object> {
    throw new Error('no managed policies here');
  }
  async principalExists(arn: string) {
    return !this.missing.has(arn);
  }
}

let store: MemoryJitStore;
let slack: RecordingMessenger;
let policies: FakePolicies;
let events: { type: ElevationEvent; detail: Record<string, unknown> }[];
let revokes: { grantId: string; by: Actor }[];
let deps: JitInteractionDeps;

beforeEach(() => {
  store = new MemoryJitStore();
  slack = new RecordingMessenger();
  policies = new FakePolicies();
  events = [];
  revokes = [];
  deps = {
    profiles: [aProfile(), READ_ONLY],
    slashCommand: '/elevate',
    channel: JIT_CHANNEL,
    accountId: async () => ACCOUNT,
    requestTtlMinutes: 60,
    store,
    policies,
    events: { publish: async (type, detail) => void events.push({ type, detail }) },
    revokes: { requestRevoke: async (request, by) => void revokes.push({ grantId: request.grantId, by }) },
    slack,
  };
});

const route = () => elevationRoute(deps);
const handle = (envelope: SlackEnvelope, options: { now?: Date; retry?: boolean } = {}) =>
  route().handle(envelope, { now: options.now ?? NOW, retry: options.retry ?? false });

const slash = (
  overrides: Partial<Extract<SlackEnvelope, { kind: 'slash_command' }>> = {},
): SlackEnvelope => ({
  kind: 'slash_command',
  teamId: JIT_TEAM,
  userId: REQUESTER,
  channelId: COMMAND_CHANNEL,
  command: '/elevate',
  text: '',
  triggerId: '1337.42.abcdef',
  ...overrides,
});

interface FormInput {
  profile?: string;
  principal?: string;
  duration?: string;
  reason?: string;
  breakGlass?: boolean;
}

const submission = (
  input: FormInput,
  options: { userId?: string; teamId?: string; viewId?: string } = {},
): SlackEnvelope => {
  const form = {
    profile: 'read-only',
    principal: ROLE_ARN,
    duration: '1h',
    reason: 'Read the audit bucket',
    ...input,
  };
  return {
    kind: 'view_submission',
    teamId: options.teamId ?? JIT_TEAM,
    userId: options.userId ?? REQUESTER,
    callbackId: 'iam_posture_jit_request',
    privateMetadata: COMMAND_CHANNEL,
    values: {
      [JIT_MODAL_FIELDS.profile]: {
        [JIT_MODAL_FIELDS.profile]: { type: 'static_select', selected_option: { value: form.profile } },
      },
      [JIT_MODAL_FIELDS.principal]: {
        [JIT_MODAL_FIELDS.principal]: { type: 'plain_text_input', value: form.principal },
      },
      [JIT_MODAL_FIELDS.duration]: {
        [JIT_MODAL_FIELDS.duration]: { type: 'plain_text_input', value: form.duration },
      },
      [JIT_MODAL_FIELDS.reason]: {
        [JIT_MODAL_FIELDS.reason]: { type: 'plain_text_input', value: form.reason },
      },
      [JIT_MODAL_FIELDS.breakGlass]: {
        [JIT_MODAL_FIELDS.breakGlass]: {
          type: 'checkboxes',
          selected_options: form.breakGlass ? [{ value: 'break-glass' }] : [],
        },
      },
    },
    payload: { type: 'view_submission', view: { id: options.viewId ?? VIEW_ID } },
  };
};

const click = (
  action: 'approve' | 'reject' | 'done',
  userId: string,
  value = jitButtonValue({ grantId: GRANT_ID, grantHash: GRANT_HASH }),
): SlackEnvelope => ({
  kind: 'block_actions',
  teamId: JIT_TEAM,
  userId,
  actionId: `iam_posture_jit_${action}`,
  value,
  channelId: JIT_CHANNEL,
  messageTs: '1796292000.000001',
  payload: {},
});

const grantIdOfView = (viewId: string) =>
  createHash('sha256').update(`${JIT_TEAM}:${viewId}`).digest('hex').slice(0, 32);

const SLACK_REF = { channel: JIT_CHANNEL, ts: '1796292000.000001' };
const stored = async (request: ElevationRequest) => {
  await store.create(request);
  return request;
};

describe('which envelopes the route owns', () => {
  it.each<[string, SlackEnvelope, boolean]>([
    ['its slash command', slash(), true],
    ['another slash command', slash({ command: '/review' }), false],
    ['its buttons', click('approve', APPROVER_A), true],
    [
      'the remediation buttons',
      { ...(click('approve', APPROVER_A) as object), actionId: 'iam_posture_approve' } as SlackEnvelope,
      false,
    ],
    ['its modal', submission({}), true],
    [
      'a review modal',
      { ...(submission({}) as object), callbackId: 'iam_posture_review_keep' } as SlackEnvelope,
      false,
    ],
  ])('%s', (_what, envelope, owned) => {
    expect(route().matches(envelope)).toBe(owned);
  });

  it('answers to a configured command instead of /elevate', () => {
    deps.slashCommand = '/jit';
    expect(route().matches(slash({ command: '/jit' }))).toBe(true);
    expect(route().matches(slash())).toBe(false);
  });
});

describe('the slash command', () => {
  it('opens the request modal with the trigger id, the profiles and the channel it ran in', async () => {
    const result = await handle(slash());
    expect(result).toMatchObject({ statusCode: 200, outcome: 'modal-opened' });
    expect(result.text).toBeUndefined();
    expect(slack.modals).toHaveLength(1);
    const [modal] = slack.modals;
    expect(modal?.triggerId).toBe('1337.42.abcdef');
    expect(modal?.view.private_metadata).toBe(COMMAND_CHANNEL);
    const select = modal?.view.blocks[0]?.element as { options: { value: string }[] };
    const options = select.options;
    expect(options.map((o) => o.value)).toEqual(['admin', 'read-only']);
  });

  it('fills in the principal typed after the command', async () => {
    await handle(slash({ text: ` ${ROLE_ARN} ` }));
    const principal = slack.modals[0]?.view.blocks[1]?.element as { initial_value?: string };
    expect(principal.initial_value).toBe(ROLE_ARN);
  });

  it('refuses a workspace none of the approvers belong to', async () => {
    const result = await handle(slash({ teamId: 'T0FOREIGN1' }));
    expect(result).toMatchObject({ outcome: 'unknown-team' });
    expect(result.text).toContain('workspaces');
    expect(slack.modals).toEqual([]);
  });

  it('says so when the modal cannot be opened', async () => {
    slack.openModal = async () => {
      throw new Error('expired_trigger_id');
    };
    const result = await handle(slash());
    expect(result.outcome).toBe('modal-not-opened');
    expect(result.text).toContain('expired_trigger_id');
  });
});

describe('submitting the modal', () => {
  it('stores the request, publishes it, posts its message and closes the modal', async () => {
    const result = await handle(submission({}));
    const grantId = grantIdOfView(VIEW_ID);
    expect(result).toMatchObject({
      statusCode: 200,
      outcome: 'requested',
      requestId: grantId,
      body: { response_action: 'clear' },
      warnings: [],
    });
    const request = await store.get(grantId);
    expect(request).toMatchObject({
      profile: 'read-only',
      principalArn: ROLE_ARN,
      state: 'requested',
      requiredApprovals: 1,
      startsAt: '2026-12-03T10:00:00Z',
      endsAt: '2026-12-03T11:00:00Z',
      requestedBy: { kind: 'slack', id: REQUESTER, teamId: JIT_TEAM },
      slack: { channel: JIT_CHANNEL, ts: '1796292000.000001' },
    });
    expect(events.map((e) => e.type)).toEqual(['ElevationRequested']);
    expect(slack.posts).toEqual([
      { channel: JIT_CHANNEL, message: elevationMessage({ ...request!, slack: undefined }) },
    ]);
  });

  it('makes one request of a submission Slack delivers twice', async () => {
    await handle(submission({}));
    const again = await handle(submission({}), { retry: true });
    expect(again).toMatchObject({ outcome: 'retry-already-handled', body: { response_action: 'clear' } });
    expect(store.requests.size).toBe(1);
    expect(slack.posts).toHaveLength(1);
    expect(events).toHaveLength(1);
  });

  it('broadcasts a break-glass request at once and publishes BreakGlassUsed and ElevationApproved', async () => {
    const result = await handle(
      submission(
        { profile: 'admin', breakGlass: true, reason: 'Production database is down, INC-77' },
        { userId: APPROVER_A },
      ),
    );
    expect(result.outcome).toBe('break-glass-granted-pending');
    expect(events.map((e) => e.type)).toEqual(['ElevationRequested', 'BreakGlassUsed', 'ElevationApproved']);
    expect(slack.posts).toHaveLength(2);
    expect(slack.posts[0]?.message.blocks[0]).toMatchObject({
      type: 'section',
      text: { text: expect.stringContaining('<!here> :rotating_light: *Break-glass elevation*') },
    });
  });

  it.each<[string, FormInput, Record<string, string>, string?]>([
    [
      'a duration that does not parse',
      { duration: 'an hour' },
      { iam_posture_jit_duration: 'Write the duration like 30m, 1h or 1h30m.' },
    ],
    [
      'a duration over the cap',
      { profile: 'admin', duration: '4h1m' },
      { iam_posture_jit_duration: 'admin lasts at most 4h.' },
    ],
    [
      'a break-glass duration over its cap',
      { profile: 'admin', duration: '61m', breakGlass: true, reason: 'Production database is down, INC-77' },
      { iam_posture_jit_duration: 'Break-glass on admin lasts at most 1h.' },
      APPROVER_A,
    ],
    [
      'a principal that is not an ARN',
      { principal: 'deployer' },
      { iam_posture_jit_principal: 'Enter the ARN of an IAM role or user.' },
    ],
    [
      'a group',
      { principal: 'arn:aws:iam::123456789012:group/ops' },
      { iam_posture_jit_principal: 'Enter the ARN of an IAM role or user.' },
    ],
    [
      'a principal of another account',
      { principal: 'arn:aws:iam::210987654321:role/ops/deployer' },
      { iam_posture_jit_principal: 'Grants are made in account 123456789012 only.' },
    ],
    ['an unknown profile', { profile: 'root' }, { iam_posture_jit_profile: 'There is no profile root.' }],
    [
      'break-glass on a profile without it',
      { breakGlass: true, reason: 'Production database is down, INC-77' },
      { iam_posture_jit_break_glass: 'The profile read-only has no break-glass.' },
    ],
    [
      'break-glass by someone who is not an approver',
      { profile: 'admin', breakGlass: true, reason: 'Production database is down, INC-77' },
      { iam_posture_jit_break_glass: 'Break-glass on admin is for its approvers only.' },
    ],
    [
      'break-glass with a short reason',
      { profile: 'admin', breakGlass: true, reason: 'prod down' },
      {
        iam_posture_jit_reason:
          'Break-glass needs a reason of at least 20 characters, for the review afterwards.',
      },
      APPROVER_A,
    ],
    ['an empty reason', { reason: '  ' }, { iam_posture_jit_reason: 'Say why the elevation is needed.' }],
  ])('names the field of %s and stores nothing', async (_what, input, expected, userId) => {
    const result = await handle(submission(input, userId ? { userId } : {}));
    expect(result).toMatchObject({ statusCode: 200, outcome: 'invalid-form' });
    expect(result.body).toEqual({ response_action: 'errors', errors: expected });
    expect(store.requests.size).toBe(0);
    expect(events).toEqual([]);
    expect(slack.posts).toEqual([]);
  });

  it('shows a refusal of the request under the principal: not eligible', async () => {
    const result = await handle(submission({ principal: 'arn:aws:iam::123456789012:role/app/web' }));
    expect(result).toMatchObject({ outcome: 'refused' });
    expect(result.body).toEqual({
      response_action: 'errors',
      errors: {
        iam_posture_jit_principal:
          'Arn:aws:iam::123456789012:role/app/web is not eligible for the profile read-only.',
      },
    });
    expect(store.requests.size).toBe(0);
  });

  it('shows a refusal of the request under the principal: no room in the inline policy quota', async () => {
    const user = 'arn:aws:iam::123456789012:user/ci';
    policies.inline.set(user, [
      {
        name: 'big',
        document: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'x'.repeat(2000) }],
        },
      },
    ]);
    const result = await handle(submission({ principal: user }));
    expect(result.outcome).toBe('refused');
    const message = (result.body as { errors: Record<string, string> }).errors.iam_posture_jit_principal;
    expect(message).toMatch(/^Arn:aws:iam::123456789012:user\/ci has no room for this grant: .*2048/);
    expect(store.requests.size).toBe(0);
  });

  it('closes the modal but warns when the message cannot be posted; the request stays', async () => {
    slack.failPost = true;
    const result = await handle(submission({}));
    expect(result).toMatchObject({ outcome: 'requested', body: { response_action: 'clear' } });
    expect(result.warnings).toEqual(['posting the request to Slack failed: Error: channel_not_found']);
    expect(store.requests.size).toBe(1);
  });
});

describe('approving', () => {
  beforeEach(async () => {
    await stored(anElevation({ slack: SLACK_REF }));
  });

  it('counts one approval, then the second reaches the quorum and publishes ElevationApproved once', async () => {
    const first = await handle(click('approve', APPROVER_A));
    expect(first).toMatchObject({ outcome: 'recorded', requestId: GRANT_ID });
    expect((await store.get(GRANT_ID))?.state).toBe('requested');
    expect(events).toEqual([]);
    expect(slack.updates.at(-1)?.message.text).toContain('approvals 1/2');

    const second = await handle(click('approve', APPROVER_B));
    expect(second).toMatchObject({ outcome: 'approved' });
    const request = await store.get(GRANT_ID);
    expect(request?.state).toBe('approved');
    expect(request?.approvals.map((a) => a.by.id)).toEqual([APPROVER_A, APPROVER_B]);
    expect(events.map((e) => e.type)).toEqual(['ElevationApproved']);
    expect(events[0]?.detail).toMatchObject({ grantId: GRANT_ID });
    expect(slack.updates.at(-1)).toEqual({ ref: SLACK_REF, message: elevationMessage(request!) });
  });

  it('refuses a second click by the same approver and counts it once', async () => {
    await handle(click('approve', APPROVER_A));
    const again = await handle(click('approve', APPROVER_A));
    expect(again).toMatchObject({ outcome: 'already-approved', text: 'You already approved this request.' });
    expect((await store.get(GRANT_ID))?.approvals).toHaveLength(1);
    expect(slack.ephemerals.at(-1)).toEqual({
      channel: JIT_CHANNEL,
      userId: APPROVER_A,
      text: 'You already approved this request.',
    });
  });

  it('answers a delivery Slack repeats without a word', async () => {
    await handle(click('approve', APPROVER_A));
    const told = slack.ephemerals.length;
    expect(await handle(click('approve', APPROVER_A), { retry: true })).toMatchObject({
      outcome: 'retry-already-handled',
    });
    expect(slack.ephemerals).toHaveLength(told);
  });

  it.each<[string, string, string | undefined, string]>([
    ['an approver not listed on the profile', OUTSIDER, undefined, 'not-an-approver'],
    ['a button rendered for another hash', APPROVER_A, `${GRANT_ID}.${'0'.repeat(64)}`, 'hash-mismatch'],
    ['an unknown grant', APPROVER_A, `${'f'.repeat(32)}.${GRANT_HASH}`, 'unknown-request'],
  ])('refuses %s and changes nothing', async (_what, userId, value, outcome) => {
    const result = await handle(click('approve', userId, value));
    expect(result).toMatchObject({ statusCode: 200, outcome });
    expect(slack.ephemerals.map((e) => e.userId)).toEqual([userId]);
    expect(await store.get(GRANT_ID)).toMatchObject({ approvals: [], state: 'requested' });
    expect(events).toEqual([]);
    expect(slack.updates).toEqual([]);
  });

  it('refuses self-approval', async () => {
    store.requests.clear();
    await stored(anElevation({ requestedBy: { kind: 'slack', id: APPROVER_A, teamId: JIT_TEAM } }));
    const result = await handle(click('approve', APPROVER_A));
    expect(result).toMatchObject({ outcome: 'self-approval' });
    expect((await store.get(GRANT_ID))?.approvals).toEqual([]);
  });

  it('refuses a request that expired, at the exact instant', async () => {
    const result = await handle(click('approve', APPROVER_A), { now: new Date('2026-12-03T11:00:00.000Z') });
    expect(result).toMatchObject({ outcome: 'expired' });
    const before = await handle(click('approve', APPROVER_A), { now: new Date('2026-12-03T10:59:59.999Z') });
    expect(before).toMatchObject({ outcome: 'recorded' });
  });

  it('refuses a button value that is not <grant id>.<hash> as not ours', async () => {
    const result = await handle(click('approve', APPROVER_A, 'drop table'));
    expect(result).toMatchObject({ statusCode: 400, outcome: 'malformed' });
    expect(slack.ephemerals).toEqual([]);
  });
});

describe('rejecting', () => {
  beforeEach(async () => {
    await stored(anElevation({ slack: SLACK_REF }));
  });

  it('ends the request when a profile approver rejects it', async () => {
    const result = await handle(click('reject', APPROVER_B));
    expect(result).toMatchObject({ outcome: 'rejected' });
    const request = await store.get(GRANT_ID);
    expect(request).toMatchObject({
      state: 'rejected',
      rejectedBy: { kind: 'slack', id: APPROVER_B, teamId: JIT_TEAM },
    });
    expect(events).toEqual([
      {
        type: 'ElevationRejected',
        detail: expect.objectContaining({
          grantId: GRANT_ID,
          rejectedBy: { kind: 'slack', id: APPROVER_B, teamId: JIT_TEAM },
        }),
      },
    ]);
    expect(slack.updates.at(-1)?.message.blocks[0]).toMatchObject({ text: { text: 'Elevation rejected' } });
    const twice = await handle(click('reject', APPROVER_A));
    expect(twice).toMatchObject({ outcome: 'not-open' });
    expect(events).toHaveLength(1);
  });

  it.each<[string, string, string | undefined, string]>([
    ['someone not on the profile', REQUESTER, undefined, 'not-an-approver'],
    ['a button of another hash', APPROVER_A, `${GRANT_ID}.${'1'.repeat(64)}`, 'hash-mismatch'],
  ])('refuses %s', async (_what, userId, value, outcome) => {
    expect(await handle(click('reject', userId, value))).toMatchObject({ outcome });
    expect((await store.get(GRANT_ID))?.state).toBe('requested');
    expect(events).toEqual([]);
  });
});

describe('ending early (Done)', () => {
  beforeEach(async () => {
    await stored(anElevation({ slack: SLACK_REF, state: 'granted', grantedAt: '2026-12-03T10:01:00Z' }));
  });

  it.each([
    ['the requester', REQUESTER],
    ['a profile approver', APPROVER_A],
  ])('asks the JIT function to revoke when %s clicks it', async (_who, userId) => {
    const result = await handle(click('done', userId));
    expect(result).toMatchObject({ outcome: 'revoke-requested' });
    expect(revokes).toEqual([{ grantId: GRANT_ID, by: { kind: 'slack', id: userId, teamId: JIT_TEAM } }]);
    // The grant is removed by the JIT function; this endpoint changes nothing itself.
    expect((await store.get(GRANT_ID))?.state).toBe('granted');
  });

  it('refuses anyone else', async () => {
    expect(await handle(click('done', OUTSIDER))).toMatchObject({ outcome: 'not-allowed' });
    expect(revokes).toEqual([]);
  });

  it('refuses a request that was never granted', async () => {
    store.requests.clear();
    await stored(anElevation({ state: 'lapsed' }));
    expect(await handle(click('done', REQUESTER))).toMatchObject({ outcome: 'not-granted' });
    expect(revokes).toEqual([]);
  });

  it('tells the person when the revoke request cannot be published', async () => {
    deps.revokes = {
      requestRevoke: async () => {
        throw new Error('AccessDeniedException');
      },
    };
    const result = await handle(click('done', REQUESTER));
    expect(result.outcome).toBe('revoke-not-requested');
    expect(result.text).toContain(`iam-posture elevate revoke ${GRANT_ID}`);
    expect(result.warnings).toEqual([
      'publishing ElevationRevokeRequested failed: Error: AccessDeniedException',
    ]);
  });
});
