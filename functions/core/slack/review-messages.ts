import { createHash } from 'node:crypto';
import type { Actor } from '../remediation/request';
import type { ReviewAnswer, ReviewCampaign, ReviewDecision, ReviewItem } from '../review/types';
import type { Severity } from '../rule';
import {
  describeActor,
  describeOwner,
  escapeMrkdwn,
  FALLBACK_MAX,
  FIELD_MAX,
  HEADER_MAX,
  mrkdwn,
  type OwnerSlackTargets,
  plain,
  type TextObject,
  truncate,
} from './messages';

/**
 * Slack Block Kit for entitlement reviews. Pure: a campaign and an owner's items in, messages and
 * modals out. Each identity of the owner is a section with what it can do and how it is used, and
 * three buttons: Keep, Reduce, Not mine. A button carries `<campaignId>.<owner hash>.<itemId>` and
 * nothing else; the owner is hashed because owner ids come from tags and may hold any character.
 * Every value from AWS, tags or people is escaped for mrkdwn.
 */

/** Every action and view of a review starts with this; the interaction endpoint routes on it. */
export const REVIEW_ID_PREFIX = 'iam_posture_review_';

/** The `action_id` of each answer's button. */
export const REVIEW_ACTION_IDS: Readonly<Record<ReviewAnswer, string>> = {
  keep: 'iam_posture_review_keep',
  reduce: 'iam_posture_review_reduce',
  'not-mine': 'iam_posture_review_not_mine',
};

/** The `callback_id` of the two modals. */
export const REVIEW_VIEW_IDS = {
  keep: 'iam_posture_review_keep_modal',
  notMine: 'iam_posture_review_not_mine_modal',
} as const;

/** `block_id` / `action_id` of the modals' inputs; a validation error names the block. */
export const REVIEW_INPUTS = {
  justification: 'justification',
  newOwner: 'new_owner',
  note: 'note',
} as const;

/** The answer a button's `action_id` stands for, or undefined for any other id. */
export function reviewAnswerOf(actionId: string): ReviewAnswer | undefined {
  for (const [answer, id] of Object.entries(REVIEW_ACTION_IDS)) {
    if (id === actionId) return answer as ReviewAnswer;
  }
  return undefined;
}

/** Slack's own limit on the blocks of one message. */
export const MESSAGE_MAX_BLOCKS = 50;
/** A review message's own blocks (header, introduction, footer) besides the identities. */
const FRAME_BLOCKS = 3;
/** Each identity takes a section, a context line, and its buttons or its answer. */
const BLOCKS_PER_ITEM = 3;
/** Identities shown in one message: the rest go to the next message of the same review. */
export const ITEMS_PER_MESSAGE = Math.floor((MESSAGE_MAX_BLOCKS - FRAME_BLOCKS) / BLOCKS_PER_ITEM);

/** Justifications longer than this are refused by the modal; Slack stores them in a field. */
export const JUSTIFICATION_MAX = 1000;
export const NOTE_MAX = 500;
/** Slack's limit on a static select's options, and on an option's value. */
const SELECT_MAX_OPTIONS = 100;
const OPTION_VALUE_MAX = 150;
const OPTION_TEXT_MAX = 75;
/** Slack's limit on a modal's title and its submit / close labels. */
const VIEW_TITLE_MAX = 24;
const PRIVATE_METADATA_MAX = 3000;

// --- button values

const OWNER_HASH_LENGTH = 12;
/** Campaign ids, owner hashes and item ids are joined with dots, so none of them may hold one but the campaign id. */
const VALUE_PATTERN = /^([A-Za-z0-9._-]{1,120})\.([0-9a-f]{12})\.([A-Za-z0-9]{1,16})$/;

/** A short, stable stand-in for an owner id in button values. */
export function ownerHash(owner: string): string {
  return createHash('sha256').update(`review-owner\n${owner}`).digest('hex').slice(0, OWNER_HASH_LENGTH);
}

export interface ReviewItemRef {
  campaignId: string;
  ownerHash: string;
  itemId: string;
}

/** A button's value: `<campaignId>.<owner hash>.<itemId>`. Throws on ids Slack could not carry. */
export function reviewItemValue(item: Pick<ReviewItem, 'campaignId' | 'owner' | 'itemId'>): string {
  const value = `${item.campaignId}.${ownerHash(item.owner)}.${item.itemId}`;
  if (!VALUE_PATTERN.test(value)) {
    throw new Error(
      `review item ${JSON.stringify(item.itemId)} of campaign ${JSON.stringify(item.campaignId)} cannot be a button value (campaign ids are 1-120 of A-Z a-z 0-9 . _ -, item ids 1-16 letters and digits)`,
    );
  }
  return value;
}

