import type { Finding } from '../finding';
import type { RemediationStep } from '../remediation/plan';
import type { Actor, RemediationRequest, RequestState } from '../remediation/request';
import type { Evidence } from '../rule';

/**
 * Slack Block Kit messages for remediation requests. Pure: a request in, a message payload out.
 * Every value that comes from AWS (names, ARNs, reasons, policy names) is escaped for mrkdwn, and
 * a button carries nothing but the opaque request id.
 */

/** The `action_id` of each button; the interaction endpoint accepts these and nothing else. */
export const SLACK_ACTION_IDS = {
  approve: 'iam_posture_approve',
  reject: 'iam_posture_reject',
  undo: 'iam_posture_undo',
} as const;

export type SlackAction = keyof typeof SLACK_ACTION_IDS;
export type SlackActionId = (typeof SLACK_ACTION_IDS)[SlackAction];

/** `block_id` of the actions block of a request message. */
export const ACTIONS_BLOCK_ID = 'iam_posture_actions';

/** The action a button's `action_id` stands for, or undefined for any other id. */
export function slackActionOf(actionId: string): SlackAction | undefined {
  for (const [action, id] of Object.entries(SLACK_ACTION_IDS)) {
    if (id === actionId) return action as SlackAction;
  }
  return undefined;
}

export interface TextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}

export interface ButtonElement {
  type: 'button';
  action_id: SlackActionId;
  text: TextObject;
  /** Only the request id. */
  value: string;
  style?: 'primary' | 'danger';
  confirm?: {
    title: TextObject;
    text: TextObject;
    confirm: TextObject;
    deny: TextObject;
    style?: 'primary' | 'danger';
  };
}

export type Block =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'actions'; block_id: string; elements: ButtonElement[] }
  | { type: 'divider' };

/** What chat.postMessage and chat.update take besides the channel: blocks and a plain-text fallback. */
export interface SlackMessage {
  /** Shown in notifications and by clients that cannot render blocks. */
  text: string;
  blocks: Block[];
}

/** Slack's limits: a section's text, a field, a header, the fallback text. */
export const SECTION_MAX = 3000;
export const FIELD_MAX = 2000;
export const HEADER_MAX = 150;
export const FALLBACK_MAX = 3000;
const STEPS_SHOWN = 10;

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts `text` to `max` characters, marking the cut; never splits an escape sequence. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  const amp = cut.lastIndexOf('&');
  if (amp >= 0 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  return `${cut}…`;
}

export const mrkdwn = (text: string, max = SECTION_MAX): TextObject => ({
  type: 'mrkdwn',
  text: truncate(text, max),
});
export const plain = (text: string, max = HEADER_MAX): TextObject => ({
  type: 'plain_text',
  text: truncate(text, max),
  emoji: true,
});

/** `code` span of an AWS value. */
const code = (value: string) => `\`${escapeMrkdwn(value)}\``;

/** An account as messages name it: its id, and its name when known. */
export function describeAccount(accountId: string, accountName?: string): string {
  return accountName ? `${code(accountId)} (${escapeMrkdwn(accountName)})` : code(accountId);
}

/** The same, in the plain-text fallback. */
function accountText(accountId: string, accountName?: string): string {
  return accountName ? `${accountId} (${escapeMrkdwn(accountName)})` : accountId;
}

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

/** How a message names who did something. */
export function describeActor(actor: Actor): string {
  switch (actor.kind) {
    case 'slack':
      return SLACK_USER_ID.test(actor.id) ? `<@${actor.id}>` : escapeMrkdwn(actor.id);
    case 'cli':
      return `${escapeMrkdwn(actor.name ?? actor.id)} (command line)`;
    case 'system':
      return 'iam-posture';
  }
}

