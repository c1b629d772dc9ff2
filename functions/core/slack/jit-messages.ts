import { formatDuration } from '../jit/duration';
import { REASON_MAX } from '../jit/request';
import type { ElevationProfile, ElevationRequest, ElevationState } from '../jit/types';
import type { Actor } from '../remediation/request';
import {
  describeAccount,
  describeActor,
  escapeMrkdwn,
  FALLBACK_MAX,
  FIELD_MAX,
  mrkdwn,
  plain,
  type TextObject,
  truncate,
} from './messages';

/**
 * Slack Block Kit for just-in-time elevation. Pure: a request in, a message or a modal out.
 *
 * One message follows a grant through its life (requested -> approved -> granted -> revoked, or
 * rejected / lapsed / failed): the same builder renders every state, and the message is updated in
 * place. Every value a person typed or AWS named (reason, ARNs, profile descriptions) is escaped for
 * mrkdwn. A button carries `<grantId>.<grantHash>` and nothing else, so an approval names the exact
 * grant the approver saw: a request changed after the message was posted has another hash, and the
 * click is refused.
 */

/** Every action and view of just-in-time elevation starts with this prefix; other routes own the rest. */
export const JIT_ID_PREFIX = 'iam_posture_jit_';

export const JIT_ACTION_IDS = {
  approve: 'iam_posture_jit_approve',
  reject: 'iam_posture_jit_reject',
  done: 'iam_posture_jit_done',
} as const;
export type JitAction = keyof typeof JIT_ACTION_IDS;
export type JitActionId = (typeof JIT_ACTION_IDS)[JitAction];

/** The action a button's `action_id` stands for, or undefined for any other id. */
export function jitActionOf(actionId: string): JitAction | undefined {
  for (const [action, id] of Object.entries(JIT_ACTION_IDS)) {
    if (id === actionId) return action as JitAction;
  }
  return undefined;
}

/** `callback_id` of the request modal. */
export const JIT_REQUEST_CALLBACK_ID = 'iam_posture_jit_request';

/** `block_id` of each input of the request modal; the element inside has the same `action_id`. */
export const JIT_MODAL_FIELDS = {
  profile: 'iam_posture_jit_profile',
  principal: 'iam_posture_jit_principal',
  duration: 'iam_posture_jit_duration',
  reason: 'iam_posture_jit_reason',
  breakGlass: 'iam_posture_jit_break_glass',
} as const;
export type JitModalField = keyof typeof JIT_MODAL_FIELDS;

/** `block_id` of the buttons of a grant message. */
export const JIT_ACTIONS_BLOCK_ID = 'iam_posture_jit_actions';

/** The value of a break-glass checkbox option. */
const BREAK_GLASS_VALUE = 'break-glass';

/** Characters of the grant hash a message shows: enough to compare by eye with the CLI's output. */
export const SHORT_HASH_LENGTH = 12;

/** Limits of the modal's inputs. IAM ARNs are at most 2048 characters. */
export const PRINCIPAL_MAX = 2048;
const DURATION_MAX = 16;

/** Slack's limits on a modal: title 24, button 24, option text 75, option value 150, 100 options. */
const MODAL_TITLE_MAX = 24;
const OPTION_TEXT_MAX = 75;
const OPTIONS_MAX = 100;
/** What the message quotes of a reason; the full reason stays in the table. */
const REASON_SHOWN = 1500;

const GRANT_ID = /^[a-z0-9-]{1,64}$/;
const GRANT_HASH = /^[a-f0-9]{64}$/;

/** `<grantId>.<grantHash>`: the value of every button of a grant message. */
export function jitButtonValue(request: Pick<ElevationRequest, 'grantId' | 'grantHash'>): string {
  return `${request.grantId}.${request.grantHash}`;
}

/** Reads a button value back; undefined when it is not `<grantId>.<64 hex>`. */
export function parseJitButtonValue(value: string): { grantId: string; grantHash: string } | undefined {
  const dot = value.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const grantId = value.slice(0, dot);
  const grantHash = value.slice(dot + 1);
  if (!GRANT_ID.test(grantId) || !GRANT_HASH.test(grantHash)) return undefined;
  return { grantId, grantHash };
}