/** The parts of a button value, or undefined when it is not one of ours. */
export function parseReviewItemValue(value: string): ReviewItemRef | undefined {
  const match = VALUE_PATTERN.exec(value);
  if (!match) return undefined;
  return { campaignId: match[1]!, ownerHash: match[2]!, itemId: match[3]! };
}

// --- block types

export interface ReviewButton {
  type: 'button';
  action_id: string;
  text: TextObject;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: { title: TextObject; text: TextObject; confirm: TextObject; deny: TextObject };
}

export interface SelectOption {
  text: TextObject;
  value: string;
}

export type InputElement =
  | {
      type: 'plain_text_input';
      action_id: string;
      multiline?: boolean;
      min_length?: number;
      max_length?: number;
      placeholder?: TextObject;
      initial_value?: string;
    }
  | { type: 'static_select'; action_id: string; options: SelectOption[]; placeholder?: TextObject };

export type ReviewBlock =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; block_id?: string; text: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'actions'; block_id: string; elements: ReviewButton[] }
  | { type: 'divider' }
  | {
      type: 'input';
      block_id: string;
      label: TextObject;
      element: InputElement;
      hint?: TextObject;
      optional?: boolean;
    };

export interface ReviewMessage {
  /** Shown in notifications and by clients that cannot render blocks. */
  text: string;
  blocks: ReviewBlock[];
}

export interface ModalView {
  type: 'modal';
  callback_id: string;
  title: TextObject;
  submit: TextObject;
  close: TextObject;
  private_metadata: string;
  blocks: ReviewBlock[];
}

// --- shared pieces

const code = (value: string) => `\`${escapeMrkdwn(value)}\``;

/** A date Slack shows in the reader's time zone, with the ISO time as fallback. */
function slackDate(iso: string | undefined, format = '{date_short_pretty}'): string {
  if (!iso) return 'an unrecorded date';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeMrkdwn(iso);
  return `<!date^${Math.floor(ms / 1000)}^${format}|${new Date(ms).toISOString()}>`;
}

/** The date part of an instant, for plain-text fallbacks. */
function isoDay(iso: string): string {
  return iso.slice(0, 10);
}

const KIND_MARK: Record<ReviewItem['identityKind'], string> = {
  role: ':bust_in_silhouette: Role',
  user: ':key: User',
  secret: ':lock: Secret',
};

const SEVERITY_ORDER: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'informational'];

/** The owner's items in the order they are shown: riskiest first, then by ARN for a stable order. */
export function orderReviewItems(items: readonly ReviewItem[]): ReviewItem[] {
  return [...items].sort(
    (a, b) => b.risk - a.risk || (a.identityArn < b.identityArn ? -1 : a.identityArn > b.identityArn ? 1 : 0),
  );
}

/** `3 open: 1 critical, 2 medium` */
function findingsSummary(findings: ReviewItem['openFindings']): string {
  if (findings.length === 0) return 'none';
  const counts = SEVERITY_ORDER.map(
    (severity) => [severity, findings.filter((f) => f.severity === severity).length] as const,
  ).filter(([, count]) => count > 0);
  const rules = [...new Set(findings.map((f) => f.ruleId))].sort();
  const shownRules = rules.slice(0, 4).map(code).join(', ');
  const more = rules.length > 4 ? ` and ${rules.length - 4} more` : '';
  return `${findings.length}: ${counts.map(([s, n]) => `${n} ${s}`).join(', ')}\n${shownRules}${more}`;
}

function listOf(values: readonly string[], shown: number): string {
  const head = values.slice(0, shown).map(escapeMrkdwn).join(', ');
  return values.length > shown ? `${head} and ${values.length - shown} more` : head;
}

/** What a message says about the identity's current attestation (the latest keep of any campaign). */
export function describeAttestation(attestation: ReviewDecision | undefined, now: Date): string {
  if (attestation?.answer !== 'keep') return 'No attestation on record.';
  const by = describeActor(attestation.by);
  const why = attestation.justification
    ? `: “${escapeMrkdwn(truncate(attestation.justification, 200))}”`
    : '';
  const until = attestation.attestedUntil;
  if (until && Date.parse(until) <= now.getTime()) {
    return `Attestation by ${by} expired ${slackDate(until)}${why}`;
  }
  return `Kept by ${by} ${slackDate(attestation.at)}, attested until ${slackDate(until)}${why}`;
}

