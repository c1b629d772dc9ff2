import { createHash, randomUUID } from 'node:crypto';
import { parseIamPrincipalArn } from '../core/arn';
import { describeError } from '../core/describe-error';
import { canRevoke } from '../core/jit/approval';
import { DurationError, formatDuration, parseDuration } from '../core/jit/duration';
import { BREAK_GLASS_REASON_MIN, isProfileApprover, REASON_MAX } from '../core/jit/request';
import type { ElevationProfile, ElevationRequest } from '../core/jit/types';
import type { Actor } from '../core/remediation/request';
import { isSameSlackUser, type SlackUser, slackActor } from '../core/slack/approvers';
import type { SlackEnvelope } from '../core/slack/envelope';
import {
  type ElevationForm,
  elevationRequestModal,
  JIT_ID_PREFIX,
  JIT_MODAL_FIELDS,
  JIT_REQUEST_CALLBACK_ID,
  type JitModalView,
  jitActionOf,
  type ModalErrors,
  parseJitButtonValue,
  readElevationForm,
} from '../core/slack/jit-messages';
import { type AnnounceElevationDeps, announceRequest, type ElevationMessenger } from './announce-elevation';
import { profileNamed } from './elevation-events';
import type { GrantPolicies, JitEvents, JitProfiles, JitStore } from './jit-ports';
import { recordElevationVote, rejectElevation } from './record-elevation-vote';
import { requestElevation } from './request-elevation';
import type { InteractionAnswer, RouteContext, SlackRoute } from './slack-router';

/**
 * Just-in-time elevation in Slack, as a route of the interaction endpoint:
 *
 * - the slash command (`/elevate` unless configured otherwise) opens the request modal;
 * - the submitted modal (`iam_posture_jit_request`) becomes a request, posted to the JIT channel,
 *   or the modal shows what is wrong next to the field it is about;
 * - Approve counts a vote for the exact grant the button was rendered for (`<grantId>.<hash>`);
 *   Reject (a profile approver) ends the request; Done (the requester or an approver) asks the JIT
 *   function to remove the grant now.
 *
 * This function holds no IAM write permission: an early end is an `ElevationRevokeRequested`
 * event the JIT function acts on, and the grant itself is written there on `ElevationApproved`.
 * A refusal is an ephemeral answer (or a modal error) and changes nothing.
 */

/** The event that asks the JIT function to end a grant now; its detail carries ids only. */
export const ELEVATION_REVOKE_REQUESTED = 'ElevationRevokeRequested';

/** Asks the JIT function to revoke a grant (an event on the findings bus). */
export interface RevokeRequests {
  requestRevoke(request: ElevationRequest, by: Actor): Promise<void>;
}

/** What the route needs of Slack: the grant's message, the modal, and ephemeral replies. */
export interface JitInteractionSlack extends ElevationMessenger {
  openModal(triggerId: string, view: JitModalView): Promise<void>;
  tellUser(channel: string, userId: string, text: string): Promise<void>;
}

export interface JitInteractionDeps {
  profiles: JitProfiles;
  /** The slash command that opens the modal, e.g. `/elevate`. */
  slashCommand: string;
  /** The JIT channel, where every grant has its message. */
  channel: string;
  /** The account grants are made in (this deployment's). */
  accountId: () => Promise<string>;
  requestTtlMinutes: number;
  store: JitStore;
  /** Read only here: a managed profile's document, whether the principal exists, its inline quota. */
  policies: GrantPolicies;
  events: JitEvents;
  revokes: RevokeRequests;
  slack: JitInteractionSlack;
  /** A grant id for a submission without a view id; tests fix it. */
  newGrantId?: () => string;
}

export function elevationRoute(deps: JitInteractionDeps): SlackRoute {
  return {
    name: 'jit',
    matches: (envelope) => {
      switch (envelope.kind) {
        case 'slash_command':
          return envelope.command === deps.slashCommand;
        case 'block_actions':
          return envelope.actionId.startsWith(JIT_ID_PREFIX);
        case 'view_submission':
          return envelope.callbackId.startsWith(JIT_ID_PREFIX);
      }
    },
    handle: (envelope, context) => {
      switch (envelope.kind) {
        case 'slash_command':
          return openRequestModal(envelope, deps);
        case 'view_submission':
          return submitRequest(envelope, deps, context);
        case 'block_actions':
          return new Click(envelope, deps, context).handle();
      }
    },
  };
}

type Envelope<K extends SlackEnvelope['kind']> = Extract<SlackEnvelope, { kind: K }>;