/** A date Slack shows in the reader's time zone, with the ISO time as fallback. */
function slackDate(iso: string | undefined): string {
  if (!iso) return 'at an unrecorded time';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeMrkdwn(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${new Date(ms).toISOString()}>`;
}

const SEVERITY_MARK: Record<string, string> = {
  critical: ':red_circle:',
  high: ':large_orange_circle:',
  medium: ':large_yellow_circle:',
  low: ':large_blue_circle:',
  informational: ':white_circle:',
};

/** One line describing a step, for the plan shown to the approver. */
export function describeStepForSlack(step: RemediationStep): string {
  switch (step.action) {
    case 'deactivate-access-key':
      return `Deactivate access key ${code(step.accessKeyId)} of user ${code(step.userName)}`;
    case 'detach-managed-policy':
      return `Detach managed policy ${code(step.policyArn)} from ${step.principalType} ${code(step.principalName)}`;
    case 'delete-inline-policy':
      return `Delete inline policy ${code(step.policyName)} of ${step.principalType} ${code(step.principalName)} (its document is saved for rollback)`;
    case 'quarantine-role':
      return `Attach the deny-all inline policy ${code(step.policyName)} to role ${code(step.roleName)}`;
    case 'rotate-secret':
      return `Rotate secret ${code(step.secretId)} in ${escapeMrkdwn(step.region)} with its rotation function`;
    case 'make-eligible':
      return `Make ${code(step.principalArn)} eligible for just-in-time profile ${code(step.profile)} (it requests the privilege when it needs it)`;
  }
}

const HEADERS: Record<RequestState, string> = {
  pending: 'Remediation approval requested',
  approved: 'Remediation approved',
  rejected: 'Remediation rejected',
  expired: 'Remediation request expired',
  executing: 'Remediation in progress',
  executed: 'Remediation executed',
  failed: 'Remediation failed',
  refused: 'Remediation refused',
  'rollback-requested': 'Remediation rollback requested',
  'rolled-back': 'Remediation rolled back',
  attention: 'Remediation needs attention',
};

/** Owner id -> Slack member (`U...`, `W...`), channel (`C...`, `G...`) or `#channel-name`. */
export type OwnerSlackTargets = Readonly<Record<string, string>>;

/**
 * The owner as a message names it: the owner id, and a mention of its Slack user or channel when
 * one is mapped (ids become real mentions; a `#name` is shown as written).
 */
export function describeOwner(owner: { id: string }, targets: OwnerSlackTargets = {}): string {
  const target = Object.hasOwn(targets, owner.id) ? targets[owner.id] : undefined;
  const name = escapeMrkdwn(owner.id);
  if (target === undefined) return name;
  if (/^[UW][A-Z0-9]+$/.test(target)) return `${name} (<@${target}>)`;
  if (/^[CG][A-Z0-9]+$/.test(target)) return `${name} (<#${target}>)`;
  return `${name} (${escapeMrkdwn(target)})`;
}

export interface RequestMessageOptions {
  /** Where each owner is reached in Slack: the message mentions the finding's owner. */
  ownerSlack?: OwnerSlackTargets;
  /** An Undo was clicked: the rollback is on its way, so the Undo button is not offered again. */
  rollbackRequestedBy?: Actor;
}

/**
 * The message of a request in its current state: the approval request with Approve / Reject while
 * `pending`, the outcome without buttons afterwards, and an Undo button once `executed`.
 */
export function requestMessage(
  request: RemediationRequest,
  options: RequestMessageOptions = {},
): SlackMessage {
  const blocks: Block[] = [
    { type: 'header', text: plain(HEADERS[request.state]) },
    ...findingBlocks(request, options.ownerSlack),
  ];
  const status = statusLine(request, options);
  if (status) blocks.push({ type: 'section', text: mrkdwn(status) });
  blocks.push({ type: 'context', elements: [mrkdwn(contextLine(request), FIELD_MAX)] });
  const buttons = buttonsFor(request, options);
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: ACTIONS_BLOCK_ID, elements: buttons });
  return { text: fallbackText(request, status), blocks };
}

/** The approval request: `requestMessage` of a pending request. */
export function approvalRequestMessage(request: RemediationRequest): SlackMessage {
  if (request.state !== 'pending') {
    throw new Error(`request ${request.requestId} is ${request.state}, not pending`);
  }
  return requestMessage(request);
}

function findingBlocks(request: RemediationRequest, ownerSlack?: OwnerSlackTargets): Block[] {
  const { finding, plan } = request;
  const severity = finding.severity;
  const resource = finding.subResource
    ? `${code(finding.resourceArn)}\n${code(finding.subResource)}`
    : code(finding.resourceArn);
  const blocks: Block[] = [
    {
      type: 'section',
      text: mrkdwn(`${SEVERITY_MARK[severity] ?? ''} *${escapeMrkdwn(finding.title)}*`.trim()),
      fields: [
        mrkdwn(`*Severity*\n${escapeMrkdwn(severity)}`, FIELD_MAX),
        mrkdwn(`*Rule*\n${code(finding.ruleId)}`, FIELD_MAX),
        mrkdwn(`*Resource*\n${resource}`, FIELD_MAX),
        mrkdwn(`*Account*\n${describeAccount(request.accountId, request.accountName)}`, FIELD_MAX),
        ...(finding.owner ? [mrkdwn(`*Owner*\n${describeOwner(finding.owner, ownerSlack)}`, FIELD_MAX)] : []),
      ],
    },
    { type: 'section', text: mrkdwn(`*Why*\n${escapeMrkdwn(finding.reason)}`) },
  ];
  const highlights = Object.entries(request.highlights ?? {});
  if (highlights.length > 0) {
    const lines = highlights.map(([key, value]) => `• ${escapeMrkdwn(key)}: ${escapeMrkdwn(value)}`);
    blocks.push({ type: 'section', text: mrkdwn(`*Evidence*\n${lines.join('\n')}`) });
  }
  const steps = plan.steps.slice(0, STEPS_SHOWN).map((step, i) => `${i + 1}. ${describeStepForSlack(step)}`);
  if (plan.steps.length > STEPS_SHOWN) steps.push(`… and ${plan.steps.length - STEPS_SHOWN} more steps`);
  blocks.push({
    type: 'section',
    text: mrkdwn(`*Plan*: ${escapeMrkdwn(plan.summary)}\n${steps.join('\n')}`),
  });
  return blocks;
}