/** The line that replaces an answered item's buttons. */
export function describeDecision(decision: ReviewDecision): string {
  const by = describeActor(decision.by);
  const at = slackDate(decision.at);
  const note = decision.justification ? ` “${escapeMrkdwn(truncate(decision.justification, 300))}”` : '';
  switch (decision.answer) {
    case 'keep':
      return `:white_check_mark: *Kept* by ${by} ${at}, attested until ${slackDate(decision.attestedUntil)}.${note}`;
    case 'reduce': {
      const ids =
        decision.remediationRequestIds ??
        (decision.remediationRequestId ? [decision.remediationRequestId] : []);
      const requests =
        ids.length === 0
          ? ''
          : ids.length === 1
            ? ` Remediation request ${code(ids[0]!)} waits for approval.`
            : ` ${ids.length} remediation requests wait for approval: ${ids.slice(0, 5).map(code).join(', ')}${ids.length > 5 ? ` and ${ids.length - 5} more` : ''}.`;
      const none = decision.reductionUnavailable
        ? ` No remediation request was opened: ${escapeMrkdwn(truncate(decision.reductionUnavailable, 500))}`
        : '';
      return `:scissors: *Reduce* requested by ${by} ${at}.${requests}${none}${note}`;
    }
    case 'not-mine':
      return decision.reassignedTo
        ? `:arrow_right: *Not mine*: handed to ${escapeMrkdwn(decision.reassignedTo)} by ${by} ${at}.${note}`
        : `:grey_question: *Not mine*, said ${by} ${at}; left for the review's escalation channel to find its owner.${note}`;
  }
}

// --- the owner's review

export interface ReviewMessageInput {
  campaign: Pick<ReviewCampaign, 'campaignId' | 'scope' | 'deadline' | 'startedAt'>;
  owner: string;
  /** The items of this message (or of the whole review, for `reviewMessages`). */
  items: readonly ReviewItem[];
  /** The evaluation time: whether an attestation still holds. */
  now: Date;
  /** Identity ARN -> its current attestation, when one is on record. */
  attestations?: ReadonlyMap<string, ReviewDecision>;
  /** Account id -> name, when known. */
  accountNames?: ReadonlyMap<string, string>;
  /** Owner id -> Slack user or channel, to mention the owner. */
  ownerSlack?: OwnerSlackTargets;
  /** Identities handed over by someone else: says so in the introduction. */
  handedOverBy?: Actor;
}

/** Which message of a review this is (1-based), when it has several. */
export interface MessagePart {
  index: number;
  count: number;
}

/**
 * The owner's review, split into as many messages as Slack's 50-block limit needs, riskiest
 * identities first. Each message is complete on its own: header, identities, footer.
 */
export function reviewMessages(input: ReviewMessageInput): ReviewMessage[] {
  const ordered = orderReviewItems(input.items);
  const chunks: ReviewItem[][] = [];
  for (let i = 0; i < ordered.length; i += ITEMS_PER_MESSAGE)
    chunks.push(ordered.slice(i, i + ITEMS_PER_MESSAGE));
  if (chunks.length === 0) chunks.push([]);
  return chunks.map((items, i) =>
    reviewMessage({ ...input, items }, { index: i + 1, count: chunks.length }, ordered.length),
  );
}

/**
 * One message of an owner's review: `items` must fit one message (at most ITEMS_PER_MESSAGE).
 * Used again, with the same items, to update the message once an item is answered.
 */
export function reviewMessage(
  input: ReviewMessageInput,
  part: MessagePart = { index: 1, count: 1 },
  total = input.items.length,
): ReviewMessage {
  if (input.items.length > ITEMS_PER_MESSAGE) {
    throw new Error(
      `one review message holds at most ${ITEMS_PER_MESSAGE} identities, got ${input.items.length}`,
    );
  }
  const { campaign } = input;
  const items = orderReviewItems(input.items);
  const answered = items.filter((item) => item.decision).length;
  const partLabel = part.count > 1 ? ` (${part.index}/${part.count})` : '';
  const blocks: ReviewBlock[] = [
    { type: 'header', text: plain(`Access review: ${campaign.scope}${partLabel}`, HEADER_MAX) },
    { type: 'section', text: mrkdwn(introduction(input, total, part)) },
  ];
  for (const item of items) blocks.push(...itemBlocks(item, input));
  blocks.push({
    type: 'context',
    elements: [
      mrkdwn(
        `Campaign ${code(campaign.campaignId)} · started ${slackDate(campaign.startedAt)} · answered here: ${answered} of ${items.length}`,
        FIELD_MAX,
      ),
    ],
  });
  const text = `Access review ${campaign.campaignId}${partLabel} for ${input.owner}: ${items.length} identities to answer by ${isoDay(campaign.deadline)} (keep, reduce or not mine).`;
  return { text: truncate(escapeMrkdwn(text), FALLBACK_MAX), blocks };
}