const answer = (outcome: string, extra: Partial<InteractionAnswer> = {}): InteractionAnswer => ({
  statusCode: 200,
  outcome,
  warnings: [],
  ...extra,
});

const malformed = (detail: string): InteractionAnswer => ({
  statusCode: 400,
  outcome: 'malformed',
  detail,
  warnings: [],
});

/** The workspaces the profiles' approvers belong to: requests come from these only. */
function knownTeam(teamId: string, profiles: JitProfiles): boolean {
  return profiles.some((p) => p.approvers.some((a) => a.teamId === teamId));
}

const ARN_TEXT = /^arn:[a-z-]+:iam::\d{12}:(role|user)\/\S+$/;

async function openRequestModal(
  envelope: Envelope<'slash_command'>,
  deps: JitInteractionDeps,
): Promise<InteractionAnswer> {
  const user = { userId: envelope.userId };
  if (deps.profiles.length === 0) {
    return answer('no-profiles', { ...user, text: 'No elevation profiles are configured.' });
  }
  if (!knownTeam(envelope.teamId, deps.profiles)) {
    return answer('unknown-team', {
      ...user,
      text: 'Elevation requests are taken from the workspaces of the profiles’ approvers only.',
    });
  }
  const text = envelope.text.trim();
  const view = elevationRequestModal(deps.profiles, {
    privateMetadata: envelope.channelId,
    ...(ARN_TEXT.test(text) ? { principalArn: text } : {}),
  });
  try {
    await deps.slack.openModal(envelope.triggerId, view);
  } catch (error) {
    return answer('modal-not-opened', {
      ...user,
      text: `The request form could not be opened (${describeError(error)}); try the command again.`,
      warnings: [`views.open failed: ${describeError(error)}`],
    });
  }
  return answer('modal-opened', user);
}

/**
 * The grant id of a submitted modal: derived from the view's id, so a submission Slack delivers
 * again (no answer within 3 seconds) finds the request it already made instead of making another.
 */
function grantIdOf(envelope: Envelope<'view_submission'>, deps: JitInteractionDeps): string {
  const viewId = (envelope.payload as { view?: { id?: unknown } } | null)?.view?.id;
  if (typeof viewId !== 'string' || viewId === '') return deps.newGrantId?.() ?? randomUUID();
  return createHash('sha256').update(`${envelope.teamId}:${viewId}`).digest('hex').slice(0, 32);
}

const errors = (outcome: string, userId: string, fields: ModalErrors): InteractionAnswer =>
  answer(outcome, { userId, body: { response_action: 'errors', errors: fields } });

async function submitRequest(
  envelope: Envelope<'view_submission'>,
  deps: JitInteractionDeps,
  context: RouteContext,
): Promise<InteractionAnswer> {
  if (envelope.callbackId !== JIT_REQUEST_CALLBACK_ID) {
    return malformed(`callback_id: ${envelope.callbackId.slice(0, 64)} is not an elevation modal`);
  }
  const { userId } = envelope;
  if (!knownTeam(envelope.teamId, deps.profiles)) {
    return errors('unknown-team', userId, {
      [JIT_MODAL_FIELDS.profile]:
        'Elevation requests are taken from the workspaces of the profiles’ approvers only.',
    });
  }
  const read = readElevationForm(envelope.values);
  if (!read.ok) return errors('invalid-form', userId, read.errors);
  const requestedBy = slackActor({ teamId: envelope.teamId, userId });
  const accountId = await deps.accountId();
  const checked = checkForm(read.form, deps.profiles, requestedBy, accountId);
  if (!checked.ok) return errors('invalid-form', userId, checked.errors);

  const grantId = grantIdOf(envelope, deps);
  const existing = await deps.store.get(grantId);
  if (existing) {
    return answer('retry-already-handled', {
      userId,
      requestId: grantId,
      body: { response_action: 'clear' },
    });
  }
  const result = await requestElevation(
    {
      profileName: read.form.profile,
      principalArn: read.form.principalArn,
      minutes: checked.minutes,
      reason: read.form.reason,
      breakGlass: read.form.breakGlass,
      requestedBy,
      accountId,
    },
    {
      profiles: deps.profiles,
      store: deps.store,
      policies: deps.policies,
      events: deps.events,
      now: () => context.now,
      newGrantId: () => grantId,
      requestTtlMinutes: deps.requestTtlMinutes,
    },
  );
  if (result.outcome === 'refused') {
    // What is left after the form checks is about the principal: eligibility, existence, quota,
    // or the profile's managed policy (the reason names which).
    return errors('refused', userId, { [JIT_MODAL_FIELDS.principal]: sentence(result.reason) });
  }
  const warnings = [...result.warnings];
  try {
    await announceRequest(result.request, announceDeps(deps));
  } catch (error) {
    warnings.push(`posting the request to Slack failed: ${describeError(error)}`);
  }
  return answer(result.outcome, {
    userId,
    requestId: result.request.grantId,
    body: { response_action: 'clear' },
    warnings,
  });
}