function statusLine(request: RemediationRequest, options: RequestMessageOptions): string | undefined {
  const by = (actor: Actor | undefined) => (actor ? describeActor(actor) : 'an unrecorded approver');
  const reason = request.outcomeReason ? ` ${escapeMrkdwn(request.outcomeReason)}` : '';
  switch (request.state) {
    case 'pending':
      return undefined;
    case 'approved':
      return `:white_check_mark: Approved by ${by(request.approvedBy)} ${slackDate(request.approvedAt)}. The remediation re-checks the live state before it acts.`;
    case 'rejected':
      return `:no_entry_sign: Rejected by ${by(request.rejectedBy)} ${slackDate(request.decidedAt)}. Nothing was changed.`;
    case 'expired':
      return `:hourglass: Expired ${slackDate(request.expiresAt)} before it was executed. Nothing was changed.${reason}`;
    case 'executing':
      return `:gear: Approved by ${by(request.approvedBy)}; executing now.`;
    case 'executed':
      if (options.rollbackRequestedBy) {
        return `:leftwards_arrow_with_hook: Rollback requested by ${describeActor(options.rollbackRequestedBy)}. Executed ${slackDate(request.executedAt)}, approved by ${by(request.approvedBy)}.`;
      }
      return `:white_check_mark: Executed ${slackDate(request.executedAt)}, approved by ${by(request.approvedBy)}. Undo restores the recorded before-state.`;
    case 'rollback-requested':
      return `:leftwards_arrow_with_hook: Rollback requested by ${by(request.rollbackRequestedBy)} ${slackDate(request.rollbackRequestedAt)}. Executed ${slackDate(request.executedAt)}, approved by ${by(request.approvedBy)}.`;
    case 'failed':
      return `:x: Failed.${reason || ' No reason was recorded.'}`;
    case 'refused':
      return `:no_entry: Not executed.${reason || ' No reason was recorded.'}`;
    case 'rolled-back':
      return `:leftwards_arrow_with_hook: Rolled back by ${by(request.rolledBackBy)} ${slackDate(request.rolledBackAt)}: the recorded before-state is restored.`;
    case 'attention': {
      const steps = request.steps ?? [];
      const count = (status: string) => steps.filter((s) => s.status === status).length;
      const progress =
        steps.length === 0
          ? ' No step had started.'
          : ` Steps done: ${count('done')}, left applying (may or may not have changed AWS): ${count('applying')}, not started: ${count('pending')}.`;
      return `:warning: The remediation stopped without recording an outcome.${reason}${progress} An operator restores the recorded before-state with ${code(`iam-posture rollback ${request.requestId}`)}.`;
    }
  }
}

function contextLine(request: RemediationRequest): string {
  const parts = [`Requested by ${describeActor(request.requestedBy)} ${slackDate(request.createdAt)}`];
  if (request.state === 'pending') parts.push(`expires ${slackDate(request.expiresAt)}`);
  parts.push(`request ${code(request.requestId)}`);
  return parts.join(' · ');
}

function buttonsFor(request: RemediationRequest, options: RequestMessageOptions): ButtonElement[] {
  const id = request.requestId;
  if (request.state === 'pending') {
    return [
      {
        type: 'button',
        action_id: SLACK_ACTION_IDS.approve,
        text: plain('Approve'),
        value: id,
        style: 'primary',
        confirm: {
          title: plain('Approve this remediation?'),
          text: mrkdwn(
            `${escapeMrkdwn(request.plan.summary)}\nThe live state is checked again before anything changes.`,
            300,
          ),
          confirm: plain('Approve'),
          deny: plain('Cancel'),
          style: 'primary',
        },
      },
      {
        type: 'button',
        action_id: SLACK_ACTION_IDS.reject,
        text: plain('Reject'),
        value: id,
        style: 'danger',
      },
    ];
  }
  if (request.state === 'executed' && !options.rollbackRequestedBy) {
    return [
      {
        type: 'button',
        action_id: SLACK_ACTION_IDS.undo,
        text: plain('Undo'),
        value: id,
        confirm: {
          title: plain('Undo this remediation?'),
          text: mrkdwn(
            'The recorded before-state is restored exactly, including any permissions removed.',
            300,
          ),
          confirm: plain('Undo'),
          deny: plain('Cancel'),
          style: 'danger',
        },
      },
    ];
  }
  return [];
}