function introduction(input: ReviewMessageInput, total: number, part: MessagePart): string {
  const owner = describeOwner({ id: input.owner }, input.ownerSlack);
  const deadline = slackDate(input.campaign.deadline, '{date_long} {time}');
  const handed = input.handedOverBy
    ? `${describeActor(input.handedOverBy)} handed ${total === 1 ? 'this identity' : 'these identities'} to ${owner}. `
    : `${owner} owns ${total === 1 ? 'one identity' : `${total} identities`} in this review. `;
  const lead =
    part.index === 1
      ? `${handed}For each, answer by *${deadline}*: *Keep* (with a justification; recorded as an attestation), *Reduce* (its unused privilege goes to remediation, approved as usual) or *Not mine*.`
      : `Continued: identities ${(part.index - 1) * ITEMS_PER_MESSAGE + 1} onwards of ${total}, answer by *${deadline}*.`;
  return lead;
}

function itemBlocks(item: ReviewItem, input: ReviewMessageInput): ReviewBlock[] {
  const flags: string[] = [];
  if (item.adminEquivalent) flags.push(':rotating_light: *admin-equivalent*');
  if (item.canEscalate) flags.push(':warning: *can escalate its own privilege*');
  if (item.unusedServices && item.unusedServices.length > 0) {
    flags.push(`:zzz: unused services: ${listOf(item.unusedServices, 6)}`);
  }
  const title = `${KIND_MARK[item.identityKind]} ${code(item.identityName)}${flags.length > 0 ? `\n${flags.join(' · ')}` : ''}`;
  const accountName = input.accountNames?.get(item.accountId);
  const ages = item.credentialAgesDays ?? [];
  const fields: TextObject[] = [
    mrkdwn(
      `*Account*\n${code(item.accountId)}${accountName ? ` (${escapeMrkdwn(accountName)})` : ''}`,
      FIELD_MAX,
    ),
    mrkdwn(
      `*Last used*\n${item.lastUsedAt ? slackDate(item.lastUsedAt) : 'never, or not recorded'}`,
      FIELD_MAX,
    ),
    mrkdwn(
      `*Credential ages*\n${ages.length > 0 ? ages.map((days) => `${days} d`).join(', ') : 'no active credentials'}`,
      FIELD_MAX,
    ),
    mrkdwn(`*Open findings*\n${findingsSummary(item.openFindings)}`, FIELD_MAX),
  ];
  const blocks: ReviewBlock[] = [
    { type: 'section', block_id: `item_${item.itemId}`, text: mrkdwn(title), fields },
    {
      type: 'context',
      elements: [
        mrkdwn(
          `${describeAttestation(input.attestations?.get(item.identityArn), input.now)} · ${code(item.identityArn)}`,
          FIELD_MAX,
        ),
      ],
    },
  ];
  if (item.decision) {
    blocks.push({
      type: 'section',
      block_id: `answer_${item.itemId}`,
      text: mrkdwn(describeDecision(item.decision)),
    });
  } else {
    blocks.push({ type: 'actions', block_id: `actions_${item.itemId}`, elements: itemButtons(item) });
  }
  return blocks;
}

function itemButtons(item: ReviewItem): ReviewButton[] {
  const value = reviewItemValue(item);
  return [
    { type: 'button', action_id: REVIEW_ACTION_IDS.keep, text: plain('Keep'), value, style: 'primary' },
    {
      type: 'button',
      action_id: REVIEW_ACTION_IDS.reduce,
      text: plain('Reduce'),
      value,
      style: 'danger',
      confirm: {
        title: plain('Reduce this access?'),
        text: mrkdwn(
          `Each open finding of ${code(item.identityName)} that iam-posture can remediate becomes a remediation request, approved in Slack as usual. Nothing changes before that.`,
          300,
        ),
        confirm: plain('Reduce'),
        deny: plain('Cancel'),
      },
    },
    { type: 'button', action_id: REVIEW_ACTION_IDS['not-mine'], text: plain('Not mine'), value },
  ];
}

// --- reminders and escalations