export const shortHash = (hash: string): string => hash.slice(0, SHORT_HASH_LENGTH);

export interface JitButton {
  type: 'button';
  action_id: JitActionId;
  text: TextObject;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: { title: TextObject; text: TextObject; confirm: TextObject; deny: TextObject };
}

export type JitBlock =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'actions'; block_id: string; elements: JitButton[] };

export interface JitMessage {
  text: string;
  blocks: JitBlock[];
}

const HEADERS: Record<ElevationState, string> = {
  requested: 'Elevation requested',
  approved: 'Elevation approved',
  granted: 'Elevation granted',
  revoked: 'Elevation revoked',
  rejected: 'Elevation rejected',
  lapsed: 'Elevation request lapsed',
  failed: 'Elevation failed',
};

const code = (value: string) => `\`${escapeMrkdwn(value)}\``;

/** A date Slack shows in the reader's time zone, with the ISO time as fallback. */
function slackDate(iso: string | undefined): string {
  if (!iso) return 'at an unrecorded time';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeMrkdwn(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${new Date(ms).toISOString()}>`;
}

/** The length of a window as people write durations: `45m`, `2h`, `1h30m`. */
export function windowLength(startsAt: string, endsAt: string): string {
  const minutes = Math.round((Date.parse(endsAt) - Date.parse(startsAt)) / 60_000);
  if (!Number.isFinite(minutes) || minutes < 0) return 'an unreadable window';
  return formatDuration(minutes);
}

/**
 * The message of a grant in its current state: Approve / Reject while `requested`, Done once
 * approved or granted (an early end, asked of the JIT function), no buttons otherwise.
 */
export function elevationMessage(request: ElevationRequest): JitMessage {
  const mark = request.breakGlass ? ':rotating_light: ' : '';
  const blocks: JitBlock[] = [
    { type: 'header', text: plain(`${request.breakGlass ? 'Break-glass: ' : ''}${HEADERS[request.state]}`) },
    {
      type: 'section',
      text: mrkdwn(
        `${mark}${describeActor(request.requestedBy)} asks for ${code(request.profile)} on ${code(request.principalArn)}`,
      ),
      fields: [
        mrkdwn(`*Profile*\n${code(request.profile)}`, FIELD_MAX),
        mrkdwn(`*Principal*\n${code(request.principalArn)}`, FIELD_MAX),
        mrkdwn(`*Account*\n${describeAccount(request.accountId)}`, FIELD_MAX),
        mrkdwn(
          `*Window*\n${windowLength(request.startsAt, request.endsAt)}: ${slackDate(request.startsAt)} to ${slackDate(request.endsAt)}`,
          FIELD_MAX,
        ),
        mrkdwn(`*Requested by*\n${describeActor(request.requestedBy)}`, FIELD_MAX),
        mrkdwn(`*Approvals*\n${approvalsLine(request)}`, FIELD_MAX),
      ],
    },
    {
      type: 'section',
      text: mrkdwn(`*Reason*\n${escapeMrkdwn(truncate(request.reason, REASON_SHOWN))}`),
    },
  ];
  const status = statusLine(request);
  if (status) blocks.push({ type: 'section', text: mrkdwn(status) });
  blocks.push({ type: 'context', elements: [mrkdwn(contextLine(request), FIELD_MAX)] });
  const buttons = buttonsFor(request);
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: JIT_ACTIONS_BLOCK_ID, elements: buttons });
  return { text: fallbackText(request, status), blocks };
}

function approvalsLine(request: ElevationRequest): string {
  const count = `${request.approvals.length}/${request.requiredApprovals}`;
  if (request.approvals.length === 0) return count;
  return `${count}: ${request.approvals.map((a) => describeActor(a.by)).join(', ')}`;
}

function statusLine(request: ElevationRequest): string | undefined {
  const by = (actor: Actor | undefined) => (actor ? describeActor(actor) : 'an unrecorded person');
  switch (request.state) {
    case 'requested':
      return undefined;
    case 'approved':
      return request.breakGlass
        ? ':rotating_light: Break-glass: approved by the requester alone. The grant is being written; this use is reviewed afterwards.'
        : ':white_check_mark: Approved. The grant is being written.';
    case 'granted':
      return `:unlock: Granted ${slackDate(request.grantedAt)}. IAM stops honouring it ${slackDate(request.endsAt)} even if nothing removes it; Done ends it now.`;
    case 'revoked': {
      const why = request.revokeReason ? ` (${escapeMrkdwn(request.revokeReason)})` : '';
      return `:lock: Revoked ${slackDate(request.revokedAt)} by ${by(request.revokedBy)}${why}. The grant policy is removed.`;
    }
    case 'rejected':
      return `:no_entry_sign: Rejected by ${by(request.rejectedBy)}. Nothing was granted.`;
    case 'lapsed':
      return `:hourglass: Nobody approved it before ${slackDate(request.expiresAt)}. Nothing was granted.`;
    case 'failed':
      return `:x: Not granted: ${escapeMrkdwn(request.failureReason ?? 'no reason was recorded')}.`;
  }
}

function contextLine(request: ElevationRequest): string {
  const parts = [`Requested ${slackDate(request.requestedAt)}`];
  if (request.state === 'requested') parts.push(`expires ${slackDate(request.expiresAt)}`);
  parts.push(`grant ${code(request.grantId)}`, `hash ${code(shortHash(request.grantHash))}`);
  return parts.join(' · ');
}

function buttonsFor(request: ElevationRequest): JitButton[] {
  const value = jitButtonValue(request);
  if (request.state === 'requested') {
    return [
      {
        type: 'button',
        action_id: JIT_ACTION_IDS.approve,
        text: plain('Approve'),
        value,
        style: 'primary',
        confirm: {
          title: plain('Approve this elevation?'),
          text: mrkdwn(
            `${code(request.profile)} on ${code(request.principalArn)} for ${windowLength(request.startsAt, request.endsAt)} (hash ${code(shortHash(request.grantHash))}).`,
            300,
          ),
          confirm: plain('Approve'),
          deny: plain('Cancel'),
        },
      },
      { type: 'button', action_id: JIT_ACTION_IDS.reject, text: plain('Reject'), value, style: 'danger' },
    ];
  }
  if (request.state === 'approved' || request.state === 'granted') {
    return [
      {
        type: 'button',
        action_id: JIT_ACTION_IDS.done,
        text: plain('Done'),
        value,
        confirm: {
          title: plain('End this elevation now?'),
          text: mrkdwn('The grant policy is removed from the principal now instead of at the end.', 300),
          confirm: plain('End it'),
          deny: plain('Cancel'),
        },
      },
    ];
  }
  return [];
}

function fallbackText(request: ElevationRequest, status: string | undefined): string {
  const head = `${request.breakGlass ? 'Break-glass: ' : ''}${HEADERS[request.state]}: ${escapeMrkdwn(request.profile)} on ${escapeMrkdwn(request.principalArn)} for ${windowLength(request.startsAt, request.endsAt)}, approvals ${request.approvals.length}/${request.requiredApprovals}.`;
  return truncate(status ? `${head} ${status}` : head, FALLBACK_MAX);
}

/**
 * The broadcast of a break-glass request: posted to the channel at once (with `@here`), apart from
 * the grant's own message, so nobody misses a self-approved elevation.
 */
export function breakGlassBroadcast(request: ElevationRequest): JitMessage {
  const line = `<!here> :rotating_light: *Break-glass elevation*: ${describeActor(request.requestedBy)} approved their own request for ${code(request.profile)} on ${code(request.principalArn)} for ${windowLength(request.startsAt, request.endsAt)}.`;
  return {
    text: truncate(
      `Break-glass elevation: ${escapeMrkdwn(request.profile)} on ${escapeMrkdwn(request.principalArn)} for ${windowLength(request.startsAt, request.endsAt)}, approved by the requester alone.`,
      FALLBACK_MAX,
    ),
    blocks: [
      { type: 'section', text: mrkdwn(line) },
      { type: 'section', text: mrkdwn(`*Reason*\n${escapeMrkdwn(truncate(request.reason, REASON_SHOWN))}`) },
      {
        type: 'context',
        elements: [
          mrkdwn(
            `Every break-glass grant becomes a finding for review afterwards · grant ${code(request.grantId)} · hash ${code(shortHash(request.grantHash))}`,
            FIELD_MAX,
          ),
        ],
      },
    ],
  };
}

/** The request modal, as `views.open` takes it. */
export interface JitModalView {
  type: 'modal';
  callback_id: typeof JIT_REQUEST_CALLBACK_ID;
  title: TextObject;
  submit: TextObject;
  close: TextObject;
  private_metadata: string;
  blocks: Record<string, unknown>[];
}

export interface ModalOptions {
  /** Carried back with the submission (Slack allows 3000 characters): the channel the command ran in. */
  privateMetadata?: string;
  /** The principal typed after the command (`/elevate arn:aws:iam::...`), shown pre-filled. */
  principalArn?: string;
}

/**
 * The request modal: profile (select), principal ARN, duration, reason, and a break-glass checkbox
 * when some profile offers break-glass. Slack validates that required inputs are filled; the route
 * validates the values and answers with errors naming the field.
 */
export function elevationRequestModal(
  profiles: readonly ElevationProfile[],
  options: ModalOptions = {},
): JitModalView {
  const shown = profiles.slice(0, OPTIONS_MAX);
  const blocks: Record<string, unknown>[] = [
    {
      type: 'input',
      block_id: JIT_MODAL_FIELDS.profile,
      label: plain('Profile'),
      element: {
        type: 'static_select',
        action_id: JIT_MODAL_FIELDS.profile,
        placeholder: plain('Choose a profile'),
        options: shown.map((profile) => ({
          text: plain(profile.name, OPTION_TEXT_MAX),
          value: profile.name,
          ...(profile.description
            ? { description: plain(profile.description.replace(/\s+/g, ' '), OPTION_TEXT_MAX) }
            : {}),
        })),
      },
    },
    {
      type: 'input',
      block_id: JIT_MODAL_FIELDS.principal,
      label: plain('Principal ARN'),
      hint: plain('The IAM role or user that receives the grant.'),
      element: {
        type: 'plain_text_input',
        action_id: JIT_MODAL_FIELDS.principal,
        max_length: PRINCIPAL_MAX,
        placeholder: plain('arn:aws:iam::123456789012:role/name'),
        ...(options.principalArn ? { initial_value: options.principalArn.slice(0, PRINCIPAL_MAX) } : {}),
      },
    },
    {
      type: 'input',
      block_id: JIT_MODAL_FIELDS.duration,
      label: plain('Duration'),
      hint: plain(`For example 30m, 1h or 1h30m. ${profileCaps(shown)}`, 150),
      element: {
        type: 'plain_text_input',
        action_id: JIT_MODAL_FIELDS.duration,
        max_length: DURATION_MAX,
        initial_value: '1h',
      },
    },
    {
      type: 'input',
      block_id: JIT_MODAL_FIELDS.reason,
      label: plain('Reason'),
      hint: plain('Shown to the approvers and kept with the grant.'),
      element: {
        type: 'plain_text_input',
        action_id: JIT_MODAL_FIELDS.reason,
        multiline: true,
        max_length: REASON_MAX,
      },
    },
  ];
  if (shown.some((profile) => profile.breakGlass)) {
    blocks.push({
      type: 'input',
      block_id: JIT_MODAL_FIELDS.breakGlass,
      optional: true,
      label: plain('Break-glass'),
      element: {
        type: 'checkboxes',
        action_id: JIT_MODAL_FIELDS.breakGlass,
        options: [
          {
            text: plain('Break glass: approve it myself'),
            value: BREAK_GLASS_VALUE,
            description: plain(
              'Approvers only, for an emergency: a short window, announced to the channel at once and reviewed afterwards.',
              OPTION_TEXT_MAX,
            ),
          },
        ],
      },
    });
  }
  return {
    type: 'modal',
    callback_id: JIT_REQUEST_CALLBACK_ID,
    title: plain('Request elevation', MODAL_TITLE_MAX),
    submit: plain('Request', MODAL_TITLE_MAX),
    close: plain('Cancel', MODAL_TITLE_MAX),
    private_metadata: (options.privateMetadata ?? '').slice(0, 3000),
    blocks,
  };
}

/** `Caps: admin 1h, read-only 4h.` for the duration hint, within the hint's length. */
function profileCaps(profiles: readonly ElevationProfile[]): string {
  if (profiles.length === 0) return '';
  const caps = profiles.map(
    (p) => `${p.name} ${windowLength('1970-01-01T00:00:00Z', new Date(p.maxMinutes * 60_000).toISOString())}`,
  );
  return `Caps: ${caps.join(', ')}.`;
}

/** What a person entered in the modal, before the values are checked against the profile. */
export interface ElevationForm {
  profile: string;
  principalArn: string;
  duration: string;
  reason: string;
  breakGlass: boolean;
}

/** The parts of an input's state the modal reads (`view.state.values[block][action]`). */
interface InputState {
  value?: unknown;
  selected_option?: { value?: unknown } | null;
  /** Checkboxes. */
  selected_options?: ({ value?: unknown } | null)[] | null;
}

/** Errors keyed by the modal's `block_id`, as `response_action: 'errors'` takes them. */
export type ModalErrors = Partial<Record<(typeof JIT_MODAL_FIELDS)[JitModalField], string>>;

/**
 * Reads the modal's `view.state.values`. A missing or empty input is an error on that input (Slack
 * requires them, but a crafted submission need not respect that); the rest is checked by the route.
 */
export function readElevationForm(
  values: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
): { ok: true; form: ElevationForm } | { ok: false; errors: ModalErrors } {
  const state = (field: JitModalField): InputState | undefined => {
    const id = JIT_MODAL_FIELDS[field];
    const block = Object.hasOwn(values, id) ? values[id] : undefined;
    const inner = block && Object.hasOwn(block, id) ? block[id] : undefined;
    return inner && typeof inner === 'object' ? (inner as InputState) : undefined;
  };
  const text = (field: JitModalField) => {
    const value = state(field)?.value;
    return typeof value === 'string' ? value.trim() : '';
  };
  const selected = state('profile')?.selected_option?.value;
  const profile = typeof selected === 'string' ? selected : '';
  const principalArn = text('principal');
  const duration = text('duration');
  const reason = text('reason');
  const checked = state('breakGlass')?.selected_options;
  const breakGlass = Array.isArray(checked) && checked.some((o) => o?.value === BREAK_GLASS_VALUE);

  const errors: ModalErrors = {};
  if (!profile) errors[JIT_MODAL_FIELDS.profile] = 'Choose a profile.';
  if (!principalArn) errors[JIT_MODAL_FIELDS.principal] = 'Enter the ARN of the role or user.';
  else if (principalArn.length > PRINCIPAL_MAX)
    errors[JIT_MODAL_FIELDS.principal] = `An ARN is at most ${PRINCIPAL_MAX} characters.`;
  if (!duration) errors[JIT_MODAL_FIELDS.duration] = 'Enter a duration, for example 1h.';
  if (!reason) errors[JIT_MODAL_FIELDS.reason] = 'Say why the elevation is needed.';
  else if (reason.length > REASON_MAX)
    errors[JIT_MODAL_FIELDS.reason] = `A reason is at most ${REASON_MAX} characters.`;
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, form: { profile, principalArn, duration, reason, breakGlass } };
}
