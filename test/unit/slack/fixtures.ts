import type { RemediationRequest } from '../../../functions/core/remediation/request';
import { SLACK_ACTION_IDS, type SlackAction } from '../../../functions/core/slack/messages';
import { signSlackRequest } from '../../../functions/core/slack/signature';
import { interactionBody } from '../../support/slack-url-event';

/** Slack workspace, channel and people of the Slack tests. */
export const TEAM = 'T0TEAM0001';
export const CHANNEL = 'C0CHANNEL1';
export const APPROVER = 'U0APPROVER';
export const OTHER_APPROVER = 'U0APPROVE2';
export const STRANGER = 'U0STRANGER';
export const MESSAGE_TS = '1717200000.000100';
export const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';

export const REQUEST_ID = '5d0c3f1e9a8b7c6d5e4f3a2b1c0d9e8f';
const FINDING_ID = '0123456789abcdef0123456789abcdef';
const USER_ARN = 'arn:aws:iam::123456789012:user/ci/deploy-bot';

/** A pending request to deactivate an unused access key, posted to CHANNEL at MESSAGE_TS. */
export function aRequest(overrides: Partial<RemediationRequest> = {}): RemediationRequest {
  return {
    requestId: REQUEST_ID,
    findingId: FINDING_ID,
    accountId: '123456789012',
    ruleId: 'access-key-unused',
    resourceArn: USER_ARN,
    subResource: 'AKIAEXAMPLEKEY000001',
    actions: ['deactivate-access-key'],
    state: 'pending',
    version: 2,
    createdAt: '2024-06-01T00:00:00.000Z',
    expiresAt: '2024-06-02T00:00:00.000Z',
    requestedBy: { kind: 'system', id: 'iam-posture' },
    plan: {
      outcome: 'plan',
      findingId: FINDING_ID,
      actions: ['deactivate-access-key'],
      steps: [
        { action: 'deactivate-access-key', userName: 'deploy-bot', accessKeyId: 'AKIAEXAMPLEKEY000001' },
      ],
      summary: 'Deactivate access key AKIAEXAMPLEKEY000001 of user deploy-bot.',
    },
    slack: { channel: CHANNEL, ts: MESSAGE_TS },
    highlights: { idleDays: '120', lastUsedAt: '2024-02-01T00:00:00.000Z', lastUsedService: 's3' },
    finding: {
      id: FINDING_ID,
      ruleId: 'access-key-unused',
      severity: 'medium',
      resourceArn: USER_ARN,
      subResource: 'AKIAEXAMPLEKEY000001',
      reason: 'Active access key AKIAEXAMPLEKEY000001 of user deploy-bot was last used 120 days ago.',
      title: 'Active access keys are used within the unused-key window',
    },
    ...overrides,
  };
}

export interface PayloadInput {
  action?: SlackAction;
  actionId?: string;
  requestId?: string;
  teamId?: string;
  userId?: string;
  channelId?: string;
  messageTs?: string;
}

/** The parts of a `block_actions` payload the tests change; the rest is as Slack sends it. */
export interface BlockActionsPayload {
  type: string;
  user: { id: string; username: string; name: string; team_id: string };
  team?: { id: string; domain: string };
  channel: { id: string; name: string };
  container: { type: string; message_ts: string; channel_id: string; is_ephemeral: boolean };
  message: { type: string; ts: string; text: string; blocks: unknown[] };
  response_url?: string;
  actions: { action_id: string; block_id: string; value: string; type: string; [key: string]: unknown }[];
  [key: string]: unknown;
}

/** A `block_actions` payload as Slack sends it for a click on one of our buttons. */
export function blockActions(input: PayloadInput = {}): BlockActionsPayload {
  const teamId = input.teamId ?? TEAM;
  const userId = input.userId ?? APPROVER;
  const channelId = input.channelId ?? CHANNEL;
  const messageTs = input.messageTs ?? MESSAGE_TS;
  return {
    type: 'block_actions',
    user: { id: userId, username: 'someone', name: 'someone', team_id: teamId },
    api_app_id: 'A0APP00001',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: messageTs, channel_id: channelId, is_ephemeral: false },
    trigger_id: '123.456.abc',
    team: { id: teamId, domain: 'example' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channelId, name: 'security' },
    message: { type: 'message', ts: messageTs, text: 'Remediation approval requested', blocks: [] },
    state: { values: {} },
    response_url: `https://hooks.slack.com/actions/${teamId}/1/abc`,
    actions: [
      {
        action_id: input.actionId ?? SLACK_ACTION_IDS[input.action ?? 'approve'],
        block_id: 'iam_posture_actions',
        text: { type: 'plain_text', text: 'Approve', emoji: true },
        value: input.requestId ?? REQUEST_ID,
        style: 'primary',
        type: 'button',
        action_ts: '1717200100.000200',
      },
    ],
  };
}

/** The form body Slack posts: `payload=<url-encoded JSON>`. */
export function formBody(payload: unknown): Buffer {
  return Buffer.from(interactionBody(payload), 'utf8');
}

/** Headers of a request Slack signed at `timestamp` (seconds) with `secret`. */
export function signedHeaders(
  body: Buffer,
  timestamp: number,
  secret: string = SIGNING_SECRET,
): Record<string, string> {
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signSlackRequest(secret, String(timestamp), body),
  };
}

export interface ViewSubmissionInput {
  callbackId: string;
  values?: Record<string, Record<string, Record<string, unknown>>>;
  privateMetadata?: string;
  teamId?: string;
  userId?: string;
}

/** A `view_submission` payload as Slack sends it when someone submits one of our modals. */
export function viewSubmission(input: ViewSubmissionInput): Record<string, unknown> {
  const teamId = input.teamId ?? TEAM;
  return {
    type: 'view_submission',
    team: { id: teamId, domain: 'example' },
    user: { id: input.userId ?? APPROVER, username: 'someone', name: 'someone', team_id: teamId },
    api_app_id: 'A0APP00001',
    token: 'legacy-verification-token',
    trigger_id: '123.456.def',
    view: {
      id: 'V0VIEW0001',
      type: 'modal',
      callback_id: input.callbackId,
      private_metadata: input.privateMetadata ?? '',
      state: { values: input.values ?? {} },
      hash: '1717200000.abcdef',
    },
    response_urls: [],
  };
}

export interface SlashCommandInput {
  command: string;
  text?: string;
  teamId?: string;
  userId?: string;
  channelId?: string;
}

/** The form body Slack posts for a slash command. */
export function slashCommandBody(input: SlashCommandInput): Buffer {
  const teamId = input.teamId ?? TEAM;
  const form = new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: teamId,
    team_domain: 'example',
    channel_id: input.channelId ?? CHANNEL,
    channel_name: 'security',
    user_id: input.userId ?? APPROVER,
    user_name: 'someone',
    command: input.command,
    text: input.text ?? '',
    api_app_id: 'A0APP00001',
    response_url: `https://hooks.slack.com/commands/${teamId}/1/abc`,
    trigger_id: '123.456.ghi',
  });
  return Buffer.from(form.toString(), 'utf8');
}