export interface ReminderInput {
  campaign: Pick<ReviewCampaign, 'campaignId' | 'scope' | 'deadline'>;
  owner: string;
  /** The owner's unanswered items. */
  items: readonly ReviewItem[];
  ownerSlack?: OwnerSlackTargets;
  /** Escalation: the owner has no Slack target, so the review could not be posted at all. */
  unreachable?: boolean;
}

const LISTED = 10;

function identityLines(items: readonly ReviewItem[]): string {
  const ordered = orderReviewItems(items);
  const lines = ordered.slice(0, LISTED).map((item) => {
    const flags = [item.adminEquivalent ? 'admin-equivalent' : '', item.canEscalate ? 'can escalate' : '']
      .filter(Boolean)
      .join(', ');
    return `• ${item.identityKind} ${code(item.identityName)} in ${code(item.accountId)}${flags ? ` (${flags})` : ''}`;
  });
  if (ordered.length > LISTED) lines.push(`… and ${ordered.length - LISTED} more`);
  return lines.join('\n');
}

/** Before the deadline: the owner still has unanswered identities. */
export function reminderMessage(input: ReminderInput): ReviewMessage {
  const { campaign, items } = input;
  const owner = describeOwner({ id: input.owner }, input.ownerSlack);
  const count = items.length === 1 ? 'One identity still waits' : `${items.length} identities still wait`;
  const blocks: ReviewBlock[] = [
    { type: 'header', text: plain(`Reminder: access review ${campaign.scope}`) },
    {
      type: 'section',
      text: mrkdwn(
        `${count} for ${owner}'s answer. The review closes *${slackDate(campaign.deadline, '{date_long} {time}')}*; unanswered identities are then escalated and reported as overdue. Answer on the review message.\n${identityLines(items)}`,
      ),
    },
    { type: 'context', elements: [mrkdwn(`Campaign ${code(campaign.campaignId)}`, FIELD_MAX)] },
  ];
  const text = `Reminder: ${items.length} identities of access review ${campaign.campaignId} wait for ${input.owner}'s answer by ${isoDay(campaign.deadline)}.`;
  return { text: truncate(escapeMrkdwn(text), FALLBACK_MAX), blocks };
}

/** Past the deadline, to the escalation channel: what an owner left unanswered (or disowned). */
export function escalationMessage(input: ReminderInput): ReviewMessage {
  const { campaign, items } = input;
  const owner = describeOwner({ id: input.owner }, input.ownerSlack);
  const disowned = items.filter(
    (item) => item.decision?.answer === 'not-mine' && !item.decision.reassignedTo,
  );
  const open = items.filter((item) => !item.decision);
  const parts: string[] = [];
  if (input.unreachable) {
    parts.push(
      `${owner} has no Slack user or channel in the deploy config (\`ownership.slack\`), so ${open.length === 1 ? 'this identity' : `these ${open.length} identities`} cannot be reviewed in Slack. Map the owner, or find another:\n${identityLines(open)}`,
    );
  } else if (open.length > 0) {
    parts.push(
      `${owner} did not answer for ${open.length === 1 ? 'one identity' : `${open.length} identities`} by ${slackDate(campaign.deadline, '{date_long} {time}')}; each is now a \`review-overdue\` finding.\n${identityLines(open)}`,
    );
  }
  if (disowned.length > 0) {
    parts.push(
      `${owner} says ${disowned.length === 1 ? 'this identity is' : 'these identities are'} not theirs, and named no new owner:\n${identityLines(disowned)}`,
    );
  }
  const blocks: ReviewBlock[] = [
    {
      type: 'header',
      text: plain(
        `${input.unreachable ? 'Access review without an owner in Slack' : 'Access review overdue'}: ${campaign.scope}`,
      ),
    },
    ...parts.map((text): ReviewBlock => ({ type: 'section', text: mrkdwn(text) })),
    {
      type: 'context',
      elements: [
        mrkdwn(
          `Campaign ${code(campaign.campaignId)} · owner ${escapeMrkdwn(input.owner)} · find the owner, or reduce the access`,
          FIELD_MAX,
        ),
      ],
    },
  ];
  const text = input.unreachable
    ? `Access review ${campaign.campaignId}: owner ${input.owner} has no Slack target; ${open.length} identities cannot be reviewed in Slack.`
    : `Access review ${campaign.campaignId} overdue: ${input.owner} left ${open.length} identities unanswered and ${disowned.length} without an owner.`;
  return { text: truncate(escapeMrkdwn(text), FALLBACK_MAX), blocks };
}