function announceDeps(deps: JitInteractionDeps): AnnounceElevationDeps {
  return { store: deps.store, slack: deps.slack, channel: deps.channel };
}

/** `the reason is required` -> `The reason is required.` */
function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/**
 * The form checked against the profile before anything is read or written, so each problem is
 * shown next to its field. The use case checks all of it again (and eligibility, quota).
 */
function checkForm(
  form: ElevationForm,
  profiles: JitProfiles,
  requestedBy: Actor,
  accountId: string,
): { ok: true; minutes: number } | { ok: false; errors: ModalErrors } {
  const problems: ModalErrors = {};
  const profile = profileNamed(profiles, form.profile);
  if (!profile) problems[JIT_MODAL_FIELDS.profile] = `There is no profile ${form.profile}.`;

  const principal = parseIamPrincipalArn(form.principalArn);
  if (!principal || principal.type === 'group') {
    problems[JIT_MODAL_FIELDS.principal] = 'Enter the ARN of an IAM role or user.';
  } else if (principal.account !== accountId) {
    problems[JIT_MODAL_FIELDS.principal] = `Grants are made in account ${accountId} only.`;
  }

  let minutes = 0;
  try {
    minutes = parseDuration(form.duration);
  } catch (error) {
    if (!(error instanceof DurationError)) throw error;
    problems[JIT_MODAL_FIELDS.duration] = 'Write the duration like 30m, 1h or 1h30m.';
  }
  if (form.reason.length > REASON_MAX) {
    problems[JIT_MODAL_FIELDS.reason] = `A reason is at most ${REASON_MAX} characters.`;
  }
  if (profile && minutes > 0) {
    const cap = capOf(profile, form.breakGlass);
    if (cap !== undefined && minutes > cap) {
      problems[JIT_MODAL_FIELDS.duration] =
        `${form.breakGlass ? 'Break-glass on ' : ''}${profile.name} lasts at most ${formatDuration(cap)}.`;
    }
  }
  if (profile && form.breakGlass) {
    if (!profile.breakGlass) {
      problems[JIT_MODAL_FIELDS.breakGlass] = `The profile ${profile.name} has no break-glass.`;
    } else if (!isProfileApprover(requestedBy, profile)) {
      problems[JIT_MODAL_FIELDS.breakGlass] = `Break-glass on ${profile.name} is for its approvers only.`;
    } else if (form.reason.length < BREAK_GLASS_REASON_MIN) {
      problems[JIT_MODAL_FIELDS.reason] =
        `Break-glass needs a reason of at least ${BREAK_GLASS_REASON_MIN} characters, for the review afterwards.`;
    }
  }
  return Object.keys(problems).length > 0 ? { ok: false, errors: problems } : { ok: true, minutes };
}

function capOf(profile: ElevationProfile, breakGlass: boolean): number | undefined {
  return breakGlass ? profile.breakGlass?.maxMinutes : profile.maxMinutes;
}

/** One click on a grant message's button. */
class Click {
  private readonly warnings: string[] = [];
  private readonly user: SlackUser;
  private grantId: string | undefined;

  constructor(
    private readonly envelope: Envelope<'block_actions'>,
    private readonly deps: JitInteractionDeps,
    private readonly context: RouteContext,
  ) {
    this.user = { teamId: envelope.teamId, userId: envelope.userId };
  }

  async handle(): Promise<InteractionAnswer> {
    const action = jitActionOf(this.envelope.actionId);
    if (!action)
      return malformed(
        `actions.0.action_id: ${this.envelope.actionId.slice(0, 64)} is not an elevation button`,
      );
    const value = parseJitButtonValue(this.envelope.value);
    if (!value) return malformed('actions.0.value: is not <grant id>.<grant hash>');
    this.grantId = value.grantId;
    switch (action) {
      case 'approve':
        return this.approve(value.grantId, value.grantHash);
      case 'reject':
        return this.reject(value.grantId, value.grantHash);
      case 'done':
        return this.done(value.grantId, value.grantHash);
    }
  }