function fallbackText(request: RemediationRequest, status: string | undefined): string {
  const { finding } = request;
  const head = `${HEADERS[request.state]}: ${escapeMrkdwn(finding.title)} (${escapeMrkdwn(finding.severity)}) on ${escapeMrkdwn(finding.resourceArn)} in account ${accountText(request.accountId, request.accountName)}.`;
  const tail = status ?? `Plan: ${escapeMrkdwn(request.plan.summary)}`;
  return truncate(`${head} ${tail}`, FALLBACK_MAX);
}

/** A finding that could be remediated automatically but will not be: shown, never approvable. */
export function refusalMessage(
  finding: Pick<
    Finding,
    'id' | 'title' | 'severity' | 'ruleId' | 'resourceArn' | 'subResource' | 'reason' | 'accountId'
  >,
  reason: string,
  accountName?: string,
): SlackMessage {
  const resource = finding.subResource
    ? `${code(finding.resourceArn)}\n${code(finding.subResource)}`
    : code(finding.resourceArn);
  const blocks: Block[] = [
    { type: 'header', text: plain('Remediation not offered') },
    {
      type: 'section',
      text: mrkdwn(`${SEVERITY_MARK[finding.severity] ?? ''} *${escapeMrkdwn(finding.title)}*`.trim()),
      fields: [
        mrkdwn(`*Severity*\n${escapeMrkdwn(finding.severity)}`, FIELD_MAX),
        mrkdwn(`*Rule*\n${code(finding.ruleId)}`, FIELD_MAX),
        mrkdwn(`*Resource*\n${resource}`, FIELD_MAX),
        mrkdwn(`*Account*\n${describeAccount(finding.accountId, accountName)}`, FIELD_MAX),
      ],
    },
    { type: 'section', text: mrkdwn(`*Why*\n${escapeMrkdwn(finding.reason)}`) },
    { type: 'section', text: mrkdwn(`:no_entry: ${escapeMrkdwn(reason)}`) },
    {
      type: 'context',
      elements: [
        mrkdwn(
          `No remediation request was opened; iam-posture will not change this resource. Finding ${code(finding.id)}`,
          FIELD_MAX,
        ),
      ],
    },
  ];
  const text = `Remediation not offered: ${escapeMrkdwn(finding.title)} on ${escapeMrkdwn(finding.resourceArn)} in account ${accountText(finding.accountId, accountName)}. ${escapeMrkdwn(reason)}`;
  return { text: truncate(text, FALLBACK_MAX), blocks };
}

/** Evidence keys worth showing first, in this order; other scalar values follow. */
const HIGHLIGHT_KEYS = [
  'idleDays',
  'ageDays',
  'thresholdDays',
  'lastUsedAt',
  'lastUsedService',
  'lastUsedRegion',
  'createdAt',
  'keyId',
  'basis',
  'grantingPolicies',
  'lastRotatedAt',
  'nextRotationAt',
  'rotationEnabled',
  'rotationOverdue',
];
const HIGHLIGHT_VALUE_MAX = 200;

/**
 * A few short values of a finding's evidence for the message: scalars and lists of strings, the
 * known-useful keys first. Nested records (policy statements) are left out: the finding has them.
 */
export function evidenceHighlights(evidence: Evidence, limit = 6): Record<string, string> {
  const keys = [
    ...HIGHLIGHT_KEYS.filter((key) => key in evidence),
    ...Object.keys(evidence).filter((key) => !HIGHLIGHT_KEYS.includes(key)),
  ];
  const out: Record<string, string> = {};
  for (const key of keys) {
    if (Object.keys(out).length >= limit) break;
    const value = highlightValue(evidence[key]);
    if (value !== undefined) out[key] = truncate(value, HIGHLIGHT_VALUE_MAX);
  }
  return out;
}

function highlightValue(value: Evidence[string] | undefined): string | undefined {
  if (value === null) return 'none';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    const items = value as string[];
    if (items.length === 0) return undefined;
    const shown = items.slice(0, 5).join(', ');
    return items.length > 5 ? `${shown} and ${items.length - 5} more` : shown;
  }
  return undefined;
}