// --- modals

export interface KeepModalInput {
  item: ReviewItem;
  /** The attestation holds until this instant (now + the configured attestation days). */
  attestedUntil: string;
  attestationDays: number;
  /** Opaque to Slack; comes back with the submission. */
  privateMetadata: string;
}

function viewTitle(text: string): TextObject {
  return { type: 'plain_text', text: truncate(text, VIEW_TITLE_MAX), emoji: true };
}

function checkMetadata(privateMetadata: string): string {
  if (privateMetadata.length > PRIVATE_METADATA_MAX) {
    throw new Error(
      `private_metadata is ${privateMetadata.length} characters, more than Slack's ${PRIVATE_METADATA_MAX}`,
    );
  }
  return privateMetadata;
}

/** Keep: why this identity needs its access; the attestation's expiry is shown before it is made. */
export function keepModal(input: KeepModalInput): ModalView {
  const { item } = input;
  return {
    type: 'modal',
    callback_id: REVIEW_VIEW_IDS.keep,
    title: viewTitle('Keep access'),
    submit: viewTitle('Keep'),
    close: viewTitle('Cancel'),
    private_metadata: checkMetadata(input.privateMetadata),
    blocks: [
      {
        type: 'section',
        text: mrkdwn(
          `${KIND_MARK[item.identityKind]} ${code(item.identityName)} in ${code(item.accountId)}${item.adminEquivalent ? '\n:rotating_light: admin-equivalent' : ''}${item.canEscalate ? '\n:warning: can escalate its own privilege' : ''}`,
        ),
      },
      {
        type: 'section',
        text: mrkdwn(
          `Your answer is recorded as an attestation that holds until *${slackDate(input.attestedUntil, '{date_long}')}* (${input.attestationDays} days). It suppresses no finding; it is shown with the identity.`,
        ),
      },
      {
        type: 'input',
        block_id: REVIEW_INPUTS.justification,
        label: plain('Why does it need this access?'),
        element: {
          type: 'plain_text_input',
          action_id: REVIEW_INPUTS.justification,
          multiline: true,
          max_length: JUSTIFICATION_MAX,
          placeholder: plain('What uses it, and why the privilege is needed'),
        },
      },
    ],
  };
}

export interface NotMineModalInput {
  item: ReviewItem;
  /** Owners a review can be posted to (those with a Slack target); offered in a list when there are any. */
  knownOwners: readonly string[];
  privateMetadata: string;
}

/** Not mine: who owns it instead (optional), and a note. */
export function notMineModal(input: NotMineModalInput): ModalView {
  const { item } = input;
  const choices = [...new Set(input.knownOwners)]
    .filter((owner) => owner !== item.owner && owner.length <= OPTION_VALUE_MAX)
    .sort()
    .slice(0, SELECT_MAX_OPTIONS);
  const ownerElement: InputElement =
    choices.length > 0
      ? {
          type: 'static_select',
          action_id: REVIEW_INPUTS.newOwner,
          placeholder: plain('Choose the owner'),
          options: choices.map((owner) => ({ text: plain(owner, OPTION_TEXT_MAX), value: owner })),
        }
      : {
          type: 'plain_text_input',
          action_id: REVIEW_INPUTS.newOwner,
          max_length: OPTION_VALUE_MAX,
          placeholder: plain('The owner id, as the owner tag names it'),
        };
  return {
    type: 'modal',
    callback_id: REVIEW_VIEW_IDS.notMine,
    title: viewTitle('Not mine'),
    submit: viewTitle('Hand over'),
    close: viewTitle('Cancel'),
    private_metadata: checkMetadata(input.privateMetadata),
    blocks: [
      {
        type: 'section',
        text: mrkdwn(
          `${KIND_MARK[item.identityKind]} ${code(item.identityName)} in ${code(item.accountId)}, now reviewed by ${escapeMrkdwn(item.owner)}.`,
        ),
      },
      {
        type: 'input',
        block_id: REVIEW_INPUTS.newOwner,
        label: plain('Who owns it?'),
        optional: true,
        element: ownerElement,
        hint: plain(
          'Their review gets this identity. Leave empty if you do not know: the escalation channel is told.',
        ),
      },
      {
        type: 'input',
        block_id: REVIEW_INPUTS.note,
        label: plain('Note'),
        optional: true,
        element: {
          type: 'plain_text_input',
          action_id: REVIEW_INPUTS.note,
          multiline: true,
          max_length: NOTE_MAX,
        },
      },
    ],
  };
}