  private async approve(grantId: string, grantHash: string): Promise<InteractionAnswer> {
    const result = await recordElevationVote(
      { grantId, grantHash, approver: this.user },
      {
        profiles: this.deps.profiles,
        store: this.deps.store,
        events: this.deps.events,
        now: () => this.context.now,
      },
    );
    if (result.outcome === 'refused') {
      // Slack delivered the click again: the first delivery counted it and answered the person.
      if (this.context.retry && result.reason === 'already-approved' && (await this.votedAlready(grantId))) {
        return this.ok('retry-already-handled');
      }
      return this.refuse(result.reason, result.message);
    }
    this.warnings.push(...result.warnings);
    await this.updateMessage(result.request);
    return this.ok(result.outcome, result.message);
  }

  private async votedAlready(grantId: string): Promise<boolean> {
    const request = await this.deps.store.get(grantId);
    return request?.approvals.some((a) => isSameSlackUser(this.user, a.by)) ?? false;
  }

  private async reject(grantId: string, grantHash: string): Promise<InteractionAnswer> {
    const found = await this.find(grantId, grantHash);
    if ('refusal' in found) return found.refusal;
    const result = await rejectElevation(
      { grantId, approver: this.user },
      {
        profiles: this.deps.profiles,
        store: this.deps.store,
        events: this.deps.events,
        now: () => this.context.now,
      },
    );
    if (result.outcome === 'refused') return this.refuse(result.reason, result.message);
    this.warnings.push(...result.warnings);
    await this.updateMessage(result.request);
    return this.ok('rejected', 'Rejected; nothing was granted.');
  }

  private async done(grantId: string, grantHash: string): Promise<InteractionAnswer> {
    const found = await this.find(grantId, grantHash);
    if ('refusal' in found) return found.refusal;
    const { request, profile } = found;
    const by = slackActor(this.user);
    if (!canRevoke(request, by, profile)) {
      return this.refuse(
        'not-allowed',
        `Only the requester or an approver of the profile ${profile.name} can end this elevation.`,
      );
    }
    if (request.state !== 'granted' && request.state !== 'approved') {
      return this.refuse('not-granted', `This elevation is ${request.state}; there is no grant to end.`);
    }
    try {
      await this.deps.revokes.requestRevoke(request, by);
    } catch (error) {
      this.warnings.push(`publishing ${ELEVATION_REVOKE_REQUESTED} failed: ${describeError(error)}`);
      return this.refuse(
        'revoke-not-requested',
        `The grant could not be ended from Slack just now; it still ends on its own at its end time. Try again, or run iam-posture elevate revoke ${request.grantId}.`,
      );
    }
    return this.ok(
      'revoke-requested',
      'The grant is being removed now; its message changes once it is gone.',
    );
  }

  /** The request and its profile, for a button rendered for `grantHash`; or the refusal to answer. */
  private async find(
    grantId: string,
    grantHash: string,
  ): Promise<{ request: ElevationRequest; profile: ElevationProfile } | { refusal: InteractionAnswer }> {
    const request = await this.deps.store.get(grantId);
    if (!request) {
      return { refusal: await this.refuse('unknown-request', 'This elevation request does not exist.') };
    }
    const profile = profileNamed(this.deps.profiles, request.profile);
    if (!profile) {
      return {
        refusal: await this.refuse(
          'unknown-profile',
          `The profile ${request.profile} is no longer configured; nothing was changed.`,
        ),
      };
    }
    if (grantHash !== request.grantHash) {
      return {
        refusal: await this.refuse(
          'hash-mismatch',
          'The request changed since this message was posted; nothing was changed. Look at it again.',
        ),
      };
    }
    return { request, profile };
  }

  private async updateMessage(request: ElevationRequest): Promise<void> {
    try {
      await announceRequest(request, announceDeps(this.deps));
    } catch (error) {
      this.warnings.push(`updating the Slack message failed: ${describeError(error)}`);
    }
  }

  /** A 200 answer with an ephemeral explanation; nothing was changed. */
  private async refuse(outcome: string, text: string): Promise<InteractionAnswer> {
    await this.tell(text);
    return this.ok(outcome, text);
  }

  private ok(outcome: string, text?: string): InteractionAnswer {
    return answer(outcome, {
      userId: this.user.userId,
      ...(this.grantId ? { requestId: this.grantId } : {}),
      ...(text ? { text } : {}),
      warnings: this.warnings,
    });
  }

  private async tell(text: string): Promise<void> {
    if (!this.envelope.channelId) return;
    try {
      await this.deps.slack.tellUser(this.envelope.channelId, this.user.userId, text);
    } catch (error) {
      this.warnings.push(`the ephemeral message could not be sent: ${describeError(error)}`);
    }
  }
}
